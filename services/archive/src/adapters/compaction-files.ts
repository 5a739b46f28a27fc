/** The compactor's file steps on the archive directory: DuckDB merges and rollups, durable publishing, deletes. */
import { ArchiveCompactor, type CompactionFiles, type CompactionResult } from '../pipeline/compact-archive.js';
import type { ParquetWriter } from './duckdb-parquet.js';
import type { PgManifest } from './pg-manifest.js';
import { listFiles, publishFile, pruneEmptyDirs, removeFile } from './fs-files.js';

export function compactionFiles(root: string, writer: ParquetWriter): CompactionFiles {
  return {
    merge: (inputs, path) => writer.merge(inputs, path),
    rollup: (dataPath, path) => writer.rollup(dataPath, path),
    publish: publishFile,
    remove: removeFile,
    list: listFiles,
    pruneEmptyDirs: (dir) => pruneEmptyDirs(root, dir),
  };
}

/**
 * One compaction pass over the archive now (benchmarks, tests, tools): every ended hour with several files or one
 * without a rollup, merged and rolled up, retention off; the same compactor `telltale archive` runs on its timer.
 */
export async function compactOnce(
  manifest: PgManifest,
  root: string,
  writer: ParquetWriter,
  hoursPerPass = 1000,
): Promise<CompactionResult | undefined> {
  const quiet = { compacted: () => undefined, retained: () => undefined, compactionConflict: () => undefined };
  const options = { root, compactAfterMs: 0, retentionDays: 100_000, hoursPerPass };
  return new ArchiveCompactor(manifest, compactionFiles(root, writer), quiet, options).run();
}
