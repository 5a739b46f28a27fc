-- Real-time store (written by `telltale store`, read by the API and rule backtests).
-- signal_latest: one row per (vin, signal id), the value with the newest event time (ties keep the first).
-- signal_history: every sample, append-only, partitioned by day of event time (UTC) so retention drops whole
-- partitions; the store creates day partitions as data arrives. Duplicates (same vin, signal, event time) are
-- ignored. Signal ids index the vehicle model's catalog (names and units come from there).
CREATE TABLE signal_latest (
  vin              text NOT NULL,
  signal_id        integer NOT NULL,
  value            double precision NOT NULL,
  event_time_ms    bigint NOT NULL,
  receive_time_ms  bigint NOT NULL,
  write_time_ms    bigint NOT NULL,
  model_id         text NOT NULL,
  catalog_version  text NOT NULL,
  PRIMARY KEY (vin, signal_id)
) WITH (fillfactor = 70);

CREATE TABLE signal_history (
  vin              text NOT NULL,
  signal_id        integer NOT NULL,
  event_time_ms    bigint NOT NULL,
  value            double precision NOT NULL,
  receive_time_ms  bigint NOT NULL,
  catalog_version  text NOT NULL,
  PRIMARY KEY (vin, signal_id, event_time_ms)
) PARTITION BY RANGE (event_time_ms);
