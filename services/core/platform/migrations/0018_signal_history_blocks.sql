-- History at the grain of the latest blocks: one row per (vin, block of 128 signal ids, time bucket) instead of one
-- per sample.
--
-- With one row per (vin, signal, bucket), a premium EV (8,400 signals) added 8,400 history rows per second at the
-- default 1 s resolution: PostgreSQL's per-row cost (index entry, heap tuple, WAL record) capped this 2-core machine
-- at three to four vehicles. As blocks it is 66 rows per vehicle and second.
--
-- signal_history_block: bucket_us is the bucket's start (µs since the epoch): HISTORY_RESOLUTION_MS wide, aligned to
--   the UTC day (so a bucket never straddles a day partition; the last bucket of a day is shorter when the width does
--   not divide a day), or, at resolution 0, the exact event time of the samples in it (signals of one CAN frame share
--   a time and mostly a block, so rows ≈ frames). Per element i (1-based, signal id = block * 128 + i - 1): the
--   sample the bucket keeps for that signal — its value, its event time as offset_us from bucket_us (so every sample
--   keeps its exact µs), its receive time and catalog version (catalog_versions[catalog_version_index[i]]). NULL in
--   every array where the signal has no sample in the bucket. Arrays always have 128 elements.
--   Which sample a bucket keeps per signal is deterministic: the newest event time, then the greater value, then
--   the later receive time, then the greater catalog version. So a replay, a poll boundary splitting a bucket, or
--   any input order gives the same rows. The store merges in memory (services/store/src/domain/history-blocks.ts)
--   and writes a whole row; version makes that a compare-and-set (like signal_latest_block's): a writer that did
--   not see the current row locks it, merges it in and writes again.
--   Partitioned by UTC day of bucket_us (signal_history_block_YYYYMMDD); the store creates and drops the days through
--   the two owner functions below, as it did for signal_history (0012).
-- signal_history: a view with the old table's columns (one row per sample), for ad-hoc SQL and tests. Filter it by
--   vin; per signal, read the block (services/api/src/adapters/pg-signals.ts shows how).
--
-- Upgrade: existing signal_history rows are copied into blocks, each at its exact event time (a resolution-0 bucket,
-- lossless whatever resolution wrote them), then the old table, its partitions and its 0012 functions are dropped.
-- The copy costs one pass over at most the hot window (24 h by default).
CREATE TABLE signal_history_block (
  vin                   text NOT NULL,
  block                 integer NOT NULL,
  bucket_us             bigint NOT NULL,
  value                 double precision[] NOT NULL,
  offset_us             integer[] NOT NULL,
  receive_time_ms       bigint[] NOT NULL,
  catalog_version_index smallint[] NOT NULL,
  catalog_versions      text[] NOT NULL,
  version               bigint NOT NULL,
  PRIMARY KEY (vin, block, bucket_us),
  CHECK (cardinality(value) = 128 AND cardinality(offset_us) = 128 AND cardinality(receive_time_ms) = 128
    AND cardinality(catalog_version_index) = 128)
) PARTITION BY RANGE (bucket_us);

DO $migration$
DECLARE
  schema_name text := current_schema();
  role_name text := CASE
    WHEN length(current_schema()) <= 55 THEN current_schema() || '_service'
    ELSE left(current_schema(), 46) || '_' || left(md5(current_schema()), 8) || '_service'
  END;
BEGIN
  EXECUTE format($f$
    CREATE FUNCTION %1$I.signal_history_block_ensure_day(day integer) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = %1$I, pg_temp AS $body$
    DECLARE
      name text := 'signal_history_block_' ||
        to_char(to_timestamp(day::bigint * 86400) AT TIME ZONE 'UTC', 'YYYYMMDD');
    BEGIN
      -- Serialises creation between instances (CREATE ... IF NOT EXISTS still races on the catalog).
      PERFORM pg_advisory_xact_lock(hashtext(%1$L || '.signal_history_block'));
      IF to_regclass(quote_ident(name)) IS NOT NULL THEN
        RETURN;
      END IF;
      -- A block row is up to ~3 KB: kept in the row, uncompressed (no TOAST pass on every write); room for an
      -- update of the bucket a later poll adds to.
      EXECUTE format('CREATE TABLE %%I PARTITION OF signal_history_block FOR VALUES FROM (%%s) TO (%%s) '
        'WITH (fillfactor = 80, toast_tuple_target = 8160)',
        name, day::bigint * 86400000000, (day::bigint + 1) * 86400000000);
      EXECUTE format('ALTER TABLE %%I ALTER COLUMN value SET STORAGE MAIN, ALTER COLUMN offset_us SET STORAGE MAIN, '
        'ALTER COLUMN receive_time_ms SET STORAGE MAIN, ALTER COLUMN catalog_version_index SET STORAGE MAIN', name);
    END
    $body$$f$, schema_name);
  EXECUTE format($f$
    CREATE FUNCTION %1$I.signal_history_block_drop_day(day integer) RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = %1$I, pg_temp AS $body$
    DECLARE
      name text := 'signal_history_block_' ||
        to_char(to_timestamp(day::bigint * 86400) AT TIME ZONE 'UTC', 'YYYYMMDD');
    BEGIN
      -- Only a day partition of this schema's signal_history_block, never another table.
      IF NOT EXISTS (
        SELECT FROM pg_inherits i
        JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
        JOIN pg_namespace n ON n.oid = p.relnamespace
        WHERE p.relname = 'signal_history_block' AND n.nspname = %1$L AND c.relname = name
      ) THEN
        RETURN false;
      END IF;
      EXECUTE format('DROP TABLE %%I', name);
      RETURN true;
    END
    $body$$f$, schema_name);
  EXECUTE format('REVOKE ALL ON FUNCTION %I.signal_history_block_ensure_day(integer) FROM PUBLIC', schema_name);
  EXECUTE format('REVOKE ALL ON FUNCTION %I.signal_history_block_drop_day(integer) FROM PUBLIC', schema_name);
  EXECUTE format('GRANT EXECUTE ON FUNCTION %I.signal_history_block_ensure_day(integer) TO %I', schema_name,
    role_name);
  EXECUTE format('GRANT EXECUTE ON FUNCTION %I.signal_history_block_drop_day(integer) TO %I', schema_name,
    role_name);
END
$migration$;

-- The upgrade: the days the old rows cover, then the rows, one exact-time bucket per (vin, block, µs).
DO $copy$
DECLARE
  d integer;
BEGIN
  FOR d IN SELECT DISTINCT (event_time_ms / 86400000)::integer FROM signal_history LOOP
    PERFORM signal_history_block_ensure_day(d);
  END LOOP;
END
$copy$;

INSERT INTO signal_history_block
  (vin, block, bucket_us, value, offset_us, receive_time_ms, catalog_version_index, catalog_versions, version)
SELECT k.vin, k.block, k.event_time_ms * 1000 + k.sub_us, array_agg(s.value ORDER BY i),
  array_agg(CASE WHEN s.vin IS NULL THEN NULL ELSE 0 END ORDER BY i), array_agg(s.receive_time_ms ORDER BY i),
  array_agg(array_position(k.versions, s.catalog_version)::smallint ORDER BY i), k.versions, 1
FROM (
  SELECT vin, signal_id / 128 AS block, event_time_ms, event_time_sub_ms_us AS sub_us,
    array_agg(DISTINCT catalog_version) AS versions
  FROM signal_history GROUP BY 1, 2, 3, 4
) k
CROSS JOIN generate_series(0, 127) AS i
LEFT JOIN signal_history s ON s.vin = k.vin AND s.signal_id = k.block * 128 + i AND s.event_time_ms = k.event_time_ms
  AND s.event_time_sub_ms_us = k.sub_us
GROUP BY k.vin, k.block, k.event_time_ms, k.sub_us, k.versions;

DROP TABLE signal_history;
DROP FUNCTION signal_history_ensure_day(integer);
DROP FUNCTION signal_history_drop_day(integer);

CREATE VIEW signal_history AS
SELECT h.vin, h.block * 128 + (u.i - 1)::integer AS signal_id, (h.bucket_us + u.offset_us) / 1000 AS event_time_ms,
  ((h.bucket_us + u.offset_us) % 1000)::smallint AS event_time_sub_ms_us, u.value, u.receive_time_ms,
  h.catalog_versions[u.ci] AS catalog_version
FROM signal_history_block h
CROSS JOIN LATERAL unnest(h.value, h.offset_us, h.receive_time_ms, h.catalog_version_index) WITH ORDINALITY
  AS u(value, offset_us, receive_time_ms, ci, i)
WHERE u.offset_us IS NOT NULL;
