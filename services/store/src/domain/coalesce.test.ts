import { describe, expect, it } from 'vitest';
import { coalesce, dayPartitionName, historyDays, partitionDay, type DecodedBatch } from './coalesce.js';

const NOW = Date.UTC(2026, 10, 21, 12, 0, 0);
const options = { nowMs: NOW, maxFutureMs: 300_000, historyResolutionMs: 0, historyFromMs: NOW - 30 * 86_400_000 };

function batch(
  vin: string,
  base: number,
  samples: [id: number, value: number, offset: number][],
  extra: Partial<DecodedBatch> = {},
): DecodedBatch {
  return {
    vin,
    modelId: 'm',
    catalogVersion: '1.0.0',
    baseTimeMsEpoch: base,
    receiveTimeMs: base + 50,
    signalId: samples.map((s) => s[0]),
    value: samples.map((s) => s[1]),
    timeOffsetMs: samples.map((s) => s[2]),
    ...extra,
  };
}

describe('coalesce', () => {
  it('keeps every sample within one millisecond: four frames of one message inside 2 ms, five signals each', () => {
    // Reproduces the report: 20 decoded samples collapsed to 10 history rows when times were whole ms.
    const ids: number[] = [];
    const offsets: number[] = [];
    const subs: number[] = [];
    const values: number[] = [];
    for (let frame = 0; frame < 4; frame++) {
      for (let signal = 0; signal < 5; signal++) {
        ids.push(signal);
        offsets.push(Math.floor((frame * 500) / 1000));
        subs.push((frame * 500) % 1000);
        values.push(frame * 10 + signal);
      }
    }
    const b: DecodedBatch = { ...batch('V', NOW, []), signalId: ids, value: values, timeOffsetMs: offsets };
    expect(coalesce([b], options).history.vin).toHaveLength(10); // whole-ms times: what the report saw
    const out = coalesce([{ ...b, timeSubMsUs: subs }], options);
    expect(out.history.vin).toHaveLength(20);
    const first = out.history.signalId.flatMap((id, i) => (id === 0 ? [i] : []));
    expect(first.map((i) => [out.history.eventTimeMs[i]! - NOW, out.history.eventTimeSubMsUs[i]])).toEqual([
      [0, 0],
      [0, 500],
      [1, 0],
      [1, 500],
    ]);
    expect(first.map((i) => out.history.value[i])).toEqual([0, 10, 20, 30]);
    // The newest µs is the latest value; at 1 s resolution the bucket keeps the last sample.
    expect(out.latest.value[0]).toBe(30);
    expect(out.latest.eventTimeSubMsUs[0]).toBe(500);
    const coarse = coalesce([{ ...b, timeSubMsUs: subs }], { ...options, historyResolutionMs: 1000 });
    expect(coarse.history.value).toEqual([30, 31, 32, 33, 34]);
  });

  it('keeps the newest event time per (vin, signal), whatever the arrival order', () => {
    const out = coalesce(
      [
        batch('V2', NOW - 1000, [
          [1, 10, 0],
          [1, 11, 500],
        ]),
        batch('V1', NOW - 5000, [[2, 5, 0]]),
        batch('V2', NOW - 3000, [[1, 9, 0]]),
      ],
      options,
    );
    expect(out.latest).toMatchObject({
      vin: ['V1', 'V2'],
      signalId: [2, 1],
      value: [5, 11],
      eventTimeMs: [NOW - 5000, NOW - 500],
    });
  });

  it('lets a duplicate change nothing: equal event times keep the first latest value, the greater in history', () => {
    const out = coalesce([batch('V', NOW, [[1, 1, 0]]), batch('V', NOW, [[1, 2, 0]])], options);
    expect(out.latest.value).toEqual([1]);
    // History keeps one sample per bucket by a rule that does not depend on order (history-order.ts): the blocks
    // merge by the same rule across polls, so which poll a sample arrives in does not matter.
    expect(out.history.value).toEqual([2]);
    const reversed = coalesce([batch('V', NOW, [[1, 2, 0]]), batch('V', NOW, [[1, 1, 0]])], options);
    expect(reversed.history.value).toEqual([2]);
  });

  it('quarantines samples too far in the future and stores the rest', () => {
    const out = coalesce(
      [
        batch('V', NOW, [
          [1, 1, 0],
          [2, 2, 300_001],
          [3, 3, 299_999],
        ]),
      ],
      options,
    );
    expect(out.latest.signalId).toEqual([1, 3]);
    expect(out.quarantined.map((q) => q.index)).toEqual([1]);
    expect(out.history.signalId).toEqual([1, 3]);
  });

  it('downsamples history to the last sample per resolution bucket, sorted', () => {
    const out = coalesce(
      [
        batch('V', NOW, [
          [1, 1, 0],
          [1, 2, 400],
          [1, 3, 999],
          [1, 4, 1000],
          [0, 7, 10],
        ]),
      ],
      { ...options, historyResolutionMs: 1000 },
    );
    expect(out.history.signalId).toEqual([0, 1, 1]);
    expect(out.history.value).toEqual([7, 3, 4]);
    const full = coalesce(
      [
        batch('V', NOW, [
          [1, 1, 0],
          [1, 2, 400],
        ]),
      ],
      options,
    );
    expect(full.history.value).toEqual([1, 2]);
  });

  it('keeps samples older than the retention out of history, but lets them update latest', () => {
    const old = NOW - 40 * 86_400_000;
    const out = coalesce([batch('V', old, [[1, 1, 0]])], options);
    expect(out.latest.value).toEqual([1]);
    expect(out.history.vin).toHaveLength(0);
    expect(out.expired).toBe(1);
  });

  it('names day partitions and finds the days rows need', () => {
    const day = Math.floor(NOW / 86_400_000);
    expect(dayPartitionName(day)).toBe('signal_history_block_20261121');
    expect(partitionDay('signal_history_block_20261121')).toBe(day);
    expect(partitionDay('signal_history_block')).toBeUndefined();
    const out = coalesce([batch('V', NOW - 86_400_000, [[1, 1, 0]]), batch('V', NOW, [[2, 1, 0]])], options);
    expect(historyDays(out.history)).toEqual([day - 1, day]);
  });
});
