/**
 * Signal history across the hot window (PostgreSQL, the last STORE_HISTORY_HOT_HOURS) and the archive (Parquet,
 * everything older). Pure: where a range splits, how wide a bucket is, how partial aggregates of the two sources
 * merge, and where a page of raw samples ends.
 *
 *   const { cold, hot } = splitAtHotWindow(fromMs, toMs, hotStartMs);   // each side queried on its own
 *   const width = bucketWidthMs(fromMs, toMs, points);
 *   const buckets = mergeBuckets(fromMs, toMs, width, [coldPartials, hotPartials]);
 *
 * The split is by event time at one instant, so a sample is read from exactly one source: the archive holds every
 * sample (also those of the hot window) and PostgreSQL only the window, but the archive side stops where the window
 * starts and the PostgreSQL side starts there. Buckets are aligned to `fromMs`, so a bucket that straddles the
 * boundary gets its cold part from the archive and its hot part from PostgreSQL, and their partials add up.
 */

/** A half-open event-time range [fromMs, toMs); toMs undefined: no upper bound. */
export interface TimeRange {
  readonly fromMs: number;
  readonly toMs: number | undefined;
}

export interface SplitRange {
  /** The part before the hot window: read from the archive. */
  readonly cold: { readonly fromMs: number; readonly toMs: number } | undefined;
  /** The part inside the hot window: read from PostgreSQL. */
  readonly hot: TimeRange | undefined;
}

export function splitAtHotWindow(fromMs: number, toMs: number | undefined, hotStartMs: number): SplitRange {
  const coldTo = toMs === undefined ? hotStartMs : Math.min(toMs, hotStartMs);
  const hotFrom = Math.max(fromMs, hotStartMs);
  return {
    cold: fromMs < coldTo ? { fromMs, toMs: coldTo } : undefined,
    hot: toMs === undefined || hotFrom < toMs ? { fromMs: hotFrom, toMs } : undefined,
  };
}

/** Width of a bucket when [fromMs, toMs) is cut into at most `points` buckets: whole ms, at least 1. */
export function bucketWidthMs(fromMs: number, toMs: number, points: number): number {
  return Math.max(1, Math.ceil((toMs - fromMs) / points));
}

/** One source's aggregate of one bucket (bucket = floor((event time − fromMs) / width)). */
export interface BucketPartial {
  readonly bucket: number;
  readonly count: number;
  readonly sum: number;
  readonly min: number;
  readonly max: number;
}

export interface HistoryBucket {
  readonly fromMs: number;
  /** Exclusive; the last bucket ends at the range's end. */
  readonly toMs: number;
  readonly count: number;
  readonly min: number;
  readonly max: number;
  readonly avg: number;
}

/** Adds the sources' partials bucket by bucket; buckets without samples are left out. Oldest first. */
export function mergeBuckets(
  fromMs: number,
  toMs: number,
  widthMs: number,
  sources: readonly (readonly BucketPartial[])[],
): HistoryBucket[] {
  const merged = new Map<number, { count: number; sum: number; min: number; max: number }>();
  for (const partials of sources) {
    for (const p of partials) {
      if (p.count === 0) continue;
      const m = merged.get(p.bucket);
      if (!m) merged.set(p.bucket, { count: p.count, sum: p.sum, min: p.min, max: p.max });
      else {
        m.count += p.count;
        m.sum += p.sum;
        if (p.min < m.min) m.min = p.min;
        if (p.max > m.max) m.max = p.max;
      }
    }
  }
  return [...merged.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([bucket, m]) => ({
      fromMs: fromMs + bucket * widthMs,
      toMs: Math.min(toMs, fromMs + (bucket + 1) * widthMs),
      count: m.count,
      min: m.min,
      max: m.max,
      avg: m.sum / m.count,
    }));
}

export interface TimedPoint {
  readonly eventTimeMs: number;
}

/**
 * One page of raw samples from up to `limit + 1` read (the one beyond tells whether more follow). Several samples of
 * one signal can share a millisecond and the page cursor is in ms, so when the sample beyond the page shares the
 * page's last millisecond, that millisecond's samples move to the next page, unless they are the whole page (then
 * the next page starts after it). Returns the page and the range of the next one (null when nothing follows).
 */
export function pageOf<P extends TimedPoint>(
  read: readonly P[],
  limit: number,
  order: 'asc' | 'desc',
  range: TimeRange,
): { points: readonly P[]; next: TimeRange | null } {
  if (read.length <= limit) return { points: read, next: null };
  const edge = read[limit - 1]!.eventTimeMs;
  let keep = limit;
  if (read[limit]!.eventTimeMs === edge) while (keep > 0 && read[keep - 1]!.eventTimeMs === edge) keep--;
  const trimmed = keep < limit && keep > 0; // the edge millisecond goes whole to the next page
  const page = read.slice(0, trimmed ? keep : limit);
  const next =
    order === 'asc'
      ? { fromMs: trimmed ? edge : edge + 1, toMs: range.toMs }
      : { fromMs: range.fromMs, toMs: trimmed ? edge + 1 : edge };
  return { points: page, next };
}

/** Merges pages of two sources that do not overlap in time: older source first for asc, newer first for desc. */
export function concatInOrder<P>(older: readonly P[], newer: readonly P[], order: 'asc' | 'desc', limit: number): P[] {
  return (order === 'asc' ? [...older, ...newer] : [...newer, ...older]).slice(0, limit);
}
