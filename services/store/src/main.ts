/** Wiring only: config → logger → PostgreSQL, Kafka → consume, write, commit; retention timer. */
import { startOpsServer, bootService, runUntilSignalled, type RunningService } from '@telltale/platform';
import { openServiceDatabase } from '@telltale/platform/db';
import {
  createKafkaClient,
  createReliableProducer,
  ensureTopics,
  platformTopicSpecs,
  startCommittingConsumer,
  topicName,
} from '@telltale/platform/kafka';
import { StoreConfig } from './config.js';
import { registerFleetHealth, storeMetrics } from './metrics.js';
import { readFleetFreshness } from './adapters/pg-fleet-health.js';
import { SignalWriter, hotWindowStartMs, type SignalRecord, type VisiblePoll } from './pipeline/write-signals.js';
import { PollPipeline } from './pipeline/poll-pipeline.js';
import { PgSignalStore } from './adapters/pg-signal-store.js';
import { kafkaDeadLetterSink, signalRecordsOf } from './adapters/kafka-signal-records.js';

/** Partition batches kafkajs hands over at once (its workers): more than any instance is assigned. */
const MAX_PARTITIONS_PER_POLL = 64;

export interface RunningStore extends RunningService {
  readonly store: PgSignalStore;
}

export async function startStore(source: NodeJS.ProcessEnv = process.env): Promise<RunningStore> {
  const { config, log, lifecycle } = bootService('store', StoreConfig, source);
  const metrics = storeMetrics(log);

  const pool = await openServiceDatabase(config, { service: 'store', max: config.databasePoolSize, lifecycle, log });
  const store = new PgSignalStore(pool, {
    latestCacheBlocks: config.latestCacheBlocks,
    onLatestWritten: metrics.latestWritten,
    onHistoryWritten: metrics.historyWritten,
  });
  registerFleetHealth(
    metrics.registry,
    (nowMs) => readFleetFreshness(pool, nowMs, config.fleetStaleAfterMs),
    config.fleetHealthRefreshMs,
  );

  const kafka = createKafkaClient({
    brokers: config.kafkaBrokers,
    clientId: `${config.kafkaClientId}-store`,
    log,
    security: config,
  });
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopics(admin, platformTopicSpecs(config, ['signals', 'signalsDlq']));
  await admin.disconnect();
  const producer = createReliableProducer(kafka);
  await producer.connect();
  lifecycle.onShutdown('kafka producer', () => producer.disconnect());
  const dlqTopic = topicName('signalsDlq', config.kafkaTopicPrefix);
  const writer = new SignalWriter(store, kafkaDeadLetterSink(producer, dlqTopic), metrics.events, config);

  const retention = async (): Promise<void> => {
    const dropped = await store.dropPartitionsBefore(hotWindowStartMs(Date.now(), config.historyHotHours));
    if (dropped.length > 0) log.info({ dropped }, 'Dropped history partitions older than the hot window.');
  };
  await retention();
  const timer = setInterval(
    () => void retention().catch((err: unknown) => log.warn({ err }, 'History retention failed; will retry.')),
    config.retentionIntervalMs,
  );
  timer.unref();
  lifecycle.onShutdown('retention timer', () => clearInterval(timer));

  const groupId =
    config.kafkaTopicPrefix === '-' ? config.consumerGroup : `${config.kafkaTopicPrefix}${config.consumerGroup}`;
  const topic = topicName('signals', config.kafkaTopicPrefix);
  // The partition batches of one fetch are one poll; a poll's history is written while the next poll's latest
  // values are (poll-pipeline.ts). The pipeline commits the offsets, after each poll's output is durable.
  const polls: PollPipeline<SignalRecord, VisiblePoll> = new PollPipeline({
    visible: (records, takenMs) => writer.visible(records, takenMs),
    durable: (parts) => writer.durable(parts),
    commit: async (offsets) => {
      const commits = [...offsets].map(([partition, offset]) => ({ topic, partition, offset }));
      // Not committed (a rebalance took the partition): the output is durable, the next owner writes it again.
      await consumer.raw.commitOffsets(commits).catch((err: unknown) => {
        log.warn({ err, partitions: [...offsets.keys()] }, 'Committing store offsets failed; they come again.');
      });
    },
    restart: (err) => {
      log.error({ err }, 'Writing history failed after its batches were handed back; consuming again from the commit.');
      consumer
        .restart(() => polls.resume())
        .catch((error: unknown) => {
          log.error({ err: error }, 'Restarting the consumer failed.');
        });
    },
  });
  const consumer = await startCommittingConsumer({
    kafka,
    metrics: metrics.registry,
    groupId,
    topics: [topic],
    fromBeginning: true,
    log,
    offsetCommit: 'in-handler',
    // Large polls: a decoded vehicle-second is ~1 MB, and the more batches per poll, the more coalescing.
    consumerConfig: {
      sessionTimeout: config.kafkaSessionTimeoutMs,
      heartbeatInterval: Math.min(3000, config.kafkaSessionTimeoutMs / 3),
      maxBytesPerPartition: Math.min(32 * 1024 * 1024, config.pollMaxBytes),
      maxBytes: config.pollMaxBytes,
      maxWaitTimeInMs: 100,
    },
    // Every partition's batch is handed over at once and gathered into one poll; each stage runs one poll at a
    // time, so the writer's state is never used by two at once.
    partitionsConsumedConcurrently: MAX_PARTITIONS_PER_POLL,
    handleBatch: (batch) => polls.submit(signalRecordsOf(batch.partition, batch.messages)),
  });
  lifecycle.onShutdown('kafka consumer', async () => {
    await polls.drain(); // the last polls' history and offsets, before the consumer leaves
    await consumer.stop();
  });

  const ops = await startOpsServer({
    registry: metrics.registry,
    host: config.opsHost,
    port: config.opsPort,
    checks: [{ name: 'postgres', check: async () => (await pool.query('SELECT 1')).rowCount === 1 }],
  });
  lifecycle.onShutdown('ops server', () => ops.close());
  log.info({ ops: ops.url, group: groupId }, 'Store started.');
  return { opsUrl: ops.url, lifecycle, store, stop: () => lifecycle.shutdown('stop') };
}

/** Entry point of `telltale store`: runs until SIGTERM/SIGINT. */
export function runStore(): Promise<void> {
  return runUntilSignalled(() => startStore());
}
