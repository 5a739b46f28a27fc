/**
 * Properties of VehicleWindows over random records (out of order, late, unknown signals, repeated times): a
 * snapshot restored at any record boundary continues exactly as the uninterrupted instance (what the service's
 * checkpoints rely on), and base time + offsets (a SignalBatch's columns) equal absolute times.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { signalId, testCatalog } from '@telltale/rules/testing';
import { compileFeatureSet, type ModelFeatureSet } from './compile.js';
import { parseFeatureSet } from './definition.js';
import { VehicleWindows, type IngestOutcome } from './vehicle-windows.js';

const CATALOG = testCatalog('test-model');
const READ = ['cellVoltageMax', 'cellVoltageMin', 'cellTemperatureMax', 'vehicleSpeed'].map((n) =>
  signalId(n, CATALOG),
);
const UNREAD = 99_999;

function featureSet(hop: string): ModelFeatureSet {
  const parsed = parseFeatureSet({
    id: 'props',
    models: ['test-model'],
    window: '10s',
    hop,
    allowedLateness: '3s',
    features: [
      { name: 'spread_avg', expression: 'cellVoltageMax - cellVoltageMin', aggregate: 'avg' },
      { name: 'top_std', expression: 'max(cellVoltageMax, cellVoltageMin, cellTemperatureMax)', aggregate: 'std' },
      { name: 'low_rate', expression: 'min(cellTemperatureMax, vehicleSpeed)', aggregate: 'rate' },
      { name: 'hot_s', expression: 'cellTemperatureMax', aggregate: 'time-above', threshold: 5 },
      { name: 'ratio_delta', expression: 'vehicleSpeed / cellVoltageMin', aggregate: 'delta' },
      { name: 'speed_last', expression: 'vehicleSpeed', aggregate: 'last' },
      { name: 'speed_count', expression: 'vehicleSpeed', aggregate: 'count' },
      { name: 'spread_p90', expression: 'cellVoltageMax - cellVoltageMin', aggregate: 'p90' },
    ],
  });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  return compileFeatureSet(parsed.set, () => CATALOG).sets.get('test-model')!;
}

const sample = fc.tuple(
  fc.constantFrom(...READ, UNREAD),
  fc.double({ min: -20, max: 20, noNaN: true }),
  fc.integer({ min: 0, max: 60_000 }),
);
const records = fc.array(fc.array(sample, { maxLength: 30 }), { maxLength: 25 });
const plain = (o: IngestOutcome) => ({ ...o, closed: o.closed.map((w) => ({ ...w, values: Array.from(w.values) })) });

describe.each(['2s', '10s'])('VehicleWindows properties (10 s windows, hop %s)', (hop) => {
  const set = featureSet(hop);

  it('continues from a snapshot restored at any record boundary as without it; base + offsets = times', () => {
    fc.assert(
      fc.property(records, fc.nat(25), (input, cut) => {
        const whole = new VehicleWindows('VIN', set);
        let resumed = new VehicleWindows('VIN', set);
        input.forEach((record, i) => {
          if (i === cut) {
            const snapshot = JSON.parse(JSON.stringify(resumed.toJSON())) as ReturnType<VehicleWindows['toJSON']>;
            resumed = new VehicleWindows('VIN', set);
            expect(resumed.restore(snapshot)).toBe(true);
          }
          const ids = record.map((s) => s[0]);
          const values = record.map((s) => s[1]);
          const times = record.map((s) => s[2]);
          const base = 1_000;
          const expected = plain(whole.ingest(ids, values, times));
          expect(
            plain(
              resumed.ingest(
                ids,
                values,
                times.map((t) => t - base),
                base,
              ),
            ),
          ).toEqual(expected);
        });
        expect(resumed.toJSON()).toEqual(whole.toJSON());
      }),
      { numRuns: 300 },
    );
  });
});
