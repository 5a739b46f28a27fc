/** Latency summaries of the probe measurements: exact nearest-rank percentiles over a small sample. */
export interface LatencySummary {
  readonly count: number;
  /** Probes that never arrived within the probe timeout (not in the percentiles, but they fail the step). */
  readonly missing: number;
  readonly p50: number | null;
  readonly p95: number | null;
  readonly p99: number | null;
  readonly max: number | null;
}

export function percentile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1]!;
}

export function summarise(values: readonly number[], missing = 0): LatencySummary {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    count: sorted.length,
    missing,
    p50: percentile(sorted, 0.5),
    p95: percentile(sorted, 0.95),
    p99: percentile(sorted, 0.99),
    max: sorted.length === 0 ? null : sorted[sorted.length - 1]!,
  };
}

/** Least-squares slope of y over x (per unit of x); 0 with fewer than two distinct x. */
export function slope(points: readonly (readonly [number, number])[]): number {
  const n = points.length;
  if (n < 2) return 0;
  let sx = 0;
  let sy = 0;
  for (const [x, y] of points) {
    sx += x;
    sy += y;
  }
  const mx = sx / n;
  const my = sy / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

/** Rate of a counter between two readings, per second; null when either is missing or time did not advance. */
export function ratePerS(
  before: number | undefined,
  after: number | undefined,
  beforeMs: number,
  afterMs: number,
): number | null {
  if (before === undefined || after === undefined || afterMs <= beforeMs) return null;
  return Math.max(0, after - before) / ((afterMs - beforeMs) / 1000);
}
