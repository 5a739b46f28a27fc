import { beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { BUNDLED_CATALOG_DIR, loadCatalog, type Catalog, type CatalogSignal } from '@telltale/catalog';
import { choiceLabel, describeSignal, isStale, signalValueView } from './signal-values.js';

describe('signal values', () => {
  let catalog: Catalog;
  beforeAll(async () => {
    catalog = await loadCatalog(join(BUNDLED_CATALOG_DIR, 'aurora-ev-2026'));
  });
  const alias = (name: string): CatalogSignal => catalog.aliases.get(name)!;

  it('is stale only after staleAfterMs without an update, measured from event time', () => {
    const speed = alias('vehicleSpeed'); // 10 ms cycle → 2,000 ms floor
    expect(speed.staleAfterMs).toBe(2000);
    expect(isStale(speed, 10_000, 12_000)).toBe(false);
    expect(isStale(speed, 10_000, 12_001)).toBe(true);
    expect(isStale({ staleAfterMs: undefined }, 0, Number.MAX_SAFE_INTEGER)).toBe(false);
  });

  it('labels enumerated values and leaves others unlabelled', () => {
    expect(choiceLabel(catalog, alias('gear'), 3)).toBe('D');
    expect(choiceLabel(catalog, alias('gear'), 5)).toBeNull();
    expect(choiceLabel(catalog, alias('vehicleSpeed'), 3)).toBeNull();
  });

  it('maps a physical value back to the raw value its label is declared on', () => {
    const signal = { id: 0, choices: new Map([['4', 'Four']]) } as unknown as CatalogSignal;
    const scaled = {
      buses: [
        {
          name: 'b',
          database: {
            messages: [{ name: 'M', signals: [{ name: 'S', scale: 0.5, offset: 10, choices: signal.choices }] }],
          },
        },
      ],
      byQualifiedName: new Map([['b/M/S', signal]]),
    } as unknown as Catalog;
    expect(choiceLabel(scaled, signal, 12)).toBe('Four');
  });

  it('joins a stored value with name, unit, times and staleness', () => {
    const view = signalValueView(
      catalog,
      alias('gear'),
      { signalId: alias('gear').id, value: 0, eventTimeMs: 1_000, receiveTimeMs: 1_200 },
      4_000,
    );
    expect(view).toEqual({
      id: alias('gear').id,
      name: 'VCU_GearActual',
      qualifiedName: 'powertrain/VCU_VehicleStatus/VCU_GearActual',
      unit: '',
      value: 0,
      label: 'P',
      eventTimeMs: 1_000,
      eventTime: '1970-01-01T00:00:01.000Z',
      receiveTimeMs: 1_200,
      receiveTime: '1970-01-01T00:00:01.200Z',
      ageMs: 3_000,
      staleAfterMs: 2_000,
      stale: true,
    });
  });

  it('describes a signal with its choices as a plain object', () => {
    expect(describeSignal(alias('gear')).choices).toMatchObject({ '0': 'P', '3': 'D' });
    expect(describeSignal(alias('latitude'))).toMatchObject({ unit: 'deg', staleAfterMs: 30_000, choices: null });
  });
});
