/**
 * Percentiles of a window's values in bounded memory, for the p50/p90/p95/p99 aggregates: a log-bucket sketch (as
 * DDSketch): |x| falls in bucket ⌈log_γ |x|⌉ with γ = 1.02, kept as a count per bucket and sign, so any quantile
 * is answered within 1 % of the true value (relative), whatever the order the values came in. Order-independent and
 * deterministic — a late value lands exactly as an on-time one, and a replay gives the same answer — and small: a
 * signal spanning 1 to 1,000 takes at most ~350 buckets, however many samples the window has.
 *
 *   const s = new QuantileSketch();
 *   for (const x of values) s.add(x);
 *   s.quantile(0.99);  // within 1 % of the 99th percentile (nearest rank)
 */
const GAMMA = 1.02;
const LOG_GAMMA = Math.log(GAMMA);
/** |x| below this counts as 0 (no bucket for it). */
const ZERO = 1e-12;

export type QuantileSketchJson = readonly [zeros: number, positive: readonly number[], negative: readonly number[]];

export class QuantileSketch {
  private zeros = 0;
  /** Bucket index → count, for positive values and for the magnitudes of negative ones. */
  private readonly positive = new Map<number, number>();
  private readonly negative = new Map<number, number>();
  count = 0;

  add(x: number): void {
    if (x !== x) return; // NaN: not a value
    this.count++;
    const magnitude = Math.abs(x);
    if (magnitude < ZERO) {
      this.zeros++;
      return;
    }
    const buckets = x > 0 ? this.positive : this.negative;
    const i = Math.ceil(Math.log(magnitude) / LOG_GAMMA);
    buckets.set(i, (buckets.get(i) ?? 0) + 1);
  }

  /** The q-quantile (0 ≤ q ≤ 1) by nearest rank over the bucket representatives; NaN when empty. */
  quantile(q: number): number {
    if (this.count === 0) return NaN;
    let rank = Math.min(this.count - 1, Math.max(0, Math.round(q * (this.count - 1))));
    // Ascending: most negative first (largest magnitude), then zeros, then positive values.
    const negative = [...this.negative].sort((a, b) => b[0] - a[0]);
    for (const [i, n] of negative) {
      if (rank < n) return -representative(i);
      rank -= n;
    }
    if (rank < this.zeros) return 0;
    rank -= this.zeros;
    const positive = [...this.positive].sort((a, b) => a[0] - b[0]);
    for (const [i, n] of positive) {
      if (rank < n) return representative(i);
      rank -= n;
    }
    return NaN; // unreachable: the counts add up to count
  }

  toJSON(): QuantileSketchJson {
    // Sorted by bucket: the same values give the same JSON in any order.
    const flat = (m: Map<number, number>): number[] => [...m].sort((a, b) => a[0] - b[0]).flat();
    return [this.zeros, flat(this.positive), flat(this.negative)];
  }

  static fromJSON(json: QuantileSketchJson): QuantileSketch {
    const sketch = new QuantileSketch();
    const [zeros, positive, negative] = json;
    sketch.zeros = zeros;
    sketch.count = zeros;
    const fill = (target: Map<number, number>, flat: readonly number[]): void => {
      for (let k = 0; k + 1 < flat.length; k += 2) {
        target.set(flat[k]!, flat[k + 1]!);
        sketch.count += flat[k + 1]!;
      }
    };
    fill(sketch.positive, positive);
    fill(sketch.negative, negative);
    return sketch;
  }
}

/** The value a bucket stands for: its relative error to any value of the bucket is at most (γ − 1) / (γ + 1). */
function representative(i: number): number {
  return (2 * GAMMA ** i) / (GAMMA + 1);
}
