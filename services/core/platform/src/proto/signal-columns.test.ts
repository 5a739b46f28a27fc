import { describe, expect, it } from 'vitest';
import { SignalBatch } from './index.js';
import { decodeSignalBatch, encodeSignalBatch } from './signal-columns.js';

const header = {
  vin: 'LRW3E7FS1RC000001',
  modelId: 'aurora-ev-2026',
  catalogVersion: '1.0.0',
  source: {
    deviceSeq: 7,
    gatewayReceiveTimeMsEpoch: 1_763_700_000_500,
    decodeTimeMsEpoch: 1_763_700_000_510,
    deviceId: 'tbox',
  },
  baseTimeMsEpoch: 1_763_700_000_000,
  backfill: true,
  batchId: 'LRW3E7FS1RC000001:7',
  part: 1,
  partCount: 2,
};

function columns(n: number) {
  return {
    signalId: Uint32Array.from({ length: n }, (_, i) => (i * 2654435761) >>> 0),
    value: Float64Array.from({ length: n }, (_, i) => (i % 2 ? -1 : 1) * i * 1.0001 + (i === 3 ? NaN : 0)),
    timeOffsetMs: Uint32Array.from({ length: n }, (_, i) => i * 129),
  };
}

describe('SignalBatch column codec', () => {
  it('writes bytes the generated decoder reads back field for field', () => {
    const cols = columns(1000);
    const decoded = SignalBatch.decode(encodeSignalBatch(header, cols));
    expect(SignalBatch.toObject(decoded, { defaults: false, longs: Number })).toMatchObject(header);
    expect(decoded.signalId).toEqual([...cols.signalId]);
    expect(decoded.timeOffsetMs).toEqual([...cols.timeOffsetMs]);
    expect(decoded.value.map(String)).toEqual([...cols.value].map(String));
  });

  it('reads what the generated encoder writes', () => {
    const cols = columns(777);
    const bytes = SignalBatch.encode({
      ...header,
      signalId: [...cols.signalId],
      value: [...cols.value],
      timeOffsetMs: [...cols.timeOffsetMs],
    }).finish();
    const { header: h, columns: c } = decodeSignalBatch(bytes);
    expect(SignalBatch.toObject(h, { defaults: false })).toMatchObject(header);
    expect(h.signalId).toEqual([]);
    expect(c.signalId).toEqual(cols.signalId);
    expect(c.timeOffsetMs).toEqual(cols.timeOffsetMs);
    expect([...c.value].map(String)).toEqual([...cols.value].map(String));
  });

  it('round-trips an empty batch and columns from a Node Buffer at an odd offset', () => {
    const empty = decodeSignalBatch(encodeSignalBatch(header, columns(0)));
    expect(empty.columns.value).toHaveLength(0);
    const bytes = encodeSignalBatch(header, columns(5));
    const shifted = Buffer.concat([Buffer.from([1]), Buffer.from(bytes)]).subarray(1);
    expect(decodeSignalBatch(shifted).columns.signalId).toEqual(columns(5).signalId);
  });

  it('rejects truncated input and columns of different lengths', () => {
    const bytes = encodeSignalBatch(header, columns(50));
    expect(() => decodeSignalBatch(bytes.subarray(0, bytes.length - 3))).toThrow();
    const uneven = SignalBatch.encode({ signalId: [1, 2], value: [1], timeOffsetMs: [0, 0] }).finish();
    expect(() => decodeSignalBatch(uneven)).toThrow('columns differ in length');
  });
});
