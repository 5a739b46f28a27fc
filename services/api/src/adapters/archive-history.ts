/**
 * Reads signal history from the archive (services/archive): the Parquet files its manifest lists (`archive_files`,
 * migration 0011: only committed files, never a leftover or a file compaction replaced, so no row is seen twice),
 * with an embedded DuckDB. Files are sorted by (vin, signal id, event time), so DuckDB's row-group statistics skip
 * all but the few row groups of the wanted vehicle and signal.
 *
 * Files written before the µs column existed lack `event_time_sub_ms_us`; union_by_name reads it as NULL there
 * (0), and a set of files that all lack it is read without it.
 */
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { TelltaleError } from '@telltale/platform';
import type { Pool } from '@telltale/platform/db';
import type { BucketPartial } from '../domain/history.js';
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

export class ArchiveHistoryReader {
  private instance: Promise<DuckDBInstance> | undefined;

  constructor(
    private readonly pool: Pool,
    private readonly archiveDir: string,
    private readonly threads = 1,
  ) {}

  /** Raw samples in [fromMs, toMs), at most `limit`, oldest or newest first (ties: µs, then file order). */
  async samples(range: ArchiveRange, limit: number, order: 'asc' | 'desc'): Promise<HistoryPoint[]> {
    const dir = order === 'desc' ? 'DESC' : 'ASC';
    const rows = await this.query(
      range,
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

  /** count, sum, min, max per bucket of `widthMs` counted from `originMs`. */
  async buckets(range: ArchiveRange, originMs: number, widthMs: number): Promise<BucketPartial[]> {
    const rows = await this.query(
      range,
      (source) =>
        `SELECT (event_time_ms - ${Math.trunc(originMs)}) // ${Math.trunc(widthMs)} AS bucket, count(*) AS n,
                sum(value), min(value), max(value)
         FROM ${source} GROUP BY ALL ORDER BY bucket`,
    );
    return rows.map((r) => ({
      bucket: Number(r[0]),
      count: Number(r[1]),
      sum: Number(r[2]),
      min: Number(r[3]),
      max: Number(r[4]),
    }));
  }

  async close(): Promise<void> {
    const instance = this.instance;
    this.instance = undefined;
    if (instance) (await instance.catch(() => undefined))?.closeSync();
  }

  /** Committed files of the model that may hold samples of the range, in time order. */
  private async files(range: ArchiveRange): Promise<string[]> {
    const { rows } = await this.pool
      .query<{ path: string }>(
        `SELECT path FROM archive_files
         WHERE model_id = $1 AND max_event_time_ms >= $2 AND min_event_time_ms < $3 ORDER BY date, hour, path`,
        [range.modelId, range.fromMs, range.toMs],
      )
      .catch((cause: unknown) => {
        throw new TelltaleError('DATABASE_UNAVAILABLE', `Archive manifest query failed: ${(cause as Error).message}`, {
          retryable: true,
          cause,
        });
      });
    return rows.map((r) => join(this.archiveDir, r.path));
  }

  private async query(range: ArchiveRange, sql: (source: string, subMsColumn: string) => string): Promise<unknown[][]> {
    const files = await this.files(range);
    if (files.length === 0) return [];
    const source =
      `(SELECT * FROM read_parquet([${files.map(sqlString).join(', ')}], union_by_name = true) ` +
      `WHERE vin = ${sqlString(range.vin)} AND signal_id = ${Math.trunc(range.signalId)} ` +
      `AND event_time_ms >= ${Math.trunc(range.fromMs)} AND event_time_ms < ${Math.trunc(range.toMs)})`;
    const db = await this.connect();
    try {
      try {
        return (await db.runAndReadAll(sql(source, 'coalesce(event_time_sub_ms_us, 0)'))).getRows();
      } catch (error) {
        if (!/event_time_sub_ms_us/.test((error as Error).message)) throw error;
        return (await db.runAndReadAll(sql(source, '0'))).getRows(); // every file predates the µs column
      }
    } catch (cause) {
      throw unavailable(cause);
    } finally {
      db.closeSync();
    }
  }

  private async connect(): Promise<DuckDBConnection> {
    this.instance ??= DuckDBInstance.create(':memory:', { threads: String(this.threads) });
    try {
      return await (await this.instance).connect();
    } catch (cause) {
      this.instance = undefined;
      throw unavailable(cause);
    }
  }
}
