/**
 * Wiring only: config → logger → PostgreSQL, Redis, Kafka → pipeline (its ports) → feature sets and fault models
 * (hot reload) → consumer of vehicle.signals.v1; shutdown in reverse.
 */
import { Redis } from 'ioredis';
import {
  bootService,
  redisTlsOptions,
  runUntilSignalled,
  startOpsServer,
  type RunningService,
} from '@telltale/platform';
import { CatalogLibrary } from '@telltale/catalog';
import { openServiceDatabase } from '@telltale/platform/db';
import {
  createKafkaClient,
  createReliableProducer,
  ensureTopics,
  platformTopicSpecs,
  startCommittingConsumer,
  topicName,
} from '@telltale/platform/kafka';
import { PgRegistry, RegistryCache } from '@telltale/registry';
import { FeatureReloader, PgFeatureStore } from '@telltale/feature-sets/pg';
import { KafkaDeadLetters } from './adapters/kafka-dead-letters.js';
import { KafkaFeatureVectors } from './adapters/kafka-feature-vectors.js';
import { loadFaultModel } from './adapters/onnx-fault-model.js';
import { PgPartitionState } from './adapters/pg-partition-state.js';
import { PgPredictiveAlerts } from './adapters/pg-predictive-alerts.js';
import { RedisOnlineStore } from './adapters/redis-online-store.js';
import { FeaturesConfig } from './config.js';
import { validateHysteresis } from './domain/hysteresis.js';
import { featuresMetrics } from './metrics.js';
import { activateFeatures } from './pipeline/feature-activator.js';
import { FeaturePipeline } from './pipeline/feature-pipeline.js';
import { TelltaleError } from '@telltale/platform';

/** Bytes one fetch may bring per partition (kafkajs' default is 1 MB, about one decoder record). */
const FETCH_BYTES_PER_PARTITION = 8 << 20;

export interface RunningFeatures extends RunningService {
  readonly pipeline: FeaturePipeline;
  readonly reloader: FeatureReloader;
}

export async function startFeatures(source: NodeJS.ProcessEnv = process.env): Promise<RunningFeatures> {
  const { config, log, lifecycle } = bootService('features', FeaturesConfig, source);
  const hysteresis = {
    raiseAt: config.alertRaisePercent / 100,
    raiseWindows: config.alertRaiseWindows,
    clearAt: config.alertClearPercent / 100,
  };
  const invalid = validateHysteresis(hysteresis);
  if (invalid !== undefined)
    throw new TelltaleError('CONFIG_INVALID', `Invalid configuration: FEATURES_ALERT_*: ${invalid}.`);
  const metrics = featuresMetrics(log);

  const pool = await openServiceDatabase(config, { service: 'features', max: 4, lifecycle, log });
  const vehicles = new RegistryCache(new PgRegistry(pool), log, config.registryRefreshMs);
  await vehicles.start();
  lifecycle.onShutdown('registry view', () => vehicles.stop());

  const redis = new Redis(config.redisUrl, {
    ...redisTlsOptions(config),
    maxRetriesPerRequest: 2,
    enableOfflineQueue: false,
    lazyConnect: true,
  });
  redis.on('error', (err) => log.debug({ err }, 'Redis connection error.'));
  await redis.connect();
  lifecycle.onShutdown('redis', () => void redis.disconnect());

  const kafka = createKafkaClient({
    brokers: config.kafkaBrokers,
    clientId: `${config.kafkaClientId}-features`,
    log,
    security: config,
  });
  const admin = kafka.admin();
  await admin.connect();
  lifecycle.onShutdown('kafka admin', () => admin.disconnect());
  await ensureTopics(admin, platformTopicSpecs(config, ['signals', 'signalsDlq', 'features', 'alerts']));
  const producer = createReliableProducer(kafka);
  await producer.connect();
  lifecycle.onShutdown('kafka producer', () => producer.disconnect());
  const prefix = config.kafkaTopicPrefix;

  const pipeline = new FeaturePipeline({
    state: new PgPartitionState(pool),
    vectors: new KafkaFeatureVectors(producer, topicName('features', prefix)),
    online: new RedisOnlineStore(redis, config.redisKeyPrefix),
    alerts: new PgPredictiveAlerts(pool, producer, topicName('alerts', prefix)),
    deadLetters: new KafkaDeadLetters(producer, topicName('signalsDlq', prefix)),
    events: metrics.events,
    fleetOf: (vin) => vehicles.get(vin)?.fleetId,
    owner: config.instanceId,
    hysteresis,
    maxFutureMs: config.maxFutureMs,
  });

  const catalogs = new CatalogLibrary(config.catalogDir, log);
  const reloader = new FeatureReloader({
    store: new PgFeatureStore(pool),
    log,
    checkIntervalMs: config.featureCheckIntervalMs,
    onChange: (active) =>
      activateFeatures(active, {
        catalogs: async () => (await catalogs.latestPerModel()).map((c) => c.catalog),
        loadModel: loadFaultModel,
        apply: (sets, models) => pipeline.setFeatures(sets, models),
        log,
      }),
  });
  await reloader.start();
  lifecycle.onShutdown('feature reloader', () => reloader.stop());

  const groupId = prefix === '-' ? config.consumerGroup : `${prefix}${config.consumerGroup}`;
  const consumer = await startCommittingConsumer({
    kafka,
    groupId,
    topics: [topicName('signals', prefix)],
    fromBeginning: true,
    log,
    metrics: metrics.registry,
    // after-handler: the handler's checkpoint in PostgreSQL is durable before Kafka's offset moves.
    onAssignment: (assignment) => pipeline.assign(assignment),
    consumerConfig: {
      sessionTimeout: config.kafkaSessionTimeoutMs,
      heartbeatInterval: Math.min(3000, config.kafkaSessionTimeoutMs / 3),
      maxWaitTimeInMs: 50,
      // Decoder records are large (a premium EV's second ≈ 1 MB): bigger fetches mean fewer checkpoints and commits
      // per sample, which is most of the service's wall time per batch.
      maxBytesPerPartition: FETCH_BYTES_PER_PARTITION,
      maxBytes: 4 * FETCH_BYTES_PER_PARTITION,
    },
    // Partitions share nothing in the pipeline (vehicles, windows and checkpoints are per partition): one computes
    // while another waits for Kafka, Redis or PostgreSQL.
    partitionsConsumedConcurrently: 2,
    handleBatch: (batch, context) =>
      pipeline.handleBatch({
        topic: batch.topic,
        partition: batch.partition,
        lag: context.lag,
        records: batch.messages.map((m) => ({ offset: BigInt(m.offset), key: m.key, value: m.value })),
      }),
  });
  lifecycle.onShutdown('kafka consumer', () => consumer.stop());

  const ops = await startOpsServer({
    registry: metrics.registry,
    host: config.opsHost,
    port: config.opsPort,
    checks: [
      { name: 'postgres', check: async () => (await pool.query('SELECT 1')).rowCount === 1 },
      { name: 'redis', check: async () => (await redis.ping()) === 'PONG' },
      { name: 'features', check: () => reloader.lastLoadedVersion !== undefined },
    ],
  });
  lifecycle.onShutdown('ops server', () => ops.close());
  log.info({ ops: ops.url, group: groupId, instance: config.instanceId }, 'Features started.');
  return { opsUrl: ops.url, lifecycle, pipeline, reloader, stop: () => lifecycle.shutdown('stop') };
}

/** Entry point of `telltale features`: runs until SIGTERM/SIGINT. */
export function runFeatures(): Promise<void> {
  return runUntilSignalled(() => startFeatures());
}
