import { describe, expect, it } from 'vitest';
import { bucketSeries, pointsForWidth } from './history.js';

describe('pointsForWidth', () => {
  it('asks one bucket per pixel of the chart', () => {
    expect(pointsForWidth(640)).toBe(640);
    expect(pointsForWidth(639.6)).toBe(640);
  });
  it('stays within the API bounds and has a default for an unmeasured chart', () => {
    expect(pointsForWidth(50_000)).toBe(10_000);
    expect(pointsForWidth(0.4)).toBe(1);
    expect(pointsForWidth(0)).toBe(800);
    expect(pointsForWidth(Number.NaN)).toBe(800);
  });
});

describe('bucketSeries', () => {
  it('plots each bucket at its middle, oldest first, with min and max', () => {
    const s = bucketSeries([
      { fromMs: 4000, toMs: 6000, count: 3, min: 2, max: 9, avg: 5 },
      { fromMs: 0, toMs: 2000, count: 1, min: 1, max: 1, avg: 1 },
    ]);
    expect(s).toEqual({ times: [1, 5], values: [1, 5], mins: [1, 2], maxs: [1, 9] });
  });
  it('leaves out empty buckets', () => {
    expect(bucketSeries([{ fromMs: 0, toMs: 10, count: 0, min: 0, max: 0, avg: 0 }]).times).toEqual([]);
  });
});
