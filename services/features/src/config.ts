import { hostname } from 'node:os';
import { commonConfig, env, kafkaConfig, redisTlsConfig } from '@telltale/platform';
import { postgresConfig } from '@telltale/platform/db';
import { BUNDLED_CATALOG_DIR } from '@telltale/catalog';

export const FeaturesConfig = {
  ...commonConfig,
  ...kafkaConfig,
  ...postgresConfig,
  ...redisTlsConfig,
  catalogDir: env.string('CATALOG_DIR', {
    description: 'directory of vehicle model catalogs the feature sets are compiled against',
    default: BUNDLED_CATALOG_DIR,
  }),
  redisUrl: env.url('REDIS_URL', {
    description: 'Redis holding the online feature store (latest FeatureVector per vehicle)',
    default: 'redis://127.0.0.1:6379',
    protocols: ['redis', 'rediss'],
  }),
  redisKeyPrefix: env.string('REDIS_KEY_PREFIX', {
    description: "prefix of every Redis key ('-': none; the API's must be the same)",
    default: 'telltale:',
  }),
  consumerGroup: env.string('FEATURES_GROUP', {
    description: 'Kafka consumer group shared by all features instances',
    default: 'telltale-features',
  }),
  instanceId: env.string('FEATURES_INSTANCE_ID', {
    description: "names this instance as a partition's owner in PostgreSQL",
    default: `${hostname()}-${process.pid}`,
  }),
  featureCheckIntervalMs: env.integer('FEATURE_CHECK_INTERVAL_MS', {
    description: 'how often the feature set / model version is compared (hot reload)',
    default: '500',
    min: 50,
  }),
  maxFutureMs: env.integer('MAX_FUTURE_MS', {
    description: 'samples whose event time is further ahead of their arrival are dropped and counted',
    default: '300000',
    min: 0,
  }),
  alertRaisePercent: env.integer('FEATURES_ALERT_RAISE_PERCENT', {
    description: 'a predictive alert is raised when the fault probability is at least this (percent) …',
    default: '80',
    min: 1,
    max: 100,
  }),
  alertRaiseWindows: env.integer('FEATURES_ALERT_RAISE_WINDOWS', {
    description: '… in this many consecutive windows',
    default: '3',
    min: 1,
  }),
  alertClearPercent: env.integer('FEATURES_ALERT_CLEAR_PERCENT', {
    description: 'and cleared at the first window with a probability at or below this (percent)',
    default: '40',
    min: 0,
    max: 99,
  }),
  registryRefreshMs: env.integer('REGISTRY_REFRESH_MS', {
    description: 'how often the registry view (vehicle → fleet) checks for changes',
    default: '2000',
    min: 100,
  }),
} as const;
