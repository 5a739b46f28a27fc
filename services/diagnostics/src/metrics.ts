import { counter, createMetricsRegistry, gauge, histogram, type Registry } from '@telltale/platform';
import type { Logger } from 'pino';
import type { DiagnosticsEvents } from './pipeline/diagnostics-pipeline.js';

export function diagnosticsMetrics(log: Logger): { registry: Registry; events: DiagnosticsEvents } {
  const registry = createMetricsRegistry('diagnostics');
  const samples = counter(registry, 'diagnostics_samples_total', 'Signal samples consumed');
  const applied = counter(registry, 'diagnostics_samples_applied_total', 'Samples of signals some rule reads');
  const batchSeconds = histogram(
    registry,
    'diagnostics_batch_seconds',
    'Evaluate + record + publish per partition batch',
  );
  const transitions = counter(
    registry,
    'diagnostics_alert_transitions_total',
    'Alert transitions made by the engine (before dedupe against PostgreSQL)',
    ['state', 'severity'],
  );
  // Rule id: a bounded label (the rule store holds a few hundred at most), never a VIN.
  const ruleTransitions = counter(
    registry,
    'diagnostics_rule_transitions_total',
    'Alert transitions made by the engine per rule and new state (before dedupe against PostgreSQL)',
    ['rule', 'state'],
  );
  const ruleEvaluations = counter(registry, 'diagnostics_rule_evaluations_total', 'Rule evaluations per rule', [
    'rule',
  ]);
  const ruleSeconds = counter(
    registry,
    'diagnostics_rule_evaluation_seconds_total',
    'Time spent evaluating each rule (rate over rule_evaluations_total rate = mean time per evaluation)',
    ['rule'],
  );
  const latency = histogram(
    registry,
    'diagnostics_alert_latency_seconds',
    'Gateway receive of the batch that made a transition → alert acknowledged by Kafka',
    {
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    },
  );
  const rejected = counter(registry, 'diagnostics_records_rejected_total', 'Signal records dead-lettered, by reason', [
    'reason',
  ]);
  const dropped = counter(
    registry,
    'diagnostics_samples_dropped_total',
    'Samples dropped by the engine (future event time, non-finite)',
    ['kind'],
  );
  const fenced = counter(
    registry,
    'diagnostics_partitions_fenced_total',
    'Writes refused because another instance claimed the partition',
  );
  const shadowTransitions = counter(
    registry,
    'diagnostics_shadow_transitions_total',
    'Transitions made by rule versions deployed as shadow, per rule and new state (recorded, never published)',
    ['rule', 'state'],
  );
  const shadowRecorded = counter(
    registry,
    'diagnostics_shadow_transitions_recorded_total',
    'Shadow transitions that were new in shadow_transitions (a replay re-derives, but does not record, the others)',
  );
  const checkpointSeconds = histogram(registry, 'diagnostics_checkpoint_seconds', 'Vehicle state + offsets persisted');
  const checkpointVehicles = counter(registry, 'diagnostics_checkpoint_vehicles_total', 'Vehicle states persisted');
  const timerPartitions = gauge(
    registry,
    'diagnostics_timer_partitions',
    "Owned partitions by their timers' clock: behind (backlog), flowing, held (quiet: stalled upstream?), idle",
    ['clock'],
  );
  return {
    registry,
    events: {
      batch: (n, a, seconds) => {
        samples.inc(n);
        applied.inc(a);
        batchSeconds.observe(seconds);
      },
      transitions: (list) => {
        for (const t of list) {
          transitions.inc({ state: t.state, severity: t.severity });
          ruleTransitions.inc({ rule: t.ruleId, state: t.state });
        }
      },
      shadowTransitions: (list, recorded) => {
        for (const t of list) shadowTransitions.inc({ rule: t.ruleId, state: t.state });
        shadowRecorded.inc(recorded);
      },
      alertLatency: (ms) => latency.observe(ms / 1000),
      rejected: (reason) => {
        rejected.inc({ reason });
        log.warn({ reason }, 'Signal record dead-lettered.');
      },
      fenced: () => fenced.inc(),
      checkpoint: (vehicles, seconds) => {
        checkpointVehicles.inc(vehicles);
        checkpointSeconds.observe(seconds);
      },
      dropped: (kind, count) => dropped.inc({ kind }, count),
      timerClocks: (partitions) => {
        for (const [clock, count] of Object.entries(partitions)) timerPartitions.set({ clock }, count);
      },
      ruleTimings: (timings) => {
        for (const t of timings) {
          ruleEvaluations.inc({ rule: t.ruleId }, t.evaluations);
          ruleSeconds.inc({ rule: t.ruleId }, t.seconds);
        }
      },
    },
  };
}
