import { commonConfig, env, kafkaConfig } from '@telltale/platform';
import { postgresConfig } from '@telltale/platform/db';

export const StoreConfig = {
  ...commonConfig,
  ...kafkaConfig,
  ...postgresConfig,
  consumerGroup: env.string('STORE_GROUP', {
    description: 'Kafka consumer group of all store instances',
    default: 'telltale-store',
  }),
  maxFutureMs: env.integer('MAX_FUTURE_MS', {
    description: "event times further ahead of the store's clock are quarantined",
    default: '300000',
    min: 0,
  }),
  historyResolutionMs: env.integer('HISTORY_RESOLUTION_MS', {
    description:
      'history keeps one sample (the newest) per signal per bucket of this many ms, aligned to the UTC day ' +
      '(0: every sample); at most 1800000, as offsets within a bucket are int4 µs',
    default: '1000',
    min: 0,
    max: 1_800_000,
  }),
  historyHotHours: env.integer('STORE_HISTORY_HOT_HOURS', {
    description:
      'hours of history PostgreSQL keeps (the hot window; older history is read from the archive); ' +
      '0: no history in PostgreSQL',
    default: '24',
    min: 0,
    max: 24 * 3660,
  }),
  latestCacheBlocks: env.integer('LATEST_CACHE_BLOCKS', {
    description:
      'latest-value blocks (128 signals, ~4 KB each) kept in memory for merging; least recently written vehicles ' +
      'beyond it are read again from PostgreSQL when they next send',
    default: '100000',
    min: 1,
  }),
  pollMaxBytes: env.integer('STORE_POLL_MAX_BYTES', {
    description:
      'bytes of decoded signal records one fetch (one poll) takes at most, over all partitions (a soft bound: ' +
      'Kafka returns at least one record batch); smaller polls are visible sooner when the store is behind',
    default: String(64 * 1024 * 1024),
    min: 1024 * 1024,
  }),
  retentionIntervalMs: env.integer('RETENTION_INTERVAL_MS', {
    description: 'how often history partitions older than the hot window are dropped',
    default: '3600000',
    min: 1000,
  }),
  fleetStaleAfterMs: env.integer('FLEET_STALE_AFTER_MS', {
    description: 'a vehicle with no sample received for this long counts as stale in telltale_fleet_vehicles',
    default: '300000',
    min: 1000,
  }),
  fleetHealthRefreshMs: env.integer('FLEET_HEALTH_REFRESH_MS', {
    description: 'the fleet health gauges are recomputed at most this often (a query over signal_latest)',
    default: '60000',
    min: 1000,
  }),
} as const;
