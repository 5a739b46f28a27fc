/**
 * One poll's worth of decoded signal batches → the rows to write. Pure.
 *
 * Event times are compared in µs (the frame's time: ms plus the µs within it, SignalBatch field 13), so two samples
 * of one signal within one millisecond are two samples.
 *
 * - latest: one row per (vin, signal id) carrying the sample with the newest event time in the input (ties keep the
 *   first seen, so a replayed duplicate changes nothing), sorted by (vin, signal id) so concurrent writers lock rows
 *   in the same order.
 * - history: samples bucketed per (vin, signal, bucket of the resolution, aligned to the UTC day), one sample kept
 *   per bucket by history-order.ts's rule (the newest event time; ties by value, receive time, catalog version: the
 *   same rule the history blocks merge by, so it does not matter which poll a sample arrives in); resolution 0 keeps
 *   every sample, to the µs, and exact duplicates (same signal and µs) collapse.
 * - quarantined: samples whose event time is further in the future than `maxFutureMs` (a device clock gone wrong):
 *   neither latest nor history.
 * - expired: samples older than the history retention: they may still update latest, never history.
 */
import { bucketIndex, sampleWins } from './history-order.js';

export interface DecodedBatch {
  readonly vin: string;
  readonly modelId: string;
  readonly catalogVersion: string;
  readonly baseTimeMsEpoch: number;
  readonly receiveTimeMs: number;
  readonly signalId: ArrayLike<number>;
  readonly value: ArrayLike<number>;
  readonly timeOffsetMs: ArrayLike<number>;
  /** µs within the ms (0-999) per sample; absent: all 0. */
  readonly timeSubMsUs?: ArrayLike<number>;
}

export interface LatestRows {
  readonly vin: string[];
  readonly signalId: number[];
  readonly value: number[];
  readonly eventTimeMs: number[];
  readonly eventTimeSubMsUs: number[];
  readonly receiveTimeMs: number[];
  readonly modelId: string[];
  readonly catalogVersion: string[];
}

/** No latest rows: for writes of history alone (seeding, benches). */
export function emptyLatestRows(): LatestRows {
  return {
    vin: [],
    signalId: [],
    value: [],
    eventTimeMs: [],
    eventTimeSubMsUs: [],
    receiveTimeMs: [],
    modelId: [],
    catalogVersion: [],
  };
}

/** No history rows yet, coalesced at `resolutionMs`. */
export function emptyHistoryRows(resolutionMs: number): HistoryRows {
  return {
    resolutionMs,
    vin: [],
    signalId: [],
    eventTimeMs: [],
    eventTimeSubMsUs: [],
    value: [],
    receiveTimeMs: [],
    catalogVersion: [],
  };
}

export interface HistoryRows {
  /** The bucket width the rows were coalesced at (the store packs them into blocks at it); absent: 0. */
  readonly resolutionMs?: number;
  readonly vin: string[];
  readonly signalId: number[];
  readonly eventTimeMs: number[];
  readonly eventTimeSubMsUs: number[];
  readonly value: number[];
  readonly receiveTimeMs: number[];
  readonly catalogVersion: string[];
}

export interface QuarantinedSample {
  readonly batch: DecodedBatch;
  readonly index: number;
}

export interface Coalesced {
  readonly latest: LatestRows;
  readonly history: HistoryRows;
  readonly quarantined: readonly QuarantinedSample[];
  readonly expired: number;
  readonly samples: number;
}

export interface CoalesceOptions {
  readonly nowMs: number;
  readonly maxFutureMs: number;
  /** History keeps the last sample per signal in each bucket of this many ms; 0 keeps every sample. */
  readonly historyResolutionMs: number;
  /** Samples with event time before this are not written to history (outside retention). */
  readonly historyFromMs: number;
}

/**
 * Bucket offsets within one poll must fit below this, and signal ids below MAX_NUMERIC_ID, for the numeric history
 * key (else string keys are used): 2^32 µs is 71 minutes of event time, and the product stays below 2^53.
 */
const BUCKET_SPAN = 2 ** 32;
const MAX_NUMERIC_ID = 2 ** 20;

/**
 * Per vehicle: dense typed arrays indexed by signal id for the newest sample (no object per sample), and history
 * buckets keyed by a number (signal id × 2^32 + bucket offset) mapping to slots in flat arrays. Times are µs.
 */
class VehicleState {
  readonly touched: number[] = [];
  readonly time: Float64Array;
  readonly value: Float64Array;
  readonly receive: Float64Array;
  readonly source: Int32Array;
  /** Fast path: the bucket a signal's last sample fell in and its slot (samples mostly arrive in time order). */
  readonly lastBucket: Float64Array;
  readonly lastSlot: Int32Array;
  readonly bucketSlot = new Map<number | string, number>();
  historyId: number[] = [];
  historyTime: number[] = [];
  historyValue: number[] = [];
  historyReceive: number[] = [];
  historySource: number[] = [];

  constructor(
    readonly vin: string,
    size: number,
  ) {
    this.time = new Float64Array(size).fill(-Infinity);
    this.value = new Float64Array(size);
    this.receive = new Float64Array(size);
    this.source = new Int32Array(size);
    this.lastBucket = new Float64Array(size).fill(NaN);
    this.lastSlot = new Int32Array(size);
  }
}

export function coalesce(batches: readonly DecodedBatch[], options: CoalesceOptions): Coalesced {
  // Size each vehicle's arrays and find the poll's bucket range first.
  const sizes = new Map<string, number>();
  const resolution = options.historyResolutionMs;
  let minBucket = Infinity;
  let maxBucket = -Infinity;
  let maxId = 0;
  for (const batch of batches) {
    let max = sizes.get(batch.vin) ?? 0;
    const ids = batch.signalId;
    for (let i = 0; i < ids.length; i++) if (ids[i]! >= max) max = ids[i]! + 1;
    sizes.set(batch.vin, max);
    if (max > maxId) maxId = max;
    const offsets = batch.timeOffsetMs;
    if (offsets.length > 0) {
      let lo = Infinity;
      let hi = -Infinity;
      for (let i = 0; i < offsets.length; i++) {
        if (offsets[i]! < lo) lo = offsets[i]!;
        if (offsets[i]! > hi) hi = offsets[i]!;
      }
      const from = bucketIndex((batch.baseTimeMsEpoch + lo) * 1000, resolution);
      const to = bucketIndex((batch.baseTimeMsEpoch + hi) * 1000 + 999, resolution);
      if (from < minBucket) minBucket = from;
      if (to > maxBucket) maxBucket = to;
    }
  }
  const numericKeys = maxBucket - minBucket < BUCKET_SPAN && maxId <= MAX_NUMERIC_ID;
  const vehicles = new Map<string, VehicleState>();
  const quarantined: QuarantinedSample[] = [];
  const limit = options.nowMs + options.maxFutureMs;
  let expired = 0;
  let samples = 0;
  for (let b = 0; b < batches.length; b++) {
    const batch = batches[b]!;
    let state = vehicles.get(batch.vin);
    if (!state) {
      state = new VehicleState(batch.vin, sizes.get(batch.vin) ?? 0);
      vehicles.set(batch.vin, state);
    }
    expired += ingest(
      state,
      batch,
      b,
      batches,
      limit,
      resolution,
      options.historyFromMs,
      numericKeys,
      minBucket,
      quarantined,
    );
    samples += batch.signalId.length;
  }

  const latest = emptyLatestRows();
  const history = emptyHistoryRows(resolution);
  for (const vin of [...vehicles.keys()].sort()) {
    const state = vehicles.get(vin)!;
    emitLatest(state, batches, latest);
    emitHistory(state, batches, history);
  }
  return { latest, history, quarantined, expired, samples };
}

// The per-sample loop and the two output loops are functions of their own: V8 optimises each alone. As one function
// with the pre-pass, the optimised code deoptimised ("out of bounds") over and over, ~128 times per 100 polls of 10
// premium EVs, and most samples ran in the interpreter (the store's main cost at 10 EVs; bench/coalesce.ts).

/** Appends one vehicle's newest sample per touched signal, sorted by signal id. */
function emitLatest(state: VehicleState, batches: readonly DecodedBatch[], latest: LatestRows): void {
  const vin = state.vin;
  const ids = state.touched.sort((a, b) => a - b);
  for (let k = 0; k < ids.length; k++) {
    const id = ids[k]!;
    const source = batches[state.source[id]!]!;
    latest.vin.push(vin);
    latest.signalId.push(id);
    latest.value.push(state.value[id]!);
    const us = state.time[id]!;
    const ms = Math.floor(us / 1000);
    latest.eventTimeMs.push(ms);
    latest.eventTimeSubMsUs.push(us - ms * 1000);
    latest.receiveTimeMs.push(state.receive[id]!);
    latest.modelId.push(source.modelId);
    latest.catalogVersion.push(source.catalogVersion);
  }
}

/** Appends one vehicle's kept history samples, sorted by (signal id, event time). */
function emitHistory(state: VehicleState, batches: readonly DecodedBatch[], history: HistoryRows): void {
  const vin = state.vin;
  const n = state.historyId.length;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  const hid = state.historyId;
  const htime = state.historyTime;
  order.sort((a, b) => hid[a]! - hid[b]! || htime[a]! - htime[b]!);
  for (let k = 0; k < n; k++) {
    const i = order[k]!;
    history.vin.push(vin);
    history.signalId.push(hid[i]!);
    const us = htime[i]!;
    const ms = Math.floor(us / 1000);
    history.eventTimeMs.push(ms);
    history.eventTimeSubMsUs.push(us - ms * 1000);
    history.value.push(state.historyValue[i]!);
    history.receiveTimeMs.push(state.historyReceive[i]!);
    history.catalogVersion.push(batches[state.historySource[i]!]!.catalogVersion);
  }
}

/** One batch's samples into its vehicle's state; returns how many were too old for history (expired). */
function ingest(
  state: VehicleState,
  batch: DecodedBatch,
  b: number,
  batches: readonly DecodedBatch[],
  limit: number,
  resolution: number,
  historyFromMs: number,
  numericKeys: boolean,
  minBucket: number,
  quarantined: QuarantinedSample[],
): number {
  const { signalId, value, timeOffsetMs, timeSubMsUs, baseTimeMsEpoch, receiveTimeMs } = batch;
  const n = signalId.length;
  let expired = 0;
  for (let i = 0; i < n; i++) {
    const ms = baseTimeMsEpoch + timeOffsetMs[i]!;
    if (ms > limit) {
      quarantined.push({ batch, index: i });
      continue;
    }
    const time = ms * 1000 + (timeSubMsUs === undefined ? 0 : timeSubMsUs[i]!);
    const id = signalId[i]!;
    const v = value[i]!;
    const newest = state.time[id]!;
    if (time > newest) {
      if (newest === -Infinity) state.touched.push(id);
      state.time[id] = time;
      state.value[id] = v;
      state.receive[id] = receiveTimeMs;
      state.source[id] = b;
    }
    if (ms < historyFromMs) {
      expired += 1;
      continue;
    }
    const bucket = bucketIndex(time, resolution);
    let slot: number | undefined;
    if (state.lastBucket[id] === bucket) slot = state.lastSlot[id]!;
    else {
      const key = numericKeys ? id * BUCKET_SPAN + (bucket - minBucket) : `${id}:${bucket}`;
      slot = state.bucketSlot.get(key);
      if (slot === undefined) {
        slot = state.historyId.length;
        state.bucketSlot.set(key, slot);
      }
      state.lastBucket[id] = bucket;
      state.lastSlot[id] = slot;
    }
    if (slot === state.historyId.length) {
      state.historyId.push(id);
      state.historyTime.push(time);
      state.historyValue.push(v);
      state.historyReceive.push(receiveTimeMs);
      state.historySource.push(b);
    } else if (
      sampleWins(
        time,
        v,
        receiveTimeMs,
        batch.catalogVersion,
        state.historyTime[slot]!,
        state.historyValue[slot]!,
        state.historyReceive[slot]!,
        batches[state.historySource[slot]!]!.catalogVersion,
      )
    ) {
      state.historyTime[slot] = time;
      state.historyValue[slot] = v;
      state.historyReceive[slot] = receiveTimeMs;
      state.historySource[slot] = b;
    }
  }
  return expired;
}

const DAY_MS = 86_400_000;

/** UTC day numbers (ms since epoch / day) covered by the history rows: the partitions they need. */
export function historyDays(history: HistoryRows): number[] {
  const days = new Set<number>();
  for (const t of history.eventTimeMs) days.add(Math.floor(t / DAY_MS));
  return [...days].sort((a, b) => a - b);
}

export function dayPartitionName(day: number): string {
  const d = new Date(day * DAY_MS);
  const month = String(d.getUTCMonth() + 1).padStart(2, '0');
  return `signal_history_block_${d.getUTCFullYear()}${month}${String(d.getUTCDate()).padStart(2, '0')}`;
}

/** The day a partition name stands for, or undefined for names that are not day partitions. */
export function partitionDay(name: string): number | undefined {
  const m = /^signal_history_block_(\d{4})(\d{2})(\d{2})$/.exec(name);
  if (!m) return undefined;
  return Math.floor(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) / DAY_MS);
}

export { DAY_MS };
