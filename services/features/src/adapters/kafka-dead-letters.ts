/** Signal records the features service cannot read, to vehicle.signals.dlq.v1 with the dead-letter headers. */
import { RECORD_HEADER, type ReliableProducer } from '@telltale/platform/kafka';
import type { DeadLetters, PartitionRef, SignalRecord } from '../pipeline/ports.js';

export class KafkaDeadLetters implements DeadLetters {
  constructor(
    private readonly producer: Pick<ReliableProducer, 'send'>,
    private readonly topic: string,
  ) {}

  async send(record: SignalRecord, _ref: PartitionRef, reason: string, detail: string): Promise<void> {
    await this.producer.send(this.topic, [
      {
        key: record.key,
        value: record.value,
        headers: {
          [RECORD_HEADER.reason]: reason,
          [RECORD_HEADER.detail]: detail.slice(0, 500),
          [RECORD_HEADER.sourceOffset]: record.offset.toString(),
        },
      },
    ]);
  }
}
