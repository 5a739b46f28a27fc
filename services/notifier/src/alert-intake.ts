/**
 * One partition batch of vehicle.alerts.v1 → durable outputs, before the consumer commits its offsets: webhook
 * deliveries inserted in PostgreSQL (idempotent), alerts appended to the Redis live streams, unusable records
 * dead-lettered. Subscriptions are reloaded first whenever their version moved, so an alert read after a
 * subscription change committed is matched against it.
 */
import type { KafkaMessage } from 'kafkajs';
import { Alert, strictBytes } from '@telltale/platform/proto';
import type { AlertEvent } from '@telltale/rules/alerts';
import { alertEventOf, type AlertRecord } from './domain/alert-event.js';
import { webhookDeliveriesFor, type Subscription } from './domain/subscription.js';
import type { DeadLetter, NewDelivery, PgDeliveryQueue } from './adapters/pg-delivery-queue.js';
import type { PgSubscriptionReader } from './adapters/pg-subscriptions.js';
import type { RedisAlertStreamPublisher } from './adapters/redis-alert-stream-publisher.js';
import type { NotifierEvents } from './metrics.js';

export class AlertIntake {
  private subscriptions: readonly Subscription[] = [];
  private version: string | undefined;

  constructor(
    private readonly reader: PgSubscriptionReader,
    private readonly queue: PgDeliveryQueue,
    private readonly streams: RedisAlertStreamPublisher,
    private readonly events: NotifierEvents,
    /** Wakes the delivery worker: new deliveries are due now. */
    private readonly nudge: () => void,
  ) {}

  async refreshSubscriptions(): Promise<void> {
    const version = await this.reader.version();
    if (version === this.version) return;
    this.subscriptions = await this.reader.loadEnabled();
    this.version = version;
    this.events.subscriptionsLoaded(this.subscriptions.length, version);
  }

  async handle(topic: string, partition: number, messages: readonly KafkaMessage[]): Promise<void> {
    await this.refreshSubscriptions();
    const alerts: AlertEvent[] = [];
    const dead: DeadLetter[] = [];
    for (const message of messages) {
      const where = { topic, partition, offset: message.offset };
      const reject = (reason: string, detail: string): void => {
        dead.push({ ...where, key: message.key?.toString() ?? null, reason, detail, payload: message.value });
        this.events.rejected(reason, detail, where);
      };
      if (!message.value) {
        reject('ALERT_EMPTY', 'record has no value');
        continue;
      }
      let record: AlertRecord;
      try {
        record = Alert.decode(strictBytes(message.value)) as unknown as AlertRecord;
      } catch (error) {
        reject('ALERT_UNDECODABLE', (error as Error).message);
        continue;
      }
      const converted = alertEventOf(record);
      if (!converted.ok) reject(converted.reason, converted.detail);
      else alerts.push(converted.alert);
    }
    const now = Date.now();
    const deliveries: NewDelivery[] = alerts.flatMap((alert) =>
      webhookDeliveriesFor(this.subscriptions, alert).map((d) => ({
        deliveryId: d.deliveryId,
        subscriptionId: d.subscriptionId,
        alertId: alert.alertId,
        transitionSeq: alert.transitionSeq,
        fleetId: alert.fleetId,
        vin: alert.vin,
        body: d.body,
        targetHost: targetHostOf(d.url),
        emitTimeMs: alert.emitTimeMs,
      })),
    );
    if (dead.length > 0) await this.queue.deadLetter(dead, now);
    const inserted = await this.queue.enqueue(deliveries, now);
    if (inserted > 0) this.nudge();
    await this.streams.publish(alerts);
    this.events.consumed(alerts.length);
    this.events.enqueued(inserted);
    this.events.published(alerts.length);
  }
}

/** The per-target concurrency key: host and port of the URL. */
export function targetHostOf(url: string): string {
  try {
    return new URL(url).host.toLowerCase();
  } catch {
    return url;
  }
}
