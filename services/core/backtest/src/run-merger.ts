/**
 * Rows of one archive file (sorted by vehicle, signal, event time) → each vehicle's rows in event-time order.
 *
 *   const merger = new RunMerger(modelId, (columns) => replay.ingestRun(…), buffers);
 *   merger.add(chunk);   // DuckDB chunks in file order: event times as BIGINT (or doubles), vehicle numbers or none
 *   merger.end();        // the last vehicle
 *
 * A vehicle's rows are contiguous in a file: they are collected (ids and values copied whole, the event times
 * converted from BIGINT while the runs are found in the same pass), then its runs (one per signal: a run ends where
 * the signal changes or the time goes back) are merged by time, two at a time. Ties keep run order: ascending signal
 * id in an archive file, the order DuckDB's `ORDER BY event_time_ms, signal_id, …` gives for a file's rows.
 *
 * Memory: one vehicle-hour of the rule's signals, in buffers reused from vehicle to vehicle and hour to hour
 * (MergeBuffers), so the columns handed to `onRows` are valid only during that call.
 */
import { SampleBuffer } from './sample-buffer.js';
import type { SampleColumns } from './archive-samples.js';

/** One chunk of rows as the merger takes them (a SampleColumns also fits). */
export interface MergerInput {
  readonly rows: number;
  /** Vehicle number per row; undefined: every row is vehicle 0 (one vehicle read). */
  readonly vehicle?: Uint32Array | undefined;
  readonly signalId: Uint32Array;
  /** Event times in ms: DuckDB's BIGINT vector as it is, or doubles. */
  readonly eventTimeMs: BigInt64Array | Float64Array;
  readonly value: Float64Array;
}

const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/** DuckDB's vector size: a chunk holds at most this many rows. */
export const CHUNK_ROWS = 2048;

/** The buffers of a RunMerger: one set per backtest, reused hour after hour (they grow to a vehicle-hour once). */
export class MergeBuffers {
  /** A vehicle's rows in file order. */
  readonly rows = new SampleBuffer();
  readonly merged = new SampleBuffer();
  /** The other side of the pairwise merges. */
  readonly between = new SampleBuffer();
  /** Where each run starts in `rows`. */
  runStarts = new Int32Array(64);
  /** The vehicle number column handed on; `vehicleFill` is the value its first `vehicleFilled` rows hold. */
  vehicle = new Uint32Array(0);
  vehicleFill = -1;
  vehicleFilled = 0;
  /** For rows DuckDB sorted (not merged here): one chunk's event times as doubles, and its vehicle numbers (0). */
  readonly chunkTimes = new Float64Array(CHUNK_ROWS);
  readonly chunkZeros = new Uint32Array(CHUNK_ROWS);

  /** Room for `runs` runs. */
  reserveRuns(runs: number): void {
    if (this.runStarts.length >= runs) return;
    const size = Math.max(runs, this.runStarts.length * 2);
    const starts = new Int32Array(size);
    starts.set(this.runStarts);
    this.runStarts = starts;
  }

  /** A column of n rows, all `vehicle`. */
  vehicleColumn(vehicle: number, n: number): Uint32Array {
    if (this.vehicle.length < n) {
      this.vehicle = new Uint32Array(Math.max(n, this.vehicle.length * 2));
      this.vehicleFill = 0;
      this.vehicleFilled = this.vehicle.length;
    }
    if (this.vehicleFill !== vehicle || this.vehicleFilled < n) {
      this.vehicle.fill(vehicle);
      this.vehicleFill = vehicle;
      this.vehicleFilled = this.vehicle.length;
    }
    return this.vehicle.subarray(0, n);
  }
}

export class RunMerger {
  private vehicle = -1;
  private readonly rows: SampleBuffer;
  /** Runs found so far in `rows` (their starts are buffers.runStarts[0..runs-1]). */
  private runs = 0;

  constructor(
    private readonly modelId: string,
    private readonly onRows: (columns: SampleColumns) => void,
    private readonly buffers = new MergeBuffers(),
  ) {
    this.rows = buffers.rows;
    this.rows.length = 0; // whatever a cancelled read left behind
  }

  add(c: MergerInput): void {
    const n = c.rows;
    const vehicles = c.vehicle;
    if (vehicles === undefined) {
      if (this.vehicle !== 0) this.switchTo(0);
      this.append(c, 0, n);
      return;
    }
    let start = 0;
    while (start < n) {
      const v = vehicles[start]!;
      let end = start + 1;
      // A vehicle's rows are contiguous: when the chunk ends with this vehicle, all of the rest is this vehicle.
      if (vehicles[n - 1] === v) end = n;
      else while (end < n && vehicles[end] === v) end++;
      if (v !== this.vehicle) this.switchTo(v);
      this.append(c, start, end);
      start = end;
    }
  }

  /** The current vehicle's rows are complete: merge and hand them on. */
  end(): void {
    const rows = this.rows;
    const n = rows.length;
    if (n === 0) return;
    const b = this.buffers;
    const merged =
      this.runs === 1
        ? {
            signalId: rows.ids.subarray(0, n),
            eventTimeMs: rows.times.subarray(0, n),
            value: rows.values.subarray(0, n),
          }
        : mergeRunsAt(rows.ids, rows.times, rows.values, n, b, this.runs, b.merged);
    const vehicle = b.vehicleColumn(this.vehicle, n);
    this.onRows({ modelId: this.modelId, wholeVehicle: true, rows: n, vehicle, ...merged });
    rows.length = 0;
    this.runs = 0;
  }

  private switchTo(vehicle: number): void {
    this.end();
    this.vehicle = vehicle;
  }

  /** Appends rows start..end-1 of a chunk: ids and values copied whole, times converted while runs are found. */
  private append(c: MergerInput, start: number, end: number): void {
    const count = end - start;
    if (count <= 0) return;
    const rows = this.rows;
    const at = rows.length;
    rows.reserve(at + count);
    rows.ids.set(c.signalId.subarray(start, end), at);
    rows.values.set(c.value.subarray(start, end), at);
    rows.length = at + count;
    this.buffers.reserveRuns(this.runs + count);
    this.runs = appendTimes(c.eventTimeMs, start, count, rows.ids, rows.times, at, this.buffers.runStarts, this.runs);
  }
}

/**
 * Writes `count` event times from `source[start…]` to `times[at…]` and records in `starts` (from `runs`) every row
 * that starts a run: the first row, and each row whose signal differs from the row before or whose time is earlier.
 * Returns the new run count. A BIGINT time becomes a double from its two 32-bit halves, exact below 2^53 ms, without
 * a BigInt per row (a DOUBLE cast in the query cost DuckDB more than this loop).
 */
function appendTimes(
  source: BigInt64Array | Float64Array,
  start: number,
  count: number,
  ids: Uint32Array,
  times: Float64Array,
  at: number,
  starts: Int32Array,
  runs: number,
): number {
  let prevId = at > 0 ? ids[at - 1]! : -1; // no id is -1: the first row starts a run
  let prevTime = at > 0 ? times[at - 1]! : -Infinity;
  if (source instanceof BigInt64Array && LITTLE_ENDIAN) {
    const halves = new Int32Array(source.buffer, source.byteOffset + start * 8, count * 2);
    for (let i = 0, p = at; i < count; i++, p++) {
      const t = halves[2 * i + 1]! * 4294967296 + (halves[2 * i]! >>> 0);
      times[p] = t;
      const id = ids[p]!;
      if (id !== prevId || t < prevTime) starts[runs++] = p;
      prevId = id;
      prevTime = t;
    }
  } else {
    for (let i = 0, p = at; i < count; i++, p++) {
      const t = Number(source[start + i]!);
      times[p] = t;
      const id = ids[p]!;
      if (id !== prevId || t < prevTime) starts[runs++] = p;
      prevId = id;
      prevTime = t;
    }
  }
  return runs;
}

/**
 * Rows 0..n-1 made of runs, each sorted by time (a run ends where the time goes back or the signal changes), merged
 * into one time-ordered list; equal times keep run order. Written into `into` (grown as needed); the result is views
 * of exactly n rows.
 */
export function mergeRuns(
  ids: Uint32Array,
  times: Float64Array,
  values: Float64Array,
  n: number,
  into: SampleBuffer = new SampleBuffer(Math.max(1, n)),
  buffers: MergeBuffers = new MergeBuffers(),
): { signalId: Uint32Array; eventTimeMs: Float64Array; value: Float64Array } {
  buffers.reserveRuns(n);
  const starts = buffers.runStarts;
  let runs = 0;
  for (let i = 0; i < n; i++) if (i === 0 || ids[i] !== ids[i - 1] || times[i]! < times[i - 1]!) starts[runs++] = i;
  return mergeRunsAt(ids, times, values, n, buffers, runs, into);
}

/**
 * The merge of `runs` runs starting at buffers.runStarts: two at a time (the first two, then that with the third,
 * …), each a tight two-way loop, the last one landing in `into`; `buffers.between` holds the ones before. For the
 * few signals a rule reads this beats picking the earliest of k heads for every row (measured: a one-pass k-way
 * merge cost 10 % more per row for 3 runs, twice as much for 2), and taking the left side on a tie keeps run order.
 */
function mergeRunsAt(
  ids: Uint32Array,
  times: Float64Array,
  values: Float64Array,
  n: number,
  buffers: MergeBuffers,
  runs: number,
  into: SampleBuffer,
): { signalId: Uint32Array; eventTimeMs: Float64Array; value: Float64Array } {
  into.reserve(n);
  into.length = n;
  const starts = buffers.runStarts;
  const source: Columns = { ids, times, values };
  if (runs <= 1) {
    into.ids.set(ids.subarray(0, n));
    into.times.set(times.subarray(0, n));
    into.values.set(values.subarray(0, n));
  } else {
    const between = buffers.between;
    if (runs > 2) between.reserve(n);
    // Merge r (of runs 0..r-1 so far with run r) writes where the last one lands in `into`.
    let from: Columns = source;
    for (let r = 1; r < runs; r++) {
      const to = (runs - 1 - r) % 2 === 0 ? into : between;
      const end = r + 1 < runs ? starts[r + 1]! : n;
      mergeTwo(from, 0, starts[r]!, source, starts[r]!, end, to);
      from = to;
    }
  }
  return {
    signalId: into.ids.subarray(0, n),
    eventTimeMs: into.times.subarray(0, n),
    value: into.values.subarray(0, n),
  };
}

interface Columns {
  readonly ids: Uint32Array;
  readonly times: Float64Array;
  readonly values: Float64Array;
}

/** Merges rows a..aEnd-1 of `a` and b..bEnd-1 of `b` (each sorted by time) into `to` from row 0; ties take `a`. */
function mergeTwo(a: Columns, i: number, aEnd: number, b: Columns, j: number, bEnd: number, to: Columns): void {
  const { ids: aIds, times: aTimes, values: aValues } = a;
  const { ids: bIds, times: bTimes, values: bValues } = b;
  const { ids: oIds, times: oTimes, values: oValues } = to;
  let o = 0;
  while (i < aEnd && j < bEnd) {
    const ta = aTimes[i]!;
    const tb = bTimes[j]!;
    if (tb < ta) {
      oIds[o] = bIds[j]!;
      oTimes[o] = tb;
      oValues[o++] = bValues[j++]!;
    } else {
      oIds[o] = aIds[i]!;
      oTimes[o] = ta;
      oValues[o++] = aValues[i++]!;
    }
  }
  if (i < aEnd) {
    oIds.set(aIds.subarray(i, aEnd), o);
    oTimes.set(aTimes.subarray(i, aEnd), o);
    oValues.set(aValues.subarray(i, aEnd), o);
  } else if (j < bEnd) {
    oIds.set(bIds.subarray(j, bEnd), o);
    oTimes.set(bTimes.subarray(j, bEnd), o);
    oValues.set(bValues.subarray(j, bEnd), o);
  }
}
