/**
 * The state machine of one rule for one vehicle, evaluated at an event time:
 *
 *   idle ──condition true──▶ pending ──true for `for` (and `reraiseAfter` since the last raise)──▶ active(level)
 *     ▲                        │ false                                                           │ clear condition true
 *     └────────────────────────┘                                   active ◀──clear false── clearing
 *                                                                                              │ true for clear.for
 *                                                                                              ▼
 *                                                                                            idle
 *
 * While active, the ladder moves the level: up to a step whose `when` held for the step's `for`, down from a step
 * whose `when` was false for clear.for (the same hysteresis delay as clearing). Every deadline (`for`, clear delay,
 * step delays, stale(), a window emptying) is returned by nextDeadline so the engine can evaluate exactly then, with
 * or without new data.
 */
import { alertId, type AlertState, type AlertTransition, type Evidence } from './alert.js';
import type { CompiledRule } from './compile-rules.js';
import type { Probe } from './expression/compile.js';
import type { Severity } from './severity.js';
import { severityRank } from './severity.js';
import type { EvalContext } from './signal-state.js';

export type RulePhase = 'idle' | 'pending' | 'active' | 'clearing';

export interface ActiveAlert {
  id: string;
  /** When the condition started to hold (the alert id derives from it). */
  startMs: number;
  raisedAtMs: number;
  severity: Severity;
  /** Number of transitions emitted so far (1 after the raise). */
  seq: number;
  /** Last rendered message, reused when the rule disappears while the alert is active. */
  message: string;
}

export interface SequenceState {
  aTrue: boolean;
  /** Event time `first` last became true; NaN: never. */
  aRiseMs: number;
  /** What made `first` true then, for the raise's evidence. */
  aEvidence: Evidence[];
  bTrue: boolean;
  matched: boolean;
  matchEvidence: Evidence[];
}

export interface RuleState {
  version: number;
  /** Event time of the last evaluation; NaN: never evaluated. Evaluation time never goes back. */
  atMs: number;
  /** Evaluate at the next opportunity (new rule, new rule version, restored state, data seen while not evaluated). */
  needsEval: boolean;
  phase: RulePhase;
  /** pending: condition true since; clearing: clear condition true since. */
  sinceMs: number;
  /** pending: when the alert may be raised (`for` and `reraiseAfter`). */
  dueMs: number;
  /** -Infinity: never raised. */
  lastRaisedMs: number;
  alert: ActiveAlert | null;
  /** Per ladder step: whether its `when` held at the last evaluation while active, and since when. */
  stepTruth: boolean[];
  stepChangedMs: number[];
  seq: SequenceState | null;
  /** Earliest event time at which evaluating again may change something without new data; Infinity: none. */
  nextDeadlineMs: number;
}

export function newRuleState(rule: CompiledRule): RuleState {
  return {
    version: rule.version,
    atMs: NaN,
    needsEval: true,
    phase: 'idle',
    sinceMs: NaN,
    dueMs: NaN,
    lastRaisedMs: -Infinity,
    alert: null,
    stepTruth: rule.steps.map(() => false),
    stepChangedMs: rule.steps.map(() => NaN),
    seq: null,
    nextDeadlineMs: Infinity,
  };
}

/** Brings a state made by another version of the rule in line with this one; an active alert continues. */
export function adoptRuleVersion(rule: CompiledRule, state: RuleState): void {
  if (state.version === rule.version && state.stepTruth.length === rule.steps.length) return;
  state.version = rule.version;
  state.needsEval = true;
  state.stepTruth = rule.steps.map((_, i) => state.stepTruth[i] ?? false);
  state.stepChangedMs = rule.steps.map((_, i) => state.stepChangedMs[i] ?? state.atMs);
  if (rule.trigger.kind !== 'sequence') state.seq = null;
  if (state.phase === 'pending')
    state.dueMs = Math.max(state.sinceMs + rule.forMs, state.lastRaisedMs + rule.reraiseAfterMs);
}

/** Who the transitions are for, and why this evaluation happens. */
export interface EvaluationScope {
  readonly vin: string;
  readonly fleetId: string;
  readonly modelId: string;
  readonly catalogVersion: string;
  readonly backfill: boolean;
  readonly timer: boolean;
}

export function collectEvidence(
  probes: readonly Probe[],
  c: EvalContext,
  into: Evidence[] = [],
  seen = new Set<string>(),
): Evidence[] {
  for (const probe of probes) {
    if (seen.has(probe.key)) continue;
    seen.add(probe.key);
    const { value, eventTimeMs } = probe.read(c);
    into.push({ signal: probe.label, qualifiedName: probe.qualifiedName, value, eventTimeMs, unit: probe.unit });
  }
  return into;
}

/** The index of the step an alert of `severity` is on; a severity the ladder lost maps to the step just below it. */
export function stepIndex(rule: CompiledRule, severity: Severity): number {
  let best = 0;
  rule.steps.forEach((step, i) => {
    if (severityRank(step.level) <= severityRank(severity)) best = i;
  });
  return best;
}

function stepHolds(rule: CompiledRule, i: number, c: EvalContext): boolean {
  const when = rule.steps[i]!.when;
  return when === undefined ? i === 0 : when.fn(c) === 1;
}

/** 1 true, 0 false, NaN unknown. Updates the sequence state of a sequence rule. */
function triggerValue(rule: CompiledRule, state: RuleState, c: EvalContext): number {
  const trigger = rule.trigger;
  switch (trigger.kind) {
    case 'condition':
      return trigger.condition.fn(c);
    case 'any-step': {
      let unknown = false;
      for (const step of rule.steps) {
        const v = step.when === undefined ? 0 : step.when.fn(c);
        if (v === 1) return 1;
        if (v !== v) unknown = true;
      }
      return unknown ? NaN : 0;
    }
    case 'sequence': {
      const t = c.nowMs;
      const s = (state.seq ??= {
        aTrue: false,
        aRiseMs: NaN,
        aEvidence: [],
        bTrue: false,
        matched: false,
        matchEvidence: [],
      });
      const a = trigger.first.fn(c) === 1;
      const b = trigger.then.fn(c) === 1;
      // `then` must become true after `first` became true, within the window. A rise of both at the same instant is
      // not "A then B": the check uses `first`'s previous rise, before this evaluation updates it.
      if (b && !s.bTrue) {
        s.matched = Number.isFinite(s.aRiseMs) && s.aRiseMs < t && t - s.aRiseMs <= trigger.withinMs;
        s.matchEvidence = s.matched ? s.aEvidence : [];
      }
      if (!b) s.matched = false;
      s.bTrue = b;
      if (a && !s.aTrue) {
        s.aRiseMs = t;
        s.aEvidence = collectEvidence(trigger.first.probes, c);
      }
      s.aTrue = a;
      return s.matched ? 1 : 0;
    }
  }
}

/** Appends a transition of the rule's active alert, rendering the message at this evaluation. */
function emit(
  rule: CompiledRule,
  state: RuleState,
  c: EvalContext,
  scope: EvaluationScope,
  out: AlertTransition[],
  kind: AlertState,
  previous: Severity | null,
  evidence: Evidence[],
): void {
  const alert = state.alert!;
  const severity = alert.severity;
  alert.seq++;
  alert.message = rule.template(c, {
    vin: scope.vin,
    fleetId: scope.fleetId,
    modelId: scope.modelId,
    ruleId: rule.id,
    ruleName: rule.name,
    severity,
  });
  out.push({
    alertId: alert.id,
    vin: scope.vin,
    fleetId: scope.fleetId,
    modelId: scope.modelId,
    catalogVersion: scope.catalogVersion,
    ruleId: rule.id,
    ruleVersion: rule.version,
    ruleName: rule.name,
    state: kind,
    severity,
    previousSeverity: previous,
    eventTimeMs: c.nowMs,
    episodeStartMs: alert.startMs,
    transitionSeq: alert.seq,
    evidence,
    message: alert.message,
    backfill: scope.backfill,
    timer: scope.timer,
    reason: 'condition',
  });
}

function raise(
  rule: CompiledRule,
  state: RuleState,
  c: EvalContext,
  scope: EvaluationScope,
  out: AlertTransition[],
): void {
  const t = c.nowMs;
  let level = 0;
  for (let i = 0; i < rule.steps.length; i++) {
    const truth = stepHolds(rule, i, c);
    state.stepTruth[i] = truth;
    state.stepChangedMs[i] = t;
    if (truth) level = i;
  }
  state.alert = {
    id: alertId(scope.vin, rule.id, state.sinceMs),
    startMs: state.sinceMs,
    raisedAtMs: t,
    severity: rule.steps[level]!.level,
    seq: 0,
    message: '',
  };
  state.phase = 'active';
  state.lastRaisedMs = t;
  // A sequence shows what made `first` true back then, followed by what makes `then` true now.
  const evidence = rule.trigger.kind === 'sequence' ? [...(state.seq?.matchEvidence ?? [])] : [];
  const seen = new Set<string>();
  collectEvidence(rule.triggerProbes, c, evidence, seen);
  collectEvidence(rule.steps[level]!.when?.probes ?? [], c, evidence, seen);
  emit(rule, state, c, scope, out, 'raised', null, evidence);
}

/** Evaluates the rule at `c.nowMs` and appends the transitions it makes to `out`. */
export function evaluateRule(
  rule: CompiledRule,
  state: RuleState,
  c: EvalContext,
  scope: EvaluationScope,
  out: AlertTransition[],
): void {
  const t = c.nowMs;
  state.atMs = t;
  state.needsEval = false;
  const trigger = triggerValue(rule, state, c);
  const holds = trigger === 1;
  switch (state.phase) {
    case 'idle':
      if (!holds) break;
      state.sinceMs = t;
      state.dueMs = Math.max(t + rule.forMs, state.lastRaisedMs + rule.reraiseAfterMs);
      if (t >= state.dueMs) raise(rule, state, c, scope, out);
      else state.phase = 'pending';
      break;
    case 'pending':
      if (!holds) state.phase = 'idle';
      else if (t >= state.dueMs) raise(rule, state, c, scope, out);
      break;
    case 'active':
    case 'clearing': {
      // Default clear condition: the condition is known to be false (unknown data neither raises nor clears).
      const clears = rule.clear === undefined ? trigger === 0 : rule.clear.fn(c) === 1;
      if (!clears) {
        state.phase = 'active';
        updateLevel(rule, state, c, scope, out);
        break;
      }
      if (state.phase === 'active') {
        state.phase = 'clearing';
        state.sinceMs = t;
      }
      if (t - state.sinceMs >= rule.clearForMs) {
        emit(rule, state, c, scope, out, 'cleared', null, collectEvidence(rule.clear?.probes ?? rule.triggerProbes, c));
        state.alert = null;
        state.phase = 'idle';
      }
      break;
    }
  }
}

function updateLevel(
  rule: CompiledRule,
  state: RuleState,
  c: EvalContext,
  scope: EvaluationScope,
  out: AlertTransition[],
): void {
  if (rule.steps.length <= 1) return;
  const t = c.nowMs;
  const alert = state.alert!;
  const current = stepIndex(rule, alert.severity);
  for (let i = 0; i < rule.steps.length; i++) {
    const truth = stepHolds(rule, i, c);
    if (truth !== state.stepTruth[i] || Number.isNaN(state.stepChangedMs[i])) {
      state.stepTruth[i] = truth;
      state.stepChangedMs[i] = t;
    }
  }
  for (let i = rule.steps.length - 1; i > current; i--) {
    if (state.stepTruth[i] && t - state.stepChangedMs[i]! >= rule.steps[i]!.forMs) {
      const previous = alert.severity;
      alert.severity = rule.steps[i]!.level;
      emit(rule, state, c, scope, out, 'escalated', previous, collectEvidence(rule.steps[i]!.when?.probes ?? [], c));
      return;
    }
  }
  if (current > 0 && !state.stepTruth[current] && t - state.stepChangedMs[current]! >= rule.clearForMs) {
    let target = 0;
    for (let j = current - 1; j > 0; j--) {
      if (state.stepTruth[j]) {
        target = j;
        break;
      }
    }
    const previous = alert.severity;
    alert.severity = rule.steps[target]!.level;
    emit(
      rule,
      state,
      c,
      scope,
      out,
      'deescalated',
      previous,
      collectEvidence(rule.steps[current]!.when?.probes ?? [], c),
    );
  } else if (rule.steps[current]!.level !== alert.severity) {
    // The ladder changed under an active alert (new rule version): settle on the step it maps to, silently.
    alert.severity = rule.steps[current]!.level;
  }
}

/**
 * Sets `state.nextDeadlineMs`: the earliest event time after `c.nowMs` at which evaluating may change the outcome
 * without any new sample. (It sets rather than returns, and takes the time inside `c`: V8 boxes a double returned or
 * passed by a call it does not inline, a heap allocation per evaluation.)
 */
export function setNextDeadline(rule: CompiledRule, state: RuleState, c: EvalContext): void {
  const { nowMs, signals } = c;
  let d = Infinity;
  let x = NaN;
  if (state.phase === 'pending') x = state.dueMs;
  else if (state.phase === 'clearing') x = state.sinceMs + rule.clearForMs;
  if (x > nowMs) d = x;
  if (state.phase === 'active' && state.alert !== null && rule.steps.length > 1) {
    const current = stepIndex(rule, state.alert.severity);
    for (let i = current + 1; i < rule.steps.length; i++) {
      x = state.stepChangedMs[i]! + rule.steps[i]!.forMs;
      if (state.stepTruth[i] && x > nowMs && x < d) d = x;
    }
    x = state.stepChangedMs[current]! + rule.clearForMs;
    if (current > 0 && !state.stepTruth[current] && x > nowMs && x < d) d = x;
  }
  for (const s of rule.stale) {
    x = signals.lastUpdateMs(s.id) + s.ms;
    if (x > nowMs && x < d) d = x;
  }
  for (const w of rule.windows) {
    x = (signals.window(w.id)?.newestTime() ?? NaN) + w.ms;
    if (x > nowMs && x < d) d = x;
  }
  state.nextDeadlineMs = d;
}
