/** Wiring only: config → logger → PostgreSQL, DuckDB, Kafka → consume, buffer, flush, commit; compaction timer. */
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { startOpsServer, bootService, runUntilSignalled, type RunningService } from '@telltale/platform';
import { openServiceDatabase } from '@telltale/platform/db';
import {
  createKafkaClient,
  createReliableProducer,
  ensureTopics,
  platformTopicSpecs,
  startCommittingConsumer,
  topicName,
  type CommittingConsumer,
} from '@telltale/platform/kafka';
import { ArchiveConfig } from './config.js';
import { archiveMetrics } from './metrics.js';
import { SignalArchiver } from './pipeline/archive-signals.js';
import { ArchiveCompactor } from './pipeline/compact-archive.js';
import { PgManifest } from './adapters/pg-manifest.js';
import { ParquetWriter, openDuckDb } from './adapters/duckdb-parquet.js';
import { SegmentFiles } from './adapters/segment-files.js';
import { compactionFiles } from './adapters/compaction-files.js';

export interface RunningArchive extends RunningService {
  readonly archiver: SignalArchiver;
  readonly compactor: ArchiveCompactor;
  readonly archiveDir: string;
}

export async function startArchive(source: NodeJS.ProcessEnv = process.env): Promise<RunningArchive> {
  const { config, log, lifecycle } = bootService('archive', ArchiveConfig, source);
  const metrics = archiveMetrics(log);
  const root = resolve(config.archiveDir);
  await mkdir(join(root, '.tmp'), { recursive: true });

  const pool = await openServiceDatabase(config, { service: 'archive', max: config.databasePoolSize, lifecycle, log });
  const manifest = new PgManifest(pool);

  const duckdb = await openDuckDb({
    threads: config.duckdbThreads,
    tempDirectory: join(root, '.tmp'),
    memoryLimit: config.duckdbMemoryLimit,
  });
  const writerDb = await duckdb.connect();
  const compactorDb = await duckdb.connect();
  lifecycle.onShutdown('duckdb', () => {
    writerDb.closeSync();
    compactorDb.closeSync();
    duckdb.closeSync();
    return Promise.resolve();
  });

  const kafka = createKafkaClient({
    brokers: config.kafkaBrokers,
    clientId: `${config.kafkaClientId}-archive`,
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
  const signalsTopic = topicName('signals', config.kafkaTopicPrefix);
  const dlqTopic = topicName('signalsDlq', config.kafkaTopicPrefix);

  // The consumer starts after the archiver it feeds; commits go through it once it exists.
  const running: { consumer?: CommittingConsumer; rewinding?: boolean } = {};
  const archiver = new SignalArchiver(
    manifest,
    new SegmentFiles(root, new ParquetWriter(writerDb)),
    async (partition, offset) => {
      await running.consumer?.raw.commitOffsets([{ topic: signalsTopic, partition, offset }]);
    },
    async (messages) => void (await producer.send(dlqTopic, messages)),
    metrics.events,
    {
      topic: signalsTopic,
      flushRows: config.flushRows,
      flushIntervalMs: config.flushIntervalMs,
      rewind: () => {
        // One restart for any number of fenced partitions at once; the rejoin's assignment re-claims them all.
        if (running.rewinding) return;
        running.rewinding = true;
        log.warn({}, 'A flush was fenced: consuming again from the committed offsets.');
        void Promise.resolve()
          .then(() => running.consumer?.restart())
          .catch((err: unknown) => log.error({ err }, 'Restarting the consumer failed.'))
          .finally(() => (running.rewinding = false));
      },
    },
  );
  const compactor = new ArchiveCompactor(
    manifest,
    compactionFiles(root, new ParquetWriter(compactorDb)),
    metrics.events,
    { root, compactAfterMs: config.compactAfterMs, retentionDays: config.retentionDays },
  );

  const groupId =
    config.kafkaTopicPrefix === '-' ? config.consumerGroup : `${config.kafkaTopicPrefix}${config.consumerGroup}`;
  const consumer = await startCommittingConsumer({
    kafka,
    metrics: metrics.registry,
    groupId,
    topics: [signalsTopic],
    fromBeginning: true,
    log,
    offsetCommit: 'in-handler',
    onAssignment: (assignment) => archiver.reset(assignment[signalsTopic] ?? []),
    consumerConfig: {
      sessionTimeout: config.kafkaSessionTimeoutMs,
      heartbeatInterval: Math.min(3000, config.kafkaSessionTimeoutMs / 3),
      maxBytesPerPartition: 32 * 1024 * 1024,
      maxBytes: 64 * 1024 * 1024,
      maxWaitTimeInMs: 250,
    },
    handleBatch: (batch) =>
      archiver.handle(
        batch.partition,
        batch.messages.map((m) => ({ offset: m.offset, key: m.key, value: m.value })),
      ),
  });
  running.consumer = consumer;
  lifecycle.onShutdown('kafka consumer', () => consumer.stop());
  lifecycle.onShutdown('flush buffered segments', () =>
    archiver.flushAll().catch((err: unknown) => log.warn({ err }, 'Final flush failed; the records are re-read.')),
  );

  const flushTimer = setInterval(
    () => void archiver.flushDue().catch((err: unknown) => log.warn({ err }, 'Flush failed; will retry.')),
    Math.max(100, Math.min(1000, config.flushIntervalMs / 2)),
  );
  let compacting = Promise.resolve();
  const compactTimer = setInterval(() => {
    compacting = compacting
      .then(() => compactor.run())
      .then(() => undefined)
      .catch((err: unknown) => log.warn({ err }, 'Compaction pass failed; will retry.'));
  }, config.compactIntervalMs);
  lifecycle.onShutdown('timers', async () => {
    clearInterval(flushTimer);
    clearInterval(compactTimer);
    await compacting;
  });

  const ops = await startOpsServer({
    registry: metrics.registry,
    host: config.opsHost,
    port: config.opsPort,
    checks: [{ name: 'postgres', check: async () => (await pool.query('SELECT 1')).rowCount === 1 }],
  });
  lifecycle.onShutdown('ops server', () => ops.close());
  log.info({ ops: ops.url, group: groupId, archiveDir: root }, 'Archive started.');
  return {
    opsUrl: ops.url,
    lifecycle,
    archiver,
    compactor,
    archiveDir: root,
    stop: () => lifecycle.shutdown('stop'),
  };
}

/** Entry point of `telltale archive`: runs until SIGTERM/SIGINT. */
export function runArchive(): Promise<void> {
  return runUntilSignalled(() => startArchive());
}
