/** Wiring only: config → logger → PostgreSQL, Redis, Kafka → intake (consume, queue, stream) and delivery worker. */
import { Redis } from 'ioredis';
import {
  TelltaleError,
  startOpsServer,
  bootService,
  redisTlsOptions,
  runUntilSignalled,
  type RunningService,
} from '@telltale/platform';
import { openServiceDatabase } from '@telltale/platform/db';
import {
  createKafkaClient,
  ensureTopics,
  platformTopicSpecs,
  startCommittingConsumer,
  topicName,
} from '@telltale/platform/kafka';
import { NotifierConfig } from './config.js';
import { notifierMetrics, registerQueueDepth } from './metrics.js';
import { targetPolicy } from './domain/target-policy.js';
import { PgSubscriptionReader } from './adapters/pg-subscriptions.js';
import { PgDeliveryQueue } from './adapters/pg-delivery-queue.js';
import { HttpWebhookSender } from './adapters/http-webhook-sender.js';
import { RedisAlertStreamPublisher } from './adapters/redis-alert-stream-publisher.js';
import { consumedRecordsOf } from './adapters/kafka-alert-records.js';
import { AlertIntake } from './pipeline/alert-intake.js';
import { DeliveryWorker, type SecretOpener } from './pipeline/delivery-worker.js';
import { loadKeyring, openSecret, type Keyring } from '@telltale/platform/secrets';
import type { Logger } from 'pino';

import { PgWebhookSecrets } from './adapters/pg-webhook-secrets.js';

export type RunningNotifier = RunningService;

export async function startNotifier(source: NodeJS.ProcessEnv = process.env): Promise<RunningNotifier> {
  const { config, log, lifecycle } = bootService('notifier', NotifierConfig, source, (c) => {
    if (c.leaseMs <= c.webhookTimeoutMs) {
      throw new TelltaleError(
        'CONFIG_INVALID',
        `Invalid configuration: NOTIFIER_LEASE_MS (${c.leaseMs}) must exceed ` +
          `NOTIFIER_WEBHOOK_TIMEOUT_MS (${c.webhookTimeoutMs}).`,
      );
    }
  });
  const { registry, events } = notifierMetrics(log);
  const { keyring, source: keySource } = loadKeyring(config);

  const pool = await openServiceDatabase(config, { service: 'notifier', max: config.databasePoolSize, lifecycle, log });

  const redis = new Redis(config.redisUrl, {
    ...redisTlsOptions(config),
    maxRetriesPerRequest: 2,
    enableOfflineQueue: false,
    lazyConnect: true,
  });
  redis.on('error', (err) => log.debug({ err }, 'Redis connection error.'));
  await redis.connect();
  lifecycle.onShutdown('redis', () => void redis.disconnect());

  try {
    await sealStoredSecrets(new PgWebhookSecrets(pool), keyring, keySource, log);
  } catch (error) {
    await lifecycle.shutdown('start-up failed'); // the pool would keep the process alive
    throw error;
  }

  const queue = new PgDeliveryQueue(pool);
  registerQueueDepth(registry, (nowMs) => queue.depth(nowMs));
  const sender = new HttpWebhookSender(targetPolicy(config.webhookAllow, config.webhookDeny), {
    timeoutMs: config.webhookTimeoutMs,
    connectTimeoutMs: config.webhookConnectTimeoutMs,
    maxResponseBytes: config.webhookMaxResponseBytes,
  });
  lifecycle.onShutdown('webhook connections', () => sender.close());
  const secrets: SecretOpener = {
    open: (subscriptionId, secret) => ('plain' in secret ? secret.plain : openSecret(keyring, subscriptionId, secret)),
  };
  const worker = new DeliveryWorker(queue, sender, secrets, events, {
    concurrency: config.concurrency,
    perTargetConcurrency: config.perTargetConcurrency,
    pollMs: config.pollMs,
    leaseMs: config.leaseMs,
    retry: { maxAttempts: config.maxAttempts, baseDelayMs: config.retryBaseMs, maxDelayMs: config.retryMaxMs },
  });
  worker.start();
  lifecycle.onShutdown('delivery worker', () => worker.stop());

  const intake = new AlertIntake(
    new PgSubscriptionReader(pool),
    queue,
    new RedisAlertStreamPublisher(redis, config.redisKeyPrefix, config.streamMaxLen),
    events,
    () => worker.nudge(),
  );
  await intake.refreshSubscriptions();

  const kafka = createKafkaClient({
    brokers: config.kafkaBrokers,
    clientId: `${config.kafkaClientId}-notifier`,
    log,
    security: config,
  });
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopics(admin, platformTopicSpecs(config, ['alerts']));
  await admin.disconnect();
  const groupId =
    config.kafkaTopicPrefix === '-' ? config.consumerGroup : `${config.kafkaTopicPrefix}${config.consumerGroup}`;
  const consumer = await startCommittingConsumer({
    kafka,
    metrics: registry,
    groupId,
    topics: [topicName('alerts', config.kafkaTopicPrefix)],
    fromBeginning: true,
    log,
    consumerConfig: {
      sessionTimeout: config.kafkaSessionTimeoutMs,
      heartbeatInterval: Math.min(3000, config.kafkaSessionTimeoutMs / 3),
      maxWaitTimeInMs: 50,
    },
    handleBatch: (batch) => intake.handle(consumedRecordsOf(batch)),
  });
  lifecycle.onShutdown('kafka consumer', () => consumer.stop());

  const ops = await startOpsServer({
    registry,
    host: config.opsHost,
    port: config.opsPort,
    checks: [
      { name: 'postgres', check: async () => (await pool.query('SELECT 1')).rowCount === 1 },
      { name: 'redis', check: () => redis.status === 'ready' },
    ],
  });
  lifecycle.onShutdown('ops server', () => ops.close());
  log.info({ ops: ops.url, group: groupId }, 'Notifier started.');
  return { opsUrl: ops.url, lifecycle, stop: () => lifecycle.shutdown('stop') };
}

/** Entry point of `telltale notifier`: runs until SIGTERM/SIGINT. */
export function runNotifier(): Promise<void> {
  return runUntilSignalled(() => startNotifier());
}

/** Brings stored webhook secrets under the current key; refuses when some need a key the keyring lacks. */
async function sealStoredSecrets(
  secrets: PgWebhookSecrets,
  keyring: Keyring,
  keySource: string,
  log: Logger,
): Promise<void> {
  const report = await secrets.resealAll(keyring);
  if (report.unknownKeys.size > 0) {
    const keys = [...report.unknownKeys].map(([id, n]) => `${id} (${n} subscriptions)`).join(', ');
    throw new TelltaleError(
      'SECRETS_KEY_UNKNOWN',
      `Webhook secrets are sealed with keys ${keys} that are neither SECRETS_KEY (key ${keyring.current.id}) ` +
        'nor in SECRETS_PREVIOUS_KEYS: is SECRETS_KEY the one the API uses?',
      { details: { currentKeyId: keyring.current.id, unknownKeyIds: [...report.unknownKeys.keys()] } },
    );
  }
  log.info(
    { keyId: keyring.current.id, keySource, sealed: report.sealed, resealed: report.resealed },
    'Webhook secrets are sealed with the current key.',
  );
}
