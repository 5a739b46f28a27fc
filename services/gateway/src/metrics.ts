import { counter, createMetricsRegistry, gauge, histogram, type Registry } from '@telltale/platform';
import type { Logger } from 'pino';
import type { IngestEvents } from './pipeline/ingest.js';
import type { RejectReason } from './domain/inspect-uplink.js';

/** Every pipeline event is counted, and the ones worth a line are logged by the same function. */
export function gatewayMetrics(
  log: Logger,
  probes: { connections: () => number; subscribed: () => number; waiting: () => number },
): { registry: Registry; events: IngestEvents } {
  const registry = createMetricsRegistry('gateway');
  const batches = counter(registry, 'gateway_batches_total', 'Uplink batches by outcome', ['outcome']);
  const rejects = counter(
    registry,
    'gateway_rejected_total',
    'Rejected uplink batches by reason (sent to the dead-letter topic)',
    ['reason'],
  );
  const frames = counter(registry, 'gateway_frames_total', 'CAN frames in accepted batches');
  const sinkFailures = counter(
    registry,
    'gateway_kafka_write_failures_total',
    'Failed Kafka writes (retried; nothing acknowledged meanwhile)',
  );
  const dedupeFailures = counter(
    registry,
    'gateway_dedupe_failures_total',
    'Redis dedupe errors (batches passed through)',
  );
  const refused = counter(
    registry,
    'gateway_kafka_refused_total',
    'Records Kafka refused for good, by Kafka error and what became of them',
    ['error', 'record', 'outcome'],
  );
  const flushSeconds = histogram(registry, 'gateway_flush_seconds', 'Inspect + dedupe + Kafka write + ack, per flush');
  const flushSize = histogram(registry, 'gateway_flush_messages', 'Messages per flush', {
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024],
  });
  const pubackSeconds = histogram(
    registry,
    'gateway_puback_latency_seconds',
    'MQTT receive → PUBACK released (after the Kafka write was acknowledged), per message',
    { buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] },
  );
  gauge(registry, 'gateway_mqtt_connections', 'Connected MQTT subscriber connections', [], (g) =>
    g.set(probes.connections()),
  );
  gauge(
    registry,
    'gateway_mqtt_subscribed_connections',
    'MQTT subscriber connections whose subscription was granted since they last connected (only these receive uplinks)',
    [],
    (g) => g.set(probes.subscribed()),
  );
  gauge(registry, 'gateway_waiting_messages', 'Messages received and not yet written to Kafka', [], (g) =>
    g.set(probes.waiting()),
  );
  const events: IngestEvents = {
    accepted: (count, frameCount) => {
      batches.inc({ outcome: 'accepted' }, count);
      frames.inc(frameCount);
    },
    duplicate: (count) => batches.inc({ outcome: 'duplicate' }, count),
    rejected: (reason: RejectReason | 'SEQ_OUT_OF_WINDOW') => {
      batches.inc({ outcome: 'rejected' });
      rejects.inc({ reason });
    },
    flushed: (messages, seconds) => {
      flushSize.observe(messages);
      flushSeconds.observe(seconds);
    },
    sinkFailed: (err, attempt) => {
      sinkFailures.inc();
      if (attempt === 1 || attempt % 10 === 0)
        log.warn({ err, attempt }, 'Kafka write failed; holding acknowledgements and retrying.');
    },
    refused: (kafkaError, uplink, deadLettered) => {
      const outcome = deadLettered ? 'dead_lettered' : 'lost';
      refused.inc({ error: kafkaError, record: uplink ? 'uplink' : 'dead_letter', outcome });
      log.warn({ kafkaError, uplink, outcome }, 'Kafka refused a record; not retrying it.');
    },
    acknowledged: (messages, ackedMs) => {
      for (const m of messages) pubackSeconds.observe(Math.max(0, ackedMs - m.receivedMs) / 1000);
    },
    dedupeFailed: (err) => {
      dedupeFailures.inc();
      log.warn({ err }, 'Dedupe store failed; passing batches through (consumers drop replays by batch id).');
    },
  };
  return { registry, events };
}
