import { commonConfig, env, kafkaConfig, type EnvVar, redisTlsConfig } from '@telltale/platform';
import { postgresConfig } from '@telltale/platform/db';
import { secretsConfig } from '@telltale/platform/secrets';
import { parsePatterns } from './domain/target-policy.js';

/** Comma-separated hosts, *.suffixes, IPs and CIDRs; "-" for none. */
const patternList = (name: string, description: string): EnvVar<readonly string[]> => ({
  env: name,
  description,
  default: '-',
  parse: (raw) => {
    const items =
      raw === '-'
        ? []
        : raw
            .split(',')
            .map((s) => s.trim())
            .filter((s) => s !== '');
    const parsed = parsePatterns(items);
    return parsed.ok ? { ok: true, value: Object.freeze(items) } : { ok: false, reason: parsed.problems.join('; ') };
  },
});

export const NotifierConfig = {
  ...commonConfig,
  ...kafkaConfig,
  ...postgresConfig,
  ...redisTlsConfig,
  redisUrl: env.url('REDIS_URL', {
    description: 'Redis for the live alert streams',
    default: 'redis://127.0.0.1:6379',
    protocols: ['redis', 'rediss'],
  }),
  redisKeyPrefix: env.string('REDIS_KEY_PREFIX', { description: 'prefix of every Redis key', default: 'telltale:' }),
  consumerGroup: env.string('NOTIFIER_GROUP', {
    description: 'Kafka consumer group of all notifier instances (prefixed by KAFKA_TOPIC_PREFIX)',
    default: 'telltale-notifier',
  }),
  streamMaxLen: env.integer('NOTIFIER_STREAM_MAXLEN', {
    description: 'entries kept per Redis alert stream (approximate): how far back a live client can resume',
    default: '10000',
    min: 100,
  }),
  maxAttempts: env.integer('NOTIFIER_WEBHOOK_MAX_ATTEMPTS', {
    description: 'attempts of a webhook delivery before it is dead-lettered',
    default: '10',
    min: 1,
    max: 100,
  }),
  retryBaseMs: env.integer('NOTIFIER_RETRY_BASE_MS', {
    description: 'backoff ceiling after the first failed attempt; doubles per attempt (full jitter)',
    default: '1000',
    min: 1,
  }),
  retryMaxMs: env.integer('NOTIFIER_RETRY_MAX_MS', {
    description: 'largest backoff ceiling',
    default: '3600000',
    min: 1,
  }),
  webhookTimeoutMs: env.integer('NOTIFIER_WEBHOOK_TIMEOUT_MS', {
    description: 'whole attempt (DNS, connect, request, response) must finish within this',
    default: '10000',
    min: 100,
  }),
  webhookConnectTimeoutMs: env.integer('NOTIFIER_WEBHOOK_CONNECT_TIMEOUT_MS', {
    description: 'DNS and TCP/TLS connect must finish within this',
    default: '3000',
    min: 50,
  }),
  webhookMaxResponseBytes: env.integer('NOTIFIER_WEBHOOK_MAX_RESPONSE_BYTES', {
    description: 'larger response bodies fail the attempt',
    default: '65536',
    min: 0,
  }),
  webhookAllow: patternList(
    'NOTIFIER_WEBHOOK_ALLOW',
    'targets allowed even if private or denied: hosts, *.suffixes, IPs, CIDRs ("-": none)',
  ),
  webhookDeny: patternList(
    'NOTIFIER_WEBHOOK_DENY',
    'targets refused besides private, loopback and link-local ones ("-": none)',
  ),
  concurrency: env.integer('NOTIFIER_CONCURRENCY', {
    description: 'webhook requests in flight per instance',
    default: '256',
    min: 1,
    max: 10000,
  }),
  perTargetConcurrency: env.integer('NOTIFIER_PER_TARGET_CONCURRENCY', {
    description: 'webhook requests in flight per target host and instance',
    default: '64',
    min: 1,
    max: 1000,
  }),
  pollMs: env.integer('NOTIFIER_POLL_MS', {
    description: 'how often the delivery worker looks for due retries when idle',
    default: '250',
    min: 10,
  }),
  ...secretsConfig,
  leaseMs: env.integer('NOTIFIER_LEASE_MS', {
    description: 'a claimed delivery is sent again by any instance if not finished within this (crash recovery)',
    default: '60000',
    min: 1000,
  }),
} as const;
