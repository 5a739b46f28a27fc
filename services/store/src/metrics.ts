import { counter, createMetricsRegistry, histogram, type Registry } from '@telltale/platform';
import type { Logger } from 'pino';
import type { StoreEvents } from './pipeline/write-signals.js';

/** Latest-value block writes (PgSignalStore's onLatestWritten). */
export type LatestWrittenEvent = (blocks: number, conflicts: number) => void;

export function storeMetrics(log: Logger): {
  registry: Registry;
  events: StoreEvents;
  latestWritten: LatestWrittenEvent;
} {
  const registry = createMetricsRegistry('store');
  const samples = counter(registry, 'store_samples_total', 'Signal samples consumed');
  const latestRows = counter(
    registry,
    'store_latest_rows_total',
    'Rows offered to the latest-value UPSERT (after coalescing)',
  );
  const historyRows = counter(
    registry,
    'store_history_rows_total',
    'Rows offered to signal history (after downsampling)',
  );
  const quarantined = counter(
    registry,
    'store_quarantined_total',
    'Samples with an event time too far in the future (dead-lettered)',
  );
  const expired = counter(registry, 'store_expired_total', 'Samples older than the history retention (latest only)');
  const rejected = counter(registry, 'store_rejected_total', 'Records dead-lettered as undecodable, by reason', [
    'reason',
  ]);
  const writeSeconds = histogram(
    registry,
    'store_write_seconds',
    'Decode + coalesce + PostgreSQL transaction per poll',
  );
  const visible = histogram(registry, 'store_visible_latency_seconds', 'Gateway receive → committed in PostgreSQL', {
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  });
  const latestBlocks = counter(registry, 'store_latest_blocks_total', 'Latest-value blocks written (128 signals each)');
  const latestConflicts = counter(
    registry,
    'store_latest_conflicts_total',
    'Latest-value blocks another writer had changed since this instance read them (merged under lock)',
  );
  return {
    registry,
    latestWritten: (blocks, conflicts) => {
      latestBlocks.inc(blocks);
      if (conflicts === 0) return;
      latestConflicts.inc(conflicts);
      log.info({ blocks: conflicts }, 'Latest-value blocks changed by another writer; merged them under lock.');
    },
    events: {
      written: (n, latest, history, seconds) => {
        samples.inc(n);
        latestRows.inc(latest);
        historyRows.inc(history);
        writeSeconds.observe(seconds);
      },
      quarantined: (n) => {
        quarantined.inc(n);
        log.warn({ samples: n }, 'Quarantined samples with event times in the future.');
      },
      expired: (n) => expired.inc(n),
      rejected: (reason, detail, where) => {
        rejected.inc({ reason });
        log.warn({ reason, detail, ...where }, 'Signal record dead-lettered.');
      },
      visibleLatency: (ms) => visible.observe(ms / 1000),
    },
  };
}
