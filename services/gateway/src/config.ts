import { hostname } from 'node:os';
import { commonConfig, env, kafkaConfig, redisTlsConfig } from '@telltale/platform';
import { postgresConfig } from '@telltale/platform/db';

export const GatewayConfig = {
  ...commonConfig,
  ...kafkaConfig,
  ...postgresConfig,
  mqttUrl: env.url('MQTT_URL', {
    description: 'MQTT broker the devices publish to',
    default: 'mqtt://127.0.0.1:1883',
    protocols: ['mqtt', 'mqtts', 'tcp', 'ssl', 'ws', 'wss'],
  }),
  mqttUsername: env.string('MQTT_USERNAME', {
    description: 'broker account of the gateway ("-" for none)',
    default: '-',
  }),
  mqttPassword: env.string('MQTT_PASSWORD', { description: 'its password', default: '-' }),
  allowAnonymous: env.boolean('GATEWAY_ALLOW_ANONYMOUS', {
    description:
      'accept uplinks through a broker without device authentication (development only): without it the gateway ' +
      'needs MQTT_USERNAME, i.e. the authenticating broker',
    default: 'false',
  }),
  mqttUplinkTopic: env.string('MQTT_UPLINK_TOPIC', {
    description: 'uplink topic filter; the VIN is the level before "telemetry"',
    default: 'tbox/+/telemetry',
  }),
  mqttShareGroup: env.string('MQTT_SHARE_GROUP', {
    description: 'shared-subscription group of all gateway instances ("-" for a plain subscription)',
    default: 'gateway',
  }),
  mqttConnections: env.integer('MQTT_CONNECTIONS', {
    description:
      'subscriber connections per instance (the broker queues per connection: more connections, more buffering ' +
      'while Kafka is slow)',
    default: '64',
    min: 1,
    max: 2048,
  }),
  mqttCleanSession: env.boolean('MQTT_CLEAN_SESSION', {
    description:
      'connect with a clean session: the broker forgets the subscription and drops what it queued for the gateway ' +
      'once it disconnects (throwaway pipelines: tests, load tests); false keeps a persistent session that ' +
      'queues QoS 1 uplinks while the gateway restarts',
    default: 'false',
  }),
  mqttClientIdPrefix: env.string('MQTT_CLIENT_ID_PREFIX', {
    description: 'client id prefix; stable across restarts so sessions resume',
    default: `telltale-gateway-${hostname()}`,
  }),
  ...redisTlsConfig,
  redisUrl: env.url('REDIS_URL', {
    description: 'Redis for (vin, seq) deduplication',
    default: 'redis://127.0.0.1:6379',
    protocols: ['redis', 'rediss'],
  }),
  redisKeyPrefix: env.string('REDIS_KEY_PREFIX', { description: 'prefix of every Redis key', default: 'telltale:' }),
  dedupeWindowS: env.integer('DEDUPE_WINDOW_S', {
    description: 'how long a (vin, seq) is remembered',
    default: '172800',
    min: 60,
  }),
  seqMaxJump: env.integer('GATEWAY_SEQ_MAX_JUMP', {
    description: "a batch more than this many seqs ahead of its device stream's newest is dead-lettered",
    default: '4096',
    min: 1,
  }),
  seqStreams: env.integer('GATEWAY_SEQ_STREAMS', {
    description: 'device streams whose newest seq is remembered (least recently used ones are forgotten)',
    default: '200000',
    min: 100,
  }),
  maxBatchBytes: env.integer('MAX_BATCH_BYTES', {
    description: 'largest accepted uplink payload (keep below the broker limit and the topic max.message.bytes)',
    default: '262144',
    min: 1024,
  }),
  kafkaMaxRequestBytes: env.integer('KAFKA_MAX_REQUEST_BYTES', {
    description: "produce requests are split to stay below this (the topics' max.message.bytes is 1 MB by default)",
    default: '900000',
    min: 2048,
  }),
  dlqMaxPayloadBytes: env.integer('DLQ_MAX_PAYLOAD_BYTES', {
    description: 'dead-letter records carry at most this much of the rejected payload',
    default: '65536',
    min: 0,
  }),
  flushMaxMessages: env.integer('FLUSH_MAX_MESSAGES', {
    description: 'messages written to Kafka in one request at most; a flush starts when this many wait',
    default: '2000',
    min: 1,
    max: 100000,
  }),
  lingerMs: env.integer('FLUSH_LINGER_MS', {
    description: 'how long a message may wait for others before the Kafka write',
    default: '2',
    min: 0,
    max: 1000,
  }),
  registryRefreshMs: env.integer('REGISTRY_REFRESH_MS', {
    description: 'how often the registry view checks for changes',
    default: '2000',
    min: 100,
  }),
} as const;
