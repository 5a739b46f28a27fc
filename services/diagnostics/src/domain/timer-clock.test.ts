import { describe, expect, it } from 'vitest';
import { timerClockMs } from './timer-clock.js';

describe('timerClockMs', () => {
  const base = { ownedPartitions: 2, caughtUp: true, wallClockMs: 5000, newestArrivalMs: 3000 };

  it('is the wall clock once every owned partition is caught up', () => {
    expect(timerClockMs(base)).toBe(5000);
  });

  it('is the newest gateway receive time consumed while a backlog is replayed', () => {
    expect(timerClockMs({ ...base, caughtUp: false })).toBe(3000);
  });

  it('has no time without partitions, or during a replay before the first live batch', () => {
    expect(timerClockMs({ ...base, ownedPartitions: 0 })).toBeUndefined();
    expect(timerClockMs({ ...base, caughtUp: false, newestArrivalMs: 0 })).toBeUndefined();
  });
});
