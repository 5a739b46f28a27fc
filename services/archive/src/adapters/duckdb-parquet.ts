/**
 * Parquet through an embedded DuckDB (in-process, no server). The rows arrive already in file order
 * (domain/sort-rows.ts), go in through an appender as whole column chunks (typed-array copies, no call per value),
 * and out with COPY … TO '<file>' (FORMAT parquet, COMPRESSION zstd, PARQUET_VERSION v2) in insertion order
 * (preserve_insertion_order): DuckDB neither sorts nor joins. Sorted rows make long runs: a VIN and a
 * signal id repeat for thousands of rows (dictionary + RLE), times within a signal grow by a cycle time (delta
 * encoding), values change slowly.
 *
 * The file schema, one row per sample:
 *   vin VARCHAR, signal_id UINTEGER, event_time_ms BIGINT (UTC ms since the epoch),
 *   event_time_sub_ms_us USMALLINT (µs within that ms, 0-999), value DOUBLE, catalog_version VARCHAR,
 *   device_seq UINTEGER
 * The model, date and hour are in the path (hive partitioning), not in the file. Files written before the µs column
 * existed lack it; readers use union_by_name and read it as 0 (FILE_COLUMNS below).
 *
 * Row groups are small (ROW_GROUP_ROWS) so that their min/max statistics prune: rows are sorted by vin and signal id,
 * so a row group holds one or a few (vin, signal) runs, and a reader of one vehicle's signal (the API's history, a
 * backtest) decodes only the row groups whose vin and signal_id ranges can hold it instead of the whole hour file.
 */
import {
  DuckDBDataChunk,
  DuckDBDoubleType,
  DuckDBInstance,
  DuckDBUIntegerType,
  DuckDBUSmallIntType,
  ENUM,
  type DuckDBConnection,
} from '@duckdb/node-api';
import { ROLLUP_GRAIN_MS, SECOND_AGGREGATES, TelltaleError } from '@telltale/platform';
import type { RowGroup } from '../domain/segment.js';
import { sortedRowOrder } from '../domain/sort-rows.js';

/** DuckDB's vector size: an appended chunk holds at most this many rows. */
const CHUNK_ROWS = 2048;

/**
 * Rows per Parquet row group. One ~1M-row group per hourly file left nothing to skip for a query of one vin and
 * signal; 65,536 rows keep the size per sample and the write rate (bench/archive.ts --row-group-rows compares them)
 * while a 10 Hz signal's vehicle-hour (36,000 rows) spans one or two groups.
 */
export const ROW_GROUP_ROWS = 65_536;
/** COPY … TO options of every archive file (writes and compaction alike, so a compacted hour prunes as well). */
export function parquetOptions(rowGroupRows: number = ROW_GROUP_ROWS): string {
  return `FORMAT parquet, COMPRESSION zstd, PARQUET_VERSION v2, ROW_GROUP_SIZE ${Math.trunc(rowGroupRows)}`;
}
export const PARQUET_OPTIONS = parquetOptions();
export const SORT_ORDER = 'vin, signal_id, event_time_ms, event_time_sub_ms_us';
/** The file columns, read from any archive file (older files have no µs column: 0). Needs union_by_name = true. */
export const FILE_COLUMNS =
  'vin, signal_id, event_time_ms, CAST(coalesce(event_time_sub_ms_us, 0) AS USMALLINT) AS event_time_sub_ms_us, ' +
  'value, catalog_version, device_seq';

/** A path inside a single-quoted SQL string literal. */
export function sqlString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** An ENUM type literal of these (distinct) values, in this order. */
function enumSql(values: readonly string[]): string {
  return `ENUM(${values.map(sqlString).join(', ')})`;
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
  const settings: Record<string, string> = { threads: String(options.threads), preserve_insertion_order: 'true' };
  if (options.tempDirectory) settings['temp_directory'] = options.tempDirectory;
  if (options.memoryLimit) settings['memory_limit'] = options.memoryLimit;
  try {
    return await DuckDBInstance.create(':memory:', settings);
  } catch (cause) {
    throw new TelltaleError('DUCKDB_UNAVAILABLE', `DuckDB did not start: ${(cause as Error).message}`, { cause });
  }
}

/** The columns as DuckDB receives them, in file order. */
interface SortedColumns {
  readonly vinIndex: Uint32Array;
  readonly signalId: Uint32Array;
  readonly eventTimeMs: Float64Array;
  readonly eventTimeSubMsUs: Uint16Array;
  readonly value: Float64Array;
  readonly catalogVersionIndex: Uint32Array;
  readonly deviceSeq: Uint32Array;
}

function gather(group: RowGroup, order: Uint32Array): SortedColumns {
  const n = order.length;
  const out = {
    vinIndex: new Uint32Array(n),
    signalId: new Uint32Array(n),
    eventTimeMs: new Float64Array(n),
    eventTimeSubMsUs: new Uint16Array(n),
    value: new Float64Array(n),
    catalogVersionIndex: new Uint32Array(n),
    deviceSeq: new Uint32Array(n),
  };
  for (let r = 0; r < n; r++) {
    const i = order[r]!;
    out.vinIndex[r] = group.vinIndex[i]!;
    out.signalId[r] = group.signalId[i]!;
    out.eventTimeMs[r] = group.eventTimeMs[i]!;
    out.eventTimeSubMsUs[r] = group.eventTimeSubMsUs[i]!;
    out.value[r] = group.value[i]!;
    out.catalogVersionIndex[r] = group.catalogVersionIndex[i]!;
    out.deviceSeq[r] = group.deviceSeq[i]!;
  }
  return out;
}

/** Vectors of a fresh data chunk expose their data as a typed array (`items`); flush() copies it to DuckDB. */
interface ItemsVector {
  readonly items: { set(source: ArrayLike<number>, offset?: number): void };
  flush(): void;
}

export class ParquetWriter {
  private readonly options: string;
  /** The write in progress: writes on one connection run one at a time (see `write`). */
  private writing: Promise<void> = Promise.resolve();

  /** `rowGroupRows`: for benchmarks comparing row-group sizes; the archive uses ROW_GROUP_ROWS. */
  constructor(
    private readonly db: DuckDBConnection,
    rowGroupRows: number = ROW_GROUP_ROWS,
  ) {
    this.options = parquetOptions(rowGroupRows);
  }

  /**
   * Writes one hour partition's rows, sorted, to `path` (which must not be read before it is published).
   *
   * Calls are queued: each write fills and copies the connection's one staging table, and the archive flushes
   * partitions from its handler and its timer at the same time. Run concurrently, one write replaced the table
   * another was filling or copying: the other failed ("archive_rows does not exist") or, worse, published a file
   * of someone else's rows under its own manifest row count (found by `npm run chaos`;
   * duckdb-parquet-concurrency.test.ts).
   */
  write(group: RowGroup, path: string): Promise<void> {
    const run = this.writing.then(() => this.writeNow(group, path));
    this.writing = run.catch(() => undefined);
    return run;
  }

  private async writeNow(group: RowGroup, path: string): Promise<void> {
    try {
      const c = gather(group, sortedRowOrder(group));
      // VINs and catalog versions as ENUM columns: the appender takes their indexes as typed arrays, and the
      // Parquet writer turns an ENUM into a dictionary-encoded string column without hashing a string per row.
      const vinType = ENUM(group.vins);
      const versionType = ENUM(group.catalogVersions);
      await this.db.run(
        `CREATE OR REPLACE TEMP TABLE archive_rows (vin ${enumSql(group.vins)}, signal_id UINTEGER, t DOUBLE,
           sub USMALLINT, value DOUBLE, catalog_version ${enumSql(group.catalogVersions)}, device_seq UINTEGER)`,
      );
      const appender = await this.db.createAppender('archive_rows');
      const u = DuckDBUIntegerType.instance;
      const d = DuckDBDoubleType.instance;
      const columns = [c.vinIndex, c.signalId, c.eventTimeMs, c.eventTimeSubMsUs, c.value, c.catalogVersionIndex];
      const types = [vinType, u, d, DuckDBUSmallIntType.instance, d, versionType, u];
      // One chunk, refilled: its vectors' typed arrays are copied in whole (set + flush), no call per value.
      const chunk = DuckDBDataChunk.create(types, Math.min(CHUNK_ROWS, group.rows));
      const vectors = types.map((_, col) => chunk.getColumnVector(col) as unknown as ItemsVector);
      for (let from = 0; from < group.rows; from += CHUNK_ROWS) {
        const n = Math.min(CHUNK_ROWS, group.rows - from);
        if (n !== chunk.rowCount) chunk.rowCount = n;
        for (let col = 0; col < vectors.length; col++) {
          const source = col < columns.length ? columns[col]! : c.deviceSeq;
          vectors[col]!.items.set(source.subarray(from, from + n));
          vectors[col]!.flush();
        }
        appender.appendDataChunk(chunk);
      }
      appender.closeSync();
      await this.db.run(
        `COPY (SELECT CAST(vin AS VARCHAR) AS vin, signal_id, CAST(t AS BIGINT) AS event_time_ms,
                      sub AS event_time_sub_ms_us, value, CAST(catalog_version AS VARCHAR) AS catalog_version,
                      device_seq
               FROM archive_rows)
         TO ${sqlString(path)} (${this.options})`,
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

  /**
   * Writes the per-second rollup of an archive file (schema and aggregates: @telltale/platform archive-rollups),
   * sorted by vin, signal id and second like the samples, in the same row groups; returns its row count.
   */
  async rollup(dataPath: string, path: string): Promise<number> {
    try {
      const second = `event_time_ms // ${ROLLUP_GRAIN_MS} * ${ROLLUP_GRAIN_MS}`;
      const reader = await this.db.runAndReadAll(
        `COPY (SELECT vin, signal_id, ${second} AS second_ms, ${SECOND_AGGREGATES}
               FROM read_parquet(${sqlString(dataPath)}, hive_partitioning = false)
               GROUP BY vin, signal_id, second_ms ORDER BY vin, signal_id, second_ms)
         TO ${sqlString(path)} (${this.options})`,
      );
      return Number(reader.getRows()[0]?.[0] ?? 0);
    } catch (cause) {
      throw new TelltaleError(
        'ARCHIVE_COMPACTION_FAILED',
        `Rolling up into ${path} failed: ${(cause as Error).message}`,
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
        `COPY (SELECT ${FILE_COLUMNS}
               FROM read_parquet(${list}, hive_partitioning = false, union_by_name = true)
               ORDER BY ${SORT_ORDER}, value, device_seq)
         TO ${sqlString(path)} (${this.options})`,
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
