/** One events object that both counts (Prometheus, no VIN labels) and logs what is worth a line. */
import { counter, createMetricsRegistry, gauge, histogram, type Registry } from '@telltale/platform';
import type { Logger } from '@telltale/platform';
import type { FeaturesEvents } from './pipeline/ports.js';

export function featuresMetrics(log: Logger): { registry: Registry; events: FeaturesEvents } {
  const registry = createMetricsRegistry('features');
  const samples = counter(registry, 'features_samples_total', 'Signal samples consumed');
  const records = counter(registry, 'features_records_total', 'vehicle.signals.v1 records consumed');
  const computeSeconds = histogram(
    registry,
    'features_batch_seconds',
    'Compute + score + publish + checkpoint per partition batch',
  );
  const lag = gauge(registry, 'features_consumer_lag_records', 'Records behind the end of the partition last fetched');
  const windows = counter(registry, 'features_windows_emitted_total', 'Feature windows closed and emitted');
  const late = counter(registry, 'features_late_samples_total', 'Samples behind the newest event time', ['outcome']);
  const dropped = counter(registry, 'features_samples_dropped_total', 'Samples not aggregated', ['kind']);
  const rejected = counter(registry, 'features_records_rejected_total', 'Records dead-lettered, by reason', ['reason']);
  const scored = counter(registry, 'features_vectors_scored_total', 'FeatureVectors scored by a fault model');
  const scoreSeconds = histogram(registry, 'features_score_seconds', 'ONNX Runtime call per batch of vectors');
  const alerts = counter(registry, 'features_predictive_alerts_total', 'Predictive alert transitions', ['state']);
  const fenced = counter(registry, 'features_partitions_fenced_total', 'Checkpoints refused: partition reclaimed');
  return {
    registry,
    events: {
      batch: (n, r, seconds, behind) => {
        samples.inc(n);
        records.inc(r);
        computeSeconds.observe(seconds);
        lag.set(behind);
      },
      windows: (n) => windows.inc(n),
      late: (droppedCount, accepted) => {
        late.inc({ outcome: 'dropped' }, droppedCount);
        late.inc({ outcome: 'accepted' }, accepted);
      },
      dropped: (kind, count) => dropped.inc({ kind }, count),
      rejected: (reason) => {
        rejected.inc({ reason });
        log.warn({ reason }, 'Signal record dead-lettered.');
      },
      scored: (rows, seconds) => {
        scored.inc(rows);
        scoreSeconds.observe(seconds);
      },
      alerts: (list) => {
        for (const a of list) {
          alerts.inc({ state: a.state });
          log.info({ vin: a.vin, alertId: a.alertId, model: a.ruleId, state: a.state }, 'Predictive alert.');
        }
      },
      fenced: () => {
        fenced.inc();
        log.warn({}, 'Checkpoint refused: another instance claimed the partition.');
      },
    },
  };
}
