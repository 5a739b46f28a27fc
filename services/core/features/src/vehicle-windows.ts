/**
 * One vehicle's feature windows in event time. Pure and deterministic: the same records in the same order give the
 * same windows, whatever the wall clock or the Kafka fetch sizes do — which is what lets a restart replay records
 * after a checkpoint without counting any window twice.
 *
 *   const windows = new VehicleWindows(vin, modelFeatureSet);
 *   const { closed, late } = windows.ingest(signalIds, values, timesMs);   // one SignalBatch record
 *   for (const w of closed) publish(w);                                      // windows the watermark passed
 *
 * - A feature's expression is evaluated whenever a signal it reads gets a sample (once per distinct event time), with
 *   the newest value of every other signal; the value is added to every window of the feature set containing that
 *   time: tumbling [k·W, (k+1)·W) or hopping [k·H, k·H + W).
 * - Watermark = newest event time of the vehicle − allowed lateness. A window closes (is emitted, once) when its end
 *   is at or below the watermark, checked after each record. A late sample whose windows are still open updates
 *   them (evaluated with its own value and the newest of the others); one whose windows all closed is counted and
 *   dropped.
 * - Aggregates are order-independent (sums, extremes, first/last by event time), so a late sample lands exactly as
 *   an on-time one would. time-above is (values above threshold / values) × window length in seconds.
 * - A feature with its own, longer window keeps one accumulator per hop slot ("pane") instead: a sample
 *   updates its slot's pane, and when a set window ending at E closes, the feature's value is its panes in
 *   [E − its window, E) combined — the same value a set with that window would give (vehicle-windows.property.test).
 *   Panes no open window can need are dropped at close. A sample is late only when the longest window containing it
 *   has closed; the set's windows take it while they are open.
 *
 * Hot path (every sample of a decoder-sized record passes here): which features read a signal and the latest value
 * of each signal they read are dense typed arrays indexed by the catalog's small stable signal ids, built once per
 * feature set (SetIndex); the open windows of the current hop slot are kept in a list, so a sample touches no Map and
 * allocates nothing.
 */
import { VehicleSignals, type EvalContext } from '@telltale/rules';
import type { ModelFeatureSet } from './compile.js';
import { PERCENTILES, type Aggregate } from './definition.js';
import { QuantileSketch, type QuantileSketchJson } from './quantile-sketch.js';

/** Accumulator slots per feature. */
const N = 0;
const SUM = 1;
const SUM_SQ = 2;
const MIN = 3;
const MAX = 4;
const T_FIRST = 5;
const V_FIRST = 6;
const T_LAST = 7;
const V_LAST = 8;
const N_ABOVE = 9;
const SLOTS = 10;

interface OpenWindow {
  readonly startMs: number;
  readonly acc: Float64Array;
  samples: number;
  /** Per feature, for the percentile aggregates only: its values' sketch. Undefined: the set has none. */
  readonly sketches: (QuantileSketch | undefined)[] | undefined;
}

export interface ClosedWindow {
  readonly vin: string;
  readonly modelId: string;
  readonly setId: string;
  readonly setVersion: number;
  readonly windowStartMs: number;
  readonly windowEndMs: number;
  /** One per feature of the set, in its order; NaN: no value in the window (or not defined, e.g. delta of one). */
  readonly values: Float64Array;
  /** Signal samples that contributed to the window. */
  readonly sampleCount: number;
}

export interface IngestOutcome {
  readonly closed: ClosedWindow[];
  /** Samples that arrived after every window they belong to had closed (dropped). */
  readonly late: number;
  /** Samples that arrived behind the newest event time but still counted. */
  readonly lateAccepted: number;
}

/**
 * A double as JSON without loss: JSON.stringify writes -0 as 0 and NaN / ±Infinity as null, and a restored value
 * must be the same double (a latest value of -0 divides to -Infinity, 0 to +Infinity), so those four are strings.
 * `null` (snapshots written before this encoding) reads as NaN.
 */
export type JsonDouble = number | 'NaN' | 'Infinity' | '-Infinity' | '-0' | null;

export function toJsonDouble(x: number): JsonDouble {
  if (Number.isFinite(x)) return Object.is(x, -0) ? '-0' : x;
  return Number.isNaN(x) ? 'NaN' : x > 0 ? 'Infinity' : '-Infinity';
}

export function fromJsonDouble(x: JsonDouble): number {
  if (typeof x === 'number') return x;
  if (x === null) return NaN;
  return x === '-0' ? -0 : Number(x);
}

export interface VehicleWindowsJson {
  readonly setId: string;
  readonly setVersion: number;
  readonly newestMs: number | null;
  readonly closedThroughMs: number | null;
  /** Only when some feature has its own window: [pane start, accumulators of those features]. */
  readonly panes?: readonly (readonly [number, readonly JsonDouble[]])[];
  readonly latest: readonly (readonly [number, JsonDouble, number])[];
  /** [start, samples, accumulators, percentile sketches per feature (only when the set has percentiles)]. */
  readonly windows: readonly (
    | readonly [number, number, readonly JsonDouble[]]
    | readonly [number, number, readonly JsonDouble[], readonly (QuantileSketchJson | null)[]]
  )[];
}

/** Per feature set, built once: signal id → features reading it and → dense slot of its latest value. */
interface SetIndex {
  /** Signal id → index into `readers`, -1: no feature reads it. Ids beyond its length: none. */
  readonly readerGroupOf: Int32Array;
  readonly readers: readonly Int32Array[];
  /** Signal id → slot in a vehicle's latest values, -1: not read. */
  readonly slotOf: Int32Array;
  /** Slot → signal id. */
  readonly idOf: Int32Array;
  /** Feature → quantile of its percentile aggregate, NaN for the others; undefined when the set has none. */
  readonly quantileOf: Float64Array | undefined;
  /** Feature → its slot in a pane (features with their own window), -1: in the set's windows. */
  readonly paneSlotOf: Int32Array;
  /** Features with their own window, by pane slot. */
  readonly paneFeatures: Int32Array;
  /** The longest window of the set (its own or a feature's). */
  readonly longestMs: number;
}

const indexes = new WeakMap<ModelFeatureSet, SetIndex>();

function setIndex(set: ModelFeatureSet): SetIndex {
  let index = indexes.get(set);
  if (index !== undefined) return index;
  const ids = [...set.bySignal.keys()].filter((id) => Number.isInteger(id) && id >= 0);
  const size = ids.length === 0 ? 0 : Math.max(...ids) + 1;
  const readerGroupOf = new Int32Array(size).fill(-1);
  const slotOf = new Int32Array(size).fill(-1);
  const readers: Int32Array[] = [];
  ids.forEach((id, slot) => {
    readerGroupOf[id] = readers.length;
    readers.push(Int32Array.from(set.bySignal.get(id)!));
    slotOf[id] = slot;
  });
  const quantiles = set.features.map((f) => PERCENTILES[f.aggregate] ?? NaN);
  const quantileOf = quantiles.some((q) => q === q) ? Float64Array.from(quantiles) : undefined;
  const paneFeatures = Int32Array.from(
    set.features.flatMap((f, i) => (f.windowMs !== set.windowMs && f.windowMs > 0 ? [i] : [])),
  );
  const paneSlotOf = new Int32Array(set.features.length).fill(-1);
  paneFeatures.forEach((f, slot) => (paneSlotOf[f] = slot));
  const longestMs = Math.max(set.windowMs, ...set.features.map((f) => (f.windowMs > 0 ? f.windowMs : 0)));
  index = {
    readerGroupOf,
    readers,
    slotOf,
    idOf: Int32Array.from(ids),
    quantileOf,
    paneSlotOf,
    paneFeatures,
    longestMs,
  };
  indexes.set(set, index);
  return index;
}

/** The latest value of each signal the feature set reads, in typed arrays; what the compiled expressions read. */
class LatestSignals extends VehicleSignals {
  readonly values: Float64Array;
  readonly timesMs: Float64Array;
  readonly seen: Uint8Array;

  constructor(private readonly slotOf: Int32Array) {
    super();
    const slots = slotOf.reduce((n, slot) => (slot >= 0 ? n + 1 : n), 0);
    this.values = new Float64Array(slots).fill(NaN);
    this.timesMs = new Float64Array(slots).fill(NaN);
    this.seen = new Uint8Array(slots);
  }

  override value(id: number): number {
    const slot = id < this.slotOf.length ? this.slotOf[id]! : -1;
    return slot < 0 || this.seen[slot] === 0 ? NaN : this.values[slot]!;
  }
}

export class VehicleWindows {
  private readonly index: SetIndex;
  private readonly signals: LatestSignals;
  private readonly context: EvalContext;
  private readonly windows = new Map<number, OpenWindow>();
  private newestMs = -Infinity;
  private closedThroughMs = -Infinity;
  private readonly dirty: Uint8Array;
  private readonly dirtyList: number[] = [];
  /** The open windows of hop slot `slotK` (⌊t / hop⌋), newest first; rebuilt when the slot changes or windows close. */
  private slotK = NaN;
  private readonly slotWindows: OpenWindow[] = [];
  /** Pane accumulators of the features with their own window, by hop slot start; the newest one cached. */
  private readonly panes = new Map<number, Float64Array>();
  private paneStart = NaN;
  private pane: Float64Array | undefined;

  constructor(
    readonly vin: string,
    readonly set: ModelFeatureSet,
  ) {
    this.dirty = new Uint8Array(set.features.length);
    this.index = setIndex(set);
    this.signals = new LatestSignals(this.index.slotOf);
    this.context = { nowMs: 0, signals: this.signals };
  }

  get openWindows(): number {
    return this.windows.size;
  }

  /**
   * Applies one record's samples and returns the windows the watermark closed. Event time of sample i:
   * `baseMs + timesMs[i]` (a SignalBatch's base time and offsets, or absolute times with the default base 0).
   */
  ingest(
    signalIds: ArrayLike<number>,
    values: ArrayLike<number>,
    timesMs: ArrayLike<number>,
    baseMs = 0,
  ): IngestOutcome {
    const { hopMs, features } = this.set;
    const { readerGroupOf, readers, slotOf, longestMs } = this.index;
    const latest = this.signals;
    const indexed = readerGroupOf.length;
    let late = 0;
    let lateAccepted = 0;
    let groupTime = NaN;
    for (let i = 0; i < signalIds.length; i++) {
      const id = signalIds[i]!;
      if (id >= indexed) continue;
      const group = readerGroupOf[id]!;
      if (group < 0) continue;
      const readersOfId = readers[group]!;
      const t = baseMs + timesMs[i]!;
      const value = values[i]!;
      if (Math.floor(t / hopMs) * hopMs + longestMs <= this.closedThroughMs) {
        late++;
        continue;
      }
      const slot = slotOf[id]!;
      if (latest.seen[slot] === 1 && t < latest.timesMs[slot]!) {
        // Behind this signal's newest sample: evaluate its readers at t with the late value, now.
        lateAccepted++;
        const newest = latest.values[slot]!;
        latest.values[slot] = value;
        this.context.nowMs = t;
        for (let r = 0; r < readersOfId.length; r++) {
          const f = readersOfId[r]!;
          this.addPoint(f, t, features[f]!.evaluate(this.context));
        }
        latest.values[slot] = newest;
        this.countSample(t);
        continue;
      }
      if (t !== groupTime) {
        this.flush(groupTime);
        groupTime = t;
      }
      latest.values[slot] = value;
      latest.timesMs[slot] = t;
      latest.seen[slot] = 1;
      this.countSample(t);
      for (let r = 0; r < readersOfId.length; r++) {
        const f = readersOfId[r]!;
        if (this.dirty[f] === 0) {
          this.dirty[f] = 1;
          this.dirtyList.push(f);
        }
      }
      if (t > this.newestMs) this.newestMs = t;
    }
    this.flush(groupTime);
    return { closed: this.close(this.newestMs - this.set.allowedLatenessMs), late, lateAccepted };
  }

  /** Closes every window ending at or before `watermarkMs` (oldest first). */
  close(watermarkMs: number): ClosedWindow[] {
    if (!(watermarkMs > this.closedThroughMs)) return [];
    this.closedThroughMs = watermarkMs;
    this.slotK = NaN;
    const closed: ClosedWindow[] = [];
    const starts = [...this.windows.keys()].sort((a, b) => a - b);
    for (const start of starts) {
      if (start + this.set.windowMs > watermarkMs) break;
      const window = this.windows.get(start)!;
      this.windows.delete(start);
      closed.push(this.result(window));
    }
    if (this.panes.size > 0) {
      // A pane starting at p is in windows ending up to p + the longest own window; those that closed need it no more.
      for (const start of [...this.panes.keys()])
        if (start + this.index.longestMs <= watermarkMs) {
          this.panes.delete(start);
          if (start === this.paneStart) {
            this.paneStart = NaN;
            this.pane = undefined;
          }
        }
    }
    return closed;
  }

  private flush(t: number): void {
    if (this.dirtyList.length === 0) return;
    this.context.nowMs = t;
    for (const f of this.dirtyList) {
      this.dirty[f] = 0;
      this.addPoint(f, t, this.set.features[f]!.evaluate(this.context));
    }
    this.dirtyList.length = 0;
  }

  private countSample(t: number): void {
    const windows = this.windowsOf(t);
    for (let i = 0; i < windows.length; i++) windows[i]!.samples++;
  }

  /** The open windows containing t: tumbling [k·W, (k+1)·W) or hopping [k·H, k·H + W), created on first use. */
  private windowsOf(t: number): readonly OpenWindow[] {
    const { hopMs, windowMs } = this.set;
    const k = Math.floor(t / hopMs);
    if (k === this.slotK) return this.slotWindows;
    // Which windows contain t depends only on t's hop slot (the window is a whole number of hops).
    const list = this.slotWindows;
    list.length = 0;
    for (let start = k * hopMs; start > t - windowMs; start -= hopMs) {
      if (start + windowMs <= this.closedThroughMs) break;
      let window = this.windows.get(start);
      if (window === undefined) {
        window = {
          startMs: start,
          acc: newAccumulator(this.set.features.length),
          samples: 0,
          sketches: this.sketches(),
        };
        this.windows.set(start, window);
      }
      list.push(window);
    }
    this.slotK = k;
    return list;
  }

  private sketches(): (QuantileSketch | undefined)[] | undefined {
    return this.index.quantileOf === undefined ? undefined : new Array(this.set.features.length).fill(undefined);
  }

  private addPoint(feature: number, t: number, x: number): void {
    if (x !== x) return; // unknown (a signal without a sample yet, a division by zero): not a value
    const above = x > this.set.features[feature]!.threshold ? 1 : 0;
    const paneSlot = this.index.paneSlotOf[feature]!;
    if (paneSlot >= 0) {
      const pane = this.paneOf(t, this.set.features[feature]!.windowMs);
      if (pane !== undefined) accumulate(pane, paneSlot * SLOTS, t, x, above);
      return;
    }
    const windows = this.windowsOf(t);
    const o = feature * SLOTS;
    const q = this.index.quantileOf?.[feature] ?? NaN;
    for (let i = 0; i < windows.length; i++) {
      const w = windows[i]!;
      if (q === q) (w.sketches![feature] ??= new QuantileSketch()).add(x);
      accumulate(w.acc, o, t, x, above);
    }
  }

  /** The pane of t's hop slot, created on first use; undefined when every window of the feature containing t closed. */
  private paneOf(t: number, featureWindowMs: number): Float64Array | undefined {
    const hopMs = this.set.hopMs;
    const start = Math.floor(t / hopMs) * hopMs;
    if (start + featureWindowMs <= this.closedThroughMs) return undefined;
    if (start === this.paneStart) return this.pane;
    let pane = this.panes.get(start);
    if (pane === undefined) {
      pane = newAccumulator(this.index.paneFeatures.length);
      this.panes.set(start, pane);
    }
    this.paneStart = start;
    this.pane = pane;
    return pane;
  }

  private result(w: OpenWindow): ClosedWindow {
    const features = this.set.features;
    const values = new Float64Array(features.length);
    const endMs = w.startMs + this.set.windowMs;
    for (let f = 0; f < features.length; f++) {
      const feature = features[f]!;
      if (this.index.paneSlotOf[f]! >= 0) continue;
      const q = this.index.quantileOf?.[f] ?? NaN;
      values[f] =
        q === q
          ? w.acc[f * SLOTS + N]! > 0
            ? (w.sketches?.[f]?.quantile(q) ?? NaN)
            : NaN
          : aggregateOf(feature.aggregate, w.acc, f * SLOTS, this.set.windowMs);
    }
    const own = this.index.paneFeatures;
    if (own.length > 0) {
      // Each feature with its own window: its panes in [end − window, end), combined.
      const combined = newAccumulator(1);
      for (let slot = 0; slot < own.length; slot++) {
        const f = own[slot]!;
        const windowMs = features[f]!.windowMs;
        combined.set(EMPTY);
        for (let start = endMs - windowMs; start < endMs; start += this.set.hopMs) {
          const pane = this.panes.get(start);
          if (pane !== undefined) merge(combined, pane, slot * SLOTS);
        }
        values[f] = aggregateOf(features[f]!.aggregate, combined, 0, windowMs);
      }
    }
    return {
      vin: this.vin,
      modelId: this.set.modelId,
      setId: this.set.setId,
      setVersion: this.set.version,
      windowStartMs: w.startMs,
      windowEndMs: endMs,
      values,
      sampleCount: w.samples,
    };
  }

  toJSON(): VehicleWindowsJson {
    const finite = (x: number): number | null => (Number.isFinite(x) ? x : null);
    return {
      setId: this.set.setId,
      setVersion: this.set.version,
      newestMs: finite(this.newestMs),
      closedThroughMs: finite(this.closedThroughMs),
      ...(this.index.paneFeatures.length === 0
        ? {}
        : {
            panes: [...this.panes.entries()]
              .sort((a, b) => a[0] - b[0])
              .map(([start, acc]) => [start, Array.from(acc, toJsonDouble)] as const),
          }),
      latest: Array.from(this.index.idOf)
        .map((id, slot) => [id, slot] as const)
        .filter(([, slot]) => this.signals.seen[slot] === 1)
        .map(([id, slot]) => [id, toJsonDouble(this.signals.values[slot]!), this.signals.timesMs[slot]!] as const),
      windows: [...this.windows.values()].map((w) =>
        w.sketches === undefined
          ? ([w.startMs, w.samples, Array.from(w.acc, toJsonDouble)] as const)
          : ([
              w.startMs,
              w.samples,
              Array.from(w.acc, toJsonDouble),
              w.sketches.map((k) => k?.toJSON() ?? null),
            ] as const),
      ),
    };
  }

  /** Restores a snapshot taken with the same feature set version; another version starts empty (returns false). */
  restore(json: VehicleWindowsJson): boolean {
    if (json.setId !== this.set.setId || json.setVersion !== this.set.version) return false;
    this.newestMs = json.newestMs ?? -Infinity;
    this.closedThroughMs = json.closedThroughMs ?? -Infinity;
    this.slotK = NaN;
    for (const [id, value, t] of json.latest) {
      const slot = id >= 0 && id < this.index.slotOf.length ? this.index.slotOf[id]! : -1;
      if (slot < 0) continue; // not read by this version's features
      this.signals.values[slot] = fromJsonDouble(value);
      this.signals.timesMs[slot] = t;
      this.signals.seen[slot] = 1;
    }
    const paneSize = this.index.paneFeatures.length * SLOTS;
    for (const [start, acc] of json.panes ?? [])
      if (paneSize > 0 && acc.length === paneSize) this.panes.set(start, Float64Array.from(acc, fromJsonDouble));
    this.paneStart = NaN;
    this.pane = undefined;
    const size = this.set.features.length * SLOTS;
    for (const [start, samples, acc, sketches] of json.windows) {
      if (acc.length !== size) continue;
      const restored = this.sketches();
      sketches?.forEach((k, f) => {
        if (restored !== undefined && k !== null && f < restored.length) restored[f] = QuantileSketch.fromJSON(k);
      });
      this.windows.set(start, {
        startMs: start,
        samples,
        acc: Float64Array.from(acc, fromJsonDouble),
        sketches: restored,
      });
    }
    return true;
  }
}

/** One value into a feature's accumulator slots at offset o. */
function accumulate(a: Float64Array, o: number, t: number, x: number, above: number): void {
  a[o + N] = a[o + N]! + 1;
  a[o + SUM] = a[o + SUM]! + x;
  a[o + SUM_SQ] = a[o + SUM_SQ]! + x * x;
  if (!(x >= a[o + MIN]!)) a[o + MIN] = x;
  if (!(x <= a[o + MAX]!)) a[o + MAX] = x;
  if (!(t >= a[o + T_FIRST]!)) {
    a[o + T_FIRST] = t;
    a[o + V_FIRST] = x;
  }
  if (!(t < a[o + T_LAST]!)) {
    a[o + T_LAST] = t;
    a[o + V_LAST] = x;
  }
  a[o + N_ABOVE] = a[o + N_ABOVE]! + above;
}

/** Adds the pane's slots at offset o into `into` (slots 0..SLOTS); panes cover disjoint times, oldest first. */
function merge(into: Float64Array, pane: Float64Array, o: number): void {
  if (!(pane[o + N]! > 0)) return;
  into[N] = into[N]! + pane[o + N]!;
  into[SUM] = into[SUM]! + pane[o + SUM]!;
  into[SUM_SQ] = into[SUM_SQ]! + pane[o + SUM_SQ]!;
  into[N_ABOVE] = into[N_ABOVE]! + pane[o + N_ABOVE]!;
  if (!(pane[o + MIN]! >= into[MIN]!)) into[MIN] = pane[o + MIN]!;
  if (!(pane[o + MAX]! <= into[MAX]!)) into[MAX] = pane[o + MAX]!;
  if (!(pane[o + T_FIRST]! >= into[T_FIRST]!)) {
    into[T_FIRST] = pane[o + T_FIRST]!;
    into[V_FIRST] = pane[o + V_FIRST]!;
  }
  if (!(pane[o + T_LAST]! < into[T_LAST]!)) {
    into[T_LAST] = pane[o + T_LAST]!;
    into[V_LAST] = pane[o + V_LAST]!;
  }
}

/** A feature's value from its accumulator slots at offset o (not the percentiles: their sketch answers). */
function aggregateOf(aggregate: Aggregate, a: Float64Array, o: number, windowMs: number): number {
  const n = a[o + N]!;
  if (aggregate === 'count') return n;
  if (!(n > 0)) return NaN;
  switch (aggregate) {
    case 'avg':
      return a[o + SUM]! / n;
    case 'min':
      return a[o + MIN]!;
    case 'max':
      return a[o + MAX]!;
    case 'std': {
      const mean = a[o + SUM]! / n;
      return Math.sqrt(Math.max(0, a[o + SUM_SQ]! / n - mean * mean));
    }
    case 'last':
      return a[o + V_LAST]!;
    case 'delta':
      return n < 2 ? NaN : a[o + V_LAST]! - a[o + V_FIRST]!;
    case 'rate': {
      const seconds = (a[o + T_LAST]! - a[o + T_FIRST]!) / 1000;
      return n < 2 || seconds <= 0 ? NaN : (a[o + V_LAST]! - a[o + V_FIRST]!) / seconds;
    }
    case 'time-above':
      return (a[o + N_ABOVE]! / n) * (windowMs / 1000);
    default:
      return NaN;
  }
}

const EMPTY = newAccumulator(1);

function newAccumulator(features: number): Float64Array {
  const acc = new Float64Array(features * SLOTS);
  for (let f = 0; f < features; f++) {
    const o = f * SLOTS;
    acc[o + MIN] = NaN;
    acc[o + MAX] = NaN;
    acc[o + T_FIRST] = NaN;
    acc[o + T_LAST] = NaN;
  }
  return acc;
}
