import { describe, expect, it } from 'vitest';
import { Segment, type ArchivableBatch } from './segment.js';
import { checkBatch } from './check-batch.js';

const HOUR = 3_600_000;
const base = Date.parse('2026-05-04T10:59:59.000Z');

function batch(vin: string, offsets: number[], overrides: Partial<ArchivableBatch> = {}): ArchivableBatch {
  return {
    vin,
    modelId: 'aurora-ev-2026',
    catalogVersion: '1.0.0',
    deviceSeq: 9,
    baseTimeMsEpoch: base,
    signalId: Uint32Array.from(offsets.map((_, i) => i + 1)),
    value: Float64Array.from(offsets.map((o) => o / 10)),
    timeOffsetMs: Uint32Array.from(offsets),
    ...overrides,
  };
}

describe('Segment', () => {
  it('splits a batch across hour partitions and keeps every row with its provenance', () => {
    const s = new Segment();
    s.add(10n, batch('VIN-A', [0, 500, 1000, 1500]), 1000);
    s.addEmpty(11n, 1001);
    s.add(12n, batch('VIN-B', [0], { catalogVersion: '1.1.0', deviceSeq: 4 }), 1002);
    expect(s.firstOffset).toBe(10n);
    expect(s.lastOffset).toBe(12n);
    expect(s.rows).toBe(5);
    expect(s.ageMs(1500)).toBe(500);
    const groups = s.groups().sort((a, b) => a.partition.hour - b.partition.hour);
    expect(groups.map((g) => [g.partition.date, g.partition.hour, g.rows])).toEqual([
      ['2026-05-04', 10, 3],
      ['2026-05-04', 11, 2],
    ]);
    const [h10, h11] = groups as [(typeof groups)[0], (typeof groups)[0]];
    expect([...h10.eventTimeMs]).toEqual([base, base + 500, base]);
    expect(h10.vins).toEqual(['VIN-A', 'VIN-B']);
    expect([...h10.vinIndex]).toEqual([0, 0, 1]);
    expect(h10.catalogVersions).toEqual(['1.0.0', '1.1.0']);
    expect([...h10.catalogVersionIndex]).toEqual([0, 0, 1]);
    expect([...h10.deviceSeq]).toEqual([9, 9, 4]);
    expect([...h11.value]).toEqual([100, 150]);
    expect([...h11.signalId]).toEqual([3, 4]);
    expect(h11.minEventTimeMs).toBe(base + 1000);
    expect(h11.maxEventTimeMs).toBe(base + 1500);
    expect(h11.minEventTimeMs).toBeLessThan(base + HOUR);
  });

  it('grows its columns past the initial capacity and refuses offsets that go backwards', () => {
    const s = new Segment();
    const big = Array.from({ length: 5000 }, (_, i) => i % 1000);
    s.add(1n, batch('VIN-A', big));
    s.add(2n, batch('VIN-A', big));
    expect(s.groups().reduce((n, g) => n + g.rows, 0)).toBe(10_000);
    expect(() => s.add(2n, batch('VIN-A', [0]))).toThrow(/not after/);
    expect(new Segment().isEmpty).toBe(true);
  });
});

describe('checkBatch', () => {
  it('accepts a good batch and names what is wrong with a bad one', () => {
    expect(checkBatch(batch('VIN-A', [0, 1]))).toBeUndefined();
    expect(checkBatch(batch('', [0]))?.reason).toBe('MISSING_VIN');
    expect(checkBatch(batch('V', [0], { modelId: '../etc' }))?.reason).toBe('INVALID_MODEL_ID');
    expect(checkBatch(batch('V', [0], { modelId: '' }))?.reason).toBe('INVALID_MODEL_ID');
    expect(checkBatch(batch('V', [0], { baseTimeMsEpoch: 5 }))?.reason).toBe('EVENT_TIME_OUT_OF_RANGE');
    expect(checkBatch(batch('V', [0], { baseTimeMsEpoch: Date.UTC(2300, 0, 1) }))?.reason).toBe(
      'EVENT_TIME_OUT_OF_RANGE',
    );
  });
});
