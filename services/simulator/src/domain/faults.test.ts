import { describe, expect, it } from 'vitest';
import { parseFaultSpec, selectVehicles } from './faults.js';

describe('fault specs', () => {
  it('parses kind, target, code and vehicles', () => {
    expect(parseFaultSpec('cell-imbalance:0.1')).toMatchObject({
      kind: 'cell-imbalance',
      target: undefined,
      vehicles: { fraction: 0.1 },
    });
    expect(parseFaultSpec('over-temperature@3:0,4')).toMatchObject({
      kind: 'over-temperature',
      target: '3',
      vehicles: { indexes: [0, 4] },
    });
    expect(parseFaultSpec('sensor-silent@TPMS_Pressures')).toMatchObject({
      kind: 'sensor-silent',
      target: 'TPMS_Pressures',
      vehicles: { all: true },
    });
    expect(parseFaultSpec('dtc@BMS=0x0A7F00:all')).toMatchObject({
      kind: 'dtc',
      target: 'BMS',
      code: 0x0a7f00,
      vehicles: { all: true },
    });
  });

  it('explains what is wrong', () => {
    expect(() => parseFaultSpec('meltdown')).toThrow(/unknown kind "meltdown"/);
    expect(() => parseFaultSpec('cell-imbalance:1.5')).toThrow(/fraction "1.5" must be in \(0, 1\]/);
    expect(() => parseFaultSpec('cell-imbalance:x')).toThrow(/not a vehicle selection/);
    expect(() => parseFaultSpec('cell-imbalance@abc')).toThrow(/1-based cell number/);
    expect(() => parseFaultSpec('over-temperature=0x1')).toThrow(/only dtc takes a code/);
    expect(() => parseFaultSpec('dtc=0x1000000')).toThrow(/24-bit/);
  });

  it('selects vehicles deterministically: at least one for a fraction, the same ones for the same seed', () => {
    expect(selectVehicles({ fraction: 0.1 }, 5, 1, 'a')).toHaveLength(1);
    const picked = selectVehicles({ fraction: 0.1 }, 100, 7, 'a');
    expect(picked).toHaveLength(10);
    expect(selectVehicles({ fraction: 0.1 }, 100, 7, 'a')).toEqual(picked);
    expect(selectVehicles({ fraction: 0.1 }, 100, 8, 'a')).not.toEqual(picked);
    expect(selectVehicles({ indexes: [7, 2, 2, 50] }, 10, 1, 'a')).toEqual([2, 7]);
    expect(selectVehicles({ all: true }, 3, 1, 'a')).toEqual([0, 1, 2]);
  });
});
