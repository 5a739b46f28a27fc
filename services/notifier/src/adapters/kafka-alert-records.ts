/** kafkajs → the intake's plain records. */
import type { PartitionBatch } from '@telltale/platform/kafka';
import type { ConsumedRecord } from '../pipeline/alert-intake.js';

export function consumedRecordsOf(batch: PartitionBatch): ConsumedRecord[] {
  return batch.messages.map((m) => ({
    topic: batch.topic,
    partition: batch.partition,
    offset: m.offset,
    key: m.key?.toString() ?? null,
    value: m.value,
  }));
}
