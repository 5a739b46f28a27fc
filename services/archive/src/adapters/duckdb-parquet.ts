/**
 * Parquet through an embedded DuckDB (in-process, no server): rows go in through an appender as column chunks, and
 * out with COPY … ORDER BY vin, signal_id, event_time_ms TO '<file>' (FORMAT parquet, COMPRESSION zstd,
 * PARQUET_VERSION v2). Sorted rows make long runs: a VIN and a signal id repeat for thousands of rows
 * (dictionary + RLE), times within a signal grow by a cycle time (delta encoding), values change slowly.
 *
 * The file schema, one row per sample:
 *   vin VARCHAR, signal_id UINTEGER, event_time_ms BIGINT (UTC ms since the epoch), value DOUBLE,
 *   catalog_version VARCHAR, device_seq UINTEGER
 * The model, date and hour are in the path (hive partitioning), not in the file.
 */
import {
  DuckDBDataChunk,
  DuckDBDoubleType,
  DuckDBInstance,
  DuckDBUIntegerType,
  type DuckDBAppender,
  type DuckDBConnection,
  type DuckDBDoubleVector,
  type DuckDBUIntegerVector,
} from '@duckdb/node-api';
import { TelltaleError } from '@telltale/platform';
import type { RowGroup } from '../domain/segment.js';

/** DuckDB's vector size: an appended chunk holds at most this many rows. */
const CHUNK_ROWS = 2048;

export const PARQUET_OPTIONS = 'FORMAT parquet, COMPRESSION zstd, PARQUET_VERSION v2, ROW_GROUP_SIZE 1000000';
export const SORT_ORDER = 'vin, signal_id, event_time_ms';

/** A path inside a single-quoted SQL string literal. */
export function sqlString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

export interface DuckDbOptions {
  /** DuckDB worker threads (the archive is sized per core: 1). */
  readonly threads: number;
  /** Where DuckDB spills sorts larger than memory. */
  readonly tempDirectory?: string;
  readonly memoryLimit?: string;
}

/** An in-memory DuckDB (nothing persists in it: it only turns rows into Parquet and reads Parquet back). */
export async function openDuckDb(options: DuckDbOptions): Promise<DuckDBInstance> {
  const settings: Record<string, string> = { threads: String(options.threads) };
  if (options.tempDirectory) settings['temp_directory'] = options.tempDirectory;
  if (options.memoryLimit) settings['memory_limit'] = options.memoryLimit;
  try {
    return await DuckDBInstance.create(':memory:', settings);
  } catch (cause) {
    throw new TelltaleError('DUCKDB_UNAVAILABLE', `DuckDB did not start: ${(cause as Error).message}`, { cause });
  }
}

export class ParquetWriter {
  constructor(private readonly db: DuckDBConnection) {}

  /** Writes one hour partition's rows, sorted, to `path` (which must not be read before it is published). */
  async write(group: RowGroup, path: string): Promise<void> {
    try {
      await this.db.run(
        `CREATE OR REPLACE TEMP TABLE archive_rows
           (vi UINTEGER, signal_id UINTEGER, t DOUBLE, value DOUBLE, ci UINTEGER, device_seq UINTEGER)`,
      );
      await this.db.run('CREATE OR REPLACE TEMP TABLE archive_vins (vi UINTEGER, vin VARCHAR)');
      await this.db.run('CREATE OR REPLACE TEMP TABLE archive_versions (ci UINTEGER, catalog_version VARCHAR)');
      await appendDictionary(await this.db.createAppender('archive_vins'), group.vins);
      await appendDictionary(await this.db.createAppender('archive_versions'), group.catalogVersions);
      const appender = await this.db.createAppender('archive_rows');
      const u = DuckDBUIntegerType.instance;
      const d = DuckDBDoubleType.instance;
      const columns = [
        group.vinIndex,
        group.signalId,
        group.eventTimeMs,
        group.value,
        group.catalogVersionIndex,
        group.deviceSeq,
      ];
      for (let from = 0; from < group.rows; from += CHUNK_ROWS) {
        const n = Math.min(CHUNK_ROWS, group.rows - from);
        const chunk = DuckDBDataChunk.create([u, u, d, d, u, u], n);
        chunk.rowCount = n;
        for (let c = 0; c < columns.length; c++) {
          const source = columns[c]!;
          const vector = chunk.getColumnVector(c) as DuckDBUIntegerVector | DuckDBDoubleVector;
          for (let i = 0; i < n; i++) vector.setItem(i, source[from + i]!);
          vector.flush();
        }
        appender.appendDataChunk(chunk);
      }
      appender.closeSync();
      await this.db.run(
        `COPY (SELECT v.vin, r.signal_id, CAST(r.t AS BIGINT) AS event_time_ms, r.value, c.catalog_version, r.device_seq
               FROM archive_rows r JOIN archive_vins v USING (vi) JOIN archive_versions c USING (ci)
               ORDER BY ${SORT_ORDER}, value, device_seq)
         TO ${sqlString(path)} (${PARQUET_OPTIONS})`,
      );
      await this.db.run('DROP TABLE archive_rows');
    } catch (cause) {
      throw new TelltaleError(
        'ARCHIVE_WRITE_FAILED',
        `Writing Parquet file ${path} failed: ${(cause as Error).message}`,
        {
          retryable: true,
          cause,
        },
      );
    }
  }

  /** Merges Parquet files into one sorted file; returns its row count (read back from the new file). */
  async merge(inputs: readonly string[], path: string): Promise<number> {
    try {
      const list = `[${inputs.map(sqlString).join(', ')}]`;
      await this.db.run(
        `COPY (SELECT vin, signal_id, event_time_ms, value, catalog_version, device_seq
               FROM read_parquet(${list}, hive_partitioning = false)
               ORDER BY ${SORT_ORDER}, value, device_seq)
         TO ${sqlString(path)} (${PARQUET_OPTIONS})`,
      );
      const reader = await this.db.runAndReadAll(`SELECT count(*)::BIGINT AS n FROM read_parquet(${sqlString(path)})`);
      return Number(reader.getRowObjects()[0]!['n']);
    } catch (cause) {
      throw new TelltaleError('ARCHIVE_COMPACTION_FAILED', `Merging into ${path} failed: ${(cause as Error).message}`, {
        retryable: true,
        cause,
      });
    }
  }
}

async function appendDictionary(appender: DuckDBAppender, values: readonly string[]): Promise<void> {
  for (let i = 0; i < values.length; i++) {
    appender.appendUInteger(i);
    appender.appendVarchar(values[i]!);
    appender.endRow();
  }
  appender.closeSync();
  await Promise.resolve();
}
