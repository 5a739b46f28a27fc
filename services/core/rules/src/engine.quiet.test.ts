/**
 * Quiet rules: the engine skips evaluations that cannot change anything (a rule whose last evaluation changed
 * nothing, for a sample of a signal it did not read then, before its next deadline). Skipping must be invisible:
 * on generated rules (conditions with `and`/`or`/`not`, arithmetic, labels; `for`, clear conditions and delays,
 * `reraiseAfter`; and rules that can never be quiet: stale(), windows, ladders, sequences) and generated batches
 * (several samples per time, repeated and late samples, backfill, silence), an engine that skips and one that
 * evaluates every touched rule give the same transitions and the same persisted state, step by step.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fuzzRuns } from '@telltale/platform/testing';
import { RuleEngine } from './engine.js';
import { Drive, signalId, snapshotOf } from './test-support.js';

const VIN = 'VIN0000000000001';
const SIGNALS = ['cellVoltageMax', 'vehicleSpeed', 'packCurrent', 'gear'] as const;
const NUMERIC = ['cellVoltageMax', 'vehicleSpeed', 'packCurrent'] as const;

/** Values from a small domain, so thresholds are crossed and repeated values are common. */
const value = fc.integer({ min: 0, max: 6 });

const comparison = fc
  .tuple(fc.constantFrom(...NUMERIC), fc.constantFrom('>', '<', '>=', '<=', '==', '!='), value)
  .map(([s, op, x]) => `${s} ${op} ${x}`);
const atom = fc.oneof(
  { weight: 6, arbitrary: comparison },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom(...NUMERIC), fc.constantFrom(...NUMERIC), value)
      .map(([a, b, x]) => `${a} - ${b} > ${x - 3}`),
  },
  { weight: 1, arbitrary: fc.constantFrom('gear == "R"', 'gear != "D"') },
);
const condition: fc.Arbitrary<string> = fc.letrec<{ expr: string }>((tie) => ({
  expr: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    atom,
    fc.tuple(tie('expr'), fc.constantFrom('and', 'or'), tie('expr')).map(([a, op, b]) => `(${a} ${op} ${b})`),
    tie('expr').map((a) => `not (${a})`),
  ),
})).expr;

const duration = fc.constantFrom('0s', '1s', '2500ms', '5s');

/** A rule that can be quiet (a condition, one level, no stale() or window), or one that never is. */
const rule = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record(
      {
        condition,
        for: duration,
        clear: fc.record({ condition, for: duration }, { requiredKeys: ['for'] }),
        reraiseAfter: duration,
        message: fc.constantFrom('{{ ruleId }}', 'V {{ cellVoltageMax }} at {{ vehicleSpeed }}'),
      },
      { requiredKeys: ['condition'] },
    ),
  },
  {
    weight: 1,
    arbitrary: fc.oneof(
      condition.map((c) => ({ condition: `${c} and not stale(packCurrent, 2s)` })),
      condition.map((c) => ({ condition: `${c} or avg(vehicleSpeed, 3s) > 4` })),
      fc.tuple(condition, condition).map(([a, b]) => ({ sequence: { first: a, then: b, within: '5s' } })),
      fc.tuple(condition, condition).map(([a, b]) => ({
        condition: a,
        ladder: [{ level: 'warning' as const }, { level: 'critical' as const, when: b, for: '1s' }],
        clear: { for: '2s' },
      })),
    ),
  },
);

type Step =
  | { kind: 'batch'; samples: { signal: number; dtMs: number; value: number }[]; backfill: boolean; lateMs: number }
  | { kind: 'advance'; byMs: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({
      kind: fc.constant('batch' as const),
      // Several samples per batch, some at one time (dtMs 0), of any signal.
      samples: fc.array(
        fc.record({
          signal: fc.integer({ min: 0, max: SIGNALS.length - 1 }),
          dtMs: fc.constantFrom(0, 0, 100, 250, 1000, 3000),
          value,
        }),
        { minLength: 1, maxLength: 6 },
      ),
      backfill: fc.integer({ min: 0, max: 9 }).map((x) => x < 2),
      lateMs: fc.constantFrom(0, 0, 0, 0, 500, 4000),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('advance' as const), byMs: fc.constantFrom(500, 3000, 9000) }),
  },
);

const ids = SIGNALS.map((s) => signalId(s));

describe('quiet rules', () => {
  it('skipping the evaluations of quiet rules changes no transition and no state (property)', () => {
    let skippedSomething = false;
    fc.assert(
      fc.property(
        fc.array(rule, { minLength: 1, maxLength: 3 }),
        fc.array(step, { minLength: 1, maxLength: 60 }),
        (rules, steps) => {
          const snapshot = snapshotOf(rules);
          const skipping = new RuleEngine({ skipQuietRules: true, measureRules: true });
          const every = new RuleEngine({ skipQuietRules: false, measureRules: true });
          skipping.setRules(snapshot);
          every.setRules(snapshot);
          let t = 1_764_000_000_000;
          for (const s of steps) {
            if (s.kind === 'advance') {
              t += s.byMs;
              expect(skipping.advanceVehicle(VIN, t)).toEqual(every.advanceVehicle(VIN, t));
            } else {
              const times: number[] = [];
              for (const x of s.samples) times.push((t += x.dtMs) - s.lateMs);
              const batch = {
                vin: VIN,
                modelId: 'test-model',
                fleetId: 'fleet-a',
                signalIds: s.samples.map((x) => ids[x.signal]!),
                values: s.samples.map((x) => x.value),
                timesMs: times,
                backfill: s.backfill,
                arrivalTimeMs: t,
              };
              expect(skipping.ingest(batch)).toEqual(every.ingest(batch));
            }
            expect(skipping.snapshotState(VIN)).toEqual(every.snapshotState(VIN));
          }
          const evaluations = (e: RuleEngine): number =>
            e.drainRuleTimings().reduce((n, timing) => n + timing.evaluations, 0);
          if (evaluations(skipping) < evaluations(every)) skippedSomething = true;
        },
      ),
      { numRuns: fuzzRuns(200) },
    );
    expect(skippedSomething).toBe(true); // not vacuous: some evaluations were skipped
  });

  it('does not evaluate a quiet rule for a signal its condition did not read', () => {
    const d = Drive.of([{ id: 'hot', condition: 'cellVoltageMax > 4.1 and vehicleSpeed > 80' }], {
      measureRules: true,
    });
    d.at(0, { cellVoltageMax: 4.0, vehicleSpeed: 10 }); // false, read cellVoltageMax only
    d.at(1000, { vehicleSpeed: 90 }); // skipped: cannot change `false and …`
    d.at(2000, { vehicleSpeed: 95 }); // skipped
    d.at(3000, { cellVoltageMax: 4.2 }); // evaluated: raises
    expect(d.summary()).toEqual(['raised@3000 warning']);
    expect(d.engine.drainRuleTimings()[0]?.evaluations).toBe(2);
  });
});
