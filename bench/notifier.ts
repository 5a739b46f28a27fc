/**
 * Alert → webhook latency of the notifier: each alert's emit_time_ms (set just before it is produced, as the
 * diagnostics engine does) to the moment a local HTTP receiver has the signed request, through Kafka, the
 * PostgreSQL delivery queue and the delivery worker.
 *
 *   npx tsx bench/notifier.ts [--rate 200] [--seconds 10] [--subscriptions 4]
 *
 * Produces `rate` alerts/s for `seconds` (after a 2 s warm-up), each matching every subscription (one webhook
 * per subscription per alert). Uses a unique schema, topic prefix and Redis prefix on the local servers.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { randomBytes, randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { startNotifier } from '@telltale/notifier';
import { alertStreamKey } from '@telltale/rules/alerts';
import { createPgPool, migrate } from '@telltale/platform/db';
import { createKafkaClient, createReliableProducer, ensureTopics } from '@telltale/platform/kafka';
import { Alert } from '@telltale/platform/proto';
import { LOCAL, testLogger, uniqueName } from '@telltale/platform/testing';

const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '200' },
    seconds: { type: 'string', default: '10' },
    subscriptions: { type: 'string', default: '4' },
  },
});
const RATE = Number(values.rate);
const SECONDS = Number(values.seconds);
const SUBSCRIPTIONS = Number(values.subscriptions);
const run = uniqueName('benchnotif');
const prefix = `${run}.`;
const topic = `${prefix}vehicle.alerts.v1`;

const latencies: number[] = [];
let measuring = false;
const receiver = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const received = Date.now();
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { alert?: { emitTimeMs: number } };
    if (measuring && body.alert) latencies.push(received - body.alert.emitTimeMs);
    res.writeHead(204).end();
  });
});
await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
const port = (receiver.address() as AddressInfo).port;

const pool = createPgPool({ url: LOCAL.postgresUrl, schema: run, max: 2 });
await migrate(pool, { schema: run });
for (let i = 0; i < SUBSCRIPTIONS; i++) {
  await pool.query(
    // Plain secrets, as before migration 0008: the notifier seals them when it starts.
    `INSERT INTO alert_subscriptions (subscription_id, name, fleet_ids, webhook_url, webhook_secret, created_by)
     VALUES ($1, $2, '{fleet-a}', $3, 'bench-secret-0123456789', 'bench')`,
    [randomUUID(), `bench ${i}`, `http://127.0.0.1:${port}/hook/${i}`],
  );
}
const kafka = createKafkaClient({ brokers: LOCAL.kafkaBrokers, clientId: run, log: testLogger() });
const admin = kafka.admin();
await admin.connect();
await ensureTopics(admin, [{ topic, numPartitions: 2, replicationFactor: 1 }]);
const notifier = await startNotifier({
  ...process.env,
  DATABASE_SCHEMA: run,
  KAFKA_TOPIC_PREFIX: prefix,
  KAFKA_PARTITIONS: '2',
  REDIS_KEY_PREFIX: `${run}:`,
  LOG_LEVEL: 'warn',
  NOTIFIER_WEBHOOK_ALLOW: '127.0.0.1',
  // A fresh key per run (its subscriptions are made above and dropped after).
  SECRETS_KEY: process.env.SECRETS_KEY ?? randomBytes(32).toString('base64'),
});
const producer = createReliableProducer(kafka);
await producer.connect();

let seq = 0;
const produceFor = async (ms: number): Promise<void> => {
  const end = Date.now() + ms;
  const perTick = Math.max(1, Math.round(RATE / 100));
  while (Date.now() < end) {
    const tick = Date.now();
    const records = Array.from({ length: perTick }, () => {
      seq += 1;
      const vin = `LRW3E7FS1RC${String(seq % 1000).padStart(6, '0')}`;
      return {
        key: vin,
        value: Buffer.from(
          Alert.encode({
            alertId: randomUUID(),
            vin,
            fleetId: 'fleet-a',
            modelId: 'aurora-ev-2026',
            catalogVersion: '1.0.0',
            ruleId: 'bench',
            ruleVersion: 1,
            ruleName: 'bench',
            severity: 3,
            state: 1,
            transitionSeq: 1,
            eventTimeMsEpoch: Date.now(),
            emitTimeMsEpoch: Date.now(),
            message: 'bench',
          }).finish(),
        ),
      };
    });
    await producer.send(topic, records);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, 10 - (Date.now() - tick))));
  }
};

await produceFor(2000);
measuring = true;
const started = Date.now();
const firstSeq = seq;
await produceFor(SECONDS * 1000);
const produced = seq - firstSeq;
const expected = produced * SUBSCRIPTIONS;
const deadline = Date.now() + 30_000;
while (latencies.length < expected && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
const elapsed = (Date.now() - started) / 1000;

const sorted = [...latencies].sort((a, b) => a - b);
const pct = (p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
console.log(
  `load: ${produced} alerts in ${SECONDS} s (${Math.round(produced / SECONDS)}/s) × ` +
    `${SUBSCRIPTIONS} webhook subscriptions = ${expected} deliveries`,
);
console.log(`received: ${latencies.length} (${Math.round(latencies.length / elapsed)}/s)`);
console.log(
  `alert emit → webhook received: p50 ${pct(50)} ms, p90 ${pct(90)} ms, p99 ${pct(99)} ms, max ${sorted.at(-1)} ms`,
);
console.log(`command: npx tsx bench/notifier.ts --rate ${RATE} --seconds ${SECONDS} --subscriptions ${SUBSCRIPTIONS}`);

await producer.disconnect();
await notifier.stop();
await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
await admin.disconnect();
const redis = new Redis(LOCAL.redisUrl);
await redis.del(alertStreamKey(`${run}:`, 'fleet-a'), alertStreamKey(`${run}:`, '*'));
redis.disconnect();
await pool.query(`DROP SCHEMA IF EXISTS ${run} CASCADE`);
await pool.end();
receiver.close();
