/**
 * One partition batch of vehicle.alerts.v1 → durable outputs, before the consumer commits its offsets: webhook
 * deliveries inserted in the queue (idempotent), alerts appended to the live streams, unusable records
 * dead-lettered. Subscriptions are reloaded first whenever their version moved, so an alert read after a
 * subscription change committed is matched against it.
 *
 * Takes plain records (the Kafka adapter converts kafkajs messages) and declares the ports it needs below; the
 * PostgreSQL and Redis adapters implement them, the unit tests use in-memory fakes.
 */
import { Alert, strictBytes } from '@telltale/platform/proto';
import type { AlertEvent } from '@telltale/rules/alerts';
import { alertEventOf, type AlertRecord } from '../domain/alert-event.js';
import { webhookDeliveriesFor, type Subscription } from '../domain/subscription.js';

/** One consumed alert record. */
export interface ConsumedRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: string | null;
  readonly value: Buffer | null;
}

export interface NewDelivery {
  readonly deliveryId: string;
  readonly subscriptionId: string;
  readonly alertId: string;
  readonly transitionSeq: number;
  readonly fleetId: string;
  readonly vin: string;
  readonly body: string;
  readonly targetHost: string;
  readonly emitTimeMs: number;
}

export interface DeadLetter {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: string | null;
  readonly reason: string;
  readonly detail: string;
  readonly payload: Buffer | null;
}

/** The subscriptions that can receive alerts now, and a version that changes whenever they may have changed. */
export interface SubscriptionSource {
  version(): Promise<string>;
  loadActive(): Promise<Subscription[]>;
}

export interface DeliveryInbox {
  /** Inserts new deliveries (due now); returns how many were new (a replayed delivery id inserts nothing). */
  enqueue(deliveries: readonly NewDelivery[], nowMs: number): Promise<number>;
  /** Keeps unusable records (idempotent per topic, partition, offset). */
  deadLetter(records: readonly DeadLetter[], nowMs: number): Promise<void>;
}

export interface AlertStreamSink {
  publish(alerts: readonly AlertEvent[]): Promise<void>;
}

export interface IntakeEvents {
  consumed(alerts: number): void;
  rejected(reason: string, detail: string, where: { topic: string; partition: number; offset: string }): void;
  enqueued(deliveries: number): void;
  published(alerts: number): void;
  subscriptionsLoaded(count: number, version: string): void;
}

export class AlertIntake {
  private subscriptions: readonly Subscription[] = [];
  private version: string | undefined;

  constructor(
    private readonly source: SubscriptionSource,
    private readonly inbox: DeliveryInbox,
    private readonly streams: AlertStreamSink,
    private readonly events: IntakeEvents,
    /** Wakes the delivery worker: new deliveries are due now. */
    private readonly nudge: () => void,
    private readonly now: () => number = Date.now,
  ) {}

  async refreshSubscriptions(): Promise<void> {
    const version = await this.source.version();
    if (version === this.version) return;
    this.subscriptions = await this.source.loadActive();
    this.version = version;
    this.events.subscriptionsLoaded(this.subscriptions.length, version);
  }

  async handle(records: readonly ConsumedRecord[]): Promise<void> {
    await this.refreshSubscriptions();
    const alerts: AlertEvent[] = [];
    const dead: DeadLetter[] = [];
    for (const record of records) {
      const where = { topic: record.topic, partition: record.partition, offset: record.offset };
      const reject = (reason: string, detail: string): void => {
        dead.push({ ...where, key: record.key, reason, detail, payload: record.value });
        this.events.rejected(reason, detail, where);
      };
      if (!record.value) {
        reject('ALERT_EMPTY', 'record has no value');
        continue;
      }
      let decoded: AlertRecord;
      try {
        decoded = Alert.decode(strictBytes(record.value)) as unknown as AlertRecord;
      } catch (error) {
        reject('ALERT_UNDECODABLE', (error as Error).message);
        continue;
      }
      const converted = alertEventOf(decoded);
      if (!converted.ok) reject(converted.reason, converted.detail);
      else alerts.push(converted.alert);
    }
    const now = this.now();
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
    if (dead.length > 0) await this.inbox.deadLetter(dead, now);
    const inserted = await this.inbox.enqueue(deliveries, now);
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
