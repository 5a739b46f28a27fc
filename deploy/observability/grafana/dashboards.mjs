#!/usr/bin/env node
// Writes the Grafana dashboards (grafana/dashboards/*.json) from the panel lists below: one pipeline overview, one
// dashboard per service, fleet health. Run it after editing: `node deploy/observability/grafana/dashboards.mjs`
// (`--check` fails when a committed file differs). Every query uses only metrics the services export
// (test/observability checks that, and evaluates each query against a real Prometheus).
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const R = '$__rate_interval';
const DS = { type: 'prometheus', uid: 'telltale-prometheus' };

const rate = (metric, by = '') => `sum${by ? ` by (${by})` : ''} (rate(${metric}[${R}]))`;
const p = (q, metric, by = '', selector = '') =>
  `histogram_quantile(${q}, sum by (le${by ? `, ${by}` : ''}) (rate(${metric}_bucket${selector}[${R}])))`;

/** A time-series panel: [title, unit, [[expr, legend], ...], description]. */
const ts = (title, unit, targets, description = '') => ({ title, unit, targets, description });

/** Panels every consuming service shows: its lag and its processing time. */
const consumerPanels = (service) => [
  ts(
    'Consumer lag per partition',
    'short',
    [
      [
        `sum by (group, topic, partition) (telltale_consumer_lag_records{service="${service}"})`,
        '{{topic}}/{{partition}}',
      ],
    ],
    'Log end offset − committed offset, read from the brokers at every scrape.',
  ),
  ts('Batch processing time p50 / p99', 's', [
    [p(0.5, 'telltale_consumer_batch_seconds', 'topic', `{service="${service}"}`), 'p50 {{topic}}'],
    [p(0.99, 'telltale_consumer_batch_seconds', 'topic', `{service="${service}"}`), 'p99 {{topic}}'],
  ]),
  ts('Records consumed / s', 'ops', [
    [rate(`telltale_consumer_records_total{service="${service}"}`, 'topic'), '{{topic}}'],
    [rate(`telltale_consumer_batch_failures_total{service="${service}"}`, 'topic'), 'failed batches {{topic}}'],
  ]),
];

/** Process panels every service shows. */
const processPanels = (service) => [
  ts('CPU', 'percentunit', [[`rate(telltale_process_cpu_seconds_total{service="${service}"}[${R}])`, '{{instance}}']]),
  ts('Resident memory', 'bytes', [[`telltale_process_resident_memory_bytes{service="${service}"}`, '{{instance}}']]),
  ts('Event loop lag p99', 's', [[`telltale_nodejs_eventloop_lag_p99_seconds{service="${service}"}`, '{{instance}}']]),
  ts('Up', 'short', [[`up{service="${service}"}`, '{{instance}}']]),
];

const DEAD_LETTERS = [
  [rate('telltale_gateway_rejected_total', 'reason'), 'gateway {{reason}}'],
  [rate('telltale_decoder_batches_rejected_total', 'reason'), 'decoder batch {{reason}}'],
  [rate('telltale_decoder_frame_errors_total', 'reason'), 'decoder frame {{reason}}'],
  [rate('telltale_store_rejected_total', 'reason'), 'store {{reason}}'],
  [rate('telltale_store_quarantined_total'), 'store quarantined (future time)'],
  [rate('telltale_diagnostics_records_rejected_total', 'reason'), 'diagnostics {{reason}}'],
  [rate('telltale_notifier_records_rejected_total', 'reason'), 'notifier {{reason}}'],
  [rate('telltale_archive_rejected_total', 'reason'), 'archive {{reason}}'],
];

const dashboards = {
  'pipeline-overview': {
    title: 'Telltale / Pipeline overview',
    description: 'Throughput and latency per stage, lag, dead letters and service health.',
    panels: [
      ts('Throughput per stage', 'ops', [
        [rate('telltale_gateway_batches_total{outcome="accepted"}'), 'gateway batches accepted'],
        [rate('telltale_gateway_frames_total'), 'gateway frames'],
        [rate('telltale_decoder_signals_total'), 'decoder signals'],
        [rate('telltale_store_samples_total'), 'store samples'],
        [rate('telltale_diagnostics_samples_total'), 'diagnostics samples'],
        [rate('telltale_archive_samples_total'), 'archive samples'],
        [rate('telltale_notifier_alerts_consumed_total'), 'notifier alerts'],
      ]),
      ts('Latency per stage, p99', 's', [
        [p(0.99, 'telltale_gateway_puback_latency_seconds'), 'MQTT receive → PUBACK'],
        [p(0.99, 'telltale_store_visible_latency_seconds'), 'gateway receive → visible in store'],
        [p(0.99, 'telltale_diagnostics_alert_latency_seconds'), 'gateway receive → alert on Kafka'],
        [p(0.99, 'telltale_notifier_alert_to_webhook_seconds'), 'alert → webhook acknowledged'],
      ]),
      ts('Consumer lag per service', 'short', [
        ['sum by (service, group) (telltale_consumer_lag_records)', '{{service}} ({{group}})'],
      ]),
      ts('Batch processing time p99 per service', 's', [
        [p(0.99, 'telltale_consumer_batch_seconds', 'service'), '{{service}}'],
      ]),
      ts('Dead letters / s', 'ops', DEAD_LETTERS),
      ts('Alert transitions / s', 'ops', [
        [rate('telltale_diagnostics_alert_transitions_total', 'state'), '{{state}}'],
      ]),
      ts('Services up', 'short', [['sum by (service) (up{job="telltale"})', '{{service}}']]),
      ts('CPU per service', 'percentunit', [
        ['sum by (service) (rate(telltale_process_cpu_seconds_total[' + R + ']))', '{{service}}'],
      ]),
    ],
  },
  gateway: {
    title: 'Telltale / Gateway',
    description: 'MQTT intake: connections, batches by outcome, PUBACK latency, Kafka writes.',
    panels: [
      ts('Batches by outcome / s', 'ops', [[rate('telltale_gateway_batches_total', 'outcome'), '{{outcome}}']]),
      ts('Rejected by reason / s', 'ops', [[rate('telltale_gateway_rejected_total', 'reason'), '{{reason}}']]),
      ts('PUBACK latency p50 / p99', 's', [
        [p(0.5, 'telltale_gateway_puback_latency_seconds'), 'p50'],
        [p(0.99, 'telltale_gateway_puback_latency_seconds'), 'p99'],
      ]),
      ts(
        'MQTT subscriber connections',
        'short',
        [
          ['sum by (instance) (telltale_gateway_mqtt_connections)', 'connected {{instance}}'],
          ['sum by (instance) (telltale_gateway_mqtt_subscribed_connections)', 'subscribed {{instance}}'],
        ],
        'Connected, and subscribed (SUBACK since the last connect): only subscribed connections receive uplinks.',
      ),
      ts('Messages waiting for Kafka', 'short', [
        ['sum by (instance) (telltale_gateway_waiting_messages)', '{{instance}}'],
      ]),
      ts('Flush time p99', 's', [[p(0.99, 'telltale_gateway_flush_seconds'), 'p99']]),
      ts('Kafka write failures and refusals / s', 'ops', [
        [rate('telltale_gateway_kafka_write_failures_total'), 'write failures (retried)'],
        [rate('telltale_gateway_kafka_refused_total', 'outcome'), 'refused: {{outcome}}'],
        [rate('telltale_gateway_dedupe_failures_total'), 'dedupe failures'],
      ]),
      ...processPanels('gateway'),
    ],
  },
  decoder: {
    title: 'Telltale / Decoder',
    description: 'Frames in, signals out, decode errors per (model, message, reason), out-of-range signals.',
    panels: [
      ts('Frames and signals / s per model', 'ops', [
        [rate('telltale_decoder_frames_total', 'model'), 'frames {{model}}'],
        [rate('telltale_decoder_signals_total', 'model'), 'signals {{model}}'],
      ]),
      ts('Decode errors / s by model, message, reason', 'ops', [
        [rate('telltale_decoder_frame_errors_total', 'model, message, reason'), '{{model}} {{message}} {{reason}}'],
      ]),
      ts('Batches dead-lettered whole / s', 'ops', [
        [rate('telltale_decoder_batches_rejected_total', 'reason'), '{{reason}}'],
      ]),
      ts('Out-of-range samples / s, top 10 signals', 'ops', [
        [`topk(10, ${rate('telltale_decoder_signal_out_of_range_total', 'model, signal')})`, '{{model}} {{signal}}'],
      ]),
      ts('Decode time per uplink batch p99', 's', [[p(0.99, 'telltale_decoder_batch_decode_seconds'), 'p99']]),
      ts('Aborted transactions / s', 'ops', [[rate('telltale_decoder_transaction_failures_total'), 'aborted']]),
      ...consumerPanels('decoder'),
      ...processPanels('decoder'),
    ],
  },
  store: {
    title: 'Telltale / Store',
    description: 'Latest values and history in PostgreSQL: rows written, visibility latency.',
    panels: [
      ts('Samples and rows / s', 'ops', [
        [rate('telltale_store_samples_total'), 'samples'],
        [rate('telltale_store_latest_rows_total'), 'latest rows'],
        [rate('telltale_store_history_rows_total'), 'history rows'],
      ]),
      ts('Visibility latency p50 / p99 (gateway receive → committed)', 's', [
        [p(0.5, 'telltale_store_visible_latency_seconds'), 'p50'],
        [p(0.99, 'telltale_store_visible_latency_seconds'), 'p99'],
      ]),
      ts('Write time per poll p99', 's', [[p(0.99, 'telltale_store_write_seconds'), 'p99']]),
      ts('Rejected, quarantined, expired / s', 'ops', [
        [rate('telltale_store_rejected_total', 'reason'), 'rejected {{reason}}'],
        [rate('telltale_store_quarantined_total'), 'quarantined'],
        [rate('telltale_store_expired_total'), 'expired'],
      ]),
      ...consumerPanels('store'),
      ...processPanels('store'),
    ],
  },
  diagnostics: {
    title: 'Telltale / Diagnostics',
    description: 'Rule evaluation per rule, alert transitions, alert latency, checkpoints.',
    panels: [
      ts('Samples / s', 'ops', [
        [rate('telltale_diagnostics_samples_total'), 'consumed'],
        [rate('telltale_diagnostics_samples_applied_total'), 'read by some rule'],
      ]),
      ts('Mean evaluation time per rule', 's', [
        [
          `sum by (rule) (rate(telltale_diagnostics_rule_evaluation_seconds_total[${R}])) / ` +
            `sum by (rule) (rate(telltale_diagnostics_rule_evaluations_total[${R}]))`,
          '{{rule}}',
        ],
      ]),
      ts('Evaluations / s per rule', 'ops', [
        [rate('telltale_diagnostics_rule_evaluations_total', 'rule'), '{{rule}}'],
      ]),
      ts('Transitions / s per rule', 'ops', [
        [rate('telltale_diagnostics_rule_transitions_total', 'rule, state'), '{{rule}} {{state}}'],
      ]),
      ts('Alert latency p50 / p99 (gateway receive → alert on Kafka)', 's', [
        [p(0.5, 'telltale_diagnostics_alert_latency_seconds'), 'p50'],
        [p(0.99, 'telltale_diagnostics_alert_latency_seconds'), 'p99'],
      ]),
      ts('Checkpoint time p99', 's', [[p(0.99, 'telltale_diagnostics_checkpoint_seconds'), 'p99']]),
      ts('Rejected, dropped, fenced / s', 'ops', [
        [rate('telltale_diagnostics_records_rejected_total', 'reason'), 'rejected {{reason}}'],
        [rate('telltale_diagnostics_samples_dropped_total', 'kind'), 'dropped {{kind}}'],
        [rate('telltale_diagnostics_partitions_fenced_total'), 'fenced'],
      ]),
      ...consumerPanels('diagnostics'),
      ...processPanels('diagnostics'),
    ],
  },
  notifier: {
    title: 'Telltale / Notifier',
    description: 'Webhook queue depth, attempt outcomes, dead letters, alert → webhook latency.',
    panels: [
      ts('Queue depth', 'short', [['sum by (state) (telltale_notifier_queue_deliveries)', '{{state}}']]),
      ts('Oldest due delivery waiting', 's', [['max(telltale_notifier_queue_oldest_due_seconds)', 'oldest due']]),
      ts('Attempts / s by result', 'ops', [[rate('telltale_notifier_webhook_attempts_total', 'result'), '{{result}}']]),
      ts('Deliveries / s by outcome', 'ops', [
        [rate('telltale_notifier_webhook_deliveries_total', 'outcome'), '{{outcome}}'],
      ]),
      ts('Alert → webhook p50 / p99', 's', [
        [p(0.5, 'telltale_notifier_alert_to_webhook_seconds'), 'p50'],
        [p(0.99, 'telltale_notifier_alert_to_webhook_seconds'), 'p99'],
      ]),
      ts('Alerts consumed and streamed / s', 'ops', [
        [rate('telltale_notifier_alerts_consumed_total'), 'consumed'],
        [rate('telltale_notifier_stream_published_total'), 'live streams'],
        [rate('telltale_notifier_deliveries_enqueued_total'), 'deliveries queued'],
      ]),
      ...consumerPanels('notifier'),
      ...processPanels('notifier'),
    ],
  },
  api: {
    title: 'Telltale / API',
    description: 'Requests by route and status, latency, refusals.',
    panels: [
      ts('Requests / s by route', 'reqps', [[rate('telltale_api_requests_total', 'route'), '{{route}}']]),
      ts('Requests / s by status', 'reqps', [[rate('telltale_api_requests_total', 'status'), '{{status}}']]),
      ts('Latency p99 by route', 's', [[p(0.99, 'telltale_api_request_seconds', 'route'), '{{route}}']]),
      ts('Refused / s', 'reqps', [
        [rate('telltale_api_auth_failures_total', 'reason'), '401 {{reason}}'],
        [rate('telltale_api_forbidden_total'), '403'],
        [rate('telltale_api_rate_limited_total'), '429'],
        [rate('telltale_api_internal_errors_total'), '500'],
      ]),
      ...processPanels('api'),
    ],
  },
  archive: {
    title: 'Telltale / Archive',
    description: 'Parquet files committed, bytes per sample, flush time, compaction.',
    panels: [
      ts('Samples archived / s', 'ops', [[rate('telltale_archive_samples_total'), 'samples']]),
      ts('Bytes per sample', 'bytes', [
        [`${rate('telltale_archive_bytes_total')} / ${rate('telltale_archive_samples_total')}`, 'bytes / sample'],
      ]),
      ts('Flush time p99', 's', [[p(0.99, 'telltale_archive_flush_seconds'), 'p99']]),
      ts('Files / s', 'ops', [
        [rate('telltale_archive_files_total'), 'committed'],
        [rate('telltale_archive_compacted_files_total'), 'compacted away'],
        [rate('telltale_archive_retention_files_total'), 'dropped by retention'],
      ]),
      ts('Rejected and fenced / s', 'ops', [
        [rate('telltale_archive_rejected_total', 'reason'), 'rejected {{reason}}'],
        [rate('telltale_archive_fenced_total'), 'fenced'],
      ]),
      ...consumerPanels('archive'),
      ...processPanels('archive'),
    ],
  },
  features: {
    title: 'Telltale / Features',
    description: 'Feature windows, late samples, fault-model scoring and predictive alerts.',
    panels: [
      ts('Samples consumed / s', 'ops', [[rate('telltale_features_samples_total'), 'samples']]),
      ts('Windows emitted / s', 'ops', [[rate('telltale_features_windows_emitted_total'), 'windows']]),
      ts('Late samples / s', 'ops', [[rate('telltale_features_late_samples_total', 'outcome'), '{{outcome}}']]),
      ts('Compute time p99 (per partition batch)', 's', [[p(0.99, 'telltale_features_batch_seconds'), 'p99']]),
      ts('Vectors scored / s and model time p99', 'ops', [
        [rate('telltale_features_vectors_scored_total'), 'scored'],
        [p(0.99, 'telltale_features_score_seconds'), 'score p99 (s)'],
      ]),
      ts('Predictive alert transitions / s', 'ops', [
        [rate('telltale_features_predictive_alerts_total', 'state'), '{{state}}'],
      ]),
      ts('Rejected, dropped, fenced / s', 'ops', [
        [rate('telltale_features_records_rejected_total', 'reason'), 'rejected {{reason}}'],
        [rate('telltale_features_samples_dropped_total', 'kind'), 'dropped {{kind}}'],
        [rate('telltale_features_partitions_fenced_total'), 'fenced'],
      ]),
      ...consumerPanels('features'),
      ...processPanels('features'),
    ],
  },
  'fleet-health': {
    title: 'Telltale / Fleet health',
    description: 'Per fleet: stale vehicles, alerts raised per rule, decode errors and out-of-range signals per model.',
    panels: [
      ts('Share of stale vehicles per fleet', 'percentunit', [
        [
          'sum by (fleet) (telltale_fleet_vehicles{state="stale"}) / sum by (fleet) (telltale_fleet_vehicles)',
          '{{fleet}}',
        ],
      ]),
      ts('Vehicles per fleet', 'short', [['sum by (fleet, state) (telltale_fleet_vehicles)', '{{fleet}} {{state}}']]),
      ts('Alerts raised / s per rule', 'ops', [
        [rate('telltale_diagnostics_rule_transitions_total{state="raised"}', 'rule'), '{{rule}}'],
      ]),
      ts('Decode errors / s per model', 'ops', [[rate('telltale_decoder_frame_errors_total', 'model'), '{{model}}']]),
      ts('Out-of-range samples / s per model', 'ops', [
        [rate('telltale_decoder_signal_out_of_range_total', 'model'), '{{model}}'],
      ]),
      ts('Frames / s per model', 'ops', [[rate('telltale_decoder_frames_total', 'model'), '{{model}}']]),
    ],
  },
};

function dashboard(uid, d) {
  return {
    uid: `telltale-${uid}`,
    title: d.title,
    description: d.description,
    tags: ['telltale'],
    timezone: 'utc',
    schemaVersion: 39,
    version: 1,
    refresh: '30s',
    time: { from: 'now-1h', to: 'now' },
    templating: { list: [] },
    annotations: { list: [] },
    panels: d.panels.map((panel, i) => ({
      id: i + 1,
      type: 'timeseries',
      title: panel.title,
      description: panel.description,
      datasource: DS,
      gridPos: { h: 8, w: 12, x: (i % 2) * 12, y: Math.floor(i / 2) * 8 },
      fieldConfig: { defaults: { unit: panel.unit }, overrides: [] },
      options: { legend: { displayMode: 'list', placement: 'bottom' }, tooltip: { mode: 'multi' } },
      targets: panel.targets.map(([expr, legendFormat], k) => ({
        refId: String.fromCharCode(65 + k),
        datasource: DS,
        expr,
        legendFormat,
      })),
    })),
  };
}

const check = process.argv.includes('--check');
let stale = 0;
for (const [uid, d] of Object.entries(dashboards)) {
  const file = join(here, 'dashboards', `${uid}.json`);
  const text = `${JSON.stringify(dashboard(uid, d), null, 2)}\n`;
  if (check) {
    let committed = '';
    try {
      committed = readFileSync(file, 'utf8');
    } catch {
      // missing: stale
    }
    if (committed !== text) {
      stale += 1;
      console.error(`${file} is not what dashboards.mjs writes; run node deploy/observability/grafana/dashboards.mjs`);
    }
  } else {
    writeFileSync(file, text);
  }
}
if (stale > 0) process.exit(1);
