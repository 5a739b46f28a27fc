/**
 * Exactly once from tbox.frames.v1 to vehicle.signals.v1: a partition batch's output records, dead letters and
 * input offsets are committed in one Kafka transaction of that input partition's own producer
 * (`PartitionProducers`: transactional id `<group>-<topic>-<partition>`). Whoever processes the partition next
 * fences it: a crashed or stalled previous owner's open transaction is aborted and its late commit refused, and input
 * the previous owner did commit is skipped. So read_committed consumers never see a batch twice, and the input is
 * consumed again from the last committed offset.
 */
import type { Message } from 'kafkajs';
import type { ClaimedPartition } from '@telltale/platform/kafka';

/** Produce requests stay below this, so no partition's record batch can exceed the topic's record size limit. */
const MAX_REQUEST_BYTES = 4 * 1024 * 1024;

function size(message: Message): number {
  const value = message.value;
  return (typeof value === 'string' ? value.length : (value?.length ?? 0)) + 64;
}

/** Consecutive groups of messages of at most MAX_REQUEST_BYTES each (a larger single message goes alone). */
function chunks(messages: Message[]): Message[][] {
  const out: Message[][] = [];
  let current: Message[] = [];
  let bytes = 0;
  for (const m of messages) {
    if (current.length > 0 && bytes + size(m) > MAX_REQUEST_BYTES) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(m);
    bytes += size(m);
  }
  if (current.length > 0) out.push(current);
  return out;
}

export class TransactionalWriter {
  constructor(private readonly topics: { signals: string; deadLetters: string }) {}

  /** Commits the outputs of input up to `nextOffset` (exclusive) in one transaction of the partition's producer. */
  commit(input: ClaimedPartition, nextOffset: string, signals: Message[], deadLetters: Message[]): Promise<void> {
    return input.transaction(nextOffset, async (tx) => {
      // Several produce requests in one transaction: all or none become visible.
      for (const group of chunks(signals)) await tx.send({ topic: this.topics.signals, messages: group, acks: -1 });
      for (const group of chunks(deadLetters))
        await tx.send({ topic: this.topics.deadLetters, messages: group, acks: -1 });
    });
  }
}
