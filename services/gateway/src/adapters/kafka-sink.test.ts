import { describe, expect, it } from 'vitest';
import { Partitioners, type Message, type PartitionMetadata } from 'kafkajs';
import type { ReliableProducer } from '@telltale/platform/kafka';
import type { AcceptedRecord } from '../pipeline/ingest.js';
import { KafkaUplinkSink } from './kafka-sink.js';
import { rememberingKeyPartitioner } from './kafka-partitioner.js';

const PARTITIONS = 6;

/** A producer that records its calls; `fail` decides which calls reject (nothing of them written). */
function fakeProducer(fail: (topic: string, partition: number) => boolean) {
  const calls: { topic: string; messages: Message[]; failed: boolean }[] = [];
  const written: Message[] = [];
  const send = (topic: string, messages: Message[]) => {
    const failed = fail(topic, messages[0]!.partition!);
    calls.push({ topic, messages, failed });
    if (failed) return Promise.reject(new Error('Connection error: connect ECONNREFUSED'));
    written.push(...messages);
    return Promise.resolve([]);
  };
  const producer = { send, sendBatch: () => Promise.reject(new Error('not used')) } as unknown as ReliableProducer;
  return { producer, calls, written };
}

const sink = (producer: ReliableProducer) =>
  new KafkaUplinkSink(producer, {
    frames: 'tbox.frames.v1',
    dlq: 'tbox.frames.dlq.v1',
    maxRequestBytes: 1000,
    maxDeadLetterBytes: 100,
    partitions: { frames: PARTITIONS, dlq: PARTITIONS },
    createPartitioner: rememberingKeyPartitioner,
  });

const records: AcceptedRecord[] = Array.from({ length: 40 }, (_, v) => v).flatMap((v) =>
  [1, 2, 3].map((seq) => ({
    vin: `VIN${String(v).padStart(14, '0')}`,
    topic: 'tbox/x/telemetry',
    stream: `dev-${v}`,
    seq,
    payload: Buffer.alloc(200, seq),
    receivedMs: 1_000 + seq,
    frameCount: 1,
  })),
);
const id = (m: Message) => `${String(m.key)}:${(m.value as Buffer)[0]}`;

describe('KafkaUplinkSink', () => {
  it('sends each produce call to one partition, placed as the default partitioner places the key', async () => {
    const { producer, calls } = fakeProducer(() => false);
    await sink(producer).write(records, []);
    const place = Partitioners.DefaultPartitioner();
    const metadata = Array.from({ length: PARTITIONS }, (_, partitionId) => ({ partitionId, leader: 0 }));
    expect(calls.length).toBeGreaterThan(PARTITIONS); // requests stay below maxRequestBytes
    for (const call of calls) {
      expect(new Set(call.messages.map((m) => m.partition)).size).toBe(1);
      for (const m of call.messages)
        expect(m.partition).toBe(
          place({
            topic: call.topic,
            partitionMetadata: metadata as PartitionMetadata[],
            message: { key: m.key, value: m.value },
          }),
        );
    }
  });

  it('retries only what was not written, exactly as the failed call sent it', async () => {
    let failures = 1;
    const { producer, calls, written } = fakeProducer((_, partition) => partition === 2 && failures-- > 0);
    const s = sink(producer);
    await expect(s.write(records, [])).rejects.toThrow(/ECONNREFUSED/);
    const failedCall = calls.find((c) => c.failed)!;
    const firstAttempt = calls.length;
    // Nothing of partition 2 after its failed call: no later chunk overtakes it.
    expect(calls.filter((c) => c.messages[0]!.partition === 2)).toHaveLength(1);

    await s.write(records, []);
    const retried = calls.slice(firstAttempt);
    expect(retried.every((c) => c.messages[0]!.partition === 2)).toBe(true);
    expect(retried[0]!.messages).toEqual(failedCall.messages); // same records, same request: same sequence numbers
    const ids = written.map(id);
    expect(ids).toHaveLength(records.length);
    expect(new Set(ids).size).toBe(records.length);
  });
});
