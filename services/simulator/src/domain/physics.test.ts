import { describe, expect, it } from 'vitest';
import { openCircuitVoltage } from './battery.js';
import { AURORA_SPEC, VAN_SPEC, VehiclePhysics } from './physics.js';

const run = (physics: VehiclePhysics, seconds: number, each?: (t: number) => void): void => {
  for (let i = 0; i < seconds * 10; i++) {
    physics.step(0.1);
    each?.(physics.state.timeS);
  }
};

describe('vehicle physics', () => {
  it('drives: speed varies, the odometer counts the distance, SOC falls', () => {
    const p = new VehiclePhysics(AURORA_SPEC, { seed: 7, label: 'v', ambientC: 20, initialSocPct: 80 });
    const odometer0 = p.state.odometerKm;
    let maxSpeed = 0;
    let distanceKm = 0;
    run(p, 900, () => {
      maxSpeed = Math.max(maxSpeed, p.state.speedKmh);
      distanceKm += (p.state.speedKmh / 3600) * 0.1;
    });
    expect(maxSpeed).toBeGreaterThan(40);
    expect(maxSpeed).toBeLessThan(160);
    expect(p.state.odometerKm - odometer0).toBeCloseTo(distanceKm, 1);
    expect(p.state.socPct).toBeLessThan(79.5);
    // A plausible consumption: 10..40 kWh per 100 km.
    const usedKwh = ((80 - p.state.socPct) / 100) * p.state.energyFullKwh;
    expect((usedKwh / distanceKm) * 100).toBeGreaterThan(10);
    expect((usedKwh / distanceKm) * 100).toBeLessThan(40);
  });

  it('keeps pack voltage, current and power consistent, and cells on the OCV curve with IR drop', () => {
    const p = new VehiclePhysics(AURORA_SPEC, { seed: 3, label: 'v', ambientC: 25, initialSocPct: 70 });
    let checkedUnderLoad = false;
    run(p, 600, () => {
      const s = p.state;
      let sum = 0;
      for (const v of s.cellVoltageV) sum += v;
      expect(s.packVoltageV).toBeCloseTo(sum, 6);
      expect(s.packPowerKw).toBeCloseTo((s.packVoltageV * s.packCurrentA) / 1000, 6);
      if (s.packCurrentA > 100) {
        // Under load every cell sits below its open-circuit voltage.
        const cell = 10;
        expect(s.cellVoltageV[cell]!).toBeLessThan(openCircuitVoltage(s.cellSocPct[cell]!));
        checkedUnderLoad = true;
      }
    });
    expect(checkedUnderLoad).toBe(true);
  });

  it('lowers cell voltages as SOC falls (OCV), with a small spread between cells', () => {
    const high = new VehiclePhysics(VAN_SPEC, { seed: 1, label: 'a', ambientC: 25, initialSocPct: 90 });
    const low = new VehiclePhysics(VAN_SPEC, { seed: 1, label: 'a', ambientC: 25, initialSocPct: 20 });
    expect(high.state.cellVoltageAvgV).toBeGreaterThan(low.state.cellVoltageAvgV + 0.3);
    expect(high.state.cellVoltageAvgV).toBeCloseTo(openCircuitVoltage(90), 1);
    expect(low.state.cellVoltageAvgV).toBeCloseTo(openCircuitVoltage(20), 1);
    expect(high.state.cellVoltageMaxV - high.state.cellVoltageMinV).toBeLessThan(0.03);
  });

  it('heats cells with current and lets them relax toward the coolant', () => {
    const p = new VehiclePhysics(AURORA_SPEC, { seed: 11, label: 'v', ambientC: 20, initialSocPct: 80 });
    const start = p.state.cellTempAvgC;
    let maxTemp = start;
    run(p, 1200, () => (maxTemp = Math.max(maxTemp, p.state.cellTempAvgC)));
    expect(maxTemp).toBeGreaterThan(start);
    expect(maxTemp).toBeLessThan(45);
    expect(p.state.motorTempC[1]!).toBeGreaterThan(p.state.ambientC);
  });

  it('charges at a DC charger when SOC runs low: current negative, SOC rising', () => {
    const p = new VehiclePhysics(VAN_SPEC, { seed: 5, label: 'v', ambientC: 15, initialSocPct: 12.5 });
    let charged = false;
    run(p, 1800, () => {
      if (p.state.chargeState === 'ChargingDC' && p.state.chargePowerKw > 20) {
        expect(p.state.packCurrentA).toBeLessThan(0);
        expect(p.state.gear).toBe('P');
        charged = true;
      }
    });
    expect(charged).toBe(true);
    expect(p.state.socPct).toBeGreaterThan(15);
  });

  it('fault cell-imbalance: one cell drifts low, the others follow the pack', () => {
    const p = new VehiclePhysics(AURORA_SPEC, { seed: 2, label: 'v', ambientC: 20, initialSocPct: 75 });
    run(p, 30);
    const deltaBefore = p.state.cellVoltageMaxV - p.state.cellVoltageMinV;
    p.startCellLeak(41);
    run(p, 60);
    expect(p.state.cellVoltageMinId).toBe(42);
    expect(p.state.cellVoltageMaxV - p.state.cellVoltageMinV).toBeGreaterThan(deltaBefore + 0.15);
    const others = [...p.state.cellVoltageV].filter((_, i) => i !== 41);
    expect(Math.max(...others) - Math.min(...others)).toBeLessThan(deltaBefore + 0.03);
  });

  it('fault over-temperature: one module heats past 60 °C within about a minute and a half', () => {
    const p = new VehiclePhysics(AURORA_SPEC, { seed: 4, label: 'v', ambientC: 25, initialSocPct: 75 });
    run(p, 20);
    p.startModuleHeating(5);
    run(p, 90);
    expect(p.state.moduleTempMaxC[5]!).toBeGreaterThan(60);
    expect(p.state.cellTempMaxC).toBeGreaterThan(60);
    expect(p.moduleOfCell(p.state.cellTempMaxId - 1)).toBe(5);
    for (let m = 0; m < AURORA_SPEC.modules; m++) if (m !== 5) expect(p.state.moduleTempMaxC[m]!).toBeLessThan(45);
  });

  it('is deterministic for a seed and label', () => {
    const a = new VehiclePhysics(AURORA_SPEC, { seed: 9, label: 'x' });
    const b = new VehiclePhysics(AURORA_SPEC, { seed: 9, label: 'x' });
    run(a, 120);
    run(b, 120);
    expect(a.state.speedKmh).toBe(b.state.speedKmh);
    expect(Array.from(a.state.cellVoltageV)).toEqual(Array.from(b.state.cellVoltageV));
    const c = new VehiclePhysics(AURORA_SPEC, { seed: 9, label: 'y' });
    run(c, 120);
    expect(c.state.odometerKm).not.toBe(a.state.odometerKm);
  });
});
