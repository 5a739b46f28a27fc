/**
 * Samples outside their DBC range ([minimum|maximum] of the SG_ line). The value is still published (the DBC's range
 * is documentation, often wrong, and a range is not a reason to lose data), but counted per signal so an operator
 * sees a sensor or a DBC that disagrees with the vehicle. `[0|0]` and a missing range mean "no range", as in
 * cantools. One pass over the decoded columns, two comparisons per sample; the table is built once per catalog.
 */
import type { Catalog } from '@telltale/catalog';

/** Per signal id: the lower and upper bound, NaN where the signal has no range. */
export interface SignalRanges {
  readonly lo: Float64Array;
  readonly hi: Float64Array;
}

const cache = new WeakMap<Catalog, SignalRanges>();

export function signalRanges(catalog: Catalog): SignalRanges {
  const known = cache.get(catalog);
  if (known) return known;
  const n = catalog.signals.length;
  const lo = new Float64Array(n).fill(Number.NaN);
  const hi = new Float64Array(n).fill(Number.NaN);
  for (const s of catalog.signals) {
    if (s === undefined || s.minimum === undefined || s.maximum === undefined) continue;
    if (s.minimum === 0 && s.maximum === 0) continue;
    lo[s.id] = s.minimum;
    hi[s.id] = s.maximum;
  }
  const ranges = { lo, hi };
  cache.set(catalog, ranges);
  return ranges;
}

/** Adds, per signal id, the samples outside the signal's range to `out`. */
export function countOutOfRange(
  signalId: ArrayLike<number>,
  value: ArrayLike<number>,
  count: number,
  ranges: SignalRanges,
  out: Map<number, number>,
): void {
  const { lo, hi } = ranges;
  for (let i = 0; i < count; i++) {
    const id = signalId[i]!;
    const v = value[i]!;
    // NaN bounds compare false both ways: a signal without a range is never out of it.
    if (v < lo[id]! || v > hi[id]!) out.set(id, (out.get(id) ?? 0) + 1);
  }
}
