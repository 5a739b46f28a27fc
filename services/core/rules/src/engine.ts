/**
 * The rule engine: per-vehicle signal state and rule state machines, evaluated in event time.
 *
 * Time model (see README "Time"):
 * - A vehicle's event time is the newest event time of its live samples (its watermark). Samples are applied in
 *   event-time order; rules evaluate at each distinct sample time. Before moving to a later time, every deadline
 *   before it is evaluated first, at the deadline, so a `for`, a clear delay or a stale() fires at the right event
 *   time whenever later data arrives.
 * - Silence: when a vehicle sends nothing, its event time stands still. `advance(nowMs)` moves each vehicle's clock as
 *   if its data kept flowing: to `eventTime + (now − lastArrival − silenceGrace)`, and fires the deadlines up to it.
 *   `now` and arrivals are on one clock — the gateway receive time of the records (SignalBatch.source), and the wall
 *   clock once the consumer is caught up — so replaying a backlog does not fire silence timers early.
 * - Late live samples (older than the vehicle's event time) update windows, never the newest value; evaluation time
 *   never goes back. Backfilled batches update the signal state but evaluate only rules with backfill: "evaluate"
 *   (their transitions say backfill: true); they do not move the vehicle's event time or its arrival clock.
 *
 * Pure: no I/O, no clock; every time comes in as an argument. State per vehicle is JSON (snapshotState/restoreState).
 */
import { TelltaleError } from '@telltale/platform/errors';
import type { AlertTransition, Evidence } from './alert.js';
import { EMPTY_SNAPSHOT, type CompiledRule, type ModelRuleSet, type RuleSnapshot } from './compile-rules.js';
import {
  adoptRuleVersion,
  evaluateRule,
  newRuleState,
  setNextDeadline,
  type EvaluationScope,
  type RulePhase,
  type RuleState,
} from './rule-state.js';
import { isSeverity, type Severity } from './severity.js';
import { CHANGED, SignalLayout, UNCHANGED, VehicleSignals, WindowBuffer, type EvalContext } from './signal-state.js';

export interface RuleEngineOptions {
  /**
   * Silence shorter than this after the last arrival does not move a vehicle's clock (upload period + latency).
   * Default 2000.
   */
  readonly silenceGraceMs?: number;
  /**
   * Samples whose event time is more than this ahead of their arrival are dropped (device clock wrong).
   * Default 300000.
   */
  readonly maxFutureMs?: number;
  /** At most this many samples per signal in a window buffer; the oldest go first. Default 10000. */
  readonly maxWindowSamples?: number;
  /**
   * Counts each rule's evaluations and measures the time of one in eight (two clock reads each; the rest are
   * estimated from them), drained with `drainRuleTimings()`: what a live service exports per rule. Default false
   * (backtests do not pay for it).
   */
  readonly measureRules?: boolean;
  /**
   * Skip the evaluations of quiet rules that cannot change anything (see "Quiet rules" in the README); the output and
   * the state are the same either way. Default true; false evaluates every touched rule (tests compare the two).
   */
  readonly skipQuietRules?: boolean;
}

/** Evaluations of one rule and the time they took (estimated from the measured ones), since the last drain. */
export interface RuleTiming {
  readonly ruleId: string;
  readonly evaluations: number;
  readonly seconds: number;
}

/** One batch of decoded samples of one vehicle, as columns (the shape of telltale.signals.v1.SignalBatch). */
export interface SampleBatch {
  readonly vin: string;
  readonly modelId: string;
  readonly fleetId?: string;
  readonly catalogVersion?: string;
  readonly signalIds: ArrayLike<number>;
  readonly values: ArrayLike<number>;
  /** Event times, ms; absolute, or offsets from baseTimeMs. */
  readonly timesMs: ArrayLike<number>;
  readonly baseTimeMs?: number;
  /** Store-and-forward data: updates state, raises nothing unless a rule says backfill: "evaluate". */
  readonly backfill?: boolean;
  /** When the batch arrived (gateway receive time), ms since the epoch: the clock `advance` compares with. */
  readonly arrivalTimeMs: number;
}

export interface IngestResult {
  readonly transitions: AlertTransition[];
  /** Samples of signals some rule reads. */
  readonly applied: number;
  /** Samples of signals no rule reads (not kept). */
  readonly ignored: number;
  /** Live samples older than the vehicle's event time (applied to windows, not to the newest value). */
  readonly late: number;
  readonly droppedFuture: number;
  /** Non-finite value or time. */
  readonly droppedInvalid: number;
}

export const VEHICLE_STATE_FORMAT = 1;

/** A vehicle's engine state as JSON; `null` stands for "none" / "never" in numeric fields. */
export interface VehicleStateJson {
  readonly format: typeof VEHICLE_STATE_FORMAT;
  readonly vin: string;
  readonly fleetId: string;
  readonly modelId: string;
  readonly catalogVersion: string;
  readonly eventTimeMs: number | null;
  readonly lastArrivalMs: number | null;
  readonly firstEventTimeMs: number | null;
  /** Signal id → [value (null: tracked, not seen yet), event time]. */
  readonly latest: Readonly<Record<string, readonly [number | null, number]>>;
  /** Signal id → [event times, values]. */
  readonly windows: Readonly<Record<string, readonly [readonly number[], readonly number[]]>>;
  readonly rules: Readonly<Record<string, RuleStateJson>>;
}

export interface RuleStateJson {
  readonly version: number;
  readonly atMs: number | null;
  readonly phase: RulePhase;
  readonly sinceMs: number | null;
  readonly dueMs: number | null;
  readonly lastRaisedMs: number | null;
  readonly alert: {
    readonly id: string;
    readonly startMs: number;
    readonly raisedAtMs: number;
    readonly severity: Severity;
    readonly seq: number;
    readonly message: string;
  } | null;
  readonly steps: readonly (readonly [boolean, number | null])[];
  readonly seq: {
    readonly aTrue: boolean;
    readonly aRiseMs: number | null;
    readonly aEvidence: readonly Evidence[];
    readonly bTrue: boolean;
    readonly matched: boolean;
    readonly matchEvidence: readonly Evidence[];
  } | null;
}

class Vehicle {
  readonly signals = new VehicleSignals();
  eventTimeMs = -Infinity;
  lastArrivalMs = -Infinity;
  /** Rule id → state: the source of truth, persisted. */
  readonly ruleStates = new Map<string, RuleState>();
  /** The rule set `states` is laid out for. */
  ruleSet: ModelRuleSet | undefined;
  /** Parallel to ruleSet.rules; undefined where the rule's scope excludes this vehicle. */
  states: (RuleState | undefined)[] = [];
  nextDeadlineMs = Infinity;
  needsEval = false;
  /** Evaluation scopes by (backfill, timer), rebuilt when the vehicle's context changes. */
  scopes: (EvaluationScope | undefined)[] = [];
  /** Parallel to ruleSet.rules: 1 where the rule can be quiet (`canBeQuiet`). */
  quietable = new Uint8Array(0);
  /** Parallel to ruleSet.rules: 1 while the rule is quiet (its last evaluation changed nothing but its time). */
  quiet = new Uint8Array(0);
  /** Rule index × slot (row width: the layout's size): 1 where the rule's last evaluation read that signal. */
  quietReads = new Uint8Array(0);

  constructor(
    readonly vin: string,
    public fleetId: string,
    public modelId: string,
    public catalogVersion: string,
  ) {}
}

/** The layout of a vehicle whose model has no rules: it keeps no signal. */
const NO_SIGNALS = SignalLayout.of([]);

const finite = (x: number): number | null => (Number.isFinite(x) ? x : null);
const orNaN = (x: number | null | undefined): number => (typeof x === 'number' ? x : NaN);

/**
 * Whether a rule can be quiet: its evaluation between two deadlines depends only on the newest values its conditions
 * read, through plain `value()` reads: a `condition` trigger (no sequence, whose edges remember), one level (a ladder
 * moves on step times), no stale() and no window (both read the time). Such a rule, evaluated without a change of
 * phase and without a transition, is quiet: evaluating it again at a later time before its next deadline, with the
 * signals it read unchanged, takes the same path (the expressions are pure, and `and`/`or` read their right side only
 * when the left does not decide), so it again changes nothing but its evaluation time. Per phase: idle stays idle
 * (condition not true); pending stays pending (true, before its due time = its deadline); active stays active (clear
 * condition not true); clearing stays clearing (clear true, before clear.for = its deadline).
 */
function canBeQuiet(rule: CompiledRule): boolean {
  return (
    rule.trigger.kind === 'condition' && rule.steps.length <= 1 && rule.stale.length === 0 && rule.windows.length === 0
  );
}

function appliesTo(rule: CompiledRule, v: Vehicle): boolean {
  const { fleets, models, vins } = rule.rule.scope;
  return (
    (fleets === undefined || fleets.has(v.fleetId)) &&
    (models === undefined || models.has(v.modelId)) &&
    (vins === undefined || vins.has(v.vin))
  );
}

export class RuleEngine {
  private snapshot: RuleSnapshot = EMPTY_SNAPSHOT;
  private readonly vehicles = new Map<string, Vehicle>();
  private readonly dirty = new Set<string>();
  private readonly silenceGraceMs: number;
  private readonly maxFutureMs: number;
  private readonly maxWindowSamples: number;
  private readonly ctx: EvalContext = { nowMs: NaN, signals: new VehicleSignals() };
  /**
   * The time `evaluate` evaluates at. A field, not an argument: V8 boxes a double argument of a call it does not
   * inline (a heap number per evaluation, most of the engine's garbage when a backtest replays millions of samples).
   */
  private evalAtMs = NaN;
  /**
   * Scratch of ingest, reused across calls (a backtest hands over a vehicle-hour per call, so these stay allocated
   * instead of growing again each batch): indexes of the samples rules read and their window lengths; rules touched at
   * one time.
   */
  private kept = new Int32Array(256);
  private keptSlot = new Int32Array(256);
  private touched = new Int32Array(0);
  private touchedCount = 0;
  private touchedFlags = new Uint8Array(0);
  private readonly measureRules: boolean;
  private readonly skipQuietRules: boolean;
  private readonly ruleTimings = new Map<string, { evaluations: number; measured: number; ms: number }>();
  private measureTick = 0;

  constructor(options: RuleEngineOptions = {}) {
    this.silenceGraceMs = options.silenceGraceMs ?? 2000;
    this.maxFutureMs = options.maxFutureMs ?? 300_000;
    this.maxWindowSamples = options.maxWindowSamples ?? 10_000;
    this.measureRules = options.measureRules ?? false;
    this.skipQuietRules = options.skipQuietRules ?? true;
  }

  get rules(): RuleSnapshot {
    return this.snapshot;
  }

  get vehicleCount(): number {
    return this.vehicles.size;
  }

  /**
   * Swaps the rule snapshot whole. Active alerts continue across rule versions (their next transitions name the new
   * version); an active alert whose rule is gone, disabled or no longer covers the vehicle is cleared with reason
   * "rule-removed", and those transitions are returned.
   */
  setRules(snapshot: RuleSnapshot): AlertTransition[] {
    this.snapshot = snapshot;
    const most = Math.max(0, ...[...snapshot.models.values()].map((m) => m.rules.length));
    this.touchedFlags = new Uint8Array(most);
    this.touched = new Int32Array(most);
    this.touchedCount = 0;
    const out: AlertTransition[] = [];
    for (const v of this.vehicles.values()) this.layout(v, out);
    return out;
  }

  /** Applies a batch of samples of one vehicle and evaluates the rules they affect, in event-time order. */
  ingest(batch: SampleBatch): IngestResult {
    const out: AlertTransition[] = [];
    const v = this.vehicle(batch.vin, batch.fleetId ?? '', batch.modelId, batch.catalogVersion ?? '', out);
    const live = batch.backfill !== true;
    if (live && batch.arrivalTimeMs > v.lastArrivalMs) v.lastArrivalMs = batch.arrivalTimeMs;
    const base = batch.baseTimeMs ?? 0;
    const { signalIds, values, timesMs } = batch;
    const n = Math.min(signalIds.length, values.length, timesMs.length);
    const set = v.ruleSet;
    const layout = set?.layout;
    const futureLimit = batch.arrivalTimeMs + this.maxFutureMs;

    // Pass 1: drop what is invalid, find the batch's time span, keep only the samples some rule reads.
    let ignored = 0;
    let late = 0;
    let droppedFuture = 0;
    let droppedInvalid = 0;
    let minTime = Infinity;
    let maxTime = -Infinity;
    let sorted = true;
    if (this.kept.length < n) this.growKept(n);
    const kept = this.kept;
    const keptSlot = this.keptSlot;
    let keptCount = 0;
    let lastKeptMs = -Infinity;
    for (let i = 0; i < n; i++) {
      const t = base + timesMs[i]!;
      if (!Number.isFinite(t) || !Number.isFinite(values[i]!)) {
        droppedInvalid++;
        continue;
      }
      if (t > futureLimit) {
        droppedFuture++;
        continue;
      }
      if (t < minTime) minTime = t;
      if (t > maxTime) maxTime = t;
      if (live && t < v.eventTimeMs) late++;
      const slot = layout === undefined ? -1 : layout.slot(signalIds[i]!);
      if (slot < 0) {
        ignored++;
        continue;
      }
      if (timesMs[i]! < lastKeptMs) sorted = false;
      lastKeptMs = timesMs[i]!;
      kept[keptCount] = i;
      keptSlot[keptCount++] = slot;
    }
    if (!sorted) this.sortKept(keptCount, timesMs);
    if (Number.isNaN(v.signals.firstEventTimeMs) && Number.isFinite(minTime)) v.signals.firstEventTimeMs = minTime;

    // Pass 2: apply the kept samples in event-time order, evaluating the rules they touch at each distinct time.
    const skipQuiet = live && this.skipQuietRules;
    const width = layout?.size ?? 0;
    const { signals, quiet, quietReads, states } = v; // (layout() replaces these only in this.vehicle(), above)
    const evaluateOnly = live ? undefined : (i: number): boolean => set!.rules[i]!.backfill === 'evaluate';
    let k = 0;
    let next = keptCount > 0 ? base + timesMs[kept[0]!]! : NaN;
    while (k < keptCount) {
      const t = next;
      let end = k + 1;
      for (; end < keptCount; end++) {
        next = base + timesMs[kept[end]!]!;
        if (next !== t) break;
      }
      // Deadlines before t fire first, with the values from before t.
      if (!live) this.runDeadlines(v, t, false, out, evaluateOnly, true);
      else if (t > v.eventTimeMs) {
        this.runDeadlines(v, t, false, out, undefined, false);
        v.eventTimeMs = t;
      }
      for (let j = k; j < end; j++) {
        const slot = keptSlot[j]!;
        const effect = signals.applyAt(slot, values[kept[j]!]!, t, set!.windowMsBySlot[slot]!, this.maxWindowSamples);
        if (effect !== UNCHANGED) {
          const rules = (effect === CHANGED ? set!.bySlot : set!.byUpdateSlot)[slot]!;
          for (let r = 0; r < rules.length; r++) {
            const index = rules[r]!;
            if (skipQuiet && quiet[index] === 1 && quietReads[index * width + slot] === 0) {
              // A quiet rule that did not read this signal: evaluating it now would only move its time (canBeQuiet).
              const state = states[index]!;
              const nowMs = t > state.atMs ? t : state.atMs;
              if (nowMs < state.nextDeadlineMs) {
                state.atMs = nowMs;
                continue;
              }
            }
            this.touch(index);
          }
        }
      }
      if (this.touchedCount > 0 || v.needsEval) {
        this.evalAtMs = t;
        this.evaluateTouched(v, set!, live, out);
      }
      k = end;
    }
    if (live && maxTime > v.eventTimeMs) {
      this.runDeadlines(v, maxTime, false, out, undefined, false);
      v.eventTimeMs = maxTime;
    }
    if (live && v.needsEval && set !== undefined && Number.isFinite(v.eventTimeMs)) {
      this.evalAtMs = v.eventTimeMs;
      this.evaluateTouched(v, set, live, out);
    }
    this.settle(v);
    return { transitions: out, applied: keptCount, ignored, late, droppedFuture, droppedInvalid };
  }

  private growKept(n: number): void {
    const size = Math.max(n, this.kept.length * 2);
    this.kept = new Int32Array(size);
    this.keptSlot = new Int32Array(size);
  }

  /** Orders the first `count` kept samples by event time, then by their index in the batch. */
  private sortKept(count: number, timesMs: ArrayLike<number>): void {
    const order = Array.from(this.kept.subarray(0, count), (i, k) => [i, this.keptSlot[k]!] as const);
    order.sort((a, b) => timesMs[a[0]]! - timesMs[b[0]]! || a[0] - b[0]);
    order.forEach(([i, slot], k) => {
      this.kept[k] = i;
      this.keptSlot[k] = slot;
    });
  }

  /**
   * Fires the timers of silent vehicles: each vehicle's clock moves to eventTime + (nowMs − lastArrival −
   * silenceGrace) and every deadline up to it is evaluated at its own event time. `vins` limits it to those vehicles
   * (a service whose input partitions run on clocks of their own advances each partition's vehicles apart); a VIN
   * the engine does not hold is skipped.
   */
  advance(nowMs: number, vins?: Iterable<string>): AlertTransition[] {
    const out: AlertTransition[] = [];
    if (vins === undefined) {
      for (const v of this.vehicles.values()) this.advanceSilent(v, nowMs, out);
    } else {
      for (const vin of vins) {
        const v = this.vehicles.get(vin);
        if (v !== undefined) this.advanceSilent(v, nowMs, out);
      }
    }
    return out;
  }

  /** Fires the deadlines of one vehicle up to an event time (a backtest's clock, a test's). */
  advanceVehicle(vin: string, eventTimeMs: number): AlertTransition[] {
    const out: AlertTransition[] = [];
    const v = this.vehicles.get(vin);
    if (v !== undefined) this.advanceTo(v, eventTimeMs, out);
    return out;
  }

  /** The vehicle's state as JSON, to persist; undefined for a vehicle the engine does not know. */
  snapshotState(vin: string): VehicleStateJson | undefined {
    const v = this.vehicles.get(vin);
    return v === undefined ? undefined : toJson(v);
  }

  /**
   * Replaces a vehicle's state with a persisted one (after a restart or a partition rebalance). Active alerts stay
   * active and are not raised again; a started `for` or clear delay continues from where it was. Returns the
   * "rule-removed" clears of alerts whose rule is gone from the current snapshot.
   */
  restoreState(vin: string, json: unknown): AlertTransition[] {
    const v = fromJson(vin, json);
    this.vehicles.set(vin, v);
    const out: AlertTransition[] = [];
    this.layout(v, out);
    this.settle(v);
    return out;
  }

  /** Drops a vehicle (its partition moved to another instance). */
  forget(vin: string): void {
    this.vehicles.delete(vin);
    this.dirty.delete(vin);
  }

  /** Vehicles whose state changed since the last call: what to persist. */
  drainChanged(): string[] {
    const list = [...this.dirty];
    this.dirty.clear();
    return list;
  }

  /** For inspection and tests: the phase and alert of a rule for a vehicle. */
  ruleStatus(
    vin: string,
    ruleId: string,
  ):
    { phase: RulePhase; severity: Severity | null; alertId: string | null; nextDeadlineMs: number | null } | undefined {
    const s = this.vehicles.get(vin)?.ruleStates.get(ruleId);
    return s === undefined
      ? undefined
      : {
          phase: s.phase,
          severity: s.alert?.severity ?? null,
          alertId: s.alert?.id ?? null,
          nextDeadlineMs: finite(s.nextDeadlineMs),
        };
  }

  private vehicle(
    vin: string,
    fleetId: string,
    modelId: string,
    catalogVersion: string,
    out: AlertTransition[],
  ): Vehicle {
    let v = this.vehicles.get(vin);
    if (v === undefined) {
      v = new Vehicle(vin, fleetId, modelId, catalogVersion);
      this.vehicles.set(vin, v);
      this.layout(v, out);
    } else if (v.fleetId !== fleetId || v.modelId !== modelId || v.catalogVersion !== catalogVersion) {
      v.fleetId = fleetId;
      v.modelId = modelId;
      v.catalogVersion = catalogVersion;
      v.scopes = [];
      this.layout(v, out);
    }
    this.dirty.add(vin);
    return v;
  }

  /** Lines the vehicle's states up with the current snapshot; clears alerts of rules that no longer apply. */
  private layout(v: Vehicle, out: AlertTransition[]): void {
    const set = this.snapshot.models.get(v.modelId);
    v.ruleSet = set;
    v.states = [];
    const ruleCount = set?.rules.length ?? 0;
    v.quietable = Uint8Array.from(set?.rules ?? [], (rule) => (canBeQuiet(rule) ? 1 : 0));
    v.quiet = new Uint8Array(ruleCount);
    v.quietReads = new Uint8Array(ruleCount * (set?.layout.size ?? 0));
    const keep = new Set<string>();
    for (const rule of set?.rules ?? []) {
      if (!appliesTo(rule, v)) {
        v.states.push(undefined);
        continue;
      }
      keep.add(rule.id);
      let state = v.ruleStates.get(rule.id);
      if (state === undefined) {
        state = newRuleState(rule);
        v.ruleStates.set(rule.id, state);
      } else adoptRuleVersion(rule, state);
      if (state.needsEval) v.needsEval = true;
      else if (Number.isFinite(state.atMs)) setNextDeadline(rule, state, { nowMs: state.atMs, signals: v.signals });
      v.states.push(state);
    }
    for (const [id, state] of v.ruleStates) {
      if (keep.has(id)) continue;
      if (state.alert !== null) {
        const alert = state.alert;
        out.push({
          alertId: alert.id,
          vin: v.vin,
          fleetId: v.fleetId,
          modelId: v.modelId,
          catalogVersion: v.catalogVersion,
          ruleId: id,
          ruleVersion: state.version,
          ruleName: this.snapshot.rules.find((r) => r.id === id)?.name ?? id,
          state: 'cleared',
          severity: alert.severity,
          previousSeverity: null,
          eventTimeMs: Math.max(v.eventTimeMs, Number.isFinite(state.atMs) ? state.atMs : -Infinity, alert.raisedAtMs),
          episodeStartMs: alert.startMs,
          transitionSeq: alert.seq + 1,
          evidence: [],
          message: alert.message,
          backfill: false,
          timer: false,
          reason: 'rule-removed',
        });
      }
      v.ruleStates.delete(id);
    }
    // Keep exactly the signals the rules read; a newly read signal counts its silence from now.
    const layout = set?.layout ?? NO_SIGNALS;
    v.signals.relayout(layout, (slot) => set?.windowMsBySlot[slot] ?? 0);
    for (const id of layout.ids) v.signals.track(id, v.eventTimeMs);
    this.dirty.add(v.vin);
    this.settle(v);
  }

  private scopeOf(v: Vehicle, backfill: boolean, timer: boolean): EvaluationScope {
    const slot = (backfill ? 2 : 0) + (timer ? 1 : 0);
    return (v.scopes[slot] ??= {
      vin: v.vin,
      fleetId: v.fleetId,
      modelId: v.modelId,
      catalogVersion: v.catalogVersion,
      backfill,
      timer,
    });
  }

  /** Evaluates rule `index` of the vehicle at `evalAtMs` (or at its last evaluation time, if later). */
  private evaluate(v: Vehicle, index: number, scope: EvaluationScope, out: AlertTransition[]): void {
    const rule = v.ruleSet!.rules[index]!;
    const state = v.states[index]!;
    const c = this.ctx;
    const signals = v.signals;
    c.signals = signals;
    const t = this.evalAtMs;
    c.nowMs = state.atMs > t ? state.atMs : t; // (never evaluated: atMs is NaN)
    const phase = state.phase;
    const emitted = out.length;
    const record = v.quietable[index] === 1;
    if (record) {
      // Which signals this evaluation reads: the ones whose change can make the rule leave quiet.
      const width = v.ruleSet!.layout.size;
      const reads = v.quietReads;
      for (let at = index * width, end = at + width; at < end; at++) reads[at] = 0; // (a loop: fill() costs more)
      signals.readsAt = index * width;
      signals.reads = reads;
    } else signals.reads = undefined;
    if (this.measureRules) this.evaluateMeasured(rule, state, scope, out);
    else evaluateRule(rule, state, c, scope, out);
    signals.reads = undefined;
    v.quiet[index] = record && state.phase === phase && out.length === emitted ? 1 : 0;
    setNextDeadline(rule, state, c);
    // Keeps v.nextDeadlineMs a lower bound of its rules' deadlines (settle() makes it exact).
    if (state.nextDeadlineMs < v.nextDeadlineMs) v.nextDeadlineMs = state.nextDeadlineMs;
  }

  /** `evaluateRule`, counted, and timed one time in eight (`measureRules`). */
  private evaluateMeasured(rule: CompiledRule, state: RuleState, scope: EvaluationScope, out: AlertTransition[]): void {
    if ((this.measureTick++ & 7) === 0) {
      const started = performance.now();
      evaluateRule(rule, state, this.ctx, scope, out);
      this.accountRule(rule.id, performance.now() - started);
    } else {
      this.accountRule(rule.id, -1);
      evaluateRule(rule, state, this.ctx, scope, out);
    }
  }

  /** One evaluation of the rule; `ms` its measured time, or -1 when it was not measured. */
  private accountRule(ruleId: string, ms: number): void {
    let timing = this.ruleTimings.get(ruleId);
    if (timing === undefined) {
      timing = { evaluations: 0, measured: 0, ms: 0 };
      this.ruleTimings.set(ruleId, timing);
    }
    timing.evaluations++;
    if (ms >= 0) {
      timing.measured++;
      timing.ms += ms;
    }
  }

  /** Per-rule evaluations and time since the last call (empty unless `measureRules`); resets them. */
  drainRuleTimings(): RuleTiming[] {
    const out: RuleTiming[] = [];
    for (const [ruleId, t] of this.ruleTimings) {
      const seconds = t.measured === 0 ? 0 : ((t.ms / t.measured) * t.evaluations) / 1000;
      out.push({ ruleId, evaluations: t.evaluations, seconds });
    }
    this.ruleTimings.clear();
    return out;
  }

  private touch(index: number): void {
    if (this.touchedFlags[index] === 1) return;
    this.touchedFlags[index] = 1;
    this.touched[this.touchedCount++] = index;
  }

  /**
   * Evaluates the rules touched by the samples at `evalAtMs` (and those waiting for a first evaluation); untouches
   * them.
   */
  private evaluateTouched(v: Vehicle, set: ModelRuleSet, live: boolean, out: AlertTransition[]): void {
    const touched = this.touched;
    const touchedCount = this.touchedCount;
    const all = v.needsEval;
    if (live) v.needsEval = false;
    if (!all && touchedCount > 1) touched.subarray(0, touchedCount).sort();
    const count = all ? set.rules.length : touchedCount;
    const scope = this.scopeOf(v, !live, false);
    for (let k = 0; k < count; k++) {
      const i = all ? k : touched[k]!;
      const state = v.states[i];
      if (state === undefined || !(this.touchedFlags[i] === 1 || state.needsEval)) continue;
      if (!live && set.rules[i]!.backfill !== 'evaluate') {
        // Backfill updated what this rule reads: it looks again at the next live evaluation, raising nothing now.
        state.needsEval = true;
        v.needsEval = true;
        v.quiet[i] = 0;
        continue;
      }
      this.evaluate(v, i, scope, out);
    }
    for (let k = 0; k < touchedCount; k++) this.touchedFlags[touched[k]!] = 0;
    this.touchedCount = 0;
  }

  /** Evaluates deadlines before `limit` (or up to it, inclusive), earliest first; `only` selects rules by index. */
  private runDeadlines(
    v: Vehicle,
    limit: number,
    inclusive: boolean,
    out: AlertTransition[],
    only: ((index: number) => boolean) | undefined,
    backfill: boolean,
  ): void {
    if (v.nextDeadlineMs > limit) return;
    const scope = this.scopeOf(v, backfill, true);
    for (let guard = 0; guard < 100_000; guard++) {
      let best = -1;
      let bestDeadline = Infinity;
      for (let i = 0; i < v.states.length; i++) {
        if (only !== undefined && !only(i)) continue;
        const d = v.states[i]?.nextDeadlineMs ?? Infinity;
        if (d < bestDeadline) {
          best = i;
          bestDeadline = d;
        }
      }
      if (best < 0 || bestDeadline > limit || (!inclusive && bestDeadline === limit)) {
        // Over every rule this is the vehicle's exact next deadline: later samples skip this scan until then.
        if (only === undefined) v.nextDeadlineMs = bestDeadline;
        return;
      }
      this.evalAtMs = bestDeadline;
      this.evaluate(v, best, scope, out);
    }
  }

  private advanceSilent(v: Vehicle, nowMs: number, out: AlertTransition[]): void {
    if (!Number.isFinite(v.eventTimeMs) || !Number.isFinite(v.lastArrivalMs)) return;
    const target = v.eventTimeMs + Math.max(0, nowMs - v.lastArrivalMs - this.silenceGraceMs);
    this.advanceTo(v, target, out);
  }

  private advanceTo(v: Vehicle, target: number, out: AlertTransition[]): void {
    if (v.ruleSet === undefined) return;
    if (v.needsEval && Number.isFinite(v.eventTimeMs)) {
      v.needsEval = false;
      const scope = this.scopeOf(v, false, false);
      v.states.forEach((state, i) => {
        this.evalAtMs = v.eventTimeMs;
        if (state?.needsEval === true) this.evaluate(v, i, scope, out);
      });
      this.dirty.add(v.vin);
    }
    if (v.nextDeadlineMs > target) {
      this.settle(v);
      return;
    }
    this.runDeadlines(v, target, true, out, undefined, false);
    this.dirty.add(v.vin);
    this.settle(v);
  }

  private settle(v: Vehicle): void {
    let d = Infinity;
    for (const s of v.states) if (s !== undefined && s.nextDeadlineMs < d) d = s.nextDeadlineMs;
    v.nextDeadlineMs = d;
  }
}

function toJson(v: Vehicle): VehicleStateJson {
  const latest: Record<string, readonly [number | null, number]> = {};
  for (const [id, value, timeMs] of v.signals.latestEntries()) latest[id] = [value, timeMs];
  const windows: Record<string, readonly [number[], number[]]> = {};
  for (const [id, buffer] of v.signals.windowEntries())
    windows[id] = [buffer.times.slice(buffer.head), buffer.values.slice(buffer.head)];
  const rules: Record<string, RuleStateJson> = {};
  for (const [id, s] of v.ruleStates) {
    rules[id] = {
      version: s.version,
      atMs: finite(s.atMs),
      phase: s.phase,
      sinceMs: finite(s.sinceMs),
      dueMs: finite(s.dueMs),
      lastRaisedMs: finite(s.lastRaisedMs),
      alert: s.alert === null ? null : { ...s.alert },
      steps: s.stepTruth.map((truth, i) => [truth, finite(s.stepChangedMs[i]!)] as const),
      seq: s.seq === null ? null : { ...s.seq, aRiseMs: finite(s.seq.aRiseMs) },
    };
  }
  return {
    format: VEHICLE_STATE_FORMAT,
    vin: v.vin,
    fleetId: v.fleetId,
    modelId: v.modelId,
    catalogVersion: v.catalogVersion,
    eventTimeMs: finite(v.eventTimeMs),
    lastArrivalMs: finite(v.lastArrivalMs),
    firstEventTimeMs: finite(v.signals.firstEventTimeMs),
    latest,
    windows,
    rules,
  };
}

const invalidState = (vin: string, why: string): TelltaleError =>
  new TelltaleError('RULE_STATE_INVALID', `Persisted rule-engine state of ${vin} is invalid: ${why}.`, {
    details: { vin },
  });

const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const isNumberOrNull = (x: unknown): x is number | null => x === null || typeof x === 'number';
const PHASES: readonly RulePhase[] = ['idle', 'pending', 'active', 'clearing'];

function fromJson(vin: string, json: unknown): Vehicle {
  if (!isRecord(json) || json.format !== VEHICLE_STATE_FORMAT)
    throw invalidState(vin, `expected an object with format ${VEHICLE_STATE_FORMAT}`);
  if (json.vin !== vin) throw invalidState(vin, `it belongs to ${String(json.vin)}`);
  const { fleetId, modelId, catalogVersion, latest, windows, rules } = json;
  if (typeof fleetId !== 'string' || typeof modelId !== 'string' || typeof catalogVersion !== 'string')
    throw invalidState(vin, 'fleetId, modelId and catalogVersion must be strings');
  if (
    !isNumberOrNull(json.eventTimeMs) ||
    !isNumberOrNull(json.lastArrivalMs) ||
    !isNumberOrNull(json.firstEventTimeMs)
  )
    throw invalidState(vin, 'times must be numbers or null');
  if (!isRecord(latest) || !isRecord(windows) || !isRecord(rules))
    throw invalidState(vin, 'latest, windows and rules must be objects');
  const v = new Vehicle(vin, fleetId, modelId, catalogVersion);
  v.eventTimeMs = json.eventTimeMs ?? -Infinity;
  v.lastArrivalMs = json.lastArrivalMs ?? -Infinity;
  v.signals.firstEventTimeMs = orNaN(json.firstEventTimeMs);
  for (const [id, entry] of Object.entries(latest)) {
    if (!Array.isArray(entry) || !isNumberOrNull(entry[0]) || typeof entry[1] !== 'number')
      throw invalidState(vin, `latest/${id} must be [value, time]`);
    v.signals.restoreLatest(Number(id), entry[0], entry[1]);
  }
  for (const [id, entry] of Object.entries(windows)) {
    if (
      !Array.isArray(entry) ||
      !Array.isArray(entry[0]) ||
      !Array.isArray(entry[1]) ||
      entry[0].length !== entry[1].length
    )
      throw invalidState(vin, `windows/${id} must be [times, values]`);
    v.signals.restoreWindow(
      Number(id),
      WindowBuffer.of((entry[0] as unknown[]).map(Number), (entry[1] as unknown[]).map(Number)),
    );
  }
  for (const [id, raw] of Object.entries(rules)) {
    if (
      !isRecord(raw) ||
      typeof raw.version !== 'number' ||
      !PHASES.includes(raw.phase as RulePhase) ||
      !Array.isArray(raw.steps)
    )
      throw invalidState(vin, `rules/${id} is malformed`);
    const r = raw as unknown as RuleStateJson;
    if (r.alert !== null && (!isRecord(r.alert) || typeof r.alert.id !== 'string' || !isSeverity(r.alert.severity)))
      throw invalidState(vin, `rules/${id}/alert is malformed`);
    if ((r.phase === 'active' || r.phase === 'clearing') !== (r.alert !== null))
      throw invalidState(vin, `rules/${id}: phase ${r.phase} does not match its alert`);
    const state: RuleState = {
      version: r.version,
      atMs: orNaN(r.atMs),
      needsEval: r.atMs === null,
      phase: r.phase,
      sinceMs: orNaN(r.sinceMs),
      dueMs: orNaN(r.dueMs),
      lastRaisedMs: r.lastRaisedMs ?? -Infinity,
      alert: r.alert === null ? null : { ...r.alert },
      stepTruth: r.steps.map((s) => s[0] === true),
      stepChangedMs: r.steps.map((s) => orNaN(s[1])),
      seq:
        r.seq === null || r.seq === undefined
          ? null
          : {
              ...r.seq,
              aRiseMs: orNaN(r.seq.aRiseMs),
              aEvidence: [...r.seq.aEvidence],
              matchEvidence: [...r.seq.matchEvidence],
            },
      nextDeadlineMs: Infinity,
    };
    v.ruleStates.set(id, state);
  }
  return v;
}
