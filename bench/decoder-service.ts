/**
 * Decoder service throughput through Kafka: N vehicle-seconds of the premium EV's traffic (every message at its
 * cycle time) are written to tbox.frames.v1 first, then one decoder instance (in this process) consumes, decodes and
 * writes them transactionally to vehicle.signals.v1. Prints frames/s and signals/s from the first to the last output.
 *
 *   npx tsx bench/decoder-service.ts [--batches 600] [--model aurora-ev-2026]
 *
 * Also prints signals per CPU-second of this process from the decoder's start to its last output (process.cpuUsage,
 * every thread), less the time this bench's own reader spends decoding the output to count it — the figure
 * `bench/features-service.ts` prints for the features service, so the two compare on a shared machine (the reader's
 * Kafka fetches stay in: the decoder's figure is, if anything, low).
 *
 * Needs the local infrastructure (npm run infra:up). Uses a unique topic prefix and schema, removed afterwards.
 */
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startDecoder } from '@telltale/decoder';
import { createKafkaClient, createReliableProducer, ensureTopics } from '@telltale/platform/kafka';
import { TelemetryBatch, decodeSignalBatch } from '@telltale/platform/proto';
import { encodeMessage, loadCatalog } from '@telltale/catalog';
import { LOCAL, testLogger, uniqueName } from '@telltale/platform/testing';
import { createPgPool, migrate } from '@telltale/platform/db';
import { PgRegistry } from '@telltale/registry';

const { values } = parseArgs({
  options: { batches: { type: 'string', default: '600' }, model: { type: 'string', default: 'aurora-ev-2026' } },
});
const BATCHES = Number(values.batches);
const root = join(import.meta.dirname, '..');
const run = uniqueName('benchdec');
const prefix = `${run}.`;
const log = testLogger();

const catalog = await loadCatalog(join(root, 'signal-catalog', values.model));
// One second of traffic: each message repeated 1000 / cycle time times (event-driven ones once).
const frames: { bus: number; id: number; flags: number; data: Uint8Array; t: number }[] = [];
for (const bus of catalog.buses) {
  for (const message of bus.database.messages) {
    const repeats = message.cycleTimeMs ? Math.max(1, Math.round(1000 / message.cycleTimeMs)) : 1;
    let data: Uint8Array;
    try {
      data = encodeMessage(message, {}, { clamp: true });
    } catch {
      data = new Uint8Array(message.length);
    }
    for (let r = 0; r < repeats; r++) {
      frames.push({
        bus: bus.index,
        id: message.frameId,
        flags: (message.isExtended ? 1 : 0) | (message.isFd ? 2 : 0),
        data,
        t: Math.floor((r * 1_000_000) / repeats),
      });
    }
  }
}
frames.sort((a, b) => a.t - b.t);
console.log(`${values.model}: ${frames.length} frames per vehicle-second; producing ${BATCHES} batches ...`);

const pool = createPgPool({ url: LOCAL.postgresUrl, schema: run, max: 2 });
await migrate(pool, { schema: run });
const vins = Array.from({ length: 20 }, (_, i) => `LRW3E7FS1RC2${String(i).padStart(5, '0')}`);
await new PgRegistry(pool).importVehicles(
  vins.map((vin, i) => ({
    line: i + 2,
    vin,
    fleetId: 'bench',
    fleetName: undefined,
    modelId: catalog.modelId,
    catalogVersion: catalog.catalogVersion,
    deviceId: undefined,
    deviceSecret: undefined,
  })),
);

const kafka = createKafkaClient({ brokers: LOCAL.kafkaBrokers, clientId: run, log });
const admin = kafka.admin();
await admin.connect();
await ensureTopics(admin, [
  {
    topic: `${prefix}tbox.frames.v1`,
    numPartitions: 6,
    replicationFactor: 1,
    configs: { 'max.message.bytes': String(8 << 20) },
  },
  {
    topic: `${prefix}vehicle.signals.v1`,
    numPartitions: 6,
    replicationFactor: 1,
    configs: { 'max.message.bytes': String(8 << 20) },
  },
]);
const producer = createReliableProducer(kafka);
await producer.connect();
const data = Buffer.concat(frames.map((f) => f.data));
for (let start = 0; start < BATCHES; start += 5) {
  const messages = [];
  for (let i = start; i < Math.min(BATCHES, start + 5); i++) {
    const vin = vins[i % vins.length]!;
    messages.push({
      key: vin,
      value: Buffer.from(
        TelemetryBatch.encode({
          vin,
          seq: i + 1,
          baseTimeMsEpoch: 1_763_700_000_000 + i * 1000,
          frames: {
            timeOffsetUs: frames.map((f) => f.t),
            bus: frames.map((f) => f.bus),
            canId: frames.map((f) => f.id),
            flags: frames.map((f) => f.flags),
            length: frames.map((f) => f.data.length),
            data,
          },
        }).finish(),
      ),
    });
  }
  await producer.send(`${prefix}tbox.frames.v1`, messages);
}
console.log('Input written; starting the decoder.');

let signals = 0;
let outputs = 0;
let firstAt = 0;
let lastAt = 0;
/** Time this bench's reader spent decoding output records (not the decoder's work). */
let readerMs = 0;
let cpuAtLast = process.cpuUsage();
let cpuAtFirst = cpuAtLast;
let readerMsAtFirst = 0;
let signalsAtFirst = 0;
const reader = kafka.consumer({ groupId: `${run}-reader`, readUncommitted: false });
await reader.connect();
await reader.subscribe({ topic: `${prefix}vehicle.signals.v1`, fromBeginning: true });
await reader.run({
  eachMessage: ({ message }) => {
    const decodeStarted = performance.now();
    const { header, columns } = decodeSignalBatch(message.value!);
    readerMs += performance.now() - decodeStarted;
    signals += columns.signalId.length;
    if (header.part === header.partCount - 1) outputs += 1;
    lastAt = Date.now();
    cpuAtLast = process.cpuUsage();
    if (firstAt === 0) {
      firstAt = lastAt;
      cpuAtFirst = cpuAtLast;
      readerMsAtFirst = readerMs;
      signalsAtFirst = signals;
    }
    return Promise.resolve();
  },
});
const started = Date.now();
const cpuBefore = process.cpuUsage();
const readerMsBefore = readerMs;
const decoder = await startDecoder({
  ...process.env,
  DATABASE_SCHEMA: run,
  KAFKA_TOPIC_PREFIX: prefix,
  KAFKA_PARTITIONS: '6',
  LOG_LEVEL: 'warn',
  CATALOG_DIR: join(root, 'signal-catalog'),
  DECODER_INSTANCE_ID: run,
});
const progress = setInterval(() => process.stderr.write(`\r${outputs}/${BATCHES} batches decoded`), 1000);
while (outputs < BATCHES) await new Promise((resolve) => setTimeout(resolve, 50));
clearInterval(progress);
const seconds = (lastAt - started) / 1000;
const steady = (lastAt - firstAt) / 1000;
const frameCount = frames.length * BATCHES;
console.log(
  `\ndecoder service (1 instance, 6 partitions, transactions), ${BATCHES} batches of ${frames.length} frames ` +
    `in ${seconds.toFixed(2)} s from decoder start`,
);
console.log(`command: npx tsx bench/decoder-service.ts --batches ${BATCHES} --model ${values.model}`);
console.log(
  `steady state (first to last output): ${Math.round((frameCount * (BATCHES - 1)) / BATCHES / steady)} frames/s, ` +
    `${Math.round((signals * (BATCHES - 1)) / BATCHES / steady)} signals/s`,
);
console.log(`${Math.round(frameCount / seconds)} frames/s, ${Math.round(signals / seconds)} signals/s`);
const cpuSince = (from: NodeJS.CpuUsage, readerFromMs: number): number =>
  (cpuAtLast.user - from.user + cpuAtLast.system - from.system) / 1e6 - (readerMs - readerFromMs) / 1000;
const cpuSeconds = cpuSince(cpuBefore, readerMsBefore);
const steadyCpuSeconds = cpuSince(cpuAtFirst, readerMsAtFirst);
console.log(
  `CPU (user + system, this process, less the reader's decoding): ` +
    `${Math.round(signals / cpuSeconds).toLocaleString('en')} signals per CPU-second from the decoder's start ` +
    `(${cpuSeconds.toFixed(2)} s), steady (first to last output) ` +
    `${Math.round((signals - signalsAtFirst) / steadyCpuSeconds).toLocaleString('en')} signals per CPU-second ` +
    `(load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')})`,
);

await decoder.stop();
await reader.disconnect();
await producer.disconnect();
await admin
  .deleteTopics({
    topics: [`${prefix}tbox.frames.v1`, `${prefix}vehicle.signals.v1`, `${prefix}vehicle.signals.dlq.v1`],
  })
  .catch(() => undefined);
await admin.disconnect();
await pool.query(`DROP SCHEMA ${run} CASCADE`);
await pool.end();
