// The acknowledgement contract of the core Kafka helpers, on the real broker: a batch whose handler fails is not
// committed and comes again; a processed batch is committed and not seen again by the group; a consumer that
// crashed with a non-retriable error starts again.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createKafkaClient,
  createReliableProducer,
  ensureTopics,
  startCommittingConsumer,
} from '@telltale/platform/kafka';
import { LOCAL, testLogger, uniqueName, waitFor } from '@telltale/platform/testing';
import { KafkaJSNonRetriableError } from 'kafkajs';

const log = testLogger();
const run = uniqueName('commit');
const topic = `${run}.input`;
const kafka = createKafkaClient({
  brokers: LOCAL.kafkaBrokers,
  clientId: run,
  log,
  overrides: { retry: { retries: 2, initialRetryTime: 100 } },
});

describe('committing consumer on real Kafka', () => {
  const admin = kafka.admin();
  const producer = createReliableProducer(kafka);

  beforeAll(async () => {
    await admin.connect();
    await ensureTopics(admin, [{ topic, numPartitions: 1, replicationFactor: 1 }]);
    await producer.connect();
  });
  afterAll(async () => {
    await producer.disconnect();
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  });

  it('redelivers a batch whose handler failed, commits it once handled', async () => {
    await producer.send(topic, [
      { key: 'VIN1', value: 'a' },
      { key: 'VIN1', value: 'b' },
    ]);
    const groupId = `${run}-group`;
    let attempts = 0;
    const processed: string[] = [];
    const first = await startCommittingConsumer({
      kafka,
      groupId,
      topics: [topic],
      fromBeginning: true,
      log,
      handleBatch: async (batch) => {
        attempts += 1;
        await Promise.resolve();
        if (attempts === 1) throw new Error('output store unavailable');
        processed.push(...batch.messages.map((m) => m.value?.toString() ?? ''));
      },
    });
    await waitFor(
      'the batch to be processed after a failure',
      () => (processed.length >= 2 ? true : undefined),
      60_000,
    );
    await first.stop();
    expect(attempts).toBeGreaterThanOrEqual(2);
    expect(processed).toEqual(['a', 'b']);

    const offsets = await admin.fetchOffsets({ groupId, topics: [topic] });
    expect(offsets[0]?.partitions[0]?.offset).toBe('2');

    // A new member of the same group starts after the committed offset: only the new record arrives.
    await producer.send(topic, [{ key: 'VIN1', value: 'c' }]);
    const seen: string[] = [];
    const second = await startCommittingConsumer({
      kafka,
      groupId,
      topics: [topic],
      fromBeginning: true,
      log,
      handleBatch: async (batch) => {
        seen.push(...batch.messages.map((m) => m.value?.toString() ?? ''));
        await Promise.resolve();
      },
    });
    await waitFor('the new record', () => (seen.length >= 1 ? true : undefined), 30_000);
    await second.stop();
    expect(seen).toEqual(['c']);
  });

  it('creates missing topics and grows partition counts', async () => {
    const grownTopic = `${run}.grow`;
    const first = await ensureTopics(admin, [{ topic: grownTopic, numPartitions: 2, replicationFactor: 1 }]);
    expect(first.created).toEqual([grownTopic]);
    const second = await ensureTopics(admin, [{ topic: grownTopic, numPartitions: 4, replicationFactor: 1 }]);
    expect(second.grown).toEqual([grownTopic]);
    const meta = await admin.fetchTopicMetadata({ topics: [grownTopic] });
    expect(meta.topics[0]?.partitions).toHaveLength(4);
    await admin.deleteTopics({ topics: [grownTopic] });
  });
  it('starts again after a non-retriable error (kafkajs would leave the consumer down)', async () => {
    const crashTopic = `${run}.crash`;
    await ensureTopics(admin, [{ topic: crashTopic, numPartitions: 1, replicationFactor: 1 }]);
    await producer.send(crashTopic, [{ key: 'VIN1', value: 'x' }]);
    let attempts = 0;
    const processed: string[] = [];
    const consumer = await startCommittingConsumer({
      kafka,
      groupId: `${run}-crash`,
      topics: [crashTopic],
      fromBeginning: true,
      log,
      handleBatch: async (batch) => {
        attempts += 1;
        await Promise.resolve();
        // As the group coordinator answers when it no longer knows the member (UNKNOWN_MEMBER_ID).
        if (attempts === 1) throw new KafkaJSNonRetriableError('The coordinator is not aware of this member');
        processed.push(...batch.messages.map((m) => m.value?.toString() ?? ''));
      },
    });
    try {
      await waitFor('the batch after the crash', () => (processed.length >= 1 ? true : undefined), 60_000);
      expect(processed).toEqual(['x']);
      expect(attempts).toBe(2);
    } finally {
      await consumer.stop();
      await admin.deleteTopics({ topics: [crashTopic] }).catch(() => undefined);
    }
  });
});
