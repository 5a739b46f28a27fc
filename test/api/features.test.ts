/** GET /v1/vehicles/{vin}/features: the online feature store through the API, scoped to the key's fleets. */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL, uniqueName } from '@telltale/platform/testing';
import { onlineFeatureKey, type OnlineFeatureVector } from '@telltale/feature-sets';
import { startApiHarness, VIN_A, VIN_B, type ApiHarness } from './harness.js';

const prefix = `${uniqueName('apifeat')}:`;
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
  harness = await startApiHarness({ REDIS_KEY_PREFIX: prefix });
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
