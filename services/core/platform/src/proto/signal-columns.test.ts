import { describe, expect, it } from 'vitest';
import { SignalBatch } from './index.js';
import { decodeSignalBatch, encodeSignalBatch, eventTimeUs } from './signal-columns.js';

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

describe('SignalBatch sub-millisecond times (field 13)', () => {
  const sub = (n: number) => Uint32Array.from({ length: n }, (_, i) => (i * 37) % 1000);

  it('round-trips through the fast path and the generated code in both directions', () => {
    const cols = { ...columns(300), timeSubMsUs: sub(300) };
    const bytes = encodeSignalBatch(header, cols);
    expect(SignalBatch.decode(bytes).timeSubMsUs).toEqual([...cols.timeSubMsUs]);
    expect(decodeSignalBatch(bytes).columns.timeSubMsUs).toEqual(cols.timeSubMsUs);
    const generated = SignalBatch.encode({
      ...header,
      signalId: [...cols.signalId],
      value: [...cols.value],
      timeOffsetMs: [...cols.timeOffsetMs],
      timeSubMsUs: [...cols.timeSubMsUs],
    }).finish();
    expect(decodeSignalBatch(generated).columns.timeSubMsUs).toEqual(cols.timeSubMsUs);
  });

  it('leaves the column out when every remainder is 0, and reads a record without it as zeros', () => {
    const withZeros = encodeSignalBatch(header, { ...columns(40), timeSubMsUs: new Uint32Array(40) });
    expect(withZeros).toEqual(encodeSignalBatch(header, columns(40)));
    const decoded = decodeSignalBatch(withZeros).columns;
    expect(decoded.timeSubMsUs).toEqual(new Uint32Array(40));
  });

  it('gives each sample its µs event time; an old reader still gets the millisecond', () => {
    const cols = {
      signalId: Uint32Array.of(5, 5, 5, 5),
      value: Float64Array.of(1, 2, 3, 4),
      timeOffsetMs: Uint32Array.of(0, 0, 1, 1),
      timeSubMsUs: Uint32Array.of(0, 500, 0, 500),
    };
    const bytes = encodeSignalBatch(header, cols);
    const { columns: c } = decodeSignalBatch(bytes);
    const times = [0, 1, 2, 3].map((i) => eventTimeUs(header.baseTimeMsEpoch, c, i));
    expect(times).toEqual([0, 500, 1000, 1500].map((us) => header.baseTimeMsEpoch * 1000 + us));
    expect(SignalBatch.decode(bytes).timeOffsetMs).toEqual([0, 0, 1, 1]);
  });

  it('rejects a remainder column of another length or a remainder above 999', () => {
    const base = { signalId: [1, 2], value: [1, 2], timeOffsetMs: [0, 0] };
    expect(() => decodeSignalBatch(SignalBatch.encode({ ...base, timeSubMsUs: [1] }).finish())).toThrow(
      'columns differ in length',
    );
    expect(() => decodeSignalBatch(SignalBatch.encode({ ...base, timeSubMsUs: [1, 1000] }).finish())).toThrow(
      'not 0-999',
    );
    expect(() => encodeSignalBatch(header, { ...columns(3), timeSubMsUs: sub(2) })).toThrow('2 entries for 3');
  });
});
