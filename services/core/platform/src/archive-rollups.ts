/**
 * The archive's per-second rollups: the contract between their writer (services/archive, at compaction) and their
 * readers (the API's downsampled history). A rollup file holds one row per (vin, signal id, whole UTC second) of
 * the data file it is listed beside in the manifest (`archive_files.rollup_path`, migration 0019):
 *
 *   vin VARCHAR, signal_id UINTEGER, second_ms BIGINT (start of the second, ms since the epoch),
 *   count UINTEGER, sum DOUBLE, min DOUBLE, max DOUBLE
 *
 * A reader of raw samples that wants the same answer as the rollups computes its per-second rows with
 * SECOND_AGGREGATES and combines seconds with BUCKET_AGGREGATES, exactly as a reader of rollups does. Both sums add
 * the values in ascending order (sorted lists), not in scan order: a floating-point sum depends on the order of its
 * terms, and scan order differs between an hour's flushed files and their compacted merge (and between DuckDB
 * threads), so only a sorted sum makes "rollups equal raw samples" hold bit for bit.
 */
export const ROLLUP_GRAIN_MS = 1000;

/** Per-second aggregates of rows with a `value` column (GROUP BY the second): count, sum, min, max. */
export const SECOND_AGGREGATES =
  'count(*)::UINTEGER AS count, list_sum(list_sort(list(value))) AS sum, min(value) AS min, max(value) AS max';

/** Per-bucket aggregates of per-second rows (rollup rows or SECOND_AGGREGATES' output): n, sum, min, max. */
export const BUCKET_AGGREGATES =
  'sum(count)::BIGINT AS n, list_sum(list_sort(list(sum))) AS sum, min(min) AS min, max(max) AS max';
