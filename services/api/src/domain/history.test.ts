import { describe, expect, it } from 'vitest';
import {
  bucketGrid,
  bucketWidthMs,
  concatInOrder,
  mergeBuckets,
  onRollupGrid,
  pageOf,
  planRollupRead,
  splitAtHotWindow,
} from './history.js';

const HOUR = 3_600_000;

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
    expect(mergeBuckets({ fromMs: 1000, toMs: 1450 }, { originMs: 1000, widthMs: 100 }, [cold, hot])).toEqual([
      { fromMs: 1000, toMs: 1100, count: 2, min: 1, max: 2, avg: 1.5 },
      { fromMs: 1100, toMs: 1200, count: 4, min: 1, max: 10, avg: 4 },
      { fromMs: 1400, toMs: 1450, count: 1, min: -1, max: -1, avg: -1 },
    ]);
    // A grid that starts before the range: the first bucket starts at the range's start.
    const first = [{ bucket: 0, count: 1, sum: 5, min: 5, max: 5 }];
    expect(mergeBuckets({ fromMs: 1250, toMs: 4000 }, { originMs: 1000, widthMs: 1000 }, [first])).toEqual([
      { fromMs: 1250, toMs: 2000, count: 1, min: 5, max: 5, avg: 5 },
    ]);
  });

  it('puts buckets of a second or more on whole seconds, never more than N of them', () => {
    const day = 86_400_000;
    for (const [from, points] of [
      [1_700_000_000_123, 1000],
      [1_700_000_000_000, 1000],
      [1_700_000_000_999, 7],
      [1_700_000_000_001, 86_400],
    ] as const) {
      const grid = bucketGrid(from, from + day, points);
      expect(onRollupGrid(grid)).toBe(true);
      expect(grid.originMs).toBe(Math.floor(from / 1000) * 1000);
      expect(grid.widthMs).toBeGreaterThanOrEqual(bucketWidthMs(from, from + day, points));
      expect(Math.ceil((from + day - grid.originMs) / grid.widthMs)).toBeLessThanOrEqual(points);
    }
    expect(bucketGrid(1_700_000_000_000, 1_700_000_000_000 + day, 1000).widthMs).toBe(87_000);
    // Under a second: ms buckets from the range's start, as before.
    expect(bucketGrid(1_700_000_000_123, 1_700_000_060_123, 1000)).toEqual({
      originMs: 1_700_000_000_123,
      widthMs: 60,
    });
    expect(onRollupGrid({ originMs: 1_700_000_000_123, widthMs: 60 })).toBe(false);
  });
});

describe('planRollupRead', () => {
  const h0 = 1_700_002_800_000; // a whole hour
  const file = (hour: number, name: string, rollup: boolean) => ({
    path: `${hour}/${name}.parquet`,
    rollupPath: rollup ? `${hour}/${name}.rollup` : undefined,
    hourStartMs: h0 + hour * HOUR,
  });

  it('reads whole seconds of fully rolled-up hours from rollups and everything else raw, each second once', () => {
    // Hours 0 and 1 compacted; hour 2 compacted but with a late file; hour 3 not compacted.
    const files = [
      file(0, 'c0', true),
      file(1, 'c1', true),
      file(2, 'c2', true),
      file(2, 'p2', false),
      file(3, 'p3', false),
    ];
    const range = { fromMs: h0 + 250, toMs: h0 + 4 * HOUR - 10 };
    const plan = planRollupRead(range, files);
    expect(plan.rollup).toEqual({
      ranges: [{ fromMs: h0 + 1000, toMs: h0 + 2 * HOUR }],
      files: ['0/c0.rollup', '1/c1.rollup'],
    });
    expect(plan.raw.ranges).toEqual([
      { fromMs: h0 + 250, toMs: h0 + 1000 },
      { fromMs: h0 + 2 * HOUR, toMs: range.toMs },
    ]);
    // Hour 0's data file for its partial first second; hours 2 and 3 whole.
    expect(plan.raw.files).toEqual(['0/c0.parquet', '2/c2.parquet', '2/p2.parquet', '3/p3.parquet']);
    expect([plan.rollupHours, plan.rawHours]).toEqual([2, 2]);
  });

  it('reads raw only without rollups, and rollups only when the range is whole seconds of rolled hours', () => {
    const range = { fromMs: h0, toMs: h0 + 2 * HOUR };
    const raw = planRollupRead(range, [file(0, 'p0', false), file(1, 'p1', false)]);
    expect(raw.rollup.ranges).toEqual([]);
    expect(raw.raw).toEqual({ ranges: [range], files: ['0/p0.parquet', '1/p1.parquet'] });
    const rolled = planRollupRead(range, [file(0, 'c0', true), file(1, 'c1', true)]);
    expect(rolled.rollup.ranges).toEqual([range]);
    expect(rolled.raw).toEqual({ ranges: [], files: [] });
    // A range inside one second: nothing whole to roll up.
    const tiny = planRollupRead({ fromMs: h0 + 10, toMs: h0 + 900 }, [file(0, 'c0', true)]);
    expect([tiny.rollup.ranges, tiny.raw.files]).toEqual([[], ['0/c0.parquet']]);
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
