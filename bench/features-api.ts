/**
 * GET /v1/vehicles/{vin}/features latency: the API (in process, real PostgreSQL for the key and the vehicle's fleet,
 * real Redis for the online store) answering one client at a time, keep-alive, over `--vehicles` vehicles.
 *
 *   npx tsx bench/features-api.ts [--vehicles 100] [--requests 5000] [--cache-ms 0,1000]
 *
 * One API instance per `--cache-ms` value (API_AUTH_CACHE_MS: 0 reads the key and the vehicle from PostgreSQL on
 * every request, as before the lookup cache), all in this process; requests alternate between them, so the
 * instances are compared in the same conditions (a paired run on a shared machine). Prints p50/p90/p99/max of the
 * request round trip per instance and the load average. Uses a unique schema and key prefix.
 */
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { startApi, PgApiKeyStore } from '@telltale/api';
import { onlineFeatureKey } from '@telltale/feature-sets';
import { createPgPool, dropServiceRole, migrate } from '@telltale/platform/db';
import { LOCAL, uniqueName } from '@telltale/platform/testing';
import { PgRegistry } from '@telltale/registry';

const { values } = parseArgs({
  options: {
    vehicles: { type: 'string', default: '100' },
    requests: { type: 'string', default: '5000' },
    'cache-ms': { type: 'string', default: '0,1000' },
  },
});
const CACHE_MS = values['cache-ms'].split(',').map(Number);
const VEHICLES = Number(values.vehicles);
const REQUESTS = Number(values.requests);
const schema = uniqueName('benchfeat');
const prefix = `${schema}:`;
const pool = createPgPool({ url: LOCAL.postgresUrl, schema, max: 2 });
await migrate(pool, { schema });
const vins = Array.from({ length: VEHICLES }, (_, i) => `LRW3E7FS1RC4${String(i).padStart(5, '0')}`);
await new PgRegistry(pool).importVehicles(
  vins.map((vin, i) => ({
    line: i + 2,
    vin,
    fleetId: 'fleet-a',
    fleetName: undefined,
    modelId: 'aurora-ev-2026',
    catalogVersion: '1.0.0',
    deviceId: `dev-${i}`,
    deviceSecret: `secret-for-device-${i}`,
  })),
);
const redis = new Redis(LOCAL.redisUrl);
for (const vin of vins) {
  const features = Object.fromEntries(Array.from({ length: 9 }, (_, f) => [`feature_${f}`, Math.random()]));
  const vector = {
    vin,
    fleetId: 'fleet-a',
    modelId: 'aurora-ev-2026',
    featureSetId: 'aurora-health',
    featureSetVersion: 1,
    windowStartMs: 0,
    windowEndMs: 300_000,
    sampleCount: 100,
    features,
    scores: [{ modelId: 'aurora-faults', modelVersion: 1, fault: 'any', probability: 0.5 }],
    writtenMs: Date.now(),
  };
  await redis.hset(onlineFeatureKey(prefix, vin), 'windowEndMs', 300_000, 'vector', JSON.stringify(vector));
}
const apis = [];
for (const cacheMs of CACHE_MS) {
  apis.push(
    await startApi({
      ...process.env,
      DATABASE_URL: LOCAL.postgresUrl,
      DATABASE_SCHEMA: schema,
      API_PORT: '0',
      API_HOST: '127.0.0.1',
      OPS_PORT: '0',
      LOG_LEVEL: 'silent',
      REDIS_KEY_PREFIX: prefix,
      SECRETS_KEY: randomBytes(32).toString('base64'),
      API_RATE_LIMIT_PER_SECOND: '100000',
      API_RATE_LIMIT_BURST: '100000',
      API_AUTH_CACHE_MS: String(cacheMs),
    }),
  );
}
const { token } = await new PgApiKeyStore(pool).create({
  name: 'bench',
  role: 'viewer',
  fleets: ['fleet-a'],
  createdBy: 'bench',
});
const headers = { authorization: `Bearer ${token}` };
const times: number[][] = apis.map(() => []);
for (let i = 0; i < REQUESTS + 200; i++) {
  for (let a = 0; a < apis.length; a++) {
    // Alternate which instance goes first, so neither always follows the other.
    const which = (a + i) % apis.length;
    const started = performance.now();
    const response = await fetch(`${apis[which]!.url}/v1/vehicles/${vins[i % VEHICLES]}/features`, { headers });
    await response.arrayBuffer();
    if (response.status !== 200) throw new Error(`status ${response.status}`);
    if (i >= 200) times[which]!.push(performance.now() - started); // the first 200 warm up
  }
}
const load = loadavg()
  .map((l) => l.toFixed(2))
  .join(' ');
console.log(
  `GET /v1/vehicles/{vin}/features, ${REQUESTS} requests per instance over ${VEHICLES} vehicles, one client, ` +
    `instances interleaved (load average ${load}):`,
);
CACHE_MS.forEach((cacheMs, a) => {
  const sorted = times[a]!.sort((x, y) => x - y);
  const at = (q: number): string => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!.toFixed(2);
  console.log(
    `  API_AUTH_CACHE_MS=${cacheMs}: p50 ${at(0.5)} ms, p90 ${at(0.9)} ms, p99 ${at(0.99)} ms, ` +
      `max ${sorted[sorted.length - 1]!.toFixed(2)} ms`,
  );
});
console.log(
  `command: npx tsx bench/features-api.ts --vehicles ${VEHICLES} --requests ${REQUESTS} ` +
    `--cache-ms ${CACHE_MS.join(',')}`,
);
for (const api of apis) await api.stop();
for (const vin of vins) await redis.del(onlineFeatureKey(prefix, vin));
redis.disconnect();
await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
await dropServiceRole(pool, schema);
await pool.end();
