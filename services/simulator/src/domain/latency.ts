/**
 * A latency histogram with logarithmic buckets (2 % wide from 10 µs to ~100 s): constant memory however many
 * samples a flood records, percentiles within 2 %.
 */
const MIN_MS = 0.01;
const GROWTH = 1.02;
const BUCKETS = Math.ceil(Math.log(1e7) / Math.log(GROWTH)) + 1;

export class LatencyHistogram {
  private readonly counts = new Float64Array(BUCKETS);
  count = 0;
  sumMs = 0;
  maxMs = 0;

  record(ms: number): void {
    const v = ms < MIN_MS ? MIN_MS : ms;
    const bucket = Math.min(BUCKETS - 1, Math.floor(Math.log(v / MIN_MS) / Math.log(GROWTH)));
    this.counts[bucket] = this.counts[bucket]! + 1;
    this.count += 1;
    this.sumMs += ms;
    if (ms > this.maxMs) this.maxMs = ms;
  }

  merge(other: LatencyHistogram): void {
    for (let i = 0; i < BUCKETS; i++) this.counts[i] = this.counts[i]! + other.counts[i]!;
    this.count += other.count;
    this.sumMs += other.sumMs;
    this.maxMs = Math.max(this.maxMs, other.maxMs);
  }

  /** The q-quantile (0..1) in ms (bucket midpoint), or NaN without samples. */
  quantile(q: number): number {
    if (this.count === 0) return NaN;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(this.maxMs, MIN_MS * GROWTH ** (i + 0.5));
    }
    return this.maxMs;
  }
}
