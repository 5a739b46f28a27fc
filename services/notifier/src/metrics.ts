/** Every notifier event is counted, and the ones worth a line are logged by the same function. No VIN in labels. */
import { counter, createMetricsRegistry, gauge, histogram, isTelltaleError, type Registry } from '@telltale/platform';
import type { Logger } from 'pino';
import type { AttemptOutcome } from './domain/backoff.js';
import type { IntakeEvents } from './pipeline/alert-intake.js';
import type { WorkerEvents } from './pipeline/delivery-worker.js';

export type NotifierEvents = IntakeEvents & WorkerEvents;

export function notifierMetrics(log: Logger): { registry: Registry; events: NotifierEvents } {
  const registry = createMetricsRegistry('notifier');
  const consumed = counter(registry, 'notifier_alerts_consumed_total', 'Alert records consumed and decoded');
  const rejected = counter(registry, 'notifier_records_rejected_total', 'Alert records dead-lettered, by reason', [
    'reason',
  ]);
  const enqueued = counter(
    registry,
    'notifier_deliveries_enqueued_total',
    'Webhook deliveries queued (new; replays not counted)',
  );
  const published = counter(registry, 'notifier_stream_published_total', 'Alerts appended to the Redis live streams');
  const attempts = counter(registry, 'notifier_webhook_attempts_total', 'Webhook attempts by result', ['result']);
  const deliveries = counter(
    registry,
    'notifier_webhook_deliveries_total',
    'Webhook deliveries by outcome: delivered, retry (another attempt scheduled), dead',
    ['outcome'],
  );
  const secretErrors = counter(
    registry,
    'notifier_secret_errors_total',
    'Webhook secrets that could not be opened (attempt failed, retried), by error code',
    ['code'],
  );
  const attemptSeconds = histogram(registry, 'notifier_webhook_attempt_seconds', 'Duration of one webhook attempt');
  const latency = histogram(
    registry,
    'notifier_alert_to_webhook_seconds',
    'Alert emit time → webhook acknowledged (2xx)',
    {
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    },
  );
  const result = (o: AttemptOutcome): string =>
    o.kind === 'delivered' || o.kind === 'rejected'
      ? `${Math.floor(o.statusCode / 100)}xx`
      : o.kind === 'failed'
        ? 'error'
        : 'refused';
  return {
    registry,
    events: {
      consumed: (n) => consumed.inc(n),
      rejected: (reason, detail, where) => {
        rejected.inc({ reason });
        log.warn({ reason, detail, ...where }, 'Alert record dead-lettered.');
      },
      enqueued: (n) => enqueued.inc(n),
      published: (n) => published.inc(n),
      subscriptionsLoaded: (count, version) => log.info({ count, version }, 'Subscriptions loaded.'),
      attempted: (outcome, seconds, deliveryId, attempt) => {
        attempts.inc({ result: result(outcome) });
        attemptSeconds.observe(seconds);
        if (outcome.kind !== 'delivered') log.debug({ deliveryId, attempt, outcome }, 'Webhook attempt failed.');
      },
      settled: (next, deliveryId, attempt) => {
        deliveries.inc({ outcome: next.status === 'pending' ? 'retry' : next.status });
        if (next.status === 'dead')
          log.warn({ deliveryId, attempts: attempt, reason: next.reason }, 'Webhook delivery dead-lettered.');
      },
      deliveredLatency: (ms) => latency.observe(Math.max(ms, 0) / 1000),
      workerFailed: (err) => log.warn({ err }, 'Delivery worker round failed; retrying.'),
      secretUnreadable: (err, deliveryId, subscriptionId) => {
        const code = isTelltaleError(err) ? err.code : 'SECRET_UNREADABLE';
        secretErrors.inc({ code });
        log.error(
          { err, code, deliveryId, subscriptionId },
          'Webhook secret cannot be opened; check SECRETS_KEY and SECRETS_PREVIOUS_KEYS.',
        );
      },
    },
  };
}

/**
 * The webhook queue's depth, read from PostgreSQL at scrape time: deliveries pending (waiting for their next attempt)
 * and due now, and how long the oldest due one has waited. A read that fails leaves the last values.
 */
export function registerQueueDepth(
  registry: Registry,
  probe: (nowMs: number) => Promise<{ pending: number; due: number; oldestDueMs: number | undefined }>,
): void {
  const depth = gauge(registry, 'notifier_queue_deliveries', 'Webhook deliveries not yet settled, by state', ['state']);
  gauge(
    registry,
    'notifier_queue_oldest_due_seconds',
    'How long the oldest due webhook delivery has waited for an attempt (0 when none is due)',
    [],
    async (g) => {
      const now = Date.now();
      try {
        const d = await probe(now);
        depth.set({ state: 'pending' }, d.pending);
        depth.set({ state: 'due' }, d.due);
        g.set(d.oldestDueMs === undefined ? 0 : Math.max(0, now - d.oldestDueMs) / 1000);
      } catch {
        // The last values stay; the postgres health check reports the outage.
      }
    },
  );
}
