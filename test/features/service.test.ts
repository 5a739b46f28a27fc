// The features service against the real Kafka, PostgreSQL and Redis: windows in event time to vehicle.features.v1
// and the online store; late samples; bad records dead-lettered; and kill -9 twice while signals flow — after
// which every window on Kafka holds exactly what one uninterrupted engine computes (a copy only ever repeats a
// window exactly), i.e. no window is ever counted twice.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { createKafkaClient, createReliableProducer, ensureTopics } from '@telltale/platform/kafka';
import { LOCAL, testLogger, uniqueName, waitFor } from '@telltale/platform/testing';
import { onlineFeatureKey, type OnlineFeatureVector } from '@telltale/feature-sets';
import { PgFeatureStore } from '@telltale/feature-sets/pg';
import { startFeatures } from '@telltale/features';
import { VIN_A, VIN_B, collectTopic, dropSchema, header, registryWithTwoVehicles } from '../helpers.js';
import { MODEL, auroraCatalog, signalRecord, type FeedBatch } from '../diagnostics/signal-feed.js';
import { FEATURE_SET, decodeVectors, expectedWindows, featureBatch } from './feature-feed.js';

const root = join(import.meta.dirname, '../..');

async function setUp(run: string) {
  const prefix = `${run}.`;
  const kafka = createKafkaClient({ brokers: LOCAL.kafkaBrokers, clientId: run, log: testLogger() });
  const { pool } = await registryWithTwoVehicles(run, MODEL);
  await new PgFeatureStore(pool).applyFeatureSet(FEATURE_SET, 'test');
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopics(
    admin,
    ['vehicle.signals.v1', 'vehicle.features.v1', 'vehicle.signals.dlq.v1', 'vehicle.alerts.v1'].map((t) => ({
      topic: `${prefix}${t}`,
      numPartitions: 2,
      replicationFactor: 1,
    })),
  );
  await admin.disconnect();
  const producer = createReliableProducer(kafka);
  await producer.connect();
  const env = {
    ...process.env,
    DATABASE_SCHEMA: run,
    KAFKA_TOPIC_PREFIX: prefix,
    KAFKA_PARTITIONS: '2',
    REDIS_KEY_PREFIX: `${run}:`,
    LOG_LEVEL: 'warn',
    OPS_PORT: '0',
    KAFKA_SESSION_TIMEOUT_MS: '6000',
  };
  return { prefix, kafka, pool, producer, env };
}

describe('telltale features', () => {
  it('emits event-time windows to vehicle.features.v1 and the online store; counts late and bad input', async () => {
    const run = uniqueName('feat');
    const { prefix, kafka, pool, producer, env } = await setUp(run);
    const catalog = await auroraCatalog();
    const redis = new Redis(LOCAL.redisUrl);
    const service = await startFeatures(env);
    const vectors = await collectTopic(kafka, `${prefix}vehicle.features.v1`, `${run}-check`);
    const dlq = await collectTopic(kafka, `${prefix}vehicle.signals.dlq.v1`, `${run}-dlq`);
    try {
      const baseMs = Date.UTC(2026, 0, 1, 8);
      const sent: FeedBatch[] = [];
      for (let second = 0; second < 40; second++) {
        for (const vin of [VIN_A, VIN_B]) sent.push(featureBatch(vin, second, baseMs, Date.now()));
        // Late but within 2 s of lateness: counts in its windows.
        if (second === 25) sent.push({ ...featureBatch(VIN_A, 24, baseMs, Date.now()), seq: 1000 });
        // From a window closed long ago — the longest (temp_rate_30s: [0, 30 s)) too: dropped.
        if (second === 39) sent.push({ ...featureBatch(VIN_A, 3, baseMs, Date.now()), seq: 1001 });
      }
      await producer.send(
        `${prefix}vehicle.signals.v1`,
        sent.map((b) => signalRecord(catalog, b)),
      );
      await producer.send(`${prefix}vehicle.signals.v1`, [{ key: VIN_A, value: Buffer.from([0x0a, 0x10, 0x42]) }]);

      const expected = expectedWindows(catalog, sent);
      // Late one counted into [20 s, 30 s) and [15 s, 25 s) — which holds two copies of second 24's samples.
      expect(expected.get(`${VIN_A}:test-health:1:${baseMs + 20_000}`)!.sampleCount).toBe(20 * 11);
      await waitFor('every window on vehicle.features.v1', () => {
        const keys = new Set(decodeVectors(vectors.messages).map((v) => v.key));
        return [...expected.keys()].every((k) => keys.has(k)) || undefined;
      });
      const got = decodeVectors(vectors.messages);
      for (const { key, vector } of got) {
        const want = expected.get(key)!;
        expect(vector.value).toEqual(want.values);
        expect(vector.sampleCount).toBe(want.sampleCount);
        expect(vector.featureSetVersion).toBe(1);
        expect(Number(vector.windowEndMsEpoch) - Number(vector.windowStartMsEpoch)).toBe(10_000);
      }
      expect(vectors.messages.every((m) => m.key?.toString() === decodeVectors([m])[0]!.vector.vin)).toBe(true);

      const latest = await waitFor('the online store', async () => {
        const raw = await redis.hget(onlineFeatureKey(`${run}:`, VIN_B), 'vector');
        const parsed = raw === null ? undefined : (JSON.parse(raw) as OnlineFeatureVector);
        return parsed?.windowEndMs === baseMs + 35_000 ? parsed : undefined;
      });
      expect(latest).toMatchObject({ fleetId: 'fleet-b', featureSetId: 'test-health', featureSetVersion: 1 });
      expect(Object.keys(latest.features)).toEqual(FEATURE_SET.features.map((f) => f.name));

      await waitFor('the bad record dead-lettered', () => (dlq.messages.length === 1 ? true : undefined));
      expect(header(dlq.messages[0]!, 'telltale-reason')).toBe('MALFORMED_PROTOBUF');
      const metrics = await (await fetch(`${service.opsUrl}/metrics`)).text();
      expect(metrics).toMatch(/features_late_samples_total\{outcome="dropped"[^}]*\} 20\b/);
      expect(metrics).toMatch(/features_late_samples_total\{outcome="accepted"[^}]*\} 20\b/);
    } finally {
      await vectors.stop();
      await dlq.stop();
      await service.stop();
      redis.disconnect();
      await producer.disconnect();
      await dropSchema(pool, run);
    }
  });

  it('never counts a window twice across kill -9 and restarts', async () => {
    const run = uniqueName('featkill');
    const { prefix, kafka, pool, producer, env } = await setUp(run);
    const catalog = await auroraCatalog();
    const children: ChildProcess[] = [];
    const start = (): ChildProcess => {
      const child = spawn(process.execPath, [join(root, 'services/cli/bin/telltale.js'), 'features'], {
        env,
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      children.push(child);
      return child;
    };
    const vectors = await collectTopic(kafka, `${prefix}vehicle.features.v1`, `${run}-check`);
    try {
      const baseMs = Date.UTC(2026, 0, 1, 9);
      const sent: FeedBatch[] = [];
      let current = start();
      const killAt = new Set([60, 150]);
      for (let second = 0; second < 240; second++) {
        const pair = [VIN_A, VIN_B].map((vin) => featureBatch(vin, second, baseMs, Date.now()));
        sent.push(...pair);
        await producer.send(
          `${prefix}vehicle.signals.v1`,
          pair.map((b) => signalRecord(catalog, b)),
        );
        if (killAt.has(second)) {
          // Wait until this instance has emitted something, so the kill lands mid-stream, then kill -9.
          const before = vectors.messages.length;
          await waitFor(
            'windows from the instance',
            () => (vectors.messages.length > before ? true : undefined),
            30_000,
          );
          current.kill('SIGKILL');
          current = start();
        }
        await new Promise((resolve) => setTimeout(resolve, 15));
      }
      const expected = expectedWindows(catalog, sent);
      await waitFor(
        'every window after the restarts',
        () => {
          const keys = new Set(decodeVectors(vectors.messages).map((v) => v.key));
          return [...expected.keys()].every((k) => keys.has(k)) || undefined;
        },
        90_000,
      );
      const got = decodeVectors(vectors.messages);
      const copies = new Map<string, string[]>();
      for (const { key, vector } of got) {
        const want = expected.get(key);
        expect(want, `unexpected window ${key}`).toBeDefined();
        expect({ key, values: vector.value, sampleCount: vector.sampleCount }).toEqual({
          key,
          values: want!.values,
          sampleCount: want!.sampleCount,
        });
        copies.set(key, [...(copies.get(key) ?? []), JSON.stringify(vector.toJSON())]);
      }
      for (const list of copies.values()) expect(new Set(list).size).toBe(1);
      console.log(
        `features kill -9: ${expected.size} windows, ${got.length} records on Kafka ` +
          `(${got.length - copies.size} exact repeats of replayed windows)`,
      );
    } finally {
      for (const child of children) child.kill('SIGKILL');
      await vectors.stop();
      await producer.disconnect();
      await dropSchema(pool, run);
    }
  });
});
