import { counter, createMetricsRegistry, histogram, type Registry } from '@telltale/platform';
import type { Logger } from 'pino';
import type { ArchiveEvents } from './pipeline/archive-signals.js';
import type { CompactionEvents } from './pipeline/compact-archive.js';

/** One events object that both counts and logs (no VIN labels: partitions and reasons only). */
export function archiveMetrics(log: Logger): {
  registry: Registry;
  events: ArchiveEvents & CompactionEvents;
} {
  const registry = createMetricsRegistry('archive');
  const samples = counter(registry, 'archive_samples_total', 'Samples committed to Parquet files');
  const files = counter(registry, 'archive_files_total', 'Parquet files committed by flushes');
  const bytes = counter(registry, 'archive_bytes_total', 'Bytes of Parquet committed by flushes');
  const flushSeconds = histogram(registry, 'archive_flush_seconds', 'Write + fsync + manifest commit per flush', {
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  });
  const skipped = counter(registry, 'archive_replayed_records_total', 'Records skipped as already archived');
  const rejected = counter(registry, 'archive_rejected_total', 'Records dead-lettered', ['reason']);
  const claims = counter(registry, 'archive_claims_total', 'Partitions claimed');
  const orphans = counter(registry, 'archive_orphan_files_removed_total', 'Unlisted files of earlier owners removed');
  const fenced = counter(
    registry,
    'archive_fenced_total',
    'Flushes refused because another owner claimed the partition',
  );
  const compacted = counter(registry, 'archive_compacted_files_total', 'Files merged away by compaction');
  const retained = counter(registry, 'archive_retention_files_total', 'Files dropped by retention');
  const conflicts = counter(registry, 'archive_compaction_conflicts_total', 'Compactions abandoned: inputs changed');
  return {
    registry,
    events: {
      claimed: (partition, epoch, doneThrough, removed) => {
        claims.inc();
        orphans.inc(removed);
        log.info(
          { partition, epoch: String(epoch), doneThrough: String(doneThrough), orphansRemoved: removed },
          'Claimed partition.',
        );
      },
      skipped: (n) => skipped.inc(n),
      rejected: (reason) => {
        rejected.inc({ reason });
        log.warn({ reason }, 'Signal record dead-lettered.');
      },
      flushed: (partition, rows, n, size, seconds) => {
        samples.inc(rows);
        files.inc(n);
        bytes.inc(size);
        flushSeconds.observe(seconds);
        log.debug({ partition, rows, files: n, bytes: size, seconds }, 'Segment committed.');
      },
      fenced: (partition) => {
        fenced.inc();
        log.warn({ partition }, 'Partition claimed by another owner; dropped its buffer.');
      },
      compacted: (n, rows, before, after) => {
        compacted.inc(n);
        log.info({ files: n, rows, bytesBefore: before, bytesAfter: after }, 'Compacted an hour.');
      },
      retained: (n) => {
        retained.inc(n);
        log.info({ files: n }, 'Dropped files past retention.');
      },
      compactionConflict: (hour) => {
        conflicts.inc();
        log.warn({ hour }, 'Compaction abandoned: the hour changed meanwhile.');
      },
    },
  };
}
