/** Wiring only: config → logger → adapters → pipeline → start; graceful shutdown in reverse. */
import { Redis } from 'ioredis';
import {
  startOpsServer,
  bootService,
  redisTlsOptions,
  runUntilSignalled,
  type RunningService,
} from '@telltale/platform';
import { TelltaleError } from '@telltale/platform/errors';
import { openServiceDatabase } from '@telltale/platform/db';
import {
  createKafkaClient,
  createReliableProducer,
  ensureTopics,
  platformTopicSpecs,
  topicName,
} from '@telltale/platform/kafka';
import { PgRegistry, RegistryCache } from '@telltale/registry';
import { MAX_CAN_FRAME_BYTES } from '@telltale/dbc';
import { GatewayConfig } from './config.js';
import { UplinkIngest } from './pipeline/ingest.js';
import { SequenceWindow } from './domain/sequence-window.js';
import { gatewayMetrics } from './metrics.js';
import { KafkaUplinkSink } from './adapters/kafka-sink.js';
import { rememberingKeyPartitioner } from './adapters/kafka-partitioner.js';
import { MqttIntake } from './adapters/mqtt-intake.js';
import { RedisDedupe } from './adapters/redis-dedupe.js';

export type RunningGateway = RunningService;

export async function startGateway(source: NodeJS.ProcessEnv = process.env): Promise<RunningGateway> {
  const { config, log, lifecycle } = bootService('gateway', GatewayConfig, source);
  // Without device authentication anyone can publish as any VIN (and mark a victim's batches as seen).
  if (config.mqttUsername === '-' && !config.allowAnonymous) {
    throw new TelltaleError(
      'CONFIG_INVALID',
      'MQTT_USERNAME is not set: the gateway would read from an anonymous broker, where devices are not ' +
        'authenticated. Set the gateway account of the authenticating broker, or GATEWAY_ALLOW_ANONYMOUS=true ' +
        'for development.',
      { retryable: false },
    );
  }
  if (config.allowAnonymous) {
    log.warn(
      { mqttUrl: config.mqttUrl },
      'GATEWAY_ALLOW_ANONYMOUS is set: uplinks are accepted without device authentication (development only).',
    );
  }
  // Late-bound so metrics exist before the parts they observe.
  const observed: { intake?: MqttIntake; ingest?: UplinkIngest } = {};
  const { registry: metrics, events } = gatewayMetrics(log, {
    connections: () => observed.intake?.connected ?? 0,
    subscribed: () => observed.intake?.subscribed ?? 0,
    waiting: () => observed.ingest?.waiting ?? 0,
  });

  const pool = await openServiceDatabase(config, { service: 'gateway', max: 2, lifecycle, log });
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

  // Short client-side retries: the ingest loop retries a failed write forever (holding acknowledgements) and
  // counts each attempt, so an outage is visible within a second instead of after kafkajs' long backoff.
  const kafka = createKafkaClient({
    brokers: config.kafkaBrokers,
    clientId: `${config.kafkaClientId}-gateway`,
    log,
    security: config,
    overrides: { retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1000 } },
  });
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopics(admin, platformTopicSpecs(config, ['frames', 'framesDlq']));
  const framesTopic = topicName('frames', config.kafkaTopicPrefix);
  const dlqTopic = topicName('framesDlq', config.kafkaTopicPrefix);
  // The sink places records itself (one produce call per partition, see kafka-sink.ts), so it needs the counts.
  const { topics } = await admin.fetchTopicMetadata({ topics: [framesTopic, dlqTopic] });
  const partitionsOf = (topic: string) => topics.find((t) => t.name === topic)?.partitions.length ?? 0;
  await admin.disconnect();
  const producer = createReliableProducer(kafka, { createPartitioner: rememberingKeyPartitioner });
  await producer.connect();
  lifecycle.onShutdown('kafka producer', () => producer.disconnect());

  const ingest = new UplinkIngest({
    vehicles,
    dedupe: new RedisDedupe(redis, config.redisKeyPrefix, config.dedupeWindowS),
    sink: new KafkaUplinkSink(producer, {
      frames: framesTopic,
      dlq: dlqTopic,
      maxRequestBytes: config.kafkaMaxRequestBytes,
      maxDeadLetterBytes: config.dlqMaxPayloadBytes,
      partitions: { frames: partitionsOf(framesTopic), dlq: partitionsOf(dlqTopic) },
      createPartitioner: rememberingKeyPartitioner,
    }),
    limits: { maxBatchBytes: config.maxBatchBytes, maxFrameBytes: MAX_CAN_FRAME_BYTES },
    sequences: new SequenceWindow(config.seqMaxJump, config.seqStreams),
    events,
    log,
    flushAtMessages: config.flushMaxMessages,
    lingerMs: config.lingerMs,
  });
  const intake = new MqttIntake({
    url: config.mqttUrl,
    username: config.mqttUsername === '-' ? undefined : config.mqttUsername,
    password: config.mqttPassword === '-' ? undefined : config.mqttPassword,
    topic: config.mqttUplinkTopic,
    shareGroup: config.mqttShareGroup,
    connections: config.mqttConnections,
    clientIdPrefix: config.mqttClientIdPrefix,
    cleanSession: config.mqttCleanSession,
    log,
    onMessage: (m) => ingest.submit(m),
  });
  // Shutdown order (reverse of registration): drain what was received, then close MQTT, then the clients above.
  lifecycle.onShutdown('mqtt intake', () => intake.close());
  lifecycle.onShutdown('drain pipeline', async () => {
    const drained = ingest.drain();
    const timer = setTimeout(() => ingest.stop(), Math.max(0, config.shutdownTimeoutMs - 2000));
    await drained;
    clearTimeout(timer);
  });
  await intake.start();

  const ops = await startOpsServer({
    registry: metrics,
    host: config.opsHost,
    port: config.opsPort,
    checks: [
      // Subscribed, not just connected: after a broker restart a connection receives nothing until its
      // subscription is granted again.
      { name: 'mqtt', check: () => intake.subscribed > 0 },
      { name: 'redis', check: () => redis.status === 'ready' },
      { name: 'registry', check: () => vehicles.size >= 0 },
    ],
  });
  lifecycle.onShutdown('ops server', () => ops.close());
  observed.intake = intake;
  observed.ingest = ingest;
  log.info({ ops: ops.url, topic: topicName('frames', config.kafkaTopicPrefix) }, 'Gateway started.');

  return {
    opsUrl: ops.url,
    lifecycle,
    stop: () => lifecycle.shutdown('stop'),
  };
}

/** Entry point of `telltale gateway`: runs until SIGTERM/SIGINT. */
export function runGateway(): Promise<void> {
  return runUntilSignalled(() => startGateway());
}
