// Consumer metrics on the real broker: the lag is log end − committed offset per partition, read at scrape time
// (also while no member runs), and the handler's time and records are counted per group and topic.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMetricsRegistry, type Registry } from '@telltale/platform';
import {
  createKafkaClient,
  createReliableProducer,
  ensureTopics,
  startCommittingConsumer,
} from '@telltale/platform/kafka';
import { LOCAL, testLogger, uniqueName, waitFor } from '@telltale/platform/testing';

const log = testLogger();
const run = uniqueName('lagm');
const topic = `${run}.input`;
const kafka = createKafkaClient({
  brokers: LOCAL.kafkaBrokers,
  clientId: run,
  log,
  overrides: { retry: { retries: 2, initialRetryTime: 100 } },
});

async function sample(registry: Registry, name: string, labels: Record<string, string>): Promise<number | undefined> {
  const metric = registry.getSingleMetric(name);
  if (!metric) return undefined;
  const { values } = await metric.get();
  const hit = values.find((v) =>
    Object.entries(labels).every(([k, want]) => String((v.labels as Record<string, unknown>)[k]) === want),
  );
  return hit?.value;
}

describe('consumer metrics on real Kafka', () => {
  const admin = kafka.admin();
  const producer = createReliableProducer(kafka);

  beforeAll(async () => {
    await admin.connect();
    await ensureTopics(admin, [{ topic, numPartitions: 2, replicationFactor: 1 }]);
    await producer.connect();
  });
  afterAll(async () => {
    await producer.disconnect();
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  });

  it('reports lag per partition from the committed offsets, then zero once consumed; counts batches', async () => {
    await producer.send(topic, [
      { key: 'a', value: '1', partition: 0 },
      { key: 'a', value: '2', partition: 0 },
      { key: 'a', value: '3', partition: 0 },
      { key: 'b', value: '4', partition: 1 },
    ]);
    const registry = createMetricsRegistry('test', { defaultMetrics: false });
    const groupId = `${run}-group`;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const consumer = await startCommittingConsumer({
      kafka,
      groupId,
      topics: [topic],
      fromBeginning: true,
      log,
      metrics: registry,
      handleBatch: () => gate,
    });
    try {
      // Nothing committed yet: everything in the log is lag.
      const lag0 = await sample(registry, 'telltale_consumer_lag_records', { group: groupId, topic, partition: '0' });
      const lag1 = await sample(registry, 'telltale_consumer_lag_records', { group: groupId, topic, partition: '1' });
      expect([lag0, lag1]).toEqual([3, 1]);

      release();
      await waitFor(
        'the lag to reach zero on both partitions',
        async () => {
          await registry.metrics(); // a scrape refreshes the lag
          const l0 = await sample(registry, 'telltale_consumer_lag_records', { group: groupId, partition: '0' });
          const l1 = await sample(registry, 'telltale_consumer_lag_records', { group: groupId, partition: '1' });
          return l0 === 0 && l1 === 0 ? true : undefined;
        },
        30_000,
        200,
      );
      expect(await sample(registry, 'telltale_consumer_records_total', { group: groupId, topic })).toBe(4);
      const text = await registry.metrics();
      expect(text).toMatch(/telltale_consumer_batch_seconds_count\{[^}]*group="[^"]+"[^}]*\} [1-9]/);
    } finally {
      release();
      await consumer.stop();
    }
  });
});
