/**
 * Signal history across the hot window (PostgreSQL, the last STORE_HISTORY_HOT_HOURS) and the archive (Parquet,
 * everything older). Pure: where a range splits, how wide a bucket is, how partial aggregates of the two sources
 * merge, and where a page of raw samples ends.
 *
 *   const { cold, hot } = splitAtHotWindow(fromMs, toMs, hotStartMs);   // each side queried on its own
 *   const grid = bucketGrid(fromMs, toMs, points);                     // whole seconds when a bucket is ≥ 1 s
 *   const buckets = mergeBuckets({ fromMs, toMs }, grid, [coldPartials, hotPartials]);
 *
 * The split is by event time at one instant, so a sample is read from exactly one source: the archive holds every
 * sample (also those of the hot window) and PostgreSQL only the window, but the archive side stops where the window
 * starts and the PostgreSQL side starts there. Both sides count buckets from the same origin, so a bucket that
 * straddles the boundary gets its cold part from the archive and its hot part from PostgreSQL, and their partials
 * add up.
 */
import { ROLLUP_GRAIN_MS } from '@telltale/platform';

const HOUR_MS = 3_600_000;

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

/** Buckets: bucket b is [originMs + b × widthMs, originMs + (b + 1) × widthMs), clipped to the range. */
export interface BucketGrid {
  readonly originMs: number;
  readonly widthMs: number;
}

/**
 * The grid of at most `points` buckets over [fromMs, toMs). When a bucket spans a second or more, the grid is whole
 * UTC seconds (origin: the second holding fromMs; width: rounded up to whole seconds) so the archive's per-second
 * rollups can serve it; the first bucket then starts at fromMs. Below a second: origin fromMs, width in whole ms.
 */
export function bucketGrid(fromMs: number, toMs: number, points: number): BucketGrid {
  const widthMs = bucketWidthMs(fromMs, toMs, points);
  if (widthMs < ROLLUP_GRAIN_MS) return { originMs: fromMs, widthMs };
  const originMs = Math.floor(fromMs / ROLLUP_GRAIN_MS) * ROLLUP_GRAIN_MS;
  return { originMs, widthMs: Math.ceil((toMs - originMs) / (points * ROLLUP_GRAIN_MS)) * ROLLUP_GRAIN_MS };
}

/** Whether every bucket edge of the grid falls on a rollup second. */
export function onRollupGrid(grid: BucketGrid): boolean {
  return grid.originMs % ROLLUP_GRAIN_MS === 0 && grid.widthMs % ROLLUP_GRAIN_MS === 0;
}

/** A half-open range [fromMs, toMs) with both ends known. */
export interface ClosedRange {
  readonly fromMs: number;
  readonly toMs: number;
}

/** An archive file the manifest lists for a range: its hour and its rollup (undefined: none). */
export interface ListedFile {
  readonly path: string;
  readonly rollupPath: string | undefined;
  readonly hourStartMs: number;
}

export interface RollupPlan {
  /** Whole seconds read from rollups (hours whose every file has one), with the rollup files. */
  readonly rollup: { readonly ranges: readonly ClosedRange[]; readonly files: readonly string[] };
  /** The rest of the range, read from raw samples and grouped per second, with the data files. */
  readonly raw: { readonly ranges: readonly ClosedRange[]; readonly files: readonly string[] };
  readonly rollupHours: number;
  readonly rawHours: number;
}

/**
 * Which part of [fromMs, toMs) the rollups serve: the whole seconds of every hour whose listed files all have a
 * rollup (an hour with one file without, e.g. late data after its compaction, is read raw whole: its rollup would
 * miss that file's samples). Everything else (partial seconds at the ends, hours without rollups) is raw. A second
 * is in exactly one of the two.
 */
export function planRollupRead(range: ClosedRange, files: readonly ListedFile[]): RollupPlan {
  const hours = new Map<number, ListedFile[]>();
  for (const f of files) hours.set(f.hourStartMs, [...(hours.get(f.hourStartMs) ?? []), f]);
  const wholeFrom = Math.ceil(range.fromMs / ROLLUP_GRAIN_MS) * ROLLUP_GRAIN_MS;
  const wholeTo = Math.floor(range.toMs / ROLLUP_GRAIN_MS) * ROLLUP_GRAIN_MS;
  const rollupRanges: ClosedRange[] = [];
  const rollupFiles: string[] = [];
  const rolledHours = new Set<number>();
  for (const [hourStartMs, listed] of [...hours.entries()].sort((a, b) => a[0] - b[0])) {
    const from = Math.max(hourStartMs, wholeFrom);
    const to = Math.min(hourStartMs + HOUR_MS, wholeTo);
    if (from >= to || !listed.every((f) => f.rollupPath !== undefined)) continue;
    rolledHours.add(hourStartMs);
    rollupFiles.push(...listed.map((f) => f.rollupPath!));
    const last = rollupRanges.at(-1);
    if (last?.toMs === from) rollupRanges[rollupRanges.length - 1] = { fromMs: last.fromMs, toMs: to };
    else rollupRanges.push({ fromMs: from, toMs: to });
  }
  const rawRanges: ClosedRange[] = [];
  let at = range.fromMs;
  for (const r of rollupRanges) {
    if (at < r.fromMs) rawRanges.push({ fromMs: at, toMs: r.fromMs });
    at = r.toMs;
  }
  if (at < range.toMs) rawRanges.push({ fromMs: at, toMs: range.toMs });
  // Data files of every hour a raw range reaches (a rolled hour too, where the range cuts one of its seconds).
  const rawFiles = files
    .filter((f) => rawRanges.some((r) => f.hourStartMs < r.toMs && r.fromMs < f.hourStartMs + HOUR_MS))
    .map((f) => f.path);
  return {
    rollup: { ranges: rollupRanges, files: rollupFiles },
    raw: { ranges: rawRanges, files: rawFiles },
    rollupHours: rolledHours.size,
    rawHours: hours.size - rolledHours.size,
  };
}

/** One source's aggregate of one bucket (bucket = floor((event time − originMs) / widthMs)). */
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

/**
 * Adds the sources' partials bucket by bucket, in the order of `sources`; buckets without samples are left out.
 * Oldest first.
 */
export function mergeBuckets(
  range: ClosedRange,
  grid: BucketGrid,
  sources: readonly (readonly BucketPartial[])[],
): HistoryBucket[] {
  const { originMs, widthMs } = grid;
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
      fromMs: Math.max(range.fromMs, originMs + bucket * widthMs),
      toMs: Math.min(range.toMs, originMs + (bucket + 1) * widthMs),
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
