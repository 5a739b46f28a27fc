/**
 * The two rules history blocks rest on, shared by coalesce (one poll) and the blocks (across polls), so both keep
 * the same sample: which bucket an event time falls in, and which of two samples of one signal a bucket keeps.
 */
const DAY_US = 86_400_000_000;

/** Widest bucket: offsets within a bucket are int4 µs in PostgreSQL (2^31 µs ≈ 35.8 min). */
export const MAX_HISTORY_RESOLUTION_MS = 1_800_000;

/** The start (µs) of the history bucket holding an event time in µs: day-aligned, or the time itself at 0. */
export function bucketStartUs(timeUs: number, resolutionMs: number): number {
  if (resolutionMs <= 0) return timeUs;
  const width = resolutionMs * 1000;
  const day = Math.floor(timeUs / DAY_US) * DAY_US;
  return day + Math.floor((timeUs - day) / width) * width;
}

/**
 * Whether sample a beats sample b for one slot of one bucket: the newest event time, then the greater value (NaN
 * above every number, +0 above −0), then the later receive time, then the greater catalog version. A total order on
 * what a row stores, so which sample a bucket keeps does not depend on arrival order.
 */
export function sampleWins(
  timeUsA: number,
  valueA: number,
  receiveMsA: number,
  versionA: string,
  timeUsB: number,
  valueB: number,
  receiveMsB: number,
  versionB: string,
): boolean {
  if (timeUsA !== timeUsB) return timeUsA > timeUsB;
  const nanA = Number.isNaN(valueA);
  const nanB = Number.isNaN(valueB);
  if (nanA !== nanB) return nanA;
  if (!nanA && valueA !== valueB) return valueA > valueB;
  if (Object.is(valueA, 0) && Object.is(valueB, -0)) return true;
  if (Object.is(valueA, -0) && Object.is(valueB, 0)) return false;
  if (receiveMsA !== receiveMsB) return receiveMsA > receiveMsB;
  return versionA > versionB;
}

/**
 * A bucket's number, consistent with bucketStartUs (same bucket, same number; later bucket, greater number): an
 * integer, so coalesce can key buckets by a number.
 */
export function bucketIndex(timeUs: number, resolutionMs: number): number {
  if (resolutionMs <= 0) return timeUs;
  const width = resolutionMs * 1000;
  const day = Math.floor(timeUs / DAY_US);
  return day * Math.ceil(DAY_US / width) + Math.floor((timeUs - day * DAY_US) / width);
}
