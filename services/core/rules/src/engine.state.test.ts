/**
 * Replays, restarts, rebalances and rule reloads: nothing forgotten, nothing raised twice, no started duration lost.
 */
import { describe, expect, it } from 'vitest';
import type { AlertTransition } from './alert.js';
import { RuleEngine } from './engine.js';
import type { RuleDefinition } from './rule-definition.js';
import { Drive, snapshotOf } from './test-support.js';

const VIN = 'VIN0000000000001';
const HOT: Partial<RuleDefinition> = {
  id: 'hot',
  condition: 'cellTemperatureMax > 55',
  for: '10s',
  clear: { condition: 'cellTemperatureMax < 50', for: '5s' },
};

/** A restarted instance: a new engine, the same rules, the persisted state (through JSON text, as it is stored). */
function restart(
  from: Drive,
  rules: readonly Partial<RuleDefinition>[] = [HOT],
): { drive: Drive; transitions: AlertTransition[] } {
  const text = JSON.stringify(from.engine.snapshotState(VIN));
  const engine = new RuleEngine();
  engine.setRules(snapshotOf(rules));
  const transitions = engine.restoreState(VIN, JSON.parse(text));
  return { drive: new Drive(engine), transitions };
}

const key = (t: AlertTransition): string => `${t.alertId} ${t.transitionSeq} ${t.state}@${t.eventTimeMs}`;

describe('engine state', () => {
  it('gives the same transitions and alert ids to every replay of the same data', () => {
    const run = (): AlertTransition[] => {
      const d = Drive.of([
        HOT,
        { id: 'spread', condition: 'cellVoltageMax - cellVoltageMin > 0.05', reraiseAfter: '10s' },
      ]);
      d.series('cellTemperatureMax', 0, 60_000, 1000, (t) => (t > 5000 && t < 30_000 ? 58 : 45), {
        cellVoltageMax: 4,
        cellVoltageMin: 3.9,
      });
      d.advance(120_000);
      return d.transitions;
    };
    const first = run();
    expect(first.map(key).length).toBe(3);
    expect(run()).toEqual(first);
  });

  it('ignores a redelivered batch: replayed samples change nothing and raise nothing', () => {
    const d = Drive.of([{ id: 'speeding', condition: 'vehicleSpeed > 100' }]);
    d.at(0, { vehicleSpeed: 120 });
    d.at(1000, { vehicleSpeed: 90 });
    d.at(0, { vehicleSpeed: 120 }, { arrivalTimeMs: 5000 });
    d.at(1000, { vehicleSpeed: 90 }, { arrivalTimeMs: 5000 });
    expect(d.summary()).toEqual(['raised@0 warning', 'cleared@1000 warning']);
  });

  it('a restart in the middle of a "for" keeps the duration: raised at the original deadline with the same id', () => {
    const uninterrupted = Drive.of([HOT]);
    uninterrupted.at(0, { cellTemperatureMax: 56 });
    uninterrupted.at(3000, { cellTemperatureMax: 57 });
    uninterrupted.at(6000, { cellTemperatureMax: 57 });
    uninterrupted.advanceVehicle(10_000);

    const before = Drive.of([HOT]);
    before.at(0, { cellTemperatureMax: 56 });
    before.at(3000, { cellTemperatureMax: 57 });
    const { drive: after, transitions } = restart(before);
    expect(transitions).toEqual([]);
    expect(after.engine.ruleStatus(VIN, 'hot')).toMatchObject({ phase: 'pending', nextDeadlineMs: 10_000 });
    after.at(6000, { cellTemperatureMax: 57 });
    after.advanceVehicle(10_000);
    expect(after.transitions).toEqual(uninterrupted.transitions);
    expect(after.summary()).toEqual(['raised@10000 warning']);
  });

  it('a restart with the deadline passing during the downtime fires it from the wall clock, at its event time', () => {
    const before = Drive.of([HOT]);
    before.at(0, { cellTemperatureMax: 56 });
    before.at(1000, { cellTemperatureMax: 57 });
    const { drive: after } = restart(before);
    expect(after.advance(60_000)).toMatchObject([
      { state: 'raised', eventTimeMs: 10_000, episodeStartMs: 0, timer: true },
    ]);
  });

  it('a restart with an active alert neither forgets it nor raises it again; its clear continues the sequence', () => {
    const before = Drive.of([HOT]);
    before.series('cellTemperatureMax', 0, 12_000, 1000, () => 58);
    expect(before.summary()).toEqual(['raised@10000 warning']);
    before.at(13_000, { cellTemperatureMax: 45 }); // clearing started: 5 s to go
    const { drive: after } = restart(before);
    after.at(14_000, { cellTemperatureMax: 46 });
    after.advanceVehicle(20_000);
    expect(
      after.transitions.map((t) => ({ id: t.alertId, seq: t.transitionSeq, state: t.state, at: t.eventTimeMs })),
    ).toEqual([{ id: before.transitions[0]!.alertId, seq: 2, state: 'cleared', at: 18_000 }]);
  });

  it('a restart with an active alert keeps it while the condition holds', () => {
    const before = Drive.of([HOT]);
    before.series('cellTemperatureMax', 0, 12_000, 1000, () => 58);
    const { drive: after } = restart(before);
    after.series('cellTemperatureMax', 13_000, 40_000, 1000, () => 58);
    after.advance(100_000);
    expect(after.transitions).toEqual([]);
    expect(after.engine.ruleStatus(VIN, 'hot')).toMatchObject({
      phase: 'active',
      alertId: before.transitions[0]!.alertId,
    });
  });

  it('state is plain JSON and round-trips exactly, windows and sequences included', () => {
    const rules: Partial<RuleDefinition>[] = [
      { id: 'seq', sequence: { first: 'gear == "R"', then: 'vehicleSpeed > 20', within: '5s' } },
      { id: 'avg', condition: 'avg(packCurrent, 10s) > 100' },
    ];
    const d = Drive.of(rules);
    d.at(0, { gear: 0, vehicleSpeed: 0, packCurrent: 50 });
    d.at(1000, { gear: 1, packCurrent: 150 });
    const state = d.engine.snapshotState(VIN)!;
    expect(JSON.parse(JSON.stringify(state))).toEqual(state);
    const { drive: after } = restart(d, rules);
    expect(after.engine.snapshotState(VIN)).toEqual(state);
    // The sequence's "first" happened before the restart: "then" after it still completes it.
    expect(after.at(3000, { vehicleSpeed: 30, packCurrent: 160 }).map((t) => t.ruleId)).toEqual(['avg', 'seq']);
  });

  it('rejects malformed persisted state with a stable code', () => {
    const engine = new RuleEngine();
    let error: unknown;
    try {
      engine.restoreState(VIN, { format: 99 });
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({
      code: 'RULE_STATE_INVALID',
      retryable: false,
      message: expect.stringMatching(/expected an object with format 1/) as unknown,
    });
    expect(() => engine.restoreState(VIN, null)).toThrow(/invalid/);
    const d = Drive.of([HOT]);
    d.at(0, { cellTemperatureMax: 56 });
    expect(() => engine.restoreState('OTHER', d.engine.snapshotState(VIN))).toThrow(/belongs to VIN0000000000001/);
  });

  it('a new rule version keeps the active alert and names itself in the next transition', () => {
    const d = Drive.of([{ id: 'speeding', condition: 'vehicleSpeed > 100' }]);
    d.at(0, { vehicleSpeed: 120 });
    expect(d.engine.setRules(snapshotOf([{ id: 'speeding', version: 2, condition: 'vehicleSpeed > 130' }]))).toEqual(
      [],
    );
    d.at(1000, { vehicleSpeed: 120 });
    expect(d.transitions.map((t) => `${t.state}@${t.eventTimeMs} v${t.ruleVersion} #${t.transitionSeq}`)).toEqual([
      'raised@0 v1 #1',
      'cleared@1000 v2 #2',
    ]);
  });

  it('a removed rule clears its active alerts', () => {
    const d = Drive.of([
      { id: 'speeding', condition: 'vehicleSpeed > 100', message: 'fast: {{ vehicleSpeed }}' },
      { id: 'other', condition: 'vehicleSpeed > 500' },
    ]);
    d.at(0, { vehicleSpeed: 120 });
    const removed = d.engine.setRules(snapshotOf([{ id: 'other', condition: 'vehicleSpeed > 500' }]));
    expect(removed).toMatchObject([
      {
        ruleId: 'speeding',
        state: 'cleared',
        reason: 'rule-removed',
        transitionSeq: 2,
        message: 'fast: 120',
        alertId: d.transitions[0]!.alertId,
      },
    ]);
    expect(d.engine.ruleStatus(VIN, 'speeding')).toBeUndefined();
  });

  it('a rule set reading other signals keeps, by id, the values and windows both read (slots renumbered)', () => {
    // Slots follow the rule set's signal ids: vehicleSpeed is slot 0 before the swap and slot 1 after it.
    const d = Drive.of([{ id: 'a', condition: 'vehicleSpeed > 100 and avg(packCurrent, 10s) > 200' }]);
    d.at(0, { vehicleSpeed: 120, packCurrent: 100 });
    d.engine.setRules(
      snapshotOf([
        { id: 'b', condition: 'cellTemperatureMax > 55 and vehicleSpeed > 100' },
        { id: 'c', condition: 'count(packCurrent, 60s) >= 2' },
      ]),
    );
    d.at(1000, { cellTemperatureMax: 60 });
    d.at(2000, { packCurrent: 100 });
    expect(d.transitions.map((t) => `${t.ruleId} ${t.state}@${t.eventTimeMs}`)).toEqual([
      'b raised@1000',
      'c raised@2000',
    ]);
    const state = d.engine.snapshotState(VIN)!;
    expect(state.latest).toEqual({ 2: [60, 1000], 4: [120, 0], 6: [100, 2000] });
    expect(state.windows).toEqual({
      6: [
        [0, 2000],
        [100, 100],
      ],
    });
    // Restored into an engine whose rules read one of those signals only: that one is kept, the rest dropped.
    const engine = new RuleEngine();
    engine.setRules(snapshotOf([{ id: 'd', condition: 'vehicleSpeed > 500 or stale(tyrePressureFrontLeft, 5s)' }]));
    engine.restoreState(VIN, JSON.parse(JSON.stringify(state)));
    expect(engine.snapshotState(VIN)!.latest).toEqual({ 3: [null, 2000], 4: [120, 0] });
    expect(engine.snapshotState(VIN)!.windows).toEqual({});
  });

  it("a rule added later counts stale() silence from when it was added, not from the vehicle's first sample", () => {
    const d = Drive.of([{ id: 'speeding', condition: 'vehicleSpeed > 500' }]);
    d.series('vehicleSpeed', 0, 60_000, 1000, () => 50);
    d.engine.setRules(snapshotOf([{ id: 'tyre', condition: 'stale(tyrePressureFrontLeft, 5s)' }]));
    d.series('vehicleSpeed', 61_000, 70_000, 1000, () => 50);
    expect(d.summary()).toEqual(['raised@65000 warning']);
  });

  it('reports which vehicles changed since the last checkpoint, and forgets a vehicle on rebalance', () => {
    const d = Drive.of([HOT]);
    d.at(0, { cellTemperatureMax: 40 });
    d.at(0, { cellTemperatureMax: 40 }, { vin: 'VIN2' });
    expect(d.engine.drainChanged().sort()).toEqual([VIN, 'VIN2']);
    expect(d.engine.drainChanged()).toEqual([]);
    d.engine.forget('VIN2');
    expect(d.engine.vehicleCount).toBe(1);
    expect(d.engine.snapshotState('VIN2')).toBeUndefined();
  });
});
