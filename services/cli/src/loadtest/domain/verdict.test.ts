import { describe, expect, it } from 'vitest';
import { summarise } from './stats.js';
import { highestHeld, judgeStep, lagTrend } from './verdict.js';

const series = (lags: number[], inputPerS = 1000) => ({
  group: 'telltale-store',
  topic: 'vehicle.signals.v1',
  samples: lags.map((lag, i): [number, number] => [i, lag]),
  inputPerS,
});

describe('lagTrend', () => {
  it('calls a backlog that keeps rising growing', () => {
    const trend = lagTrend(series([0, 300, 600, 900, 1200, 1500]));
    expect(trend.growing).toBe(true);
    expect(trend.slopePerS).toBeCloseTo(300);
    expect([trend.startLag, trend.endLag, trend.maxLag]).toEqual([0, 1500, 1500]);
  });
  it('does not call a wobbling lag growing', () => {
    expect(lagTrend(series([40, 900, 30, 800, 50, 700])).growing).toBe(false);
  });
  it("does not call a buffering consumer's rising lag growing while it stays within its allowance", () => {
    const rising = { ...series([100, 300, 500, 700, 900, 1100]), inputPerS: 40 };
    expect(lagTrend(rising).growing).toBe(true);
    expect(lagTrend({ ...rising, allowance: 40 * 60 }).growing).toBe(false);
    expect(lagTrend({ ...rising, allowance: 500 }).growing).toBe(true);
  });
  it('does not call a small rising lag growing (below one second of input)', () => {
    expect(lagTrend(series([0, 100, 200, 300, 400, 500])).growing).toBe(false);
  });
  it('needs three samples to judge', () => {
    expect(lagTrend(series([0, 5000])).growing).toBe(false);
  });
});

describe('judgeStep', () => {
  const steady = lagTrend(series([1, 2, 1, 2]));
  it('holds within the budget and steady lag', () => {
    expect(judgeStep({ stored: summarise([100, 200, 450]), lag: [steady], budgetMs: 500, cut: false })).toEqual({
      held: true,
      reasons: [],
    });
  });
  it('names every reason it did not hold', () => {
    const verdict = judgeStep({
      stored: summarise([100, 700], 1),
      lag: [lagTrend(series([0, 3000, 6000, 9000]))],
      budgetMs: 500,
      cut: true,
    });
    expect(verdict.held).toBe(false);
    expect(verdict.reasons).toEqual([
      'cut short by --max-seconds',
      'publish → stored p99 700 ms > 500 ms',
      '1 probe(s) not stored within the probe timeout',
      'lag of telltale-store on vehicle.signals.v1 grows by 3000 records/s (0 → 9000)',
    ]);
  });
  it('does not hold without a single stored probe', () => {
    expect(judgeStep({ stored: summarise([], 0), lag: [], budgetMs: 500, cut: false }).reasons).toEqual([
      'no probe reached the store',
    ]);
  });
});

describe('highestHeld', () => {
  const step = (vehicles: number, held: boolean) => ({ vehicles, verdict: { held, reasons: [] } });
  it('is the last step of the unbroken run of held steps', () => {
    expect(highestHeld([step(1, true), step(2, true), step(4, false), step(8, true)])?.vehicles).toBe(2);
    expect(highestHeld([step(1, false), step(2, true)])).toBeUndefined();
  });
});
