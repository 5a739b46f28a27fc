/** Frames that look alike in every model because the equipment is alike: the telematics unit's GNSS fix. */
import type { BusBuilder } from './bus.js';
import { num } from './signals.js';

/** WGS 84 latitude and longitude at 1e-6 degree (about 0.1 m), once a second. */
export function gnssPosition(bus: BusBuilder, sender: string): void {
  bus.message({
    name: `${sender}_Position`,
    length: 8,
    sender,
    cycleTimeMs: 1000,
    comment: 'GNSS position (WGS 84)',
    signals: [
      num(`${sender}_Latitude`, 32, { signed: true, scale: 0.000001, min: -90, max: 90, unit: 'deg' }),
      num(`${sender}_Longitude`, 32, { signed: true, scale: 0.000001, min: -180, max: 180, unit: 'deg' }),
    ],
  });
}
