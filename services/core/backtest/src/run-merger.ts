/**
 * Rows of one archive file (sorted by vehicle, signal, event time) → each vehicle's rows in event-time order.
 *
 *   const merger = new RunMerger(modelId, (columns) => replay.ingestRun(…), buffers);
 *   merger.add(chunk);   // DuckDB chunks in file order: event times as BIGINT (or doubles), vehicle numbers or none
 *   merger.end();        // the last vehicle
 *
 * A vehicle's rows are contiguous in a file: they are collected (ids and values copied whole, the event times
 * converted from BIGINT while the runs are found in the same pass), then its runs (one per signal: a run ends where
 * the signal changes or the time goes back) are merged by time in one pass. Ties keep run order: ascending signal id
 * in an archive file, the order DuckDB's `ORDER BY event_time_ms, signal_id, …` gives for a file's rows.
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
  /** Where each run starts in `rows`. */
  runStarts = new Int32Array(64);
  /** Per run while merging: next row, end, and the time of the next row. */
  runPos = new Int32Array(64);
  runEnd = new Int32Array(64);
  runHead = new Float64Array(64);
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
    this.runPos = new Int32Array(size);
    this.runEnd = new Int32Array(size);
    this.runHead = new Float64Array(size);
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
 * The merge of `runs` runs starting at buffers.runStarts, in one pass: the run with the earliest next row (the
 * lowest run on a tie) hands on its rows up to the next row of the runner-up, so a slow signal beside a fast one is
 * copied in blocks. Each step scans the runs' next times: a rule reads few signals, so this beats a heap. A run
 * that is done leaves the list, so every step hands on at least one row.
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
  const { runStarts: starts, runPos: pos, runEnd: ends, runHead: head } = buffers;
  for (let r = 0; r < runs; r++) {
    pos[r] = starts[r]!;
    ends[r] = r + 1 < runs ? starts[r + 1]! : n;
    head[r] = times[pos[r]!]!;
  }
  const { ids: oIds, times: oTimes, values: oValues } = into;
  let o = 0;
  while (o < n) {
    // The earliest next row (w, at time wt) and the runner-up (bi, at bt), ties to the lower run.
    let w = 0;
    let wt = head[0]!;
    let bi = runs;
    let bt = Infinity;
    for (let r = 1; r < runs; r++) {
      const t = head[r]!;
      if (t < wt) {
        bi = w;
        bt = wt;
        w = r;
        wt = t;
      } else if (t < bt) {
        bi = r;
        bt = t;
      }
    }
    let p = pos[w]!;
    const end = ends[w]!;
    // Rows of w at the runner-up's time go first only when w is the lower run.
    const through = w < bi;
    do {
      oIds[o] = ids[p]!;
      oTimes[o] = times[p]!;
      oValues[o++] = values[p++]!;
    } while (p < end && (times[p]! < bt || (through && times[p] === bt)));
    if (p < end) {
      pos[w] = p;
      head[w] = times[p]!;
    } else {
      // Run w is done: the later runs move down one place, so the run order (for ties) stays.
      runs--;
      for (let r = w; r < runs; r++) {
        pos[r] = pos[r + 1]!;
        ends[r] = ends[r + 1]!;
        head[r] = head[r + 1]!;
      }
    }
  }
  return {
    signalId: oIds.subarray(0, n),
    eventTimeMs: oTimes.subarray(0, n),
    value: oValues.subarray(0, n),
  };
}
