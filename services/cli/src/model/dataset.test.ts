import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUNDLED_CATALOG_DIR, CatalogLibrary } from '@telltale/catalog';
import { compileFeatureSet, parseFeatureSet } from '@telltale/feature-sets';
import { testLogger } from '@telltale/platform/testing';
import { compileRules, type JsonObject } from '@telltale/rules';
import { simulateVehicle } from './dataset.js';

const root = join(import.meta.dirname, '../../../..');

async function inputs() {
  const parsed = parseFeatureSet(
    JSON.parse(readFileSync(join(root, 'services/features/feature-sets/aurora-health.json'), 'utf8')),
  );
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  const catalog = (await new CatalogLibrary(BUNDLED_CATALOG_DIR, testLogger()).latestPerModel()).find(
    (c) => c.catalog.modelId === 'aurora-ev-2026',
  )!.catalog;
  const set = compileFeatureSet(parsed.set, () => catalog).sets.get('aurora-ev-2026')!;
  const dir = join(root, 'services/features/threshold-rules');
  const rules = compileRules(
    readdirSync(dir).map((f) => ({ version: 1, ...(JSON.parse(readFileSync(join(dir, f), 'utf8')) as JsonObject) })),
    [catalog],
  );
  if (!rules.ok) throw new Error('threshold rules do not compile');
  return { set, catalog, rules: rules.snapshot };
}

describe('simulateVehicle', () => {
  it('records from the start on, after a warm-up, with labels from onset − horizon', async () => {
    const common = { ...(await inputs()), hours: 1.2, horizonMin: 10, healthyShare: 0, warmupMaxMin: 60 };
    const vehicles = [0, 1, 2].map((index) => simulateVehicle({ ...common, seed: 'dataset-test', index }));
    for (const v of vehicles) {
      expect(v.fault).not.toBe('healthy');
      expect(v.warmupS).toBeGreaterThanOrEqual(0);
      expect(v.warmupS).toBeLessThanOrEqual(3600);
      expect(v.onsetMs! - v.startMs).toBeGreaterThanOrEqual(15 * 60_000);
      // One window per minute of recording, none from the warm-up; the last one (ending as the recording does) is
      // not past the watermark (30 s of lateness) yet.
      expect(v.rows).toHaveLength(71);
      expect(v.rows[0]!.windowEndMs).toBe(v.startMs + 60_000);
      for (const r of v.rows) expect(r.label).toBe(r.windowEndMs + 10 * 60_000 >= v.onsetMs! ? 1 : 0);
      expect(v.rows.every((r) => r.values.length === common.set.features.length)).toBe(true);
    }
    expect(new Set(vehicles.map((v) => v.warmupS)).size).toBe(3);
    // Same seed and index: the same vehicle.
    expect(simulateVehicle({ ...common, seed: 'dataset-test', index: 1 })).toEqual(vehicles[1]);
  });
});
