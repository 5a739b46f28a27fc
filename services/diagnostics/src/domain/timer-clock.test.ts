import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { partitionClock, type PartitionClockState, type PartitionFlow } from './timer-clock.js';

const HOLD = { idleHoldMs: 30_000, heldMarginMs: 2_000 };
const T = 1_700_000_000_000;

describe('partitionClockMs', () => {
  // wall clock now T + 60 s unless a row says otherwise
  const cases: [string, PartitionFlow, number, PartitionClockState, number | undefined][] = [
    [
      'flowing (a live record 0.3 s ago, received 0.5 s ago): the wall clock',
      { caughtUp: true, newestArrivalMs: T + 59_500, lastLiveMs: T + 59_700 },
      T + 60_000,
      'flowing',
      T + 60_000,
    ],
    [
      'quiet for less than the hold (a stalled broker): held at the newest receive time + the margin',
      { caughtUp: true, newestArrivalMs: T + 45_000, lastLiveMs: T + 45_100 },
      T + 60_000,
      'held',
      T + 47_000,
    ],
    [
      'quiet for the hold: idle, the wall clock (a silent vehicle alone on its partition)',
      { caughtUp: true, newestArrivalMs: T + 29_900, lastLiveMs: T + 30_000 },
      T + 60_000,
      'idle',
      T + 60_000,
    ],
    [
      'a backlog: the newest receive time consumed, whatever the wall clock',
      { caughtUp: false, newestArrivalMs: T + 10_000, lastLiveMs: T + 59_900 },
      T + 60_000,
      'behind',
      T + 10_000,
    ],
    [
      'a backlog before its first live record: no clock',
      { caughtUp: false, newestArrivalMs: 0, lastLiveMs: T + 59_000 },
      T + 60_000,
      'behind',
      undefined,
    ],
    [
      'just claimed (assigned after a rebalance), nothing consumed yet: no clock until the hold is over',
      { caughtUp: true, newestArrivalMs: 0, lastLiveMs: T + 50_000 },
      T + 60_000,
      'held',
      undefined,
    ],
    [
      'claimed, nothing consumed for the hold: idle, the wall clock',
      { caughtUp: true, newestArrivalMs: 0, lastLiveMs: T + 30_000 },
      T + 60_000,
      'idle',
      T + 60_000,
    ],
    [
      'the delayed records of a stall arriving: the clock follows their receive times, not the wall clock',
      { caughtUp: true, newestArrivalMs: T + 46_000, lastLiveMs: T + 60_000 },
      T + 60_000,
      'held',
      T + 48_000,
    ],
  ];
  it.each(cases)('%s', (_name, flow, wall, state, atMs) => {
    expect(partitionClock(flow, wall, HOLD)).toEqual({ state, atMs });
  });

  it('without a hold (0) a caught-up partition is on the wall clock, as before the hold existed', () => {
    const quiet = { caughtUp: true, newestArrivalMs: T + 45_000, lastLiveMs: T + 45_100 };
    const noHold = { ...HOLD, idleHoldMs: 0 };
    expect(partitionClock(quiet, T + 60_000, noHold)).toEqual({ state: 'flowing', atMs: T + 60_000 });
    expect(partitionClock({ ...quiet, caughtUp: false }, T + 60_000, noHold)).toEqual({
      state: 'behind',
      atMs: T + 45_000,
    });
  });

  const flows = fc.record({
    caughtUp: fc.boolean(),
    newestArrivalMs: fc.oneof(fc.constant(0), fc.integer({ min: T, max: T + 100_000 })),
    lastLiveMs: fc.integer({ min: T, max: T + 100_000 }),
  });
  const settings = fc.record({
    idleHoldMs: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 60_000 })),
    heldMarginMs: fc.integer({ min: 0, max: 5_000 }),
  });
  const walls = fc.integer({ min: T, max: T + 200_000 });

  it('a caught-up partition is never ahead of the wall clock; a quiet one not past its arrivals + the margin', () => {
    fc.assert(
      fc.property(flows, settings, walls, (flow, s, wall) => {
        const { state, atMs: at } = partitionClock({ ...flow, caughtUp: true }, wall, s);
        expect(state === 'flowing' || state === 'idle').toBe(at === wall);
        if (at !== undefined) expect(at).toBeLessThanOrEqual(wall);
        const quiet = s.idleHoldMs > 0 && wall - flow.lastLiveMs < s.idleHoldMs;
        if (quiet && at !== undefined) expect(at).toBeLessThanOrEqual(flow.newestArrivalMs + s.heldMarginMs);
        if (!quiet) expect(at).toBe(wall);
      }),
    );
  });

  it('with nothing consumed, the clock only moves on as the wall clock does (and never loses its time)', () => {
    fc.assert(
      fc.property(flows, settings, walls, fc.integer({ min: 0, max: 100_000 }), (flow, s, wall, later) => {
        const before = partitionClock(flow, wall, s).atMs;
        const after = partitionClock(flow, wall + later, s).atMs;
        if (before !== undefined) expect(after).toBeGreaterThanOrEqual(before);
      }),
    );
  });

  it('a backlog is on its newest receive time, whatever the wall clock or the hold', () => {
    fc.assert(
      fc.property(flows, settings, walls, (flow, s, wall) => {
        expect(partitionClock({ ...flow, caughtUp: false }, wall, s)).toEqual({
          state: 'behind',
          atMs: flow.newestArrivalMs > 0 ? flow.newestArrivalMs : undefined,
        });
      }),
    );
  });
});
