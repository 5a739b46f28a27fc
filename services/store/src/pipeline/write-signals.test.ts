import { describe, expect, it } from 'vitest';
import { RECORD_HEADER } from '@telltale/platform/kafka';
import { SignalBatch } from '@telltale/platform/proto';
import type { HistoryRows, LatestRows } from '../domain/coalesce.js';
import {
  SignalWriter,
  type DeadLetterRecord,
  type SignalRecord,
  type SignalRejectReason,
  type StoreEvents,
} from './write-signals.js';

const VIN = 'LRW3E7FS1RC000009';
const NOW = 1_763_712_000_000;

function batch(base: number, samples: [id: number, value: number, offset: number][]): Buffer {
  return Buffer.from(
    SignalBatch.encode({
      vin: VIN,
      modelId: 'aurora-ev-2026',
      catalogVersion: '1.0.0',
      baseTimeMsEpoch: base,
      source: { deviceSeq: 1, gatewayReceiveTimeMsEpoch: NOW - 50 },
      signalId: samples.map((s) => s[0]),
      value: samples.map((s) => s[1]),
      timeOffsetMs: samples.map((s) => s[2]),
    }).finish(),
  );
}

let offset = 0;
const record = (value: Buffer | null): SignalRecord => ({ partition: 3, offset: String(offset++), key: VIN, value });

/** In-memory fakes of the writer's ports: rows kept newest-wins like the SQL, dead letters and events recorded. */
function harness(options: { maxFutureMs?: number } = {}) {
  const latest = new Map<string, { value: number; eventTimeMs: number }>();
  const history: { signalId: number; eventTimeMs: number; value: number }[] = [];
  const deadLetters: DeadLetterRecord[] = [];
  const rejected: { reason: SignalRejectReason; where: { partition: number; offset: string } }[] = [];
  let quarantined = 0;
  let historyWrites = 0;
  const events: StoreEvents = {
    written: () => undefined,
    quarantined: (n) => (quarantined += n),
    expired: () => undefined,
    rejected: (reason, _detail, where) => rejected.push({ reason, where }),
    visibleLatency: () => undefined,
    stage: () => undefined,
  };
  const rows = {
    writeLatest: (l: LatestRows): Promise<void> => {
      for (let i = 0; i < l.vin.length; i++) {
        const key = `${l.vin[i]}/${l.signalId[i]}`;
        const current = latest.get(key);
        if (!current || l.eventTimeMs[i]! > current.eventTimeMs)
          latest.set(key, { value: l.value[i]!, eventTimeMs: l.eventTimeMs[i]! });
      }
      return Promise.resolve();
    },
    writeHistory: (h: HistoryRows): Promise<void> => {
      historyWrites += 1;
      for (let i = 0; i < h.vin.length; i++)
        history.push({ signalId: h.signalId[i]!, eventTimeMs: h.eventTimeMs[i]!, value: h.value[i]! });
      return Promise.resolve();
    },
  };
  const sink = {
    send: (records: readonly DeadLetterRecord[]): Promise<void> => {
      deadLetters.push(...records);
      return Promise.resolve();
    },
  };
  const writer = new SignalWriter(rows, sink, events, {
    maxFutureMs: options.maxFutureMs ?? 300_000,
    historyResolutionMs: 0,
    historyHotHours: 30 * 24,
    now: () => NOW,
  });
  return {
    writer,
    latest,
    history,
    deadLetters,
    rejected,
    quarantined: () => quarantined,
    historyWrites: () => historyWrites,
  };
}

describe('SignalWriter', () => {
  it("makes each partition batch's latest values visible on its own and writes the poll's history once", async () => {
    const h = harness();
    const first = await h.writer.visible([record(batch(NOW - 2000, [[1, 10, 0]]))], NOW);
    expect(h.latest.get(`${VIN}/1`)?.value).toBe(10); // visible before the next batch is even decoded
    expect(h.history).toEqual([]);
    const second = await h.writer.visible([record(Buffer.alloc(0)), record(batch(NOW - 1000, [[2, 20, 0]]))], NOW);
    expect(h.latest.get(`${VIN}/2`)?.value).toBe(20);
    await h.writer.durable([first, second]);
    expect(h.historyWrites()).toBe(1);
    expect(h.history.map((r) => [r.signalId, r.value])).toEqual([
      [1, 10],
      [2, 20],
    ]);
    expect(h.deadLetters).toHaveLength(1); // the second batch's empty record, sent with the poll
  });

  it('dead-letters a malformed record with its reason and offset, counts it, and stores the rest', async () => {
    const h = harness();
    const bad = record(Buffer.from([0x0a, 0xff, 0xff]));
    const good = record(batch(NOW - 1000, [[1, 10, 0]]));
    await h.writer.handle([bad, good]);

    expect(h.rejected).toEqual([{ reason: 'MALFORMED_PROTOBUF', where: { partition: 3, offset: bad.offset } }]);
    expect(h.deadLetters).toHaveLength(1);
    const dead = h.deadLetters[0]!;
    expect(dead.value).toEqual(bad.value);
    expect(dead.headers[RECORD_HEADER.reason]).toBe('MALFORMED_PROTOBUF');
    expect(dead.headers[RECORD_HEADER.sourceOffset]).toBe(`3:${bad.offset}`);
    expect(dead.headers[RECORD_HEADER.detail]).not.toBe('');
    expect(h.latest.get(`${VIN}/1`)).toEqual({ value: 10, eventTimeMs: NOW - 1000 });
  });

  it('dead-letters an empty record (tombstone) instead of dropping it silently', async () => {
    const h = harness();
    const empty = record(null);
    await h.writer.handle([empty]);
    expect(h.rejected.map((r) => r.reason)).toEqual(['EMPTY_RECORD']);
    expect(h.deadLetters.map((d) => d.headers[RECORD_HEADER.sourceOffset])).toEqual([`3:${empty.offset}`]);
  });

  it('keeps the newest event time whatever the arrival order, in one poll and across polls', async () => {
    const h = harness();
    await h.writer.handle([record(batch(NOW - 5000, [[1, 5, 0]])), record(batch(NOW - 10_000, [[1, 1, 0]]))]);
    expect(h.latest.get(`${VIN}/1`)).toEqual({ value: 5, eventTimeMs: NOW - 5000 });
    await h.writer.handle([record(batch(NOW - 20_000, [[1, 2, 0]]))]); // late arrival
    expect(h.latest.get(`${VIN}/1`)).toEqual({ value: 5, eventTimeMs: NOW - 5000 });
    await h.writer.handle([record(batch(NOW - 1000, [[1, 7, 0]]))]);
    expect(h.latest.get(`${VIN}/1`)).toEqual({ value: 7, eventTimeMs: NOW - 1000 });
    expect(h.history.map((r) => r.value).sort()).toEqual([1, 2, 5, 7]);
    expect(h.deadLetters).toEqual([]);
  });

  it('quarantines samples from a clock too far ahead: dead-lettered as a SignalBatch, never stored', async () => {
    const h = harness({ maxFutureMs: 60_000 });
    const source = record(
      batch(NOW, [
        [3, 33, 0],
        [4, 99, 3_600_000],
      ]),
    );
    await h.writer.handle([source]);

    expect(h.latest.has(`${VIN}/4`)).toBe(false);
    expect(h.history.some((r) => r.signalId === 4)).toBe(false);
    expect(h.latest.get(`${VIN}/3`)).toEqual({ value: 33, eventTimeMs: NOW });
    expect(h.quarantined()).toBe(1);
    expect(h.deadLetters).toHaveLength(1);
    const dead = h.deadLetters[0]!;
    expect(dead.headers[RECORD_HEADER.reason]).toBe('FUTURE_EVENT_TIME');
    expect(dead.headers[RECORD_HEADER.sourceOffset]).toBe(`3:${source.offset}`);
    const kept = SignalBatch.decode(dead.value!);
    expect(kept.signalId).toEqual([4]);
    expect(kept.value).toEqual([99]);
  });

  it('writes nothing to the dead-letter sink when the row sink fails, so the batch is retried whole', async () => {
    const h = harness();
    const failing = new SignalWriter(
      {
        writeLatest: () => Promise.resolve(),
        writeHistory: () => Promise.reject(new Error('database down')),
      },
      {
        send: (r) => {
          h.deadLetters.push(...r);
          return Promise.resolve();
        },
      },
      { written() {}, quarantined() {}, expired() {}, rejected() {}, visibleLatency() {}, stage() {} },
      { maxFutureMs: 1000, historyResolutionMs: 0, historyHotHours: 30 * 24, now: () => NOW },
    );
    await expect(failing.handle([record(Buffer.from([0xff])), record(batch(NOW, [[1, 1, 0]]))])).rejects.toThrow(
      'database down',
    );
    expect(h.deadLetters).toEqual([]);
  });
});
