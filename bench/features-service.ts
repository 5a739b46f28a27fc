/**
 * Throughput of `telltale features` through Kafka, one instance: SignalBatch records shaped like the decoder's
 * output (premium-EV traffic: thousands of signal ids per record, the feature set's signals among them) are produced
 * to vehicle.signals.v1 first, then one features instance (in process, the aurora-health feature set, 5-min windows
 * hopping by 1 min) consumes them; the clock runs from its start until every record is checkpointed in PostgreSQL.
 *
 *   npx tsx bench/features-service.ts [--vehicles 4] [--seconds 120] [--samples 5000]
 *
 * Prints samples/s and records/s with the load average; compare with the decoder's output rate on the same machine
 * (README: ~2.5 M signals/s, `npx tsx bench/decoder-service.ts`). Unique schema and topic prefix, dropped afterwards.
 */
import { loadavg } from 'node:os';
import { readFileSync } from 'node:fs';
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
const baseMs = Date.now() - SECONDS * 1000 - 60_000;
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

const started = performance.now();
const service = await startFeatures({
  ...process.env,
  DATABASE_SCHEMA: run,
  KAFKA_TOPIC_PREFIX: prefix,
  KAFKA_PARTITIONS: '2',
  REDIS_KEY_PREFIX: `${run}:`,
  LOG_LEVEL: 'warn',
  OPS_PORT: '0',
});
for (;;) {
  const { rows } = await pool.query<{ done: string }>(
    'SELECT coalesce(sum(next_offset), 0) AS done FROM features_partitions',
  );
  if (Number(rows[0]!.done) >= records) break;
  await new Promise((resolve) => setTimeout(resolve, 100));
}
const seconds = (performance.now() - started) / 1000;
const metrics = await (await fetch(`${service.opsUrl}/metrics`)).text();
const windows = /features_windows_emitted_total\{[^}]*\} (\d+)/.exec(metrics)?.[1] ?? '?';
await service.stop();
const samples = records * SAMPLES;
console.log(
  `features service, one instance: ${records} records, ${samples.toLocaleString('en')} samples ` +
    `(${VEHICLES} vehicles × ${SECONDS} s × ${SAMPLES} samples) in ${seconds.toFixed(1)} s incl. start = ` +
    `${Math.round(samples / seconds).toLocaleString('en')} samples/s, ${Math.round(records / seconds)} records/s, ` +
    `${windows} windows emitted (load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')})`,
);
console.log(
  `command: npx tsx bench/features-service.ts --vehicles ${VEHICLES} --seconds ${SECONDS} --samples ${SAMPLES}`,
);
await pool.query(`DROP SCHEMA IF EXISTS ${run} CASCADE`);
await dropServiceRole(pool, run);
await pool.end();
process.exit(0);
