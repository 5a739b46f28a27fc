/**
 * A rule's shadow version beside its active version over one event-time range: transitions per side by state, per
 * vehicle, and what one side raised that the other did not. Transitions are matched by (alertId, transitionSeq) with
 * the backtest's diff: alert ids are deterministic (vin, rule, episode start), so the two versions give one episode
 * the same id when they see it start at the same sample. Pure.
 */
import { diffTransitions, type DiffEntry, type LiveTransition, type TransitionDiff } from '@telltale/backtest';
import type { AlertState } from '@telltale/rules';

/** A transition of either side, without its evidence. */
export type ComparedTransition = LiveTransition & { readonly fleetId: string };

export interface SideSummary {
  readonly transitions: number;
  readonly byState: Readonly<Record<AlertState, number>>;
  /** Vehicles with at least one raise. */
  readonly vehiclesAlerted: number;
  /** Rule versions seen on this side (the active side may span an edit). */
  readonly versions: readonly number[];
}

export interface VehicleComparison {
  readonly vin: string;
  readonly active: { readonly transitions: number; readonly raised: number };
  readonly shadow: { readonly transitions: number; readonly raised: number };
}

export interface ShadowComparison {
  readonly active: SideSummary;
  readonly shadow: SideSummary;
  /** Most different first (|shadow raises − active raises|), then by VIN; at most `listLimit`. */
  readonly vehicles: readonly VehicleComparison[];
  readonly vehiclesTotal: number;
  readonly diff: {
    readonly matched: number;
    readonly onlyShadow: TransitionDiff['onlyBacktest'];
    readonly onlyActive: TransitionDiff['onlyLive'];
    readonly changed: { readonly count: number; readonly items: { shadow: DiffEntry; active: DiffEntry }[] };
  };
}

function sideSummary(list: readonly ComparedTransition[]): SideSummary {
  const byState: Record<AlertState, number> = { raised: 0, escalated: 0, deescalated: 0, cleared: 0 };
  const alerted = new Set<string>();
  const versions = new Set<number>();
  for (const t of list) {
    byState[t.state]++;
    versions.add(t.ruleVersion);
    if (t.state === 'raised') alerted.add(t.vin);
  }
  return {
    transitions: list.length,
    byState,
    vehiclesAlerted: alerted.size,
    versions: [...versions].sort((a, b) => a - b),
  };
}

export function compareShadow(
  active: readonly ComparedTransition[],
  shadow: readonly ComparedTransition[],
  listLimit = 100,
): ShadowComparison {
  const perVehicle = new Map<string, VehicleComparison>();
  const count = (list: readonly ComparedTransition[], side: 'active' | 'shadow'): void => {
    for (const t of list) {
      let v = perVehicle.get(t.vin);
      if (v === undefined) {
        v = { vin: t.vin, active: { transitions: 0, raised: 0 }, shadow: { transitions: 0, raised: 0 } };
        perVehicle.set(t.vin, v);
      }
      const c = v[side] as { transitions: number; raised: number };
      c.transitions++;
      if (t.state === 'raised') c.raised++;
    }
  };
  count(active, 'active');
  count(shadow, 'shadow');
  const gap = (v: VehicleComparison): number => Math.abs(v.shadow.raised - v.active.raised);
  const vehicles = [...perVehicle.values()].sort(
    (a, b) =>
      gap(b) - gap(a) ||
      b.shadow.transitions + b.active.transitions - (a.shadow.transitions + a.active.transitions) ||
      (a.vin < b.vin ? -1 : 1),
  );
  const diff = diffTransitions(shadow, active, listLimit);
  return {
    active: sideSummary(active),
    shadow: sideSummary(shadow),
    vehicles: vehicles.slice(0, listLimit),
    vehiclesTotal: vehicles.length,
    diff: {
      matched: diff.matched,
      onlyShadow: diff.onlyBacktest,
      onlyActive: diff.onlyLive,
      changed: {
        count: diff.changed.count,
        items: diff.changed.items.map((c) => ({ shadow: c.backtest, active: c.live })),
      },
    },
  };
}
