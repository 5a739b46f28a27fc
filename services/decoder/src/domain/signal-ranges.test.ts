import { describe, expect, it } from 'vitest';
import type { Catalog, CatalogSignal } from '@telltale/catalog';
import { countOutOfRange, signalRanges } from './signal-ranges.js';

function catalogOf(signals: Array<Pick<CatalogSignal, 'id' | 'minimum' | 'maximum'>>): Catalog {
  return { signals } as unknown as Catalog;
}

describe('out-of-range samples', () => {
  const catalog = catalogOf([
    { id: 0, minimum: 0, maximum: 100 },
    { id: 1, minimum: 0, maximum: 0 },
    { id: 2, minimum: undefined, maximum: undefined },
    { id: 3, minimum: -40, maximum: 215 },
  ]);

  it('counts samples below the minimum or above the maximum, per signal; bounds are inside', () => {
    const out = new Map<number, number>();
    countOutOfRange([0, 0, 0, 0, 3, 3, 3], [-0.5, 0, 100, 100.5, -41, 215, 1e9], 7, signalRanges(catalog), out);
    expect([...out]).toEqual([
      [0, 2],
      [3, 2],
    ]);
  });

  it('never counts a signal without a range, [0|0] included, or NaN values', () => {
    const out = new Map<number, number>();
    countOutOfRange([1, 1, 2, 0], [5, -5, 1e12, Number.NaN], 4, signalRanges(catalog), out);
    expect(out.size).toBe(0);
  });

  it('reads only the first `count` samples (the sink is reused)', () => {
    const out = new Map<number, number>();
    countOutOfRange([0, 0], [50, 500], 1, signalRanges(catalog), out);
    expect(out.size).toBe(0);
  });
});
