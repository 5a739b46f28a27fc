import { describe, expect, it } from 'vitest';
import { isValidVin } from '@telltale/registry';
import {
  MIN_SECRET_SEED_LENGTH,
  parseCredentialsCsv,
  randomSeed,
  simulatedFleetId,
  simulatedIdentities,
  vinCheckDigit,
} from './identity.js';

describe('simulated identities', () => {
  it('computes the ISO 3779 check digit', () => {
    expect(vinCheckDigit('1M8GDM9AXKP042788')).toBe('X');
    expect(vinCheckDigit('11111111111111111')).toBe('1');
  });

  it('derives valid, distinct VINs, device ids and secrets from the seed', () => {
    const fleet = simulatedIdentities(1, 'aurora-ev-2026', 50);
    expect(new Set(fleet.map((v) => v.vin)).size).toBe(50);
    for (const v of fleet) {
      expect(isValidVin(v.vin)).toBe(true);
      expect(v.vin[8]).toBe(vinCheckDigit(v.vin));
      expect(v.vin[9]).toBe('T'); // model year 2026
      expect(v.deviceSecret!.length).toBeGreaterThanOrEqual(16);
      expect(v.deviceId).toMatch(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/);
    }
    expect(simulatedIdentities(1, 'aurora-ev-2026', 2)).toEqual(fleet.slice(0, 2));
    expect(simulatedIdentities(2, 'aurora-ev-2026', 1)[0]!.vin).not.toBe(fleet[0]!.vin);
    expect(simulatedIdentities(1, 'cargo-van-e-2025', 1)[0]!.vin[9]).toBe('S');
  });
});

describe('random seeds', () => {
  it('are 128-bit, distinct, and give valid identities and fleet ids', () => {
    const seeds = Array.from({ length: 100 }, () => randomSeed());
    expect(new Set(seeds).size).toBe(100);
    for (const seed of seeds) expect(seed).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(seeds[0]!.length).toBeGreaterThanOrEqual(MIN_SECRET_SEED_LENGTH);
    const [a] = simulatedIdentities(seeds[0]!, 'aurora-ev-2026', 1);
    const [b] = simulatedIdentities(seeds[1]!, 'aurora-ev-2026', 1);
    expect(isValidVin(a!.vin)).toBe(true);
    expect(a!.deviceSecret).not.toBe(b!.deviceSecret);
    expect(simulatedFleetId(seeds[0]!)).toMatch(/^[a-z0-9][a-z0-9_.-]{0,63}$/);
  });
});

describe('vehicles file', () => {
  it('reads vin, device_id and an optional secret', () => {
    const rows = parseCredentialsCsv(
      'vin,device_id,device_secret\nLRW3E7FS1RC000001,tbox-a,secret-aaaaaaaaaaaa\nlrw3e7fs1rc000002,tbox-b,\n',
    );
    expect(rows).toEqual([
      { vin: 'LRW3E7FS1RC000001', deviceId: 'tbox-a', deviceSecret: 'secret-aaaaaaaaaaaa' },
      { vin: 'LRW3E7FS1RC000002', deviceId: 'tbox-b', deviceSecret: undefined },
    ]);
  });

  it('names every problem with its line', () => {
    expect(() => parseCredentialsCsv('vin,device_id\nBAD,x\nLRW3E7FS1RC000001,\n')).toThrow(
      /line 2: vin "BAD".*line 3: device_id is empty/,
    );
    expect(() => parseCredentialsCsv('serial\n1\n')).toThrow(/header must name vin and device_id/);
    expect(() => parseCredentialsCsv('vin,device_id\n')).toThrow(/lists no vehicles/);
  });
});
