/** kafkajs ↔ the store pipeline's plain records: consumed messages in, dead letters out. */
import type { KafkaMessage } from 'kafkajs';
import type { ReliableProducer } from '@telltale/platform/kafka';
import type { DeadLetterSink, SignalRecord } from '../pipeline/write-signals.js';

export function signalRecordsOf(partition: number, messages: readonly KafkaMessage[]): SignalRecord[] {
  return messages.map((m) => ({
    partition,
    offset: m.offset,
    key: m.key,
    value: m.value,
    timestampMs: Number(m.timestamp),
  }));
}

/** Dead letters to `topic`, resolved once acknowledged by every in-sync replica. */
export function kafkaDeadLetterSink(producer: ReliableProducer, topic: string): DeadLetterSink {
  return {
    send: async (records) => {
      await producer.send(
        topic,
        records.map((r) => ({ key: r.key, value: r.value, headers: { ...r.headers } })),
      );
    },
  };
}
