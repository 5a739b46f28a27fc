/**
 * What the rule engine remembers of one vehicle's signals: the newest value and event time of every signal a rule
 * reads, and a time-ordered buffer for every signal a window function reads. Only signals some rule of the vehicle's
 * model references are kept, so memory follows the rules, not the catalog's thousands of signals.
 *
 * Newest event time wins: an older sample (late, out of order, replayed) never replaces the latest value, but it does
 * enter the window buffers where it belongs in time. A replayed sample (same time, same value) changes nothing.
 */
export interface SignalSlot {
  value: number;
  timeMs: number;
  /** false for a placeholder: the signal is tracked since `timeMs` but no sample has arrived yet. */
  seen: boolean;
}

export type WindowFunction = 'avg' | 'min' | 'max' | 'count' | 'delta' | 'rate';

/** Samples of one signal in event-time order. Appends are the common case; a late sample is inserted in place. */
export class WindowBuffer {
  times: number[] = [];
  values: number[] = [];
  /** Running sums of `values` (sums[i] = values[0] + … + values[i]), so avg() costs two binary searches. */
  sums: number[] = [];
  /** Index of the first live sample; pruned samples before it are compacted away in bulk. */
  head = 0;

  /** Replaces the content (restored state). */
  static of(times: readonly number[], values: readonly number[]): WindowBuffer {
    const buffer = new WindowBuffer();
    buffer.times = [...times];
    buffer.values = [...values];
    buffer.resum(0);
    return buffer;
  }

  private resum(from: number): void {
    this.sums.length = from;
    let sum = from > 0 ? this.sums[from - 1]! : 0;
    for (let i = from; i < this.values.length; i++) this.sums.push((sum += this.values[i]!));
  }

  get size(): number {
    return this.times.length - this.head;
  }

  newestTime(): number | undefined {
    return this.size > 0 ? this.times[this.times.length - 1] : undefined;
  }

  /** Returns whether the buffer changed. */
  insert(timeMs: number, value: number, retentionMs: number, maxSamples: number): boolean {
    const newest = this.newestTime();
    if (newest === undefined || timeMs > newest) {
      this.times.push(timeMs);
      this.values.push(value);
      this.sums.push((this.sums[this.sums.length - 1] ?? 0) + value);
    } else {
      if (timeMs <= newest - retentionMs) return false;
      const at = this.firstAfter(timeMs, true);
      if (at < this.times.length && this.times[at] === timeMs) {
        if (this.values[at] === value) return false;
        this.values[at] = value;
        this.resum(at);
        return true;
      }
      this.times.splice(at, 0, timeMs);
      this.values.splice(at, 0, value);
      this.resum(at);
    }
    this.prune(retentionMs, maxSamples);
    return true;
  }

  private prune(retentionMs: number, maxSamples: number): void {
    const newest = this.times[this.times.length - 1]!;
    while (this.head < this.times.length && (this.times[this.head]! <= newest - retentionMs || this.size > maxSamples))
      this.head++;
    if (this.head > 256 && this.head * 2 > this.times.length) {
      this.times = this.times.slice(this.head);
      this.values = this.values.slice(this.head);
      this.head = 0;
      this.resum(0);
    }
  }

  /** First index with time > t (orEqual: ≥ t), from head. */
  firstAfter(t: number, orEqual = false): number {
    let lo = this.head;
    let hi = this.times.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const x = this.times[mid]!;
      if (orEqual ? x < t : x <= t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Aggregate over the samples with fromExclusive < time ≤ toInclusive. Empty: count 0, everything else NaN. */
  aggregate(fn: WindowFunction, fromExclusive: number, toInclusive: number): number {
    const lo = this.firstAfter(fromExclusive);
    const hi = this.firstAfter(toInclusive);
    const n = hi - lo;
    if (fn === 'count') return Math.max(0, n);
    if (n <= 0) return NaN;
    const v = this.values;
    switch (fn) {
      case 'avg':
        return (this.sums[hi - 1]! - (lo > 0 ? this.sums[lo - 1]! : 0)) / n;
      case 'min': {
        let m = Infinity;
        for (let i = lo; i < hi; i++) if (v[i]! < m) m = v[i]!;
        return m;
      }
      case 'max': {
        let m = -Infinity;
        for (let i = lo; i < hi; i++) if (v[i]! > m) m = v[i]!;
        return m;
      }
      case 'delta':
        return n < 2 ? NaN : v[hi - 1]! - v[lo]!;
      case 'rate': {
        const seconds = (this.times[hi - 1]! - this.times[lo]!) / 1000;
        return n < 2 || seconds <= 0 ? NaN : (v[hi - 1]! - v[lo]!) / seconds;
      }
    }
  }
}

export const UNCHANGED = 0;
export const UPDATED = 1;
export const CHANGED = 2;
export type SampleEffect = typeof UNCHANGED | typeof UPDATED | typeof CHANGED;

export class VehicleSignals {
  readonly latest = new Map<number, SignalSlot>();
  readonly windows = new Map<number, WindowBuffer>();
  /**
   * Event time of the first sample of this vehicle: "never updated" counts from here for stale().
   * NaN: no sample yet.
   */
  firstEventTimeMs = NaN;

  /**
   * Applies one sample; `windowMs` > 0 keeps it in the signal's window buffer for that long (behind the newest
   * sample). Returns what a rule can see of it: UNCHANGED, UPDATED (a newer sample, same value: only stale() can
   * tell) or CHANGED (the newest value or the window changed).
   */
  apply(id: number, value: number, timeMs: number, windowMs: number, maxWindowSamples: number): SampleEffect {
    let effect: SampleEffect = UNCHANGED;
    const slot = this.latest.get(id);
    if (slot === undefined) {
      this.latest.set(id, { value, timeMs, seen: true });
      effect = CHANGED;
    } else if (!slot.seen || timeMs > slot.timeMs || (timeMs === slot.timeMs && value !== slot.value)) {
      effect = slot.seen && value === slot.value ? UPDATED : CHANGED;
      slot.value = value;
      slot.timeMs = timeMs;
      slot.seen = true;
    }
    if (windowMs > 0) {
      let buffer = this.windows.get(id);
      if (buffer === undefined) {
        buffer = new WindowBuffer();
        this.windows.set(id, buffer);
      }
      if (buffer.insert(timeMs, value, windowMs, maxWindowSamples)) effect = CHANGED;
    }
    return effect;
  }

  /** Starts tracking a signal that no sample has been seen of: stale() counts its silence from `sinceMs`. */
  track(id: number, sinceMs: number): void {
    if (!this.latest.has(id) && Number.isFinite(sinceMs))
      this.latest.set(id, { value: NaN, timeMs: sinceMs, seen: false });
  }

  value(id: number): number {
    const slot = this.latest.get(id);
    return slot === undefined || !slot.seen ? NaN : slot.value;
  }

  /** Event time of the newest sample, else since when the signal is tracked, else the vehicle's first sample. */
  lastUpdateMs(id: number): number {
    return this.latest.get(id)?.timeMs ?? this.firstEventTimeMs;
  }

  aggregate(id: number, fn: WindowFunction, windowMs: number, nowMs: number): number {
    const buffer = this.windows.get(id);
    if (buffer === undefined) return fn === 'count' ? 0 : NaN;
    return buffer.aggregate(fn, nowMs - windowMs, nowMs);
  }
}

/** What a compiled expression reads: the vehicle's signals at an evaluation time. */
export interface EvalContext {
  nowMs: number;
  signals: VehicleSignals;
}
