import { describe, expect, it } from 'vitest';
import { TelemetryBatch } from '@telltale/platform/proto';
import { testLogger } from '@telltale/platform/testing';
import { SequenceWindow } from '../domain/sequence-window.js';
import {
  UplinkIngest,
  type AcceptedRecord,
  type DedupeKey,
  type DedupeStore,
  type IngestEvents,
  type RefusedRecord,
  type RejectedRecord,
  type SinkResult,
  type UplinkSink,
} from './ingest.js';

const VIN = 'LRW3E7FS1RC000001';
const topic = `tbox/${VIN}/telemetry`;

function uplink(seq: number, bootId = 0): Buffer {
  return Buffer.from(
    TelemetryBatch.encode({
      vin: VIN,
      seq,
      bootId,
      deviceId: 'tbox-1',
      baseTimeMsEpoch: 1_763_700_000_000,
      frames: { timeOffsetUs: [0], bus: [0], canId: [0x100], flags: [0], length: [2], data: new Uint8Array(2) },
    }).finish(),
  );
}

class MemoryDedupe implements DedupeStore {
  readonly marked = new Set<string>();
  failing = false;
  seen(keys: readonly DedupeKey[]): Promise<boolean[]> {
    if (this.failing) return Promise.reject(new Error('redis down'));
    return Promise.resolve(keys.map((k) => this.marked.has(`${k.stream}/${k.seq}`)));
  }
  markSeen(keys: readonly DedupeKey[]): Promise<void> {
    for (const k of keys) this.marked.add(`${k.stream}/${k.seq}`);
    return Promise.resolve();
  }
}

class MemorySink implements UplinkSink {
  readonly accepted: AcceptedRecord[] = [];
  readonly rejected: RejectedRecord[] = [];
  failures = 0;
  /** Seqs Kafka refuses for good (as MESSAGE_TOO_LARGE). */
  readonly tooLarge = new Set<number>();
  write(accepted: readonly AcceptedRecord[], rejected: readonly RejectedRecord[]): Promise<SinkResult> {
    if (this.failures > 0) {
      this.failures -= 1;
      return Promise.reject(new Error('kafka down'));
    }
    const refused: RefusedRecord[] = [];
    for (const r of accepted) {
      if (this.tooLarge.has(r.seq))
        refused.push({ vin: r.vin, kafkaError: 'MESSAGE_TOO_LARGE', deadLettered: true, accepted: r });
      else this.accepted.push(r);
    }
    this.rejected.push(...rejected);
    return Promise.resolve({ refused });
  }
}

function setup() {
  const counts = {
    accepted: 0,
    duplicate: 0,
    rejected: [] as string[],
    refused: [] as string[],
    sinkFailed: 0,
    dedupeFailed: 0,
    /** Messages whose PUBACK was released: [receivedMs, ackedMs] each, in order. */
    acknowledged: [] as [number, number][],
  };
  const events: IngestEvents = {
    accepted: (n) => (counts.accepted += n),
    duplicate: (n) => (counts.duplicate += n),
    rejected: (reason) => counts.rejected.push(reason),
    flushed: () => undefined,
    sinkFailed: () => (counts.sinkFailed += 1),
    refused: (error, uplink, deadLettered) => counts.refused.push(`${error}:${uplink}:${deadLettered}`),
    dedupeFailed: () => (counts.dedupeFailed += 1),
    acknowledged: (messages, ackedMs) => {
      for (const m of messages) counts.acknowledged.push([m.receivedMs, ackedMs]);
    },
  };
  const dedupe = new MemoryDedupe();
  const sink = new MemorySink();
  const ingest = new UplinkIngest({
    vehicles: new Map([[VIN, { deviceId: 'tbox-1' }]]),
    dedupe,
    sink,
    limits: { maxBatchBytes: 4096, maxFrameBytes: 64 },
    sequences: new SequenceWindow(1000, 100),
    events,
    log: testLogger(),
    flushAtMessages: 100,
    lingerMs: 1,
    retryInitialMs: 1,
    retryMaxMs: 2,
  });
  const acks: number[] = [];
  const submit = (seq: number, payload: Buffer = uplink(seq)) =>
    ingest.submit({ topic, payload, receivedMs: seq, ack: () => acks.push(seq) });
  return { ingest, dedupe, sink, counts, acks, submit };
}

describe('UplinkIngest', () => {
  it('writes accepted and rejected batches, then acknowledges each in arrival order', async () => {
    const { ingest, sink, counts, acks, submit } = setup();
    submit(1);
    submit(2, Buffer.from([0x0a, 0x10, 0x42]));
    submit(3);
    await ingest.drain();
    expect(sink.accepted.map((r) => [r.vin, r.seq, r.frameCount])).toEqual([
      [VIN, 1, 1],
      [VIN, 3, 1],
    ]);
    expect(sink.rejected.map((r) => [r.vin, r.reason])).toEqual([[VIN, 'MALFORMED_PROTOBUF']]);
    expect(counts).toMatchObject({ accepted: 2, rejected: ['MALFORMED_PROTOBUF'] });
    expect(acks).toEqual([1, 2, 3]);
  });

  it('reports each released acknowledgement with its receive time (PUBACK latency), only after the write', async () => {
    const { ingest, sink, counts, submit } = setup();
    sink.failures = 2;
    const before = Date.now();
    submit(1);
    submit(2, Buffer.from([0x0a, 0x10, 0x42]));
    await ingest.drain();
    expect(counts.sinkFailed).toBe(2);
    expect(counts.acknowledged.map(([received]) => received)).toEqual([1, 2]);
    for (const [, ackedMs] of counts.acknowledged) expect(ackedMs).toBeGreaterThanOrEqual(before);
  });

  it('writes a (vin, seq) once: within a flush and across flushes', async () => {
    const { ingest, sink, counts, acks, submit } = setup();
    submit(1);
    submit(1);
    await ingest.drain();
    submit(1);
    submit(2);
    await ingest.drain();
    expect(sink.accepted.map((r) => r.seq)).toEqual([1, 2]);
    expect(counts.duplicate).toBe(2);
    expect(acks).toEqual([1, 1, 1, 2]); // duplicates are acknowledged too
  });

  it('holds acknowledgements while the sink fails and marks nothing seen before the write', async () => {
    const { ingest, sink, dedupe, counts, acks, submit } = setup();
    sink.failures = 3;
    submit(1);
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(acks).toEqual([]);
    expect(dedupe.marked.size).toBe(0);
    await ingest.drain();
    expect(counts.sinkFailed).toBe(3);
    expect(sink.accepted.map((r) => r.seq)).toEqual([1]);
    expect(acks).toEqual([1]);
    expect([...dedupe.marked]).toEqual(['tbox-1:0/1']);
  });

  it('passes batches through when the dedupe store fails (counted)', async () => {
    const { ingest, sink, dedupe, counts, submit } = setup();
    dedupe.failing = true;
    submit(1);
    await ingest.drain();
    expect(sink.accepted).toHaveLength(1);
    expect(counts.dedupeFailed).toBe(1);
  });

  it('acknowledges records Kafka refuses for good, counts them and does not mark them seen', async () => {
    const { ingest, sink, dedupe, counts, acks, submit } = setup();
    sink.tooLarge.add(2);
    submit(1);
    submit(2);
    submit(3);
    await ingest.drain();
    expect(acks).toEqual([1, 2, 3]);
    expect(sink.accepted.map((r) => r.seq)).toEqual([1, 3]);
    expect(counts.accepted).toBe(2);
    expect(counts.refused).toEqual(['MESSAGE_TOO_LARGE:true:true']);
    expect(counts.sinkFailed).toBe(0);
    expect([...dedupe.marked]).toEqual(['tbox-1:0/1', 'tbox-1:0/3']);
  });

  it('accepts a declared sequence reset: the same seq under a new boot id is a new batch', async () => {
    const { ingest, sink, counts, submit } = setup();
    submit(1, uplink(1, 0));
    await ingest.drain();
    submit(1, uplink(1, 0xbeef)); // the T-Box rebooted without its counter and declares it
    submit(1, uplink(1, 0xbeef)); // …and a QoS 1 redelivery of that
    await ingest.drain();
    expect(sink.accepted.map((r) => [r.stream, r.seq])).toEqual([
      ['tbox-1:0', 1],
      [`tbox-1:${0xbeef}`, 1],
    ]);
    expect(counts.duplicate).toBe(1);
  });

  it('dead-letters a batch far ahead of its stream (SEQ_OUT_OF_WINDOW) and keeps accepting the stream', async () => {
    const { ingest, sink, counts, submit, acks } = setup();
    submit(10);
    await ingest.drain();
    submit(10 + 4096); // one dedupe block further: a walking seq, not the next batch
    submit(11);
    await ingest.drain();
    expect(sink.accepted.map((r) => r.seq)).toEqual([10, 11]);
    expect(sink.rejected.map((r) => [r.reason, r.detail.includes('declare a reset')])).toEqual([
      ['SEQ_OUT_OF_WINDOW', true],
    ]);
    expect(counts.rejected).toEqual(['SEQ_OUT_OF_WINDOW']);
    expect(acks.sort((a, b) => a - b)).toEqual([10, 11, 10 + 4096]);
    submit(5000, uplink(5000, 0xbeef)); // a declared reset may start anywhere
    await ingest.drain();
    expect(sink.accepted.map((r) => r.seq)).toEqual([10, 11, 5000]);
  });
});
