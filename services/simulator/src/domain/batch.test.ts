import { describe, expect, it } from 'vitest';
import { BatchSealer } from './batch.js';
import { FrameBuffer } from './frames.js';
import { UplinkQueue, type QueuedUplink } from './uplink-queue.js';

const header = { vin: 'TLTPZKGP6TS732170', deviceId: 'sim-1', catalogVersion: '1.0.0', firmwareVersion: 'fw' };

function frames(timesUs: readonly number[]) {
  const b = new FrameBuffer(2);
  for (const t of timesUs) {
    const at = b.append(t, 1, 0x123, 0, 2);
    b.data.set([t & 0xff, 0xaa], at);
  }
  return b.take();
}

describe('sealing batches', () => {
  it('numbers batches from 1, +1 each; base time is the first frame, offsets in µs', () => {
    const sealer = new BatchSealer(header);
    const epochUs = 1_763_726_400_000_000;
    const a = sealer.seal(frames([1500, 2_000, 999_999]), epochUs, false)!;
    expect(a.seq).toBe(1);
    expect(a.baseTimeMsEpoch).toBe(1_763_726_400_001);
    expect(Array.from(a.frames.timeOffsetUs)).toEqual([500, 1000, 998_999]);
    expect(a.frameCount).toBe(3);
    expect(a.frames.data.length).toBe(6);
    expect(Array.from(a.frames.bus)).toEqual([1, 1, 1]);
    expect(a.backfill).toBe(false);
    const b = sealer.seal(frames([1_000_000]), epochUs, true)!;
    expect(b.seq).toBe(2);
    expect(b.backfill).toBe(true);
    expect(b.baseTimeMsEpoch).toBe(1_763_726_401_000);
  });

  it('skips empty windows without spending a sequence number', () => {
    const sealer = new BatchSealer(header, 41);
    expect(sealer.seal(frames([]), 0, false)).toBeUndefined();
    expect(sealer.seal(frames([5]), 0, false)!.seq).toBe(41);
  });

  it('rejects a seq outside 1..2^32-1', () => {
    expect(() => new BatchSealer(header, 0)).toThrow(RangeError);
    expect(() => new BatchSealer(header, 2 ** 32)).toThrow(RangeError);
  });
});

const uplink = (seq: number, backfill = false): QueuedUplink => ({
  seq,
  payload: new Uint8Array([seq]),
  frames: 10,
  backfill,
});

describe('store-and-forward queue', () => {
  it('sends in order within the in-flight window and frees a slot on each PUBACK', () => {
    const q = new UplinkQueue(100, 2);
    for (let s = 1; s <= 4; s++) q.enqueue(uplink(s));
    expect(q.take(0)?.seq).toBe(1);
    expect(q.take(0)?.seq).toBe(2);
    expect(q.take(0)).toBeUndefined();
    expect(q.acked(2)?.uplink.seq).toBe(2);
    expect(q.acked(2)).toBeUndefined();
    expect(q.take(5)?.seq).toBe(3);
    expect(q.inflightCount).toBe(2);
    expect(q.waitingCount).toBe(1);
  });

  it('keeps at most `limit` batches while offline, dropping and counting the oldest', () => {
    const q = new UplinkQueue(3, 8);
    for (let s = 1; s <= 5; s++) q.enqueue(uplink(s, true));
    expect(q.dropped).toBe(2);
    expect(q.droppedFrames).toBe(20);
    expect([q.take(0)?.seq, q.take(0)?.seq, q.take(0)?.seq]).toEqual([3, 4, 5]);
    expect(q.take(0)).toBeUndefined();
  });

  it('puts in-flight batches back in front, oldest first, when a session is torn down', () => {
    const q = new UplinkQueue(10, 3);
    for (let s = 1; s <= 5; s++) q.enqueue(uplink(s));
    q.take(0);
    q.take(0);
    q.take(0);
    q.acked(2);
    expect(q.requeueInflight()).toBe(2);
    expect([q.take(0)?.seq, q.take(0)?.seq, q.take(0)?.seq]).toEqual([1, 3, 4]);
  });

  it('is empty only when nothing waits and nothing is in flight', () => {
    const q = new UplinkQueue(10, 3);
    expect(q.isEmpty).toBe(true);
    q.enqueue(uplink(1));
    q.take(0);
    expect(q.isEmpty).toBe(false);
    q.acked(1);
    expect(q.isEmpty).toBe(true);
  });
});
