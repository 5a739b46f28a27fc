/** GET /v1/vehicles/{vin}/features: the online feature store through the API, scoped to the key's fleets. */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL, uniqueName, waitFor } from '@telltale/platform/testing';
import { onlineFeatureKey, type OnlineFeatureVector } from '@telltale/feature-sets';
import { startApiHarness, VIN_A, VIN_B, type ApiHarness } from './harness.js';

const prefix = `${uniqueName('apifeat')}:`;
/** API_AUTH_CACHE_MS of this file's API: a key or a vehicle's fleet read from PostgreSQL is reused this long. */
const AUTH_CACHE_MS = 400;
let harness: ApiHarness;
const redis = new Redis(LOCAL.redisUrl);

const vector: OnlineFeatureVector = {
  vin: VIN_A,
  fleetId: 'fleet-a',
  modelId: 'aurora-ev-2026',
  featureSetId: 'aurora-health',
  featureSetVersion: 2,
  windowStartMs: Date.UTC(2026, 0, 1, 8, 0),
  windowEndMs: Date.UTC(2026, 0, 1, 8, 5),
  sampleCount: 1234,
  features: { cell_spread_avg: 0.012, tyre_min_avg: null },
  scores: [{ modelId: 'aurora-faults', modelVersion: 3, fault: 'any', probability: 0.91 }],
  writtenMs: Date.UTC(2026, 0, 1, 8, 5, 1),
};

beforeAll(async () => {
  harness = await startApiHarness({ REDIS_KEY_PREFIX: prefix, API_AUTH_CACHE_MS: String(AUTH_CACHE_MS) });
  await redis.hset(
    onlineFeatureKey(prefix, VIN_A),
    'windowEndMs',
    vector.windowEndMs,
    'vector',
    JSON.stringify(vector),
  );
});

afterAll(async () => {
  await redis.del(onlineFeatureKey(prefix, VIN_A));
  redis.disconnect();
  await harness.close();
});

describe('GET /v1/vehicles/{vin}/features', () => {
  it("returns the latest vector with its fault probability to a key of the vehicle's fleet", async () => {
    const { token } = await harness.key('viewer', ['fleet-a']);
    const reply = await harness.call<Record<string, unknown>>('GET', `/v1/vehicles/${VIN_A}/features`, { token });
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({
      vin: VIN_A,
      featureSetId: 'aurora-health',
      featureSetVersion: 2,
      windowEnd: '2026-01-01T08:05:00.000Z',
      features: { cell_spread_avg: 0.012, tyre_min_avg: null },
      scores: [{ modelId: 'aurora-faults', modelVersion: 3, probability: 0.91 }],
    });
  });

  it('answers 404 to a key of another fleet, exactly as for an unknown vehicle', async () => {
    const { token } = await harness.key('viewer', ['fleet-b']);
    const reply = await harness.call('GET', `/v1/vehicles/${VIN_A}/features`, { token });
    expect(reply.status).toBe(404);
    expect(reply.body.error.code).toBe('VEHICLE_NOT_FOUND');
  });

  it('says FEATURES_NOT_FOUND while no window of the vehicle has closed', async () => {
    const { token } = await harness.key('viewer', ['fleet-b']);
    const reply = await harness.call('GET', `/v1/vehicles/${VIN_B}/features`, { token });
    expect(reply.status).toBe(404);
    expect(reply.body.error.code).toBe('FEATURES_NOT_FOUND');
  });
});

describe('GET /v1/vehicles/{vin}/features with the lookup cache (API_AUTH_CACHE_MS)', () => {
  const features = (token: string): Promise<number> =>
    harness.call('GET', `/v1/vehicles/${VIN_A}/features`, { token }).then((r) => r.status);
  /** Polls until the answer is `status`; fails if that takes longer than the cache's TTL (plus scheduling slack). */
  const within = async (what: string, token: string, status: number): Promise<number> => {
    const changedAt = Date.now();
    await waitFor(what, async () => ((await features(token)) === status ? true : undefined), AUTH_CACHE_MS + 1500, 20);
    return Date.now() - changedAt;
  };

  it('stops serving a key revoked elsewhere (SQL, the CLI, another instance) within the TTL', async () => {
    const { token, keyId } = await harness.key('viewer', ['fleet-a'], 'revoked-in-sql');
    expect(await features(token)).toBe(200);
    await harness.pool.query('UPDATE api_keys SET revoked_at = now() WHERE key_id = $1', [keyId]);
    await within('the revoked key refused', token, 401);
    const reply = await harness.call('GET', `/v1/vehicles/${VIN_A}/features`, { token });
    expect(reply.body.error.code).toBe('API_KEY_REVOKED');
  });

  it('refuses a key revoked through this instance at once', async () => {
    const { token: admin } = await harness.key('admin', ['*'], 'revoker');
    const { token, keyId } = await harness.key('viewer', ['fleet-a'], 'revoked-here');
    expect(await features(token)).toBe(200);
    expect((await harness.call('DELETE', `/v1/keys/${keyId}`, { token: admin })).status).toBe(200);
    expect(await features(token)).toBe(401);
  });

  it("stops serving a vehicle moved to another fleet elsewhere to its old fleet's keys within the TTL", async () => {
    const { token: fleetA } = await harness.key('viewer', ['fleet-a'], 'fleet-a-viewer');
    const { token: fleetB } = await harness.key('viewer', ['fleet-b'], 'fleet-b-viewer');
    expect(await features(fleetA)).toBe(200);
    expect(await features(fleetB)).toBe(404);
    await harness.registry.updateVehicle(VIN_A, { fleetId: 'fleet-b' });
    try {
      await within('the moved vehicle hidden from fleet-a', fleetA, 404);
      expect(await features(fleetB)).toBe(200);
    } finally {
      await harness.registry.updateVehicle(VIN_A, { fleetId: 'fleet-a' });
    }
    await within('the vehicle back in fleet-a', fleetA, 200);
  });

  it('hides a vehicle moved through this instance from its old fleet at once', async () => {
    const { token: admin } = await harness.key('admin', ['*'], 'mover');
    const { token: fleetA } = await harness.key('viewer', ['fleet-a'], 'fleet-a-reader');
    expect(await features(fleetA)).toBe(200);
    const move = (fleetId: string): Promise<number> =>
      harness.call('PATCH', `/v1/vehicles/${VIN_A}`, { token: admin, body: { fleetId } }).then((r) => r.status);
    expect(await move('fleet-b')).toBe(200);
    try {
      expect(await features(fleetA)).toBe(404);
    } finally {
      expect(await move('fleet-a')).toBe(200);
    }
    expect(await features(fleetA)).toBe(200);
  });
});
