-- Every sample, really: SignalBatch carries each sample's microseconds within its millisecond (time_sub_ms_us), so
-- two samples of one signal inside one millisecond (a CAN message sent every 500 µs) are two history rows, not one.
-- The millisecond column stays (every reader of event_time_ms keeps working, and it is still the partition key);
-- event_time_sub_ms_us (0-999) is the µs within it, part of the history key, and breaks ties in signal_latest.
-- Existing rows get 0, which is what an older producer's sample means. The service role's table grants cover the
-- new columns.
ALTER TABLE signal_history ADD COLUMN event_time_sub_ms_us smallint NOT NULL DEFAULT 0
  CHECK (event_time_sub_ms_us BETWEEN 0 AND 999);
ALTER TABLE signal_history DROP CONSTRAINT signal_history_pkey;
ALTER TABLE signal_history ADD PRIMARY KEY (vin, signal_id, event_time_ms, event_time_sub_ms_us);

ALTER TABLE signal_latest ADD COLUMN event_time_sub_ms_us smallint NOT NULL DEFAULT 0
  CHECK (event_time_sub_ms_us BETWEEN 0 AND 999);
