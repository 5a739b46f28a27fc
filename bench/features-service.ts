/**
 * Throughput of `telltale features` through Kafka, one instance: SignalBatch records shaped like the decoder's
 * output (premium-EV traffic: thousands of signal ids per record, the feature set's signals among them) are produced
 * to vehicle.signals.v1 first, then one features instance (in process, the aurora-health feature set, 5-min windows
 * hopping by 1 min) consumes them; the clock runs from its start until every record is checkpointed in PostgreSQL.
 *
 *   npx tsx bench/features-service.ts [--vehicles 4] [--seconds 120] [--samples 5000] [--profile file.cpuprofile]
 *
 * Prints wall samples/s (from the service's start, and steady: from its first checkpoint to its last) and samples per
 * CPU-second of this process while the service runs (process.cpuUsage: user + system, every thread), with the load
 * average — the same figures `bench/decoder-service.ts` prints for the decoder's output, so the two compare on a
 * shared machine. `--profile` writes a V8 CPU profile of the service phase only (not of producing the input).
 * Unique schema and topic prefix, dropped afterwards.
 */
import { Session } from 'node:inspector/promises';
import { loadavg } from 'node:os';
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { BUNDLED_CATALOG_DIR, loadCatalog } from '@telltale/catalog';
import type { FeatureSetDefinition } from '@telltale/feature-sets';
import { PgFeatureStore } from '@telltale/feature-sets/pg';
import { startFeatures } from '@telltale/features';
import { createPgPool, dropServiceRole, migrate } from '@telltale/platform/db';
import { createKafkaClient, createReliableProducer, ensureTopics } from '@telltale/platform/kafka';
import { encodeSignalBatch } from '@telltale/platform/proto';
import { LOCAL, testLogger, uniqueName } from '@telltale/platform/testing';

const { values } = parseArgs({
  options: {
    vehicles: { type: 'string', default: '4' },
    seconds: { type: 'string', default: '120' },
    samples: { type: 'string', default: '5000' },
    profile: { type: 'string' },
  },
});
const VEHICLES = Number(values.vehicles);
const SECONDS = Number(values.seconds);
const SAMPLES = Number(values.samples);
const run = uniqueName('benchfeatsvc');
const prefix = `${run}.`;
const pool = createPgPool({ url: LOCAL.postgresUrl, schema: run, max: 2 });
await migrate(pool, { schema: run });
const set = JSON.parse(
  readFileSync(new URL('../services/features/feature-sets/aurora-health.json', import.meta.url), 'utf8'),
) as FeatureSetDefinition;
await new PgFeatureStore(pool).applyFeatureSet(set, 'bench');
const catalog = await loadCatalog(`${BUNDLED_CATALOG_DIR}/aurora-ev-2026`);
const featureIds = [...new Set(set.features.flatMap((f) => f.expression.match(/[A-Za-z]+/g) ?? []))]
  .filter((a) => catalog.aliases.has(a))
  .map((a) => catalog.aliases.get(a)!.id);
const signalCount = catalog.signals.length;

const kafka = createKafkaClient({ brokers: LOCAL.kafkaBrokers, clientId: run, log: testLogger() });
const admin = kafka.admin();
await admin.connect();
await ensureTopics(
  admin,
  ['vehicle.signals.v1', 'vehicle.features.v1', 'vehicle.alerts.v1', 'vehicle.signals.dlq.v1'].map((t) => ({
    topic: `${prefix}${t}`,
    numPartitions: 2,
    replicationFactor: 1,
  })),
);
await admin.disconnect();
const producer = createReliableProducer(kafka);
await producer.connect();
// Minute-aligned, so the windows emitted are the same in every run (5-min windows hopping by 1 min).
const baseMs = Math.floor((Date.now() - SECONDS * 1000 - 60_000) / 60_000) * 60_000;
let records = 0;
for (let s = 0; s < SECONDS; s++) {
  const batch = [];
  for (let v = 0; v < VEHICLES; v++) {
    const vin = `LRW3E7FS1RC5${String(v).padStart(5, '0')}`;
    const ids = new Uint32Array(SAMPLES);
    const vals = new Float64Array(SAMPLES);
    const offsets = new Uint32Array(SAMPLES);
    for (let i = 0; i < SAMPLES; i++) {
      // One in ten samples is a signal the feature set reads (10 Hz each), the rest anything of the catalog.
      ids[i] = i % 10 === 0 ? featureIds[(i / 10) % featureIds.length]! : (i * 7919) % signalCount;
      vals[i] = 20 + Math.sin(s + i);
      offsets[i] = Math.floor((i * 1000) / SAMPLES);
    }
    const value = encodeSignalBatch(
      {
        vin,
        modelId: 'aurora-ev-2026',
        catalogVersion: catalog.catalogVersion,
        baseTimeMsEpoch: baseMs + s * 1000,
        backfill: false,
        batchId: `${vin}:${s}`,
        partCount: 1,
        source: { deviceSeq: s, gatewayReceiveTimeMsEpoch: Date.now(), decodeTimeMsEpoch: Date.now() },
      },
      { signalId: ids, value: vals, timeOffsetMs: offsets },
    );
    batch.push({ key: vin, value: Buffer.from(value) });
  }
  await producer.send(`${prefix}vehicle.signals.v1`, batch);
  records += batch.length;
}
await producer.disconnect();

const profiler = values.profile === undefined ? undefined : new Session();
if (profiler !== undefined) {
  profiler.connect();
  await profiler.post('Profiler.enable');
  await profiler.post('Profiler.start');
}
const started = performance.now();
const cpuBefore = process.cpuUsage();
const service = await startFeatures({
  ...process.env,
  DATABASE_SCHEMA: run,
  KAFKA_TOPIC_PREFIX: prefix,
  KAFKA_PARTITIONS: '2',
  REDIS_KEY_PREFIX: `${run}:`,
  LOG_LEVEL: 'warn',
  OPS_PORT: '0',
});
let firstProgress: { atMs: number; records: number; cpu: NodeJS.CpuUsage } | undefined;
for (;;) {
  const { rows } = await pool.query<{ done: string }>(
    'SELECT coalesce(sum(next_offset), 0) AS done FROM features_partitions',
  );
  const done = Number(rows[0]!.done);
  if (done > 0 && firstProgress === undefined)
    firstProgress = { atMs: performance.now(), records: done, cpu: process.cpuUsage() };
  if (done >= records) break;
  await new Promise((resolve) => setTimeout(resolve, 50));
}
const endedMs = performance.now();
const cpuEnd = process.cpuUsage();
const cpuSince = (from: NodeJS.CpuUsage): number => (cpuEnd.user - from.user + cpuEnd.system - from.system) / 1e6;
if (profiler !== undefined) {
  const { profile } = await profiler.post('Profiler.stop');
  writeFileSync(values.profile!, JSON.stringify(profile));
  profiler.disconnect();
}
const seconds = (endedMs - started) / 1000;
const cpuSeconds = cpuSince(cpuBefore);
const metrics = await (await fetch(`${service.opsUrl}/metrics`)).text();
const windows = /features_windows_emitted_total\{[^}]*\} (\d+)/.exec(metrics)?.[1] ?? '?';
await service.stop();
const samples = records * SAMPLES;
const steadySeconds = firstProgress === undefined ? NaN : (endedMs - firstProgress.atMs) / 1000;
const steadySamples = firstProgress === undefined ? 0 : (records - firstProgress.records) * SAMPLES;
const steadyCpuSeconds = firstProgress === undefined ? NaN : cpuSince(firstProgress.cpu);
const rate = (x: number): string => Math.round(x).toLocaleString('en');
console.log(
  `features service, one instance: ${records} records, ${samples.toLocaleString('en')} samples ` +
    `(${VEHICLES} vehicles × ${SECONDS} s × ${SAMPLES} samples), ${windows} windows emitted ` +
    `(load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')})`,
);
console.log(
  `  wall: ${rate(samples / seconds)} samples/s in ${seconds.toFixed(1)} s from the service's start; ` +
    `steady (first to last checkpoint): ${rate(steadySamples / steadySeconds)} samples/s`,
);
console.log(
  `  CPU (user + system, this process): ${rate(samples / cpuSeconds)} samples per CPU-second from the start ` +
    `(${cpuSeconds.toFixed(2)} s), steady ${rate(steadySamples / steadyCpuSeconds)} samples per CPU-second`,
);
console.log(
  `command: npx tsx bench/features-service.ts --vehicles ${VEHICLES} --seconds ${SECONDS} --samples ${SAMPLES}`,
);
await pool.query(`DROP SCHEMA IF EXISTS ${run} CASCADE`);
await dropServiceRole(pool, run);
await pool.end();
process.exit(0);
