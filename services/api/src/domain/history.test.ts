import { describe, expect, it } from 'vitest';
import { bucketWidthMs, concatInOrder, mergeBuckets, pageOf, splitAtHotWindow } from './history.js';

describe('splitAtHotWindow', () => {
  it('splits a range across the boundary so every instant belongs to exactly one side', () => {
    expect(splitAtHotWindow(0, 100, 60)).toEqual({ cold: { fromMs: 0, toMs: 60 }, hot: { fromMs: 60, toMs: 100 } });
    expect(splitAtHotWindow(0, undefined, 60)).toEqual({
      cold: { fromMs: 0, toMs: 60 },
      hot: { fromMs: 60, toMs: undefined },
    });
  });

  it('leaves out the side a range does not reach', () => {
    expect(splitAtHotWindow(0, 50, 60)).toEqual({ cold: { fromMs: 0, toMs: 50 }, hot: undefined });
    expect(splitAtHotWindow(0, 60, 60)).toEqual({ cold: { fromMs: 0, toMs: 60 }, hot: undefined });
    expect(splitAtHotWindow(70, 100, 60)).toEqual({ cold: undefined, hot: { fromMs: 70, toMs: 100 } });
    expect(splitAtHotWindow(60, undefined, 60)).toEqual({ cold: undefined, hot: { fromMs: 60, toMs: undefined } });
  });
});

describe('buckets', () => {
  it('cuts a range into at most N whole-ms buckets', () => {
    expect(bucketWidthMs(0, 86_400_000, 1000)).toBe(86_400);
    expect(bucketWidthMs(0, 1001, 1000)).toBe(2);
    expect(bucketWidthMs(0, 5, 1000)).toBe(1);
  });

  it('adds partials of a bucket that straddles the boundary: count, min, max and the average of all samples', () => {
    const cold = [
      { bucket: 0, count: 2, sum: 3, min: 1, max: 2 },
      { bucket: 1, count: 1, sum: 10, min: 10, max: 10 },
    ];
    const hot = [
      { bucket: 1, count: 3, sum: 6, min: 1, max: 3 },
      { bucket: 4, count: 1, sum: -1, min: -1, max: -1 },
    ];
    expect(mergeBuckets(1000, 1450, 100, [cold, hot])).toEqual([
      { fromMs: 1000, toMs: 1100, count: 2, min: 1, max: 2, avg: 1.5 },
      { fromMs: 1100, toMs: 1200, count: 4, min: 1, max: 10, avg: 4 },
      { fromMs: 1400, toMs: 1450, count: 1, min: -1, max: -1, avg: -1 },
    ]);
  });
});

describe('pageOf', () => {
  const p = (...ms: number[]) => ms.map((eventTimeMs) => ({ eventTimeMs }));
  const range = { fromMs: 0, toMs: 100 };

  it('is the last page when nothing follows it', () => {
    expect(pageOf(p(1, 2), 3, 'asc', range)).toEqual({ points: p(1, 2), next: null });
    expect(pageOf(p(1, 2, 3), 3, 'asc', range)).toEqual({ points: p(1, 2, 3), next: null });
  });

  it('continues after the page when the next sample is in another millisecond', () => {
    expect(pageOf(p(1, 2, 3, 4), 3, 'asc', range)).toEqual({ points: p(1, 2, 3), next: { fromMs: 4, toMs: 100 } });
    expect(pageOf(p(9, 8, 7, 6), 3, 'desc', range)).toEqual({ points: p(9, 8, 7), next: { fromMs: 0, toMs: 7 } });
  });

  it('moves a millisecond split by the page end whole to the next page', () => {
    expect(pageOf(p(1, 2, 5, 5), 3, 'asc', range)).toEqual({ points: p(1, 2), next: { fromMs: 5, toMs: 100 } });
    expect(pageOf(p(9, 7, 3, 3), 3, 'desc', range)).toEqual({ points: p(9, 7), next: { fromMs: 0, toMs: 4 } });
  });

  it('goes past a millisecond that fills a whole page', () => {
    expect(pageOf(p(5, 5, 5), 2, 'asc', range)).toEqual({ points: p(5, 5), next: { fromMs: 6, toMs: 100 } });
    expect(pageOf(p(5, 5, 5), 2, 'desc', range)).toEqual({ points: p(5, 5), next: { fromMs: 0, toMs: 5 } });
  });

  it('concatenates the sources in the page order', () => {
    expect(concatInOrder([1, 2], [3, 4], 'asc', 3)).toEqual([1, 2, 3]);
    expect(concatInOrder([2, 1], [4, 3], 'desc', 3)).toEqual([4, 3, 2]);
  });
});
