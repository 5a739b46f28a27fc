import { counter, createMetricsRegistry, gauge, histogram, type Registry } from '@telltale/platform';
import type { Logger } from 'pino';
import type { StoreEvents } from './pipeline/write-signals.js';

/** Latest-value block writes (PgSignalStore's onLatestWritten). */
export type LatestWrittenEvent = (blocks: number, conflicts: number) => void;
/** History block writes (PgSignalStore's onHistoryWritten). */
export type HistoryWrittenEvent = (blocks: number, merged: number) => void;

export function storeMetrics(log: Logger): {
  registry: Registry;
  events: StoreEvents;
  latestWritten: LatestWrittenEvent;
  historyWritten: HistoryWrittenEvent;
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
    'Samples offered to signal history (after downsampling: one per signal and bucket), stored as blocks',
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
  const visible = histogram(
    registry,
    'store_visible_latency_seconds',
    'Gateway receive → latest values committed in PostgreSQL',
    {
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    },
  );
  const stages = histogram(
    registry,
    'store_stage_seconds',
    'Per record, time in each stage on the way to visible: decoder (gateway receive → decoder produced), queue ' +
      "(produced → the store's handler took it), latest (→ latest values committed), history (→ history committed)",
    { labelNames: ['stage'], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 2.5, 5, 10] },
  );
  const latestBlocks = counter(registry, 'store_latest_blocks_total', 'Latest-value blocks written (128 signals each)');
  const latestConflicts = counter(
    registry,
    'store_latest_conflicts_total',
    'Latest-value blocks another writer had changed since this instance read them (merged under lock)',
  );
  const historyBlocks = counter(
    registry,
    'store_history_blocks_total',
    'History blocks written (a row of 128 signals per time bucket; a bucket later polls add to is written again)',
  );
  const historyMerged = counter(
    registry,
    'store_history_merged_total',
    'History blocks whose stored row this instance did not hold (replay, late data, another writer): merged under lock',
  );
  return {
    registry,
    historyWritten: (blocks, merged) => {
      historyBlocks.inc(blocks);
      historyMerged.inc(merged);
    },
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
      stage: (stage, ms) => stages.observe({ stage }, ms / 1000),
    },
  };
}

/**
 * Per fleet: registered vehicles, and those with no sample received for the stale period. Read at scrape time, at
 * most once per `refreshMs` (the query touches every vehicle); a failed read keeps the last values.
 */
export function registerFleetHealth(
  registry: Registry,
  read: (nowMs: number) => Promise<ReadonlyArray<{ fleetId: string; vehicles: number; stale: number }>>,
  refreshMs: number,
): void {
  let readAt = -Infinity;
  gauge(
    registry,
    'fleet_vehicles',
    'Registered vehicles per fleet, by freshness (stale: no sample received for FLEET_STALE_AFTER_MS)',
    ['fleet', 'state'],
    async (g) => {
      const now = Date.now();
      if (now - readAt < refreshMs) return;
      readAt = now;
      try {
        const fleets = await read(now);
        g.reset();
        for (const f of fleets) {
          g.set({ fleet: f.fleetId, state: 'stale' }, f.stale);
          g.set({ fleet: f.fleetId, state: 'fresh' }, f.vehicles - f.stale);
        }
      } catch {
        // The last values stay; the postgres health check reports the outage.
      }
    },
  );
}
