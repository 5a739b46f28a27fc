/**
 * Signal records that cannot be evaluated, to vehicle.signals.dlq.v1 as they came (key and value) with the platform's
 * dead-letter headers: reason code, detail, and the source record's offset.
 */
import type { Message } from 'kafkajs';
import { RECORD_HEADER, type ReliableProducer } from '@telltale/platform/kafka';
import type { DeadLetters } from '../pipeline/vehicle-evaluator.js';
import type { RejectedSignalRecord } from '../pipeline/records.js';

export function deadLetterOf(record: RejectedSignalRecord): Message {
  return {
    key: record.key,
    value: record.value,
    headers: {
      [RECORD_HEADER.reason]: record.reason,
      [RECORD_HEADER.detail]: record.detail,
      [RECORD_HEADER.sourceOffset]: record.sourceOffset.toString(),
    },
  };
}

export class KafkaDeadLetters implements DeadLetters {
  constructor(
    private readonly producer: Pick<ReliableProducer, 'send'>,
    private readonly topic: string,
  ) {}

  async send(records: readonly RejectedSignalRecord[]): Promise<void> {
    await this.producer.send(this.topic, records.map(deadLetterOf));
  }
}
