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
 */
import { VehicleSignals, type EvalContext } from '@telltale/rules';
import type { ModelFeatureSet } from './compile.js';

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

export interface VehicleWindowsJson {
  readonly setId: string;
  readonly setVersion: number;
  readonly newestMs: number | null;
  readonly closedThroughMs: number | null;
  readonly latest: readonly (readonly [number, number | null, number])[];
  readonly windows: readonly (readonly [number, number, readonly (number | null)[]])[];
}

/** A view of the vehicle's signals in which one signal has a given (late) value. */
class OverrideSignals extends VehicleSignals {
  id = -1;
  overrideValue = NaN;
  constructor(private readonly base: VehicleSignals) {
    super();
  }
  override value(id: number): number {
    return id === this.id ? this.overrideValue : this.base.value(id);
  }
}

export class VehicleWindows {
  private readonly signals = new VehicleSignals();
  private readonly override = new OverrideSignals(this.signals);
  private readonly context: EvalContext = { nowMs: 0, signals: this.signals };
  private readonly lateContext: EvalContext = { nowMs: 0, signals: this.override };
  private readonly windows = new Map<number, OpenWindow>();
  private newestMs = -Infinity;
  private closedThroughMs = -Infinity;
  private readonly dirty: Uint8Array;
  private readonly dirtyList: number[] = [];

  constructor(
    readonly vin: string,
    readonly set: ModelFeatureSet,
  ) {
    this.dirty = new Uint8Array(set.features.length);
  }

  get openWindows(): number {
    return this.windows.size;
  }

  /** Applies one record's samples (absolute event times) and returns the windows the watermark closed. */
  ingest(signalIds: ArrayLike<number>, values: ArrayLike<number>, timesMs: ArrayLike<number>): IngestOutcome {
    const { bySignal, hopMs, windowMs } = this.set;
    let late = 0;
    let lateAccepted = 0;
    let groupTime = NaN;
    for (let i = 0; i < signalIds.length; i++) {
      const readers = bySignal.get(signalIds[i]!);
      if (readers === undefined) continue;
      const t = timesMs[i]!;
      const value = values[i]!;
      if (Math.floor(t / hopMs) * hopMs + windowMs <= this.closedThroughMs) {
        late++;
        continue;
      }
      const id = signalIds[i]!;
      const slot = this.signals.latest.get(id);
      if (slot !== undefined && slot.seen && t < slot.timeMs) {
        // Behind this signal's newest sample: evaluate its readers at t with the late value, now.
        lateAccepted++;
        this.override.id = id;
        this.override.overrideValue = value;
        this.lateContext.nowMs = t;
        for (const f of readers) this.addPoint(f, t, this.set.features[f]!.evaluate(this.lateContext));
        this.countSample(t);
        continue;
      }
      if (t !== groupTime) {
        this.flush(groupTime);
        groupTime = t;
      }
      this.signals.apply(id, value, t, 0, 0);
      this.countSample(t);
      for (const f of readers) {
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
    const closed: ClosedWindow[] = [];
    const starts = [...this.windows.keys()].sort((a, b) => a - b);
    for (const start of starts) {
      if (start + this.set.windowMs > watermarkMs) break;
      const window = this.windows.get(start)!;
      this.windows.delete(start);
      closed.push(this.result(window));
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
    this.forWindowsOf(t, (w) => w.samples++);
  }

  private forWindowsOf(t: number, visit: (w: OpenWindow) => void): void {
    const { hopMs, windowMs } = this.set;
    for (let start = Math.floor(t / hopMs) * hopMs; start > t - windowMs; start -= hopMs) {
      if (start + windowMs <= this.closedThroughMs) break;
      let window = this.windows.get(start);
      if (window === undefined) {
        window = { startMs: start, acc: newAccumulator(this.set.features.length), samples: 0 };
        this.windows.set(start, window);
      }
      visit(window);
    }
  }

  private addPoint(feature: number, t: number, x: number): void {
    if (x !== x) return; // unknown (a signal without a sample yet, a division by zero): not a value
    const above = x > this.set.features[feature]!.threshold ? 1 : 0;
    this.forWindowsOf(t, (w) => {
      const a = w.acc;
      const o = feature * SLOTS;
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
    });
  }

  private result(w: OpenWindow): ClosedWindow {
    const features = this.set.features;
    const values = new Float64Array(features.length);
    const a = w.acc;
    for (let f = 0; f < features.length; f++) {
      const o = f * SLOTS;
      const n = a[o + N]!;
      let v = NaN;
      if (features[f]!.aggregate === 'count') v = n;
      else if (n > 0) {
        switch (features[f]!.aggregate) {
          case 'avg':
            v = a[o + SUM]! / n;
            break;
          case 'min':
            v = a[o + MIN]!;
            break;
          case 'max':
            v = a[o + MAX]!;
            break;
          case 'std': {
            const mean = a[o + SUM]! / n;
            v = Math.sqrt(Math.max(0, a[o + SUM_SQ]! / n - mean * mean));
            break;
          }
          case 'last':
            v = a[o + V_LAST]!;
            break;
          case 'delta':
            v = n < 2 ? NaN : a[o + V_LAST]! - a[o + V_FIRST]!;
            break;
          case 'rate': {
            const seconds = (a[o + T_LAST]! - a[o + T_FIRST]!) / 1000;
            v = n < 2 || seconds <= 0 ? NaN : (a[o + V_LAST]! - a[o + V_FIRST]!) / seconds;
            break;
          }
          case 'time-above':
            v = (a[o + N_ABOVE]! / n) * (this.set.windowMs / 1000);
            break;
          default:
            break;
        }
      }
      values[f] = v;
    }
    return {
      vin: this.vin,
      modelId: this.set.modelId,
      setId: this.set.setId,
      setVersion: this.set.version,
      windowStartMs: w.startMs,
      windowEndMs: w.startMs + this.set.windowMs,
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
      latest: [...this.signals.latest]
        .filter(([, s]) => s.seen)
        .map(([id, s]) => [id, finite(s.value), s.timeMs] as const),
      windows: [...this.windows.values()].map((w) => [w.startMs, w.samples, Array.from(w.acc, finite)] as const),
    };
  }

  /** Restores a snapshot taken with the same feature set version; another version starts empty (returns false). */
  restore(json: VehicleWindowsJson): boolean {
    if (json.setId !== this.set.setId || json.setVersion !== this.set.version) return false;
    this.newestMs = json.newestMs ?? -Infinity;
    this.closedThroughMs = json.closedThroughMs ?? -Infinity;
    for (const [id, value, t] of json.latest) this.signals.apply(id, value ?? NaN, t, 0, 0);
    const size = this.set.features.length * SLOTS;
    for (const [start, samples, acc] of json.windows) {
      if (acc.length !== size) continue;
      this.windows.set(start, { startMs: start, samples, acc: Float64Array.from(acc, (x) => x ?? NaN) });
    }
    return true;
  }
}

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
