/**
 * What the rule engine remembers of one vehicle's signals: the newest value and event time of every signal a rule
 * reads, and a time-ordered buffer for every signal a window function reads. Only signals some rule of the vehicle's
 * model references are kept, so memory follows the rules, not the catalog's thousands of signals.
 *
 * The state is typed arrays indexed by slot (SignalLayout: signal id → slot, resolved once per rule set), so applying
 * or reading a sample looks nothing up in a Map.
 *
 * Newest event time wins: an older sample (late, out of order, replayed) never replaces the latest value, but it does
 * enter the window buffers where it belongs in time. A replayed sample (same time, same value) changes nothing.
 */
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

/** Ids up to this are numbered through a typed array; larger ones (never in today's catalogs) through a Map. */
const MAX_TABLE_ID = 1 << 16;

/**
 * Signal id → dense slot number (0, 1, 2, …), resolved once per rule set (ModelRuleSet.layout) so the per-vehicle
 * state is typed arrays indexed by slot: a sample costs a typed-array read to find its slot, no Map lookup by id.
 * A layout made by `SignalLayout.of` is shared by every vehicle of a model and never changes; a VehicleSignals made
 * without one (tests, other evaluators) grows a private layout as ids arrive.
 */
export class SignalLayout {
  /** Slot → signal id. */
  readonly ids: number[] = [];
  private table = new Int32Array(0);
  private far: Map<number, number> | undefined;

  constructor(readonly shared = false) {}

  static of(ids: Iterable<number>): SignalLayout {
    const layout = new SignalLayout();
    for (const id of ids) layout.add(id);
    (layout as { shared: boolean }).shared = true;
    return layout;
  }

  get size(): number {
    return this.ids.length;
  }

  /** The slot of a signal id; -1 when it has none. */
  slot(id: number): number {
    const s = this.table[id];
    if (s !== undefined) return s;
    return this.far?.get(id) ?? -1;
  }

  /** Numbers a new id (its slot is returned); only for a layout that is not shared. */
  add(id: number): number {
    const known = this.slot(id);
    if (known >= 0) return known;
    const slot = this.ids.length;
    if (Number.isInteger(id) && id >= 0 && id < MAX_TABLE_ID) {
      if (id >= this.table.length) {
        const table = new Int32Array(Math.min(MAX_TABLE_ID, Math.max(id + 1, this.table.length * 2, 64))).fill(-1);
        table.set(this.table);
        this.table = table;
      }
      this.table[id] = slot;
    } else (this.far ??= new Map()).set(id, slot);
    this.ids.push(id);
    return slot;
  }
}

/** Slot states. */
const ABSENT = 0;
/** Tracked since `timesMs[slot]`, no sample yet. */
const PLACEHOLDER = 1;
const SEEN = 2;

export class VehicleSignals {
  private layout: SignalLayout;
  /** Per slot: newest value, its event time (or since when tracked), and ABSENT / PLACEHOLDER / SEEN. */
  private latestValues: Float64Array;
  private latestTimes: Float64Array;
  private latestState: Uint8Array;
  /** Per slot: the window buffer of a signal a window function reads. */
  private windowOf: (WindowBuffer | undefined)[] = [];
  /**
   * Event time of the first sample of this vehicle: "never updated" counts from here for stale().
   * NaN: no sample yet.
   */
  firstEventTimeMs = NaN;

  constructor(layout: SignalLayout = new SignalLayout()) {
    this.layout = layout;
    this.latestValues = new Float64Array(Math.max(4, layout.size));
    this.latestTimes = new Float64Array(Math.max(4, layout.size));
    this.latestState = new Uint8Array(Math.max(4, layout.size));
  }

  /** The slot of `id`, numbering it when the layout is private; -1 for an id a shared layout does not hold. */
  private slotFor(id: number): number {
    const s = this.layout.slot(id);
    if (s >= 0 || this.layout.shared) return s;
    const added = this.layout.add(id);
    if (added >= this.latestState.length) this.grow(this.layout.size * 2);
    return added;
  }

  private grow(size: number): void {
    const values = new Float64Array(size);
    const times = new Float64Array(size);
    const state = new Uint8Array(size);
    values.set(this.latestValues.subarray(0, Math.min(size, this.latestValues.length)));
    times.set(this.latestTimes.subarray(0, Math.min(size, this.latestTimes.length)));
    state.set(this.latestState.subarray(0, Math.min(size, this.latestState.length)));
    this.latestValues = values;
    this.latestTimes = times;
    this.latestState = state;
  }

  /**
   * Applies one sample; `windowMs` > 0 keeps it in the signal's window buffer for that long (behind the newest
   * sample). Returns what a rule can see of it: UNCHANGED, UPDATED (a newer sample, same value: only stale() can
   * tell) or CHANGED (the newest value or the window changed). A signal a shared layout does not hold is not kept.
   */
  apply(id: number, value: number, timeMs: number, windowMs: number, maxWindowSamples: number): SampleEffect {
    const slot = this.slotFor(id);
    return slot < 0 ? UNCHANGED : this.applyAt(slot, value, timeMs, windowMs, maxWindowSamples);
  }

  /** `apply` for a slot of this vehicle's layout (the engine resolves the slot once per sample). */
  applyAt(slot: number, value: number, timeMs: number, windowMs: number, maxWindowSamples: number): SampleEffect {
    let effect: SampleEffect = UNCHANGED;
    const state = this.latestState[slot]!;
    if (state !== SEEN) {
      effect = CHANGED;
      this.latestValues[slot] = value;
      this.latestTimes[slot] = timeMs;
      this.latestState[slot] = SEEN;
    } else {
      const newestMs = this.latestTimes[slot]!;
      const newest = this.latestValues[slot]!;
      if (timeMs > newestMs || (timeMs === newestMs && value !== newest)) {
        effect = value === newest ? UPDATED : CHANGED;
        this.latestValues[slot] = value;
        this.latestTimes[slot] = timeMs;
      }
    }
    if (windowMs > 0) {
      let buffer = this.windowOf[slot];
      if (buffer === undefined) {
        buffer = new WindowBuffer();
        this.windowOf[slot] = buffer;
      }
      if (buffer.insert(timeMs, value, windowMs, maxWindowSamples)) effect = CHANGED;
    }
    return effect;
  }

  /** Starts tracking a signal that no sample has been seen of: stale() counts its silence from `sinceMs`. */
  track(id: number, sinceMs: number): void {
    if (!Number.isFinite(sinceMs)) return;
    const slot = this.slotFor(id);
    if (slot < 0 || this.latestState[slot] !== ABSENT) return;
    this.latestValues[slot] = NaN;
    this.latestTimes[slot] = sinceMs;
    this.latestState[slot] = PLACEHOLDER;
  }

  /**
   * While set, every `value()` of a kept signal flags its slot here (at `readsAt + slot`): what one evaluation of a
   * rule read (the engine's quiet rules, see engine.ts). Undefined: nothing is recorded.
   */
  reads: Uint8Array | undefined = undefined;
  readsAt = 0;

  value(id: number): number {
    const slot = this.layout.slot(id);
    if (slot < 0) return NaN;
    if (this.reads !== undefined) this.reads[this.readsAt + slot] = 1;
    return this.latestState[slot] !== SEEN ? NaN : this.latestValues[slot]!;
  }

  /** Event time of the newest sample, else since when the signal is tracked, else the vehicle's first sample. */
  lastUpdateMs(id: number): number {
    const slot = this.layout.slot(id);
    return slot < 0 || this.latestState[slot] === ABSENT ? this.firstEventTimeMs : this.latestTimes[slot]!;
  }

  /** The newest sample of a signal (undefined: none seen, or not kept). */
  newest(id: number): { value: number; timeMs: number } | undefined {
    const slot = this.layout.slot(id);
    return slot < 0 || this.latestState[slot] !== SEEN
      ? undefined
      : { value: this.latestValues[slot]!, timeMs: this.latestTimes[slot]! };
  }

  window(id: number): WindowBuffer | undefined {
    const slot = this.layout.slot(id);
    return slot < 0 ? undefined : this.windowOf[slot];
  }

  aggregate(id: number, fn: WindowFunction, windowMs: number, nowMs: number): number {
    const buffer = this.window(id);
    if (buffer === undefined) return fn === 'count' ? 0 : NaN;
    return buffer.aggregate(fn, nowMs - windowMs, nowMs);
  }

  /** Every kept signal's newest value (null: tracked, not seen yet) and event time, in slot order. */
  latestEntries(): [id: number, value: number | null, timeMs: number][] {
    const out: [number, number | null, number][] = [];
    for (let slot = 0; slot < this.layout.size; slot++) {
      const state = this.latestState[slot];
      if (state === SEEN) out.push([this.layout.ids[slot]!, this.latestValues[slot]!, this.latestTimes[slot]!]);
      else if (state === PLACEHOLDER) out.push([this.layout.ids[slot]!, null, this.latestTimes[slot]!]);
    }
    return out;
  }

  /** Every window buffer, by signal id. */
  windowEntries(): [id: number, buffer: WindowBuffer][] {
    const out: [number, WindowBuffer][] = [];
    this.windowOf.forEach((buffer, slot) => {
      if (buffer !== undefined) out.push([this.layout.ids[slot]!, buffer]);
    });
    return out;
  }

  /** Restores a signal's newest value (null: tracked since `timeMs`, not seen yet). */
  restoreLatest(id: number, value: number | null, timeMs: number): void {
    const slot = this.slotFor(id);
    if (slot < 0) return;
    this.latestValues[slot] = value ?? NaN;
    this.latestTimes[slot] = timeMs;
    this.latestState[slot] = value === null ? PLACEHOLDER : SEEN;
  }

  restoreWindow(id: number, buffer: WindowBuffer): void {
    const slot = this.slotFor(id);
    if (slot >= 0) this.windowOf[slot] = buffer;
  }

  /**
   * Moves to another layout (a new rule set), keeping exactly its signals: newest values by id, and the window
   * buffers of the signals `windowMs` gives a retention (> 0) to.
   */
  relayout(layout: SignalLayout, windowMs: (slot: number) => number): void {
    if (layout === this.layout) return;
    const oldLayout = this.layout;
    const values = new Float64Array(Math.max(4, layout.size));
    const times = new Float64Array(Math.max(4, layout.size));
    const state = new Uint8Array(Math.max(4, layout.size));
    const windows: (WindowBuffer | undefined)[] = [];
    for (let slot = 0; slot < layout.size; slot++) {
      const from = oldLayout.slot(layout.ids[slot]!);
      if (from < 0) continue;
      values[slot] = this.latestValues[from]!;
      times[slot] = this.latestTimes[from]!;
      state[slot] = this.latestState[from]!;
      if (windowMs(slot) > 0) windows[slot] = this.windowOf[from];
    }
    this.layout = layout;
    this.latestValues = values;
    this.latestTimes = times;
    this.latestState = state;
    this.windowOf = windows;
  }
}

/** What a compiled expression reads: the vehicle's signals at an evaluation time. */
export interface EvalContext {
  nowMs: number;
  signals: VehicleSignals;
}
