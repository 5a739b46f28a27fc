/** The compactor's file steps on the archive directory: DuckDB merges and rollups, durable publishing, deletes. */
import type { CompactionFiles } from '../pipeline/compact-archive.js';
import type { ParquetWriter } from './duckdb-parquet.js';
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
