// What the Kafka adapters put on the wire: alert records and dead letters, through a fake producer.
import { describe, expect, it } from 'vitest';
import type { Message } from 'kafkajs';
import { RECORD_HEADER } from '@telltale/platform/kafka';
import { Alert } from '@telltale/platform/proto';
import { alertId } from '@telltale/rules';
import type { AlertEvent } from '@telltale/rules/alerts';
import { KafkaAlertPublisher } from './kafka-alert-publisher.js';
import { KafkaDeadLetters } from './kafka-dead-letters.js';

class FakeProducer {
  readonly sent: { topic: string; messages: Message[] }[] = [];
  send(topic: string, messages: Message[]): Promise<never[]> {
    this.sent.push({ topic, messages });
    return Promise.resolve([]);
  }
}

const T0 = 1_700_000_000_000;
const event: AlertEvent = {
  origin: 'rule',
  emitTimeMs: T0 + 50,
  alertId: alertId('VIN-A', 'fast', T0),
  vin: 'VIN-A',
  fleetId: 'fleet-a',
  modelId: 'aurora-ev-2026',
  catalogVersion: '1.0.0',
  ruleId: 'fast',
  ruleVersion: 3,
  ruleName: 'Fast',
  state: 'raised',
  severity: 'warning',
  previousSeverity: null,
  eventTimeMs: T0,
  episodeStartMs: T0,
  transitionSeq: 1,
  evidence: [],
  message: 'too fast',
  backfill: false,
  timer: false,
  reason: 'condition',
};

describe('KafkaAlertPublisher', () => {
  it('sends each transition keyed by VIN as an Alert, with its dedupe key in the headers', async () => {
    const producer = new FakeProducer();
    await new KafkaAlertPublisher(producer, 'p.vehicle.alerts.v1').publish([event]);
    const [batch] = producer.sent;
    expect(batch?.topic).toBe('p.vehicle.alerts.v1');
    const [message] = batch!.messages;
    expect(message?.key).toBe('VIN-A');
    expect(message?.headers).toEqual({ 'telltale-alert-id': event.alertId, 'telltale-transition-seq': '1' });
    const alert = Alert.decode(message!.value as Buffer);
    expect(alert).toMatchObject({ alertId: event.alertId, vin: 'VIN-A', ruleId: 'fast', ruleVersion: 3 });
  });
});

describe('KafkaDeadLetters', () => {
  it('sends a rejected record as it came, with the reason, detail and source offset headers', async () => {
    const producer = new FakeProducer();
    const key = Buffer.from('VIN-A');
    const value = Buffer.from([0x0a, 0xff]);
    await new KafkaDeadLetters(producer, 'p.vehicle.signals.dlq.v1').send([
      { key, value, reason: 'MALFORMED_PROTOBUF', detail: 'truncated', sourceOffset: 42n },
    ]);
    expect(producer.sent).toEqual([
      {
        topic: 'p.vehicle.signals.dlq.v1',
        messages: [
          {
            key,
            value,
            headers: {
              [RECORD_HEADER.reason]: 'MALFORMED_PROTOBUF',
              [RECORD_HEADER.detail]: 'truncated',
              [RECORD_HEADER.sourceOffset]: '42',
            },
          },
        ],
      },
    ]);
  });
});
