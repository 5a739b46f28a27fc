/** PgFeatureStore and FeatureReloader against the real PostgreSQL: versions, hot reload, the model registry. */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isTelltaleError } from '@telltale/platform';
import { createPgPool, migrate, type Pool } from '@telltale/platform/db';
import { LOCAL, testLogger, uniqueName, waitFor } from '@telltale/platform/testing';
import type { FeatureSetDefinition } from '@telltale/feature-sets';
import { FeatureReloader, PgFeatureStore, type ActiveFeatures } from '@telltale/feature-sets/pg';
import { dropSchema } from '../helpers.js';

const SET = JSON.parse(
  readFileSync(
    join(dirname(fileURLToPath(import.meta.url)), '../../services/features/feature-sets/aurora-health.json'),
    'utf8',
  ),
) as FeatureSetDefinition;

const schema = uniqueName('features');
let pool: Pool;
let store: PgFeatureStore;

beforeAll(async () => {
  pool = createPgPool({ url: LOCAL.postgresUrl, schema, max: 3 });
  await migrate(pool, { schema });
  store = new PgFeatureStore(pool);
});

afterAll(async () => {
  await dropSchema(pool, schema);
});

describe('PgFeatureStore', () => {
  it('versions a feature set: a change adds a version, the same definition again adds none', async () => {
    expect(await store.applyFeatureSet(SET, 'alice')).toEqual({
      setId: 'aurora-health',
      version: 1,
      action: 'created',
    });
    expect(await store.applyFeatureSet({ ...SET, version: 9 }, 'alice')).toMatchObject({ action: 'unchanged' });
    const changed = { ...SET, window: '10m', hop: '2m' };
    expect(await store.applyFeatureSet(changed, 'bob')).toEqual({
      setId: 'aurora-health',
      version: 2,
      action: 'updated',
    });
    expect((await store.featureSet('aurora-health', 1))?.definition.window).toBe('5m');
    expect((await store.featureSet('aurora-health'))?.definition).toMatchObject({ window: '10m', version: 2 });
  });

  it('hot-reloads: a change committed in PostgreSQL reaches the reloader within its interval', async () => {
    const seen: ActiveFeatures[] = [];
    const reloader = new FeatureReloader({
      store,
      log: testLogger(),
      checkIntervalMs: 100,
      onChange: (a) => void seen.push(a),
    });
    await reloader.start();
    try {
      const first = seen.length;
      const started = Date.now();
      await store.applyFeatureSet({ ...SET, allowedLateness: '10s' }, 'carol');
      const latest = await waitFor('the reload', () => (seen.length > first ? seen[seen.length - 1] : undefined), 5000);
      expect(Date.now() - started).toBeLessThan(1000);
      expect(latest.sets[0]).toMatchObject({ setId: 'aurora-health', version: 3 });
    } finally {
      await reloader.stop();
    }
  });

  it('keeps model versions, activates one per vehicle model and remembers who did', async () => {
    const base = {
      modelId: 'aurora-faults',
      vehicleModel: 'aurora-ev-2026',
      featureSetId: 'aurora-health',
      featureSetVersion: 3,
      fault: 'any',
      card: { metrics: { rocAuc: 0.95 } },
      createdBy: 'trainer',
    };
    const v1 = await store.registerModel({ ...base, onnx: new Uint8Array([1, 2, 3]) });
    const v2 = await store.registerModel({ ...base, onnx: new Uint8Array([4, 5]) });
    expect([v1.version, v2.version]).toEqual([1, 2]);
    expect((await store.active()).models).toEqual([]);
    await store.activateModel('aurora-faults', 2, 'dana');
    const active = await store.active();
    expect(active.models).toHaveLength(1);
    expect(active.models[0]).toMatchObject({ modelId: 'aurora-faults', version: 2, activatedBy: 'dana' });
    expect([...active.models[0]!.onnx]).toEqual([4, 5]);
    const list = await store.listModels();
    expect(list.map((m) => [m.version, m.active])).toEqual([
      [1, false],
      [2, true],
    ]);
    const missing = await store.activateModel('aurora-faults', 9, 'dana').catch((e: unknown) => e);
    expect(isTelltaleError(missing) && missing.code).toBe('FAULT_MODEL_NOT_FOUND');
    // Model versions are history.
    await expect(pool.query('DELETE FROM fault_models')).rejects.toThrow(/immutable/);
  });
});
