import { commonConfig, env, kafkaConfig } from '@telltale/platform';
import { postgresConfig } from '@telltale/platform/db';

export const ArchiveConfig = {
  ...commonConfig,
  ...kafkaConfig,
  ...postgresConfig,
  archiveDir: env.string('ARCHIVE_DIR', {
    description: 'root of the Parquet archive (model=…/date=…/hour=…); must be one file system (atomic renames)',
    default: './var/archive',
  }),
  consumerGroup: env.string('ARCHIVE_GROUP', {
    description: 'Kafka consumer group of all archive instances',
    default: 'telltale-archive',
  }),
  flushRows: env.integer('ARCHIVE_FLUSH_ROWS', {
    description: "a partition's buffered samples are written once they reach this many",
    default: '2000000',
    min: 1,
  }),
  flushIntervalMs: env.integer('ARCHIVE_FLUSH_INTERVAL_MS', {
    description: "…or once the partition's oldest buffered record is this old",
    default: '60000',
    min: 100,
  }),
  compactAfterMs: env.integer('ARCHIVE_COMPACT_AFTER_MS', {
    description: "an hour's files are merged into one once the hour ended this long ago",
    default: '600000',
    min: 0,
  }),
  compactIntervalMs: env.integer('ARCHIVE_COMPACT_INTERVAL_MS', {
    description: 'how often compaction and retention run',
    default: '60000',
    min: 100,
  }),
  retentionDays: env.integer('ARCHIVE_RETENTION_DAYS', {
    description: 'days of event time kept; older day partitions are dropped (manifest rows, then files)',
    default: '730',
    min: 1,
  }),
  duckdbThreads: env.integer('ARCHIVE_DUCKDB_THREADS', {
    description: 'DuckDB threads for writing and compacting Parquet',
    default: '1',
    min: 1,
    max: 64,
  }),
  duckdbMemoryLimit: env.string('ARCHIVE_DUCKDB_MEMORY_LIMIT', {
    description: "DuckDB's memory limit (larger sorts spill to ARCHIVE_DIR/.tmp)",
    default: '1GB',
  }),
} as const;
