import { describe, expect, it } from 'vitest';
import { alertId, type AlertTransition } from '@telltale/rules';
import { diffTransitions, summarize, type LiveTransition } from './report.js';

const T0 = 1_764_000_000_000;

function transition(
  vin: string,
  start: number,
  seq: number,
  state: AlertTransition['state'],
  at: number,
): AlertTransition {
  return {
    alertId: alertId(vin, 'r', start),
    vin,
    fleetId: 'f',
    modelId: 'm',
    catalogVersion: '1',
    ruleId: 'r',
    ruleVersion: 1,
    ruleName: 'r',
    state,
    severity: 'warning',
    previousSeverity: null,
    eventTimeMs: at,
    episodeStartMs: start,
    transitionSeq: seq,
    evidence: [],
    message: '',
    backfill: false,
    timer: false,
    reason: 'condition',
  };
}

const liveOf = (t: AlertTransition): LiveTransition => ({
  alertId: t.alertId,
  transitionSeq: t.transitionSeq,
  vin: t.vin,
  ruleId: t.ruleId,
  ruleVersion: t.ruleVersion,
  state: t.state,
  severity: t.severity,
  eventTimeMs: t.eventTimeMs,
});

describe('backtest summary', () => {
  // A: raised at +10 s, cleared 30 s later (a flap within 60 s); raised again at +200 s, cleared at +500 s.
  // B: raised at +50 s, never cleared. C: replayed, no alert.
  const transitions = [
    transition('A', T0 + 10_000, 1, 'raised', T0 + 10_000),
    transition('A', T0 + 10_000, 2, 'cleared', T0 + 40_000),
    transition('B', T0 + 50_000, 1, 'raised', T0 + 50_000),
    transition('A', T0 + 200_000, 1, 'raised', T0 + 200_000),
    transition('A', T0 + 200_000, 2, 'cleared', T0 + 500_000),
  ];
  const vehicles = [
    { vin: 'A', samples: 100, firstSampleMs: T0 },
    { vin: 'B', samples: 50, firstSampleMs: T0 + 20_000 },
    { vin: 'C', samples: 10, firstSampleMs: T0 },
  ];

  it('counts per vehicle, flaps within the window, time to first alert', () => {
    const s = summarize({ transitions, vehicles, flapWindowMs: 60_000 });
    expect(s.samples).toBe(160);
    expect(s.byState).toEqual({ raised: 3, escalated: 0, deescalated: 0, cleared: 2 });
    expect(s.vehicles).toEqual([
      {
        vin: 'A',
        samples: 100,
        transitions: 4,
        raised: 2,
        flaps: 1,
        firstAlertMs: T0 + 10_000,
        timeToFirstAlertMs: 10_000,
      },
      {
        vin: 'B',
        samples: 50,
        transitions: 1,
        raised: 1,
        flaps: 0,
        firstAlertMs: T0 + 50_000,
        timeToFirstAlertMs: 30_000,
      },
      { vin: 'C', samples: 10, transitions: 0, raised: 0, flaps: 0, firstAlertMs: null, timeToFirstAlertMs: null },
    ]);
    expect(s.vehiclesWithAlerts).toBe(2);
    expect(s.flapping).toEqual({
      windowMs: 60_000,
      count: 1,
      items: [{ vin: 'A', alertId: transitions[0]!.alertId, raisedMs: T0 + 10_000, clearedMs: T0 + 40_000 }],
    });
    expect(s.timeToFirstAlert).toEqual({ vehicles: 2, minMs: 10_000, medianMs: 10_000, maxMs: 30_000 });
    expect(s.diff).toBeNull();
  });

  it('diffs against live transitions by alert id and sequence', () => {
    const live = [
      liveOf(transitions[0]!),
      { ...liveOf(transitions[1]!), eventTimeMs: T0 + 41_000 }, // cleared a second later live
      liveOf(transition('B', T0 + 60_000, 1, 'raised', T0 + 60_000)), // another episode start: another id
    ];
    const d = diffTransitions(transitions, live);
    expect(d.live).toBe(3);
    expect(d.matched).toBe(1);
    expect(d.changed.count).toBe(1);
    expect(d.changed.items[0]!.live.eventTimeMs).toBe(T0 + 41_000);
    expect(d.onlyBacktest.count).toBe(3);
    expect(d.onlyLive.items.map((t) => [t.vin, t.eventTimeMs])).toEqual([['B', T0 + 60_000]]);
    expect(diffTransitions(transitions, transitions.map(liveOf), 1)).toMatchObject({
      matched: 5,
      onlyBacktest: { count: 0 },
      onlyLive: { count: 0 },
      changed: { count: 0 },
    });
    const limited = diffTransitions(transitions, [], 2);
    expect(limited.onlyBacktest.count).toBe(5);
    expect(limited.onlyBacktest.items).toHaveLength(2);
  });
});
