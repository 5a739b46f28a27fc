import { beforeAll, describe, expect, it } from 'vitest';
import { BUNDLED_CATALOG_DIR, loadCatalog, type Catalog } from '@telltale/catalog';
import { join } from 'node:path';
import { resolveSignalName, splitNameList } from './signal-names.js';

describe('signal name resolution (aurora-ev-2026)', () => {
  let catalog: Catalog;
  beforeAll(async () => {
    catalog = await loadCatalog(join(BUNDLED_CATALOG_DIR, 'aurora-ev-2026'));
  });

  const found = (name: string): string | undefined => {
    const r = resolveSignalName(catalog, name);
    return r.kind === 'found' ? r.signal.qualifiedName : undefined;
  };

  it('finds a signal by qualified name, alias, message/signal and unique plain name', () => {
    const speed = 'powertrain/VCU_VehicleStatus/VCU_VehicleSpeed';
    expect(found(speed)).toBe(speed);
    expect(found('vehicleSpeed')).toBe(speed);
    expect(found('VCU_VehicleStatus/VCU_VehicleSpeed')).toBe(speed);
    expect(found('VCU_VehicleSpeed')).toBe(speed);
  });

  it('lists the qualified candidates of a plain name several messages carry', () => {
    expect(resolveSignalName(catalog, 'OBC_State')).toEqual({
      kind: 'ambiguous',
      candidates: ['powertrain/OBC_DcOutput/OBC_State', 'powertrain/OBC_Health/OBC_State'],
    });
    expect(found('OBC_Health/OBC_State')).toBe('powertrain/OBC_Health/OBC_State');
  });

  it('answers an unknown name with close matches', () => {
    const r = resolveSignalName(catalog, 'VehicleSpeed');
    expect(r.kind).toBe('unknown');
    if (r.kind !== 'unknown') return;
    expect(r.hints).toContain('vehicleSpeed');
    expect(r.hints).toContain('powertrain/VCU_VehicleStatus/VCU_VehicleSpeed');
    expect(r.hints.length).toBeLessThanOrEqual(5);
    expect(resolveSignalName(catalog, 'no_such_thing_at_all')).toEqual({ kind: 'unknown', hints: [] });
  });

  it('is case-sensitive for matches', () => {
    expect(resolveSignalName(catalog, 'VEHICLESPEED').kind).toBe('unknown');
  });

  it('splits comma-separated and repeated name lists', () => {
    expect(splitNameList(['soc, vehicleSpeed', 'gear', 'soc', ' ', ''])).toEqual(['soc', 'vehicleSpeed', 'gear']);
  });
});
