/**
 * Alert transitions to vehicle.alerts.v1: key VIN, value telltale.alerts.v1.Alert, headers `telltale-alert-id` and
 * `telltale-transition-seq` (consumers dedupe on the pair: a relayed transition may be on Kafka twice).
 */
import type { Message } from 'kafkajs';
import type { ReliableProducer } from '@telltale/platform/kafka';
import { Alert } from '@telltale/platform/proto';
import { alertMessageOf, type AlertEvent } from '@telltale/rules/alerts';
import type { AlertPublisher } from '../pipeline/transition-outbox.js';

export function alertRecordOf(event: AlertEvent): Message {
  return {
    key: event.vin,
    value: Buffer.from(Alert.encode(alertMessageOf(event)).finish()),
    headers: { 'telltale-alert-id': event.alertId, 'telltale-transition-seq': String(event.transitionSeq) },
  };
}

export class KafkaAlertPublisher implements AlertPublisher {
  constructor(
    private readonly producer: Pick<ReliableProducer, 'send'>,
    private readonly topic: string,
  ) {}

  /** Resolves once Kafka acknowledged every record (acks=all). */
  async publish(events: readonly AlertEvent[]): Promise<void> {
    await this.producer.send(this.topic, events.map(alertRecordOf));
  }
}
