export { startArchive, runArchive, type RunningArchive } from './main.js';
export { ArchiveConfig } from './config.js';
export { exportHistory, type ExportTarget, type HistoryExportOptions } from './adapters/duckdb-export.js';
export {
  openDuckDb,
  ParquetWriter,
  PARQUET_OPTIONS,
  ROW_GROUP_ROWS,
  parquetOptions,
} from './adapters/duckdb-parquet.js';
export { compactOnce } from './adapters/compaction-files.js';
export { SegmentFiles } from './adapters/segment-files.js';
export { PgManifest, type ManifestFile } from './adapters/pg-manifest.js';
export { Segment, type ArchivableBatch, type RowGroup } from './domain/segment.js';
export { partitionDir, hourPartition, hourOf } from './domain/layout.js';
export { REJECT_REASONS as ARCHIVE_REJECT_REASONS } from './domain/check-batch.js';
export { fsyncFile } from './adapters/fs-files.js';
