import { describe, expect, it } from 'vitest';
import { percentile, ratePerS, slope, summarise } from './stats.js';

describe('summarise', () => {
  it('gives nearest-rank percentiles and counts the missing', () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i); // 100 .. 1, unsorted on purpose
    const s = summarise(values, 3);
    expect(s).toEqual({ count: 100, missing: 3, p50: 50, p95: 95, p99: 99, max: 100 });
  });
  it('is null without samples', () => {
    expect(summarise([], 2)).toEqual({ count: 0, missing: 2, p50: null, p95: null, p99: null, max: null });
    expect(percentile([], 0.5)).toBeNull();
  });
  it('p99 of a small sample is its maximum', () => {
    expect(summarise([5, 1, 9]).p99).toBe(9);
  });
});

describe('slope and rate', () => {
  it('fits a line', () => {
    expect(
      slope([
        [0, 10],
        [1, 30],
        [2, 50],
      ]),
    ).toBeCloseTo(20);
    expect(slope([[0, 5]])).toBe(0);
    expect(
      slope([
        [1, 5],
        [1, 9],
      ]),
    ).toBe(0);
  });
  it('rates a counter per second, null when it cannot', () => {
    expect(ratePerS(100, 400, 1000, 4000)).toBe(100);
    expect(ratePerS(undefined, 400, 1000, 4000)).toBeNull();
    expect(ratePerS(100, 400, 4000, 4000)).toBeNull();
    expect(ratePerS(400, 100, 1000, 2000)).toBe(0); // a restarted service's counter went back to zero
  });
});
