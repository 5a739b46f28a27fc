-- Parquet archive (written by `telltale archive`, read by `telltale history export`, backtests and batch engines).
--
-- archive_segments: the exactly-once ledger. One row per committed range of offsets of one vehicle.signals.v1
--   partition; the highest last_offset of a partition is where the archive resumes, whatever Kafka's committed
--   offset says. Ranges of a partition never overlap (checked under the claim's row lock when a segment commits).
-- archive_claims: which owner generation (epoch) may commit segments of a partition. Taking over a partition bumps
--   the epoch, so a previous owner that is still flushing can no longer commit (fencing).
-- archive_files: the manifest. One row per Parquet file readers should see, relative to ARCHIVE_DIR
--   (model=<id>/date=YYYY-MM-DD/hour=HH/<name>.parquet). A segment file names its source range; a compacted file
--   has none (it merges files of many segments and partitions). Files not listed here are not (yet, or any more)
--   part of the archive.
-- archive_pending_deletes: files that left the manifest (compaction, retention) and are deleted from disk after
--   the transaction that removed them commits; whatever a crash leaves here is deleted on the next pass.
CREATE TABLE archive_claims (
  topic       text NOT NULL,
  partition   integer NOT NULL,
  epoch       bigint NOT NULL,
  claimed_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (topic, partition)
);

CREATE TABLE archive_segments (
  topic         text NOT NULL,
  partition     integer NOT NULL,
  first_offset  bigint NOT NULL,
  last_offset   bigint NOT NULL,
  epoch         bigint NOT NULL,
  rows          bigint NOT NULL,
  files         integer NOT NULL,
  committed_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (topic, partition, first_offset),
  CHECK (last_offset >= first_offset)
);

CREATE TABLE archive_files (
  path               text PRIMARY KEY,
  model_id           text NOT NULL,
  date               date NOT NULL,
  hour               smallint NOT NULL CHECK (hour BETWEEN 0 AND 23),
  topic              text,
  partition          integer,
  first_offset       bigint,
  last_offset        bigint,
  rows               bigint NOT NULL,
  bytes              bigint NOT NULL,
  min_event_time_ms  bigint NOT NULL,
  max_event_time_ms  bigint NOT NULL,
  source_files       integer NOT NULL DEFAULT 1,
  created_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX archive_files_hour ON archive_files (model_id, date, hour);
CREATE INDEX archive_files_event_time ON archive_files (min_event_time_ms, max_event_time_ms);

CREATE TABLE archive_pending_deletes (
  path       text PRIMARY KEY,
  reason     text NOT NULL,
  queued_at  timestamptz NOT NULL DEFAULT now()
);
