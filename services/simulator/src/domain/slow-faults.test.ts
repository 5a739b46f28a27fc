import { describe, expect, it } from 'vitest';
import { parseFaultSpec } from './faults.js';
import { AURORA_SPEC, VehiclePhysics } from './physics.js';

/** Steps physics for `hours` at 1 s (as the model dataset does) and returns `read` once a minute. */
function run(start: (p: VehiclePhysics) => void, read: (p: VehiclePhysics) => number, hours: number): number[] {
  const physics = new VehiclePhysics(AURORA_SPEC, { seed: 7, label: 'slow', ambientC: 15 });
  start(physics);
  const out: number[] = [];
  for (let tick = 1; tick <= hours * 3600; tick++) {
    physics.step(1);
    if (tick % 60 === 0) out.push(read(physics));
  }
  return out;
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('slowly developing faults', () => {
  it('parses the new kinds with their targets', () => {
    expect(parseFaultSpec('tyre-slow-leak@2:0.5')).toMatchObject({ kind: 'tyre-slow-leak', target: '2' });
    expect(() => parseFaultSpec('tyre-slow-leak@x')).toThrow(/target/);
    expect(parseFaultSpec('coolant-pump-wear')).toMatchObject({ kind: 'coolant-pump-wear' });
  });

  it('a self-discharging cell drifts away from the others slowly at first, then faster', () => {
    const spread = (p: VehiclePhysics): number => p.state.cellVoltageMaxV - p.state.cellVoltageMinV;
    const healthy = run(() => undefined, spread, 2);
    const faulty = run((p) => p.startCellSelfDischarge(10), spread, 2);
    const firstHalfHour = mean(faulty.slice(0, 30)) - mean(healthy.slice(0, 30));
    const lastHalfHour = mean(faulty.slice(90)) - mean(healthy.slice(90));
    expect(firstHalfHour).toBeLessThan(0.005);
    expect(lastHalfHour).toBeGreaterThan(0.03);
  });

  it('a wearing coolant pump makes the motor loop run hotter above ambient', () => {
    const overAmbient = (p: VehiclePhysics): number => p.state.motorCoolantC - p.state.ambientC;
    const healthy = run(() => undefined, overAmbient, 2);
    const worn = run((p) => p.startCoolantPumpWear(), overAmbient, 2);
    expect(mean(worn.slice(90)) - mean(healthy.slice(90))).toBeGreaterThan(3);
    expect(Math.abs(mean(worn.slice(0, 10)) - mean(healthy.slice(0, 10)))).toBeLessThan(1);
  });

  it('a slowly leaking tyre loses pressure against the others', () => {
    const lowest = (p: VehiclePhysics): number => Math.min(...p.state.tyrePressureKpa);
    const healthy = run(() => undefined, lowest, 2.5);
    const leaking = run((p) => p.startTyreSlowLeak(1), lowest, 2.5);
    expect(healthy.at(-1)! - leaking.at(-1)!).toBeGreaterThan(40);
    expect(healthy[20]! - leaking[20]!).toBeLessThan(5);
  });
});
