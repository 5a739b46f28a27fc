-- Per-second rollups of compacted archive hours (services/archive: "Rollups"). A compacted file's rollup file is
-- written and published before the transaction that lists the compacted file, and listed in the same row, so a
-- reader sees both or neither; it leaves the manifest (and is queued for deletion) with its file. NULL: the file
-- has no rollup (a flushed segment, or a file compacted before rollups existed): readers fall back to raw samples.
ALTER TABLE archive_files ADD COLUMN rollup_path text UNIQUE;
