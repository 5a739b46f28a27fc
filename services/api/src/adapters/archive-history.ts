/**
 * Reads signal history from the archive (services/archive): the Parquet files its manifest lists (`archive_files`,
 * migration 0011: only committed files, never a leftover or a file compaction replaced, so no row is seen twice),
 * with an embedded DuckDB. Files are sorted by (vin, signal id, event time) in small row groups, so DuckDB's
 * row-group statistics skip all but the few row groups of the wanted vehicle and signal.
 *
 * Kept warm: one DuckDB instance per process with its Parquet metadata cache on (a file's footer is parsed once, not
 * per request; the cache checks the file's modification time) and a pool of connections reused across requests.
 * Only the columns a query needs are read, and the bucket aggregation runs inside DuckDB. The statements are not
 * prepared: the file list is a bind-time argument of read_parquet, and parsing is a small part of a query.
 *
 * Downsampled reads on a whole-second grid use the per-second rollups compaction writes beside each compacted file
 * (`archive_files.rollup_path`): a day of a 100 Hz signal is 86,400 rollup rows instead of 8.64 M samples. Hours
 * without rollups (not compacted yet, compacted before rollups existed, or late data since) and the partial seconds
 * at the range's ends are read raw and grouped per second the same way, so the buckets are the same bit for bit
 * whichever source served each second (domain/history.ts planRollupRead; the aggregates: @telltale/platform).
 *
 * Files written before the µs column existed lack `event_time_sub_ms_us`; union_by_name reads it as NULL there
 * (0), and a set of files that all lack it is read without it.
 */
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { BUCKET_AGGREGATES, ROLLUP_GRAIN_MS, SECOND_AGGREGATES, TelltaleError } from '@telltale/platform';
import type { Pool } from '@telltale/platform/db';
import {
  onRollupGrid,
  planRollupRead,
  type BucketGrid,
  type BucketPartial,
  type ClosedRange,
  type ListedFile,
} from '../domain/history.js';
import type { HistoryPoint } from './pg-signals.js';

export interface ArchiveRange {
  readonly vin: string;
  readonly modelId: string;
  readonly signalId: number;
  /** Inclusive. */
  readonly fromMs: number;
  /** Exclusive. */
  readonly toMs: number;
}

function sqlString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

function unavailable(cause: unknown): TelltaleError {
  return new TelltaleError('ARCHIVE_UNAVAILABLE', `Reading the archive failed: ${(cause as Error).message}`, {
    retryable: true,
    cause,
  });
}

/** Buckets of the archive's part of a range, and how many of its hours rollups served. */
export interface ArchiveBuckets {
  readonly partials: BucketPartial[];
  readonly rollupHours: number;
  readonly rawHours: number;
}

/** `(column >= from AND column < to) OR …` over the ranges. */
function inRanges(column: string, ranges: readonly ClosedRange[]): string {
  const each = ranges.map((r) => `(${column} >= ${Math.trunc(r.fromMs)} AND ${column} < ${Math.trunc(r.toMs)})`);
  return `(${each.join(' OR ')})`;
}

function fileList(paths: readonly string[]): string {
  return `[${paths.map(sqlString).join(', ')}]`;
}

function toPartials(rows: readonly unknown[][]): BucketPartial[] {
  return rows.map((r) => ({
    bucket: Number(r[0]),
    count: Number(r[1]),
    sum: Number(r[2]),
    min: Number(r[3]),
    max: Number(r[4]),
  }));
}

/** Idle connections kept for reuse; more concurrent requests open more and close the surplus. */
const IDLE_CONNECTIONS = 4;

export class ArchiveHistoryReader {
  private instance: Promise<DuckDBInstance> | undefined;
  private readonly idle: DuckDBConnection[] = [];

  /** `useRollups: false` reads raw samples only (the same answer, slower: to compare the two). */
  constructor(
    private readonly pool: Pool,
    private readonly archiveDir: string,
    private readonly threads = 1,
    private readonly useRollups = true,
  ) {}

  /** Raw samples in [fromMs, toMs), at most `limit`, oldest or newest first (ties: µs, then file order). */
  async samples(range: ArchiveRange, limit: number, order: 'asc' | 'desc'): Promise<HistoryPoint[]> {
    const dir = order === 'desc' ? 'DESC' : 'ASC';
    const rows = await this.query(
      range,
      'event_time_ms, event_time_sub_ms_us, value, catalog_version',
      (source, sub) =>
        `SELECT event_time_ms, ${sub} AS sub, value, catalog_version FROM ${source}
         ORDER BY event_time_ms ${dir}, sub ${dir} LIMIT ${Math.trunc(limit)}`,
    );
    return rows.map((r) => ({
      signalId: range.signalId,
      value: Number(r[2]),
      eventTimeMs: Number(r[0]),
      eventTimeSubMsUs: Number(r[1]),
      receiveTimeMs: null,
      catalogVersion: String(r[3]),
    }));
  }

  /**
   * count, sum, min, max per bucket of the grid. On a whole-second grid: rollups where an hour has them, raw samples
   * grouped per second elsewhere (identical results). Off it (buckets under a second): raw samples per bucket.
   */
  async buckets(range: ArchiveRange, grid: BucketGrid): Promise<ArchiveBuckets> {
    if (!onRollupGrid(grid)) {
      const rows = await this.query(
        range,
        'event_time_ms, value',
        (source) =>
          `SELECT (event_time_ms - ${Math.trunc(grid.originMs)}) // ${Math.trunc(grid.widthMs)} AS bucket,
                  count(*) AS n, sum(value), min(value), max(value)
           FROM ${source} GROUP BY ALL ORDER BY bucket`,
      );
      return { partials: toPartials(rows), rollupHours: 0, rawHours: rows.length > 0 ? 1 : 0 };
    }
    const listed = await this.files(range);
    const plan = planRollupRead(range, this.useRollups ? listed : listed.map((f) => ({ ...f, rollupPath: undefined })));
    const match = `vin = ${sqlString(range.vin)} AND signal_id = ${Math.trunc(range.signalId)}`;
    const seconds: string[] = [];
    if (plan.rollup.files.length > 0)
      seconds.push(
        `SELECT second_ms, count, sum, min, max FROM read_parquet(${fileList(plan.rollup.files)})
         WHERE ${match} AND ${inRanges('second_ms', plan.rollup.ranges)}`,
      );
    if (plan.raw.files.length > 0)
      seconds.push(
        `SELECT event_time_ms // ${ROLLUP_GRAIN_MS} * ${ROLLUP_GRAIN_MS} AS second_ms, ${SECOND_AGGREGATES}
         FROM read_parquet(${fileList(plan.raw.files)}, union_by_name = true)
         WHERE ${match} AND ${inRanges('event_time_ms', plan.raw.ranges)} GROUP BY second_ms`,
      );
    if (seconds.length === 0) return { partials: [], rollupHours: 0, rawHours: 0 };
    const rows = await this.run(
      `SELECT (second_ms - ${Math.trunc(grid.originMs)}) // ${Math.trunc(grid.widthMs)} AS bucket, ${BUCKET_AGGREGATES}
       FROM (${seconds.join(' UNION ALL ')}) GROUP BY bucket ORDER BY bucket`,
    );
    return { partials: toPartials(rows), rollupHours: plan.rollupHours, rawHours: plan.rawHours };
  }

  async close(): Promise<void> {
    const instance = this.instance;
    this.instance = undefined;
    for (const connection of this.idle.splice(0)) connection.closeSync();
    if (instance) (await instance.catch(() => undefined))?.closeSync();
  }

  /** Committed files of the model that may hold samples of the range, in time order. */
  private async files(range: ArchiveRange): Promise<ListedFile[]> {
    const { rows } = await this.pool
      .query<{ path: string; rollup_path: string | null; hour_start_ms: string }>(
        `SELECT path, rollup_path,
                (extract(epoch FROM date) * 1000)::int8 + hour * 3600000::int8 AS hour_start_ms
         FROM archive_files
         WHERE model_id = $1 AND max_event_time_ms >= $2 AND min_event_time_ms < $3 ORDER BY date, hour, path`,
        [range.modelId, range.fromMs, range.toMs],
      )
      .catch((cause: unknown) => {
        throw new TelltaleError('DATABASE_UNAVAILABLE', `Archive manifest query failed: ${(cause as Error).message}`, {
          retryable: true,
          cause,
        });
      });
    return rows.map((r) => ({
      path: join(this.archiveDir, r.path),
      rollupPath: r.rollup_path ? join(this.archiveDir, r.rollup_path) : undefined,
      hourStartMs: Number(r.hour_start_ms),
    }));
  }

  /**
   * Runs `sql` over the range's rows; `columns` are the file columns it reads (the filter's vin and signal_id are
   * read anyway), so DuckDB decodes no other column.
   */
  private async query(
    range: ArchiveRange,
    columns: string,
    sql: (source: string, subMsColumn: string) => string,
  ): Promise<unknown[][]> {
    const files = (await this.files(range)).map((f) => f.path);
    if (files.length === 0) return [];
    const source =
      `(SELECT ${columns} FROM read_parquet([${files.map(sqlString).join(', ')}], union_by_name = true) ` +
      `WHERE vin = ${sqlString(range.vin)} AND signal_id = ${Math.trunc(range.signalId)} ` +
      `AND event_time_ms >= ${Math.trunc(range.fromMs)} AND event_time_ms < ${Math.trunc(range.toMs)})`;
    const db = await this.connect();
    let healthy = true;
    try {
      try {
        return (await db.runAndReadAll(sql(source, 'coalesce(event_time_sub_ms_us, 0)'))).getRows();
      } catch (error) {
        if (!/event_time_sub_ms_us/.test((error as Error).message)) throw error;
        // Every file predates the µs column.
        const older = source.replace(columns, columns.replace(', event_time_sub_ms_us', ''));
        return (await db.runAndReadAll(sql(older, '0'))).getRows();
      }
    } catch (cause) {
      healthy = false;
      throw unavailable(cause);
    } finally {
      this.release(db, healthy);
    }
  }

  /** Runs one statement on a pooled connection. */
  private async run(sql: string): Promise<unknown[][]> {
    const db = await this.connect();
    let healthy = true;
    try {
      return (await db.runAndReadAll(sql)).getRows();
    } catch (cause) {
      healthy = false;
      throw unavailable(cause);
    } finally {
      this.release(db, healthy);
    }
  }

  /** Back to the idle pool (a connection whose query failed is closed: it may be mid-transaction). */
  private release(db: DuckDBConnection, healthy: boolean): void {
    if (healthy && this.instance !== undefined && this.idle.length < IDLE_CONNECTIONS) this.idle.push(db);
    else db.closeSync();
  }

  private async connect(): Promise<DuckDBConnection> {
    const idle = this.idle.pop();
    if (idle !== undefined) return idle;
    this.instance ??= this.open();
    try {
      return await (await this.instance).connect();
    } catch (cause) {
      this.instance = undefined;
      throw unavailable(cause);
    }
  }

  /** The process's DuckDB: `threads` workers, Parquet footers cached across queries. */
  private async open(): Promise<DuckDBInstance> {
    const instance = await DuckDBInstance.create(':memory:', { threads: String(this.threads) });
    const setup = await instance.connect();
    try {
      await setup.run('LOAD parquet');
      await setup.run('SET GLOBAL parquet_metadata_cache = true');
    } finally {
      setup.closeSync();
    }
    return instance;
  }
}
