/**
 * What a backtest tells an engineer, from the transitions it produced: counts per vehicle, flapping (an alert raised
 * and cleared again within a short time), time from a vehicle's first replayed sample to its first alert, and the
 * difference to what live diagnostics really recorded for the same rule, vehicles and range. Pure.
 *
 * Transitions are compared by (alertId, transitionSeq): alert ids are deterministic (vin, rule, episode start), so
 * the same data through the same rule gives the same ids live and in a backtest. A pair present on both sides with
 * another state, severity or event time is `changed`.
 */
import type { AlertState, AlertTransition, Severity } from '@telltale/rules';

/** A transition as the report lists it (evidence included, the rest of AlertTransition left out). */
export interface TransitionView {
  readonly alertId: string;
  readonly transitionSeq: number;
  readonly vin: string;
  readonly ruleId: string;
  readonly ruleVersion: number;
  readonly state: AlertState;
  readonly severity: Severity;
  readonly eventTimeMs: number;
  readonly episodeStartMs: number;
  readonly timer: boolean;
  readonly message: string;
  readonly evidence: AlertTransition['evidence'];
}

/** A transition live diagnostics recorded (alert_transitions). */
export type LiveTransition = Pick<
  TransitionView,
  'alertId' | 'transitionSeq' | 'vin' | 'ruleId' | 'ruleVersion' | 'state' | 'severity' | 'eventTimeMs'
>;

export interface VehicleSummary {
  readonly vin: string;
  readonly samples: number;
  readonly transitions: number;
  readonly raised: number;
  readonly flaps: number;
  /** Event time of the first raise; null when none. */
  readonly firstAlertMs: number | null;
  /** From the vehicle's first replayed sample to its first raise; null when none. */
  readonly timeToFirstAlertMs: number | null;
}

export interface Flap {
  readonly vin: string;
  readonly alertId: string;
  readonly raisedMs: number;
  readonly clearedMs: number;
}

export interface DiffEntry {
  readonly alertId: string;
  readonly transitionSeq: number;
  readonly vin: string;
  readonly state: AlertState;
  readonly severity: Severity;
  readonly eventTimeMs: number;
}

export interface TransitionDiff {
  /** Transitions live diagnostics recorded in the range. */
  readonly live: number;
  readonly matched: number;
  /** The backtest made them, live did not (up to `listLimit` listed; the counts are exact). */
  readonly onlyBacktest: { readonly count: number; readonly items: DiffEntry[] };
  readonly onlyLive: { readonly count: number; readonly items: DiffEntry[] };
  /** Same alert id and sequence, another state, severity or event time. */
  readonly changed: { readonly count: number; readonly items: { backtest: DiffEntry; live: DiffEntry }[] };
}

export interface BacktestSummary {
  readonly samples: number;
  readonly transitions: number;
  readonly byState: Readonly<Record<AlertState, number>>;
  readonly vehicles: VehicleSummary[];
  readonly vehiclesWithAlerts: number;
  readonly flapping: { readonly windowMs: number; readonly count: number; readonly items: Flap[] };
  /** Over the vehicles with an alert: min, median, max time to first alert (ms). */
  readonly timeToFirstAlert: {
    readonly vehicles: number;
    readonly minMs: number;
    readonly medianMs: number;
    readonly maxMs: number;
  } | null;
  readonly diff: TransitionDiff | null;
}

export interface SummaryInput {
  readonly transitions: readonly AlertTransition[];
  readonly vehicles: readonly { readonly vin: string; readonly samples: number; readonly firstSampleMs: number }[];
  /** A raise followed by its clear within this time is a flap. */
  readonly flapWindowMs: number;
  /** What live diagnostics recorded; undefined: no comparison. */
  readonly live?: readonly LiveTransition[];
  /** Entries listed per part of the diff and of the flaps (counts stay exact). Default 100. */
  readonly listLimit?: number;
}

export function transitionView(t: AlertTransition): TransitionView {
  return {
    alertId: t.alertId,
    transitionSeq: t.transitionSeq,
    vin: t.vin,
    ruleId: t.ruleId,
    ruleVersion: t.ruleVersion,
    state: t.state,
    severity: t.severity,
    eventTimeMs: t.eventTimeMs,
    episodeStartMs: t.episodeStartMs,
    timer: t.timer,
    message: t.message,
    evidence: t.evidence,
  };
}

const keyOf = (t: { alertId: string; transitionSeq: number }): string => `${t.alertId}#${t.transitionSeq}`;

const entryOf = (t: DiffEntry): DiffEntry => ({
  alertId: t.alertId,
  transitionSeq: t.transitionSeq,
  vin: t.vin,
  state: t.state,
  severity: t.severity,
  eventTimeMs: t.eventTimeMs,
});

export function summarize(input: SummaryInput): BacktestSummary {
  const limit = input.listLimit ?? 100;
  const byState: Record<AlertState, number> = { raised: 0, escalated: 0, deescalated: 0, cleared: 0 };
  const perVehicle = new Map<string, { transitions: number; raised: number; flaps: number; firstAlertMs: number }>();
  const raisedAt = new Map<string, number>();
  const flaps: Flap[] = [];
  let flapCount = 0;
  for (const t of input.transitions) {
    byState[t.state]++;
    let v = perVehicle.get(t.vin);
    if (v === undefined) perVehicle.set(t.vin, (v = { transitions: 0, raised: 0, flaps: 0, firstAlertMs: Infinity }));
    v.transitions++;
    if (t.state === 'raised') {
      v.raised++;
      if (t.eventTimeMs < v.firstAlertMs) v.firstAlertMs = t.eventTimeMs;
      raisedAt.set(t.alertId, t.eventTimeMs);
    } else if (t.state === 'cleared') {
      const raised = raisedAt.get(t.alertId);
      if (raised !== undefined && t.eventTimeMs - raised <= input.flapWindowMs) {
        v.flaps++;
        flapCount++;
        if (flaps.length < limit)
          flaps.push({ vin: t.vin, alertId: t.alertId, raisedMs: raised, clearedMs: t.eventTimeMs });
      }
    }
  }
  const vehicles: VehicleSummary[] = [];
  const firsts: number[] = [];
  const known = new Map(input.vehicles.map((v) => [v.vin, v]));
  for (const vin of new Set([...known.keys(), ...perVehicle.keys()])) {
    const replayed = known.get(vin);
    const v = perVehicle.get(vin);
    const firstAlertMs = v !== undefined && Number.isFinite(v.firstAlertMs) ? v.firstAlertMs : null;
    const timeToFirstAlertMs =
      firstAlertMs !== null && replayed !== undefined && Number.isFinite(replayed.firstSampleMs)
        ? firstAlertMs - replayed.firstSampleMs
        : null;
    if (timeToFirstAlertMs !== null) firsts.push(timeToFirstAlertMs);
    vehicles.push({
      vin,
      samples: replayed?.samples ?? 0,
      transitions: v?.transitions ?? 0,
      raised: v?.raised ?? 0,
      flaps: v?.flaps ?? 0,
      firstAlertMs,
      timeToFirstAlertMs,
    });
  }
  vehicles.sort((a, b) => b.raised - a.raised || b.transitions - a.transitions || (a.vin < b.vin ? -1 : 1));
  firsts.sort((a, b) => a - b);
  return {
    samples: input.vehicles.reduce((n, v) => n + v.samples, 0),
    transitions: input.transitions.length,
    byState,
    vehicles,
    vehiclesWithAlerts: vehicles.filter((v) => v.raised > 0).length,
    flapping: { windowMs: input.flapWindowMs, count: flapCount, items: flaps },
    timeToFirstAlert:
      firsts.length === 0
        ? null
        : {
            vehicles: firsts.length,
            minMs: firsts[0]!,
            medianMs: firsts[Math.floor((firsts.length - 1) / 2)]!,
            maxMs: firsts[firsts.length - 1]!,
          },
    diff: input.live === undefined ? null : diffTransitions(input.transitions, input.live, limit),
  };
}

/**
 * One side against another by (alertId, transitionSeq): a backtest against live, or a shadow version against the
 * active one (`POST /v1/rules/backtest`, `GET /v1/rules/{ruleId}/shadow`).
 */
export function diffTransitions(
  backtest: readonly LiveTransition[],
  live: readonly LiveTransition[],
  listLimit = 100,
): TransitionDiff {
  const liveByKey = new Map(live.map((t) => [keyOf(t), t]));
  const seen = new Set<string>();
  const onlyBacktest: DiffEntry[] = [];
  const changed: { backtest: DiffEntry; live: DiffEntry }[] = [];
  let onlyBacktestCount = 0;
  let changedCount = 0;
  let matched = 0;
  for (const t of backtest) {
    const key = keyOf(t);
    const other = liveByKey.get(key);
    if (other === undefined) {
      onlyBacktestCount++;
      if (onlyBacktest.length < listLimit) onlyBacktest.push(entryOf(t));
      continue;
    }
    seen.add(key);
    if (other.state === t.state && other.severity === t.severity && other.eventTimeMs === t.eventTimeMs) matched++;
    else {
      changedCount++;
      if (changed.length < listLimit) changed.push({ backtest: entryOf(t), live: entryOf(other) });
    }
  }
  const onlyLive: DiffEntry[] = [];
  let onlyLiveCount = 0;
  for (const t of live) {
    if (seen.has(keyOf(t))) continue;
    onlyLiveCount++;
    if (onlyLive.length < listLimit) onlyLive.push(entryOf(t));
  }
  return {
    live: live.length,
    matched,
    onlyBacktest: { count: onlyBacktestCount, items: onlyBacktest },
    onlyLive: { count: onlyLiveCount, items: onlyLive },
    changed: { count: changedCount, items: changed },
  };
}
