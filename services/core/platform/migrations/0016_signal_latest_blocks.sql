-- Latest values at a coarser grain: one row per (vin, block of 128 signal ids) instead of one per (vin, signal).
--
-- A premium EV updates ~8,400 signals every coalescing window; as rows that was ~8,400 index probes, heap tuples and
-- WAL records per vehicle per window, which capped the fleet at ~4 vehicles on a 2-core machine. As blocks it is 66.
-- Signal ids are dense per model and stable across catalog versions (ids 0..127 → block 0, 128..255 → block 1, ...),
-- so a block needs no catalog to be written or read.
--
-- signal_latest_block: per element i (1-based, signal id = block * 128 + i - 1) the value, event time, receive time
--   and catalog version (catalog_versions[catalog_version_index[i]]) of that signal's newest sample; where the
--   signal has no value yet: NULL event and receive time, value 0, version index 0. Arrays always have 128 elements. The store instance that owns the vehicle's Kafka partition keeps its blocks in memory,
--   merges each poll into them signal by signal (newer event time wins, ties keep the stored value) and writes the
--   blocks that changed whole. version makes that write a compare-and-set: it applies only over the version the
--   writer read or wrote last; otherwise (another instance wrote meanwhile, e.g. around a rebalance) the writer
--   locks the row, merges it in and writes again. So late frames, replays and concurrent writers never regress a
--   signal, as with the per-signal rows. max_event_time_ms / max_receive_time_ms: the newest of the block (a
--   vehicle's "last seen"); write_time_ms: when a write last changed the block.
-- signal_latest: a view with the old table's columns (one row per vin and signal with a value), for per-vehicle
--   reads and ad-hoc SQL. Filter it by vin: a filter on signal_id alone unnests every block of the fleet.
-- signal_latest_for(vin, signal ids): some signals of one vehicle, reading only their blocks (the API's named read).
-- signal_latest_of(signal_id): the fleet-wide read of one signal (one row per vehicle with a value), reading only
--   that signal's block through the (block, vin) index: SELECT vin FROM signal_latest_of(42) WHERE value < 10.
--
-- Existing rows of the per-signal table move into blocks; the table is dropped.
CREATE TABLE signal_latest_block (
  vin                  text NOT NULL,
  block                integer NOT NULL,
  model_id             text NOT NULL,
  value                double precision[] NOT NULL,
  event_time_ms        bigint[] NOT NULL,
  receive_time_ms      bigint[] NOT NULL,
  catalog_version_index smallint[] NOT NULL,
  catalog_versions     text[] NOT NULL,
  max_event_time_ms    bigint NOT NULL,
  max_receive_time_ms  bigint NOT NULL,
  write_time_ms        bigint NOT NULL,
  version              bigint NOT NULL,
  PRIMARY KEY (vin, block),
  CHECK (cardinality(value) = 128 AND cardinality(event_time_ms) = 128 AND cardinality(receive_time_ms) = 128
    AND cardinality(catalog_version_index) = 128)
  -- A block is ~4 KB: kept in the row, uncompressed (no TOAST pass on every write), two per page.
) WITH (fillfactor = 100, toast_tuple_target = 8160);
ALTER TABLE signal_latest_block ALTER COLUMN value SET STORAGE MAIN, ALTER COLUMN event_time_ms SET STORAGE MAIN,
  ALTER COLUMN receive_time_ms SET STORAGE MAIN, ALTER COLUMN catalog_version_index SET STORAGE MAIN;
CREATE INDEX signal_latest_block_fleet ON signal_latest_block (block, vin);

INSERT INTO signal_latest_block
SELECT b.vin, b.block, (array_agg(l.model_id ORDER BY l.event_time_ms DESC NULLS LAST))[1],
  array_agg(coalesce(l.value, 0) ORDER BY i), array_agg(l.event_time_ms ORDER BY i),
  array_agg(l.receive_time_ms ORDER BY i),
  array_agg(coalesce(array_position(b.versions, l.catalog_version), 0)::smallint ORDER BY i), b.versions,
  max(l.event_time_ms), max(l.receive_time_ms), max(l.write_time_ms), 1
FROM (
  SELECT vin, signal_id / 128 AS block, array_agg(DISTINCT catalog_version) AS versions
  FROM signal_latest GROUP BY vin, signal_id / 128
) b
CROSS JOIN generate_series(0, 127) AS i
LEFT JOIN signal_latest l ON l.vin = b.vin AND l.signal_id = b.block * 128 + i
GROUP BY b.vin, b.block, b.versions;

DROP TABLE signal_latest;

CREATE VIEW signal_latest AS
SELECT b.vin, b.block * 128 + (u.i - 1)::integer AS signal_id, u.value, u.event_time_ms, u.receive_time_ms,
  b.write_time_ms, b.model_id, b.catalog_versions[u.ci] AS catalog_version
FROM signal_latest_block b
CROSS JOIN LATERAL unnest(b.value, b.event_time_ms, b.receive_time_ms, b.catalog_version_index) WITH ORDINALITY
  AS u(value, event_time_ms, receive_time_ms, ci, i)
WHERE u.event_time_ms IS NOT NULL;

CREATE FUNCTION signal_latest_of(signal integer) RETURNS TABLE (
  vin text, value double precision, event_time_ms bigint, receive_time_ms bigint, model_id text,
  catalog_version text
) LANGUAGE sql STABLE AS $$
  SELECT b.vin, b.value[signal % 128 + 1], b.event_time_ms[signal % 128 + 1], b.receive_time_ms[signal % 128 + 1],
    b.model_id, b.catalog_versions[b.catalog_version_index[signal % 128 + 1]]
  FROM signal_latest_block b
  WHERE b.block = signal / 128 AND b.event_time_ms[signal % 128 + 1] IS NOT NULL
$$;

CREATE FUNCTION signal_latest_for(vehicle text, signals integer[]) RETURNS TABLE (
  signal_id integer, value double precision, event_time_ms bigint, receive_time_ms bigint, model_id text,
  catalog_version text
) LANGUAGE sql STABLE AS $$
  SELECT s.id, b.value[s.id % 128 + 1], b.event_time_ms[s.id % 128 + 1], b.receive_time_ms[s.id % 128 + 1],
    b.model_id, b.catalog_versions[b.catalog_version_index[s.id % 128 + 1]]
  FROM (SELECT DISTINCT unnest(signals) AS id) s
  JOIN signal_latest_block b ON b.vin = vehicle AND b.block = s.id / 128
  WHERE s.id >= 0 AND b.event_time_ms[s.id % 128 + 1] IS NOT NULL
$$;
