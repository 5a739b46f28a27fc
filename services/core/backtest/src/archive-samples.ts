/**
 * Reads archived samples for a backtest: only committed files (the archive's manifest, `archive_files`, so no row is
 * read twice: never a leftover of a crashed flush, never both a compacted hour and its inputs), only the hours of
 * the range, only the columns a replay needs (vin, signal_id, event_time_ms, value, device_seq) and only the
 * signals the rule reads, of the chosen vehicles. Layout and columns: services/archive/README.md.
 *
 * Hours are read in event-time order, one DuckDB query per (hour, model): the rows come sorted by vehicle, event
 * time and device sequence and go to `onRows` one DuckDB chunk (≤ 2048 rows) or one vehicle-hour at a time as typed
 * columns, valid during that call (views of DuckDB's vectors or of reused buffers). An hour
 * partition only holds samples of that hour, so hour after hour is event-time order for every vehicle.
 *
 * What DuckDB is asked for is kept to what it must do: the raw columns (no casts; the BIGINT event time becomes a
 * double here, from its two 32-bit halves), no vehicle number when there is one vehicle, and no event-time filter
 * for a file the manifest says lies inside the range (every hour of a backtest but its first and last).
 */
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection, type DuckDBDataChunk, type DuckDBVector } from '@duckdb/node-api';
import type pg from 'pg';
import { TelltaleError } from '@telltale/platform';
import { MergeBuffers, RunMerger, type MergerInput } from './run-merger.js';

export interface ArchivedFile {
  /** Relative to the archive directory. */
  readonly path: string;
  readonly modelId: string;
  readonly date: string;
  readonly hour: number;
  readonly rows: number;
  /** Event-time bounds of the file's rows (inclusive), from the manifest. */
  readonly minEventTimeMs: number;
  readonly maxEventTimeMs: number;
}

/** An in-memory DuckDB for reading the archive, and a connection to it; `close()` releases both. */
export async function openArchiveReader(options: {
  readonly threads: number;
  readonly memoryLimit?: string;
}): Promise<{ readonly db: DuckDBConnection; close(): void }> {
  const settings: Record<string, string> = { threads: String(options.threads) };
  if (options.memoryLimit) settings['memory_limit'] = options.memoryLimit;
  let instance: DuckDBInstance;
  try {
    instance = await DuckDBInstance.create(':memory:', settings);
  } catch (cause) {
    throw new TelltaleError('DUCKDB_UNAVAILABLE', `DuckDB did not start: ${(cause as Error).message}`, { cause });
  }
  const db = await instance.connect();
  return {
    db,
    close: () => {
      db.closeSync();
      instance.closeSync();
    },
  };
}

/** The committed files holding event times in [fromMs, toMs) of these models, oldest hour first. */
export async function archivedFiles(
  pool: Pick<pg.Pool, 'query'>,
  modelIds: readonly string[],
  fromMs: number,
  toMs: number,
): Promise<ArchivedFile[]> {
  try {
    const { rows } = await pool.query<{
      path: string;
      model_id: string;
      date: string;
      hour: number;
      rows: string;
      min_event_time_ms: string;
      max_event_time_ms: string;
    }>(
      `SELECT path, model_id, to_char(date, 'YYYY-MM-DD') AS date, hour, rows, min_event_time_ms, max_event_time_ms
       FROM archive_files
       WHERE model_id = ANY($1) AND max_event_time_ms >= $2 AND min_event_time_ms < $3
       ORDER BY date, hour, model_id, path`,
      [modelIds, fromMs, toMs],
    );
    return rows.map((r) => ({
      path: r.path,
      modelId: r.model_id,
      date: r.date,
      hour: Number(r.hour),
      rows: Number(r.rows),
      minEventTimeMs: Number(r.min_event_time_ms),
      maxEventTimeMs: Number(r.max_event_time_ms),
    }));
  } catch (cause) {
    throw new TelltaleError(
      'BACKTEST_ARCHIVE_UNAVAILABLE',
      `Reading the archive manifest failed: ${(cause as Error).message}`,
      {
        retryable: true,
        cause,
      },
    );
  }
}

/** Files of one model in one hour: one query. */
export interface HourGroup {
  readonly modelId: string;
  readonly date: string;
  readonly hour: number;
  readonly files: readonly ArchivedFile[];
  readonly rows: number;
}

export function groupByHour(files: readonly ArchivedFile[]): HourGroup[] {
  const groups: HourGroup[] = [];
  for (const f of files) {
    const last = groups[groups.length - 1];
    if (last !== undefined && last.modelId === f.modelId && last.date === f.date && last.hour === f.hour) {
      (last.files as ArchivedFile[]).push(f);
      (last as { rows: number }).rows += f.rows;
    } else groups.push({ modelId: f.modelId, date: f.date, hour: f.hour, files: [f], rows: f.rows });
  }
  return groups;
}

/** Vehicles and signals of one model to read. */
export interface ModelSelection {
  readonly modelId: string;
  /** Index in this list = the vehicle number `onRows` gets. */
  readonly vins: readonly string[];
  readonly signalIds: readonly number[];
}

/** One chunk of rows of one model, sorted by vehicle, event time, device sequence. */
export interface SampleColumns {
  readonly modelId: string;
  /** Every row of one vehicle in this hour group (else: a chunk, whose last event time may continue). */
  readonly wholeVehicle: boolean;
  readonly rows: number;
  /** Index into the model's `vins`. */
  readonly vehicle: Uint32Array;
  readonly signalId: Uint32Array;
  readonly eventTimeMs: Float64Array;
  readonly value: Float64Array;
}

export interface ReadOptions {
  readonly archiveDir: string;
  readonly fromMs: number;
  readonly toMs: number;
  readonly signal?: AbortSignal;
  /** Reused across the hour groups of one backtest (default: fresh buffers per call). */
  readonly buffers?: MergeBuffers;
}

const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/** Numbers the ENUM types of concurrent reads on one database. */
let typeSeq = 0;

const sqlString = (value: string): string => `'${value.replaceAll("'", "''")}'`;

/**
 * Reads one hour group's rows of the selected vehicles and signals; resolves with the row count. Stops (rejects
 * with the signal's reason) when `signal` aborts; DuckDB's running query is interrupted.
 *
 * A group of one file (a compacted hour, or an hour one flush wrote) is already sorted by vin, signal id and event
 * time: it is read in file order, and each vehicle's runs (one per signal) are merged by time (RunMerger), which
 * costs less than a sort. Several files are sorted by DuckDB. Both give the same order: vehicle, event time, signal
 * id, then value and device sequence (the archive's tie order).
 */
export async function readHourGroup(
  db: DuckDBConnection,
  group: HourGroup,
  selection: ModelSelection,
  o: ReadOptions,
  onRows: (columns: SampleColumns) => void,
): Promise<number> {
  if (selection.vins.length === 0 || selection.signalIds.length === 0) return 0;
  const files = group.files.map((f) => sqlString(join(o.archiveDir, f.path))).join(', ');
  const ids = selection.signalIds.map((id) => Math.trunc(id)).join(', ');
  const vins = selection.vins.map(sqlString).join(', ');
  const presorted = group.files.length === 1;
  // Several vehicles: an ENUM of them, whose cast is a hash lookup that numbers each row's vehicle (an index into
  // `vins`). One vehicle (the common backtest): its number is 0, not read at all, and `vin = …` is a filter the
  // Parquet reader applies itself, with the row groups' min/max statistics.
  const one = selection.vins.length === 1;
  const vinType = one ? undefined : `backtest_vin_${++typeSeq}`;
  if (vinType !== undefined) await db.run(`CREATE TYPE ${vinType} AS ENUM (${vins})`);
  const inside = group.files.every((f) => f.minEventTimeMs >= o.fromMs && f.maxEventTimeMs < o.toMs);
  const timeFilter = inside
    ? ''
    : `AND event_time_ms >= ${Math.trunc(o.fromMs)} AND event_time_ms < ${Math.trunc(o.toMs)}`;
  const sql = `
    SELECT signal_id, event_time_ms, value${vinType === undefined ? '' : `, enum_code(vin::${vinType})::UINTEGER AS vi`}
    FROM read_parquet([${files}], hive_partitioning = false)
    WHERE ${one ? `vin = ${vins}` : `vin IN (${vins})`} AND signal_id IN (${ids}) ${timeFilter}
    ${presorted ? '' : `ORDER BY ${one ? '' : 'vi, '}event_time_ms, signal_id, value, device_seq`}`;
  const merger = presorted ? new RunMerger(group.modelId, onRows, o.buffers) : undefined;
  const scratch = o.buffers ?? new MergeBuffers();
  const abort = (): void => db.interrupt();
  o.signal?.addEventListener('abort', abort);
  try {
    o.signal?.throwIfAborted();
    let rows = 0;
    const take = (chunk: DuckDBDataChunk): void => {
      rows += chunk.rowCount;
      if (merger) merger.add(rawColumnsOf(chunk, one));
      else onRows(columnsOf(group.modelId, chunk, one, scratch));
    };
    if (one) {
      // One vehicle-hour is held whole anyway (RunMerger): one materialized result costs one hop to DuckDB's worker
      // instead of one per 2,048 rows. Several vehicles stream, so memory stays one vehicle-hour.
      const result = await db.run(sql);
      for (let i = 0; i < result.chunkCount; i++) {
        o.signal?.throwIfAborted();
        take(result.getChunk(i));
      }
    } else {
      const result = await db.stream(sql);
      for (;;) {
        o.signal?.throwIfAborted();
        const chunk = await result.fetchChunk();
        if (chunk === null || chunk.rowCount === 0) break;
        take(chunk);
      }
    }
    merger?.end();
    return rows;
  } catch (cause) {
    if (o.signal?.aborted) throw o.signal.reason;
    throw new TelltaleError(
      'BACKTEST_ARCHIVE_READ_FAILED',
      `Reading ${group.files.length} archive file(s) of ${group.modelId} ${group.date} ${group.hour}h failed: ` +
        (cause as Error).message,
      { retryable: false, cause },
    );
  } finally {
    o.signal?.removeEventListener('abort', abort);
    if (vinType !== undefined) await db.run(`DROP TYPE IF EXISTS ${vinType}`).catch(() => undefined);
  }
}

/** Columns signal_id, event_time_ms, value (, vi unless `one`) of a chunk; times and zeros go to `scratch`. */
function columnsOf(modelId: string, chunk: DuckDBDataChunk, one: boolean, scratch: MergeBuffers): SampleColumns {
  const rows = chunk.rowCount;
  return {
    modelId,
    wholeVehicle: false,
    rows,
    vehicle: one ? scratch.chunkZeros.subarray(0, rows) : itemsOf(chunk.getColumnVector(3), Uint32Array),
    signalId: itemsOf(chunk.getColumnVector(0), Uint32Array),
    eventTimeMs: timesOf(chunk.getColumnVector(1), rows, scratch.chunkTimes),
    value: itemsOf(chunk.getColumnVector(2), Float64Array),
  };
}

/** Columns signal_id, event_time_ms (as DuckDB holds it), value (, vi unless `one`) of a chunk, for a RunMerger. */
function rawColumnsOf(chunk: DuckDBDataChunk, one: boolean): MergerInput {
  const times = chunk.getColumnVector(1);
  const items = (times as unknown as { items?: unknown }).items;
  return {
    rows: chunk.rowCount,
    vehicle: one ? undefined : itemsOf(chunk.getColumnVector(3), Uint32Array),
    signalId: itemsOf(chunk.getColumnVector(0), Uint32Array),
    eventTimeMs:
      items instanceof BigInt64Array ? items : timesOf(times, chunk.rowCount, new Float64Array(chunk.rowCount)),
    value: itemsOf(chunk.getColumnVector(2), Float64Array),
  };
}

/**
 * A BIGINT vector of event times (ms) as doubles, into `into`: from the two 32-bit halves of each value, exact below
 * 2^53 ms, without a BigInt per row (a DOUBLE cast in the query cost DuckDB more than this loop).
 */
function timesOf(vector: DuckDBVector, rows: number, into: Float64Array): Float64Array {
  const items = (vector as unknown as { items?: unknown }).items;
  const out = into.length >= rows ? into.subarray(0, rows) : new Float64Array(rows);
  if (items instanceof BigInt64Array && LITTLE_ENDIAN) {
    const halves = new Int32Array(items.buffer, items.byteOffset, rows * 2);
    for (let i = 0; i < rows; i++) out[i] = halves[2 * i + 1]! * 4294967296 + (halves[2 * i]! >>> 0);
  } else for (let i = 0; i < rows; i++) out[i] = Number(vector.getItem(i));
  return out;
}

/**
 * A fixed-width vector's values as the typed array DuckDB's node-api already holds (a view of the chunk's memory,
 * no copy); its `items` field is not in the type declarations, so it is checked here. Our columns have no NULLs
 * (the query selects NOT NULL archive columns and the vehicle number is filtered to ≥ 0).
 */
function itemsOf<T extends Uint32Array | Float64Array>(
  vector: DuckDBVector,
  kind: { new (length: number): T; prototype: T },
): T {
  const items = (vector as unknown as { items?: unknown }).items;
  if (items instanceof kind) return items;
  const copy = new kind(vector.itemCount);
  for (let i = 0; i < copy.length; i++) copy[i] = Number(vector.getItem(i));
  return copy;
}
