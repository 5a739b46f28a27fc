/**
 * Downsampled history for the chart: the vehicle page asks `…/history?points=N` with N ≈ the chart's width in
 * pixels, so a range of any length is at most one min/max/avg bucket per pixel on the wire, never raw samples.
 */

/** One bucket of `GET /v1/vehicles/{vin}/signals/{name}/history?points=N` (oldest first, empty buckets left out). */
export interface HistoryBucket {
  readonly fromMs: number;
  readonly toMs: number;
  readonly count: number;
  readonly min: number;
  readonly max: number;
  readonly avg: number;
}

/** The API's bounds for `points`. */
export const MIN_POINTS = 1;
export const MAX_POINTS = 10_000;

/** Buckets to ask for a chart this many CSS pixels wide: one per pixel, within the API's bounds (800 if unknown). */
export function pointsForWidth(widthPx: number): number {
  if (!Number.isFinite(widthPx) || widthPx <= 0) return 800;
  return Math.min(MAX_POINTS, Math.max(MIN_POINTS, Math.round(widthPx)));
}

export interface BucketSeries {
  /** Seconds since the epoch (uPlot's unit), each bucket's middle. */
  readonly times: number[];
  readonly values: number[];
  readonly mins: number[];
  readonly maxs: number[];
}

/** Buckets as chart columns: the average plotted at the bucket's middle, min and max as its band. */
export function bucketSeries(buckets: readonly HistoryBucket[]): BucketSeries {
  const sorted = [...buckets].filter((b) => b.count > 0).sort((a, b) => a.fromMs - b.fromMs);
  return {
    times: sorted.map((b) => (b.fromMs + b.toMs) / 2 / 1000),
    values: sorted.map((b) => b.avg),
    mins: sorted.map((b) => b.min),
    maxs: sorted.map((b) => b.max),
  };
}
