/** Wiring only: config → logger → registry view, catalogs, Kafka → consume/decode/produce in transactions. */
import { startOpsServer, bootService, runUntilSignalled, type RunningService } from '@telltale/platform';
import { openServiceDatabase } from '@telltale/platform/db';
import {
  PartitionProducers,
  createKafkaClient,
  ensureTopics,
  platformTopicSpecs,
  startCommittingConsumer,
  topicName,
} from '@telltale/platform/kafka';
import { PgRegistry, RegistryCache } from '@telltale/registry';
import { DecoderConfig } from './config.js';
import { RecordDecoder } from './pipeline/decode-records.js';
import { toUplinkRecords } from './adapters/kafka-records.js';
import { decoderMetrics } from './metrics.js';
import { CatalogLibrary } from '@telltale/catalog';
import { TransactionalWriter } from './adapters/transactional-writer.js';

export type RunningDecoder = RunningService;

export async function startDecoder(source: NodeJS.ProcessEnv = process.env): Promise<RunningDecoder> {
  const { config, log, lifecycle } = bootService('decoder', DecoderConfig, source);
  const metrics = decoderMetrics(log);

  const pool = await openServiceDatabase(config, { service: 'decoder', max: 2, lifecycle, log });
  const vehicles = new RegistryCache(new PgRegistry(pool), log, config.registryRefreshMs);
  await vehicles.start();
  lifecycle.onShutdown('registry view', () => vehicles.stop());
  const catalogs = new CatalogLibrary(config.catalogDir, log, config.catalogRescanMs);
  await catalogs.scan();

  const kafka = createKafkaClient({
    brokers: config.kafkaBrokers,
    clientId: `${config.kafkaClientId}-decoder`,
    log,
    security: config,
  });
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopics(admin, platformTopicSpecs(config, ['frames', 'signals', 'signalsDlq']));
  await admin.disconnect();
  const groupId =
    config.kafkaTopicPrefix === '-' ? config.consumerGroup : `${config.kafkaTopicPrefix}${config.consumerGroup}`;
  // One transactional producer per input partition, opened on its first batch here, closed when it is revoked.
  const producers = new PartitionProducers({ kafka, groupId, onClaim: (claim) => metrics.partitionClaimed(claim) });
  lifecycle.onShutdown('kafka producers', () => producers.close());
  const writer = new TransactionalWriter({
    signals: topicName('signals', config.kafkaTopicPrefix),
    deadLetters: topicName('signalsDlq', config.kafkaTopicPrefix),
  });
  const decoder = new RecordDecoder(vehicles, catalogs, metrics.events, config.maxSignalsPerRecord);

  const consumer = await startCommittingConsumer({
    kafka,
    metrics: metrics.registry,
    groupId,
    topics: [topicName('frames', config.kafkaTopicPrefix)],
    fromBeginning: true,
    log,
    offsetCommit: 'in-handler',
    onAssignment: (assignment) => {
      producers
        .retain(assignment)
        .then(() => metrics.producersOpen(producers.size))
        .catch((err: unknown) => log.warn({ err }, 'Closing the producers of revoked partitions failed.'));
    },
    // Larger fetches put more uplink batches in one transaction (a transaction costs several round trips).
    consumerConfig: {
      sessionTimeout: config.kafkaSessionTimeoutMs,
      heartbeatInterval: Math.min(3000, config.kafkaSessionTimeoutMs / 3),
      maxBytesPerPartition: 8 * 1024 * 1024,
      maxBytes: 32 * 1024 * 1024,
    },
    handleBatch: async (batch, context) => {
      metrics.lag(batch.topic, batch.partition, context.lag);
      const input = await producers.claim(batch.topic, batch.partition);
      metrics.producersOpen(producers.size);
      // Input a previous owner of the partition committed after this member fetched it is not decoded again.
      const messages = input.uncommitted(batch.messages);
      if (messages.length < batch.messages.length) metrics.replaySkipped(batch.messages.length - messages.length);
      if (messages.length === 0) return;
      const { signals, deadLetters } = await decoder.decode(toUplinkRecords(messages));
      try {
        await writer.commit(input, context.nextOffset, signals, deadLetters);
      } catch (error) {
        metrics.transactionFailed(error as Error);
        throw error;
      }
    },
  });
  lifecycle.onShutdown('kafka consumer', () => consumer.stop());

  const ops = await startOpsServer({
    registry: metrics.registry,
    host: config.opsHost,
    port: config.opsPort,
    checks: [{ name: 'catalogs', check: () => catalogs.known.length > 0 }],
  });
  lifecycle.onShutdown('ops server', () => ops.close());
  log.info({ ops: ops.url, group: groupId, instance: config.instanceId, catalogs: catalogs.known }, 'Decoder started.');
  return { opsUrl: ops.url, lifecycle, stop: () => lifecycle.shutdown('stop') };
}

/** Entry point of `telltale decoder`: runs until SIGTERM/SIGINT. */
export function runDecoder(): Promise<void> {
  return runUntilSignalled(() => startDecoder());
}
