import { describe, expect, it } from 'vitest';
import { Segment, type ArchivableBatch } from './segment.js';
import { sortedRowOrder } from './sort-rows.js';

const base = Date.parse('2026-05-04T10:00:00.000Z');

function batch(vin: string, ids: number[], offsets: number[], subs: number[]): ArchivableBatch {
  return {
    vin,
    modelId: 'aurora-ev-2026',
    catalogVersion: '1.0.0',
    deviceSeq: 1,
    baseTimeMsEpoch: base,
    signalId: Uint32Array.from(ids),
    value: Float64Array.from(ids.map((_, i) => i)),
    timeOffsetMs: Uint32Array.from(offsets),
    timeSubMsUs: Uint32Array.from(subs),
  };
}

function keys(order: Uint32Array, s: Segment): string[] {
  const g = s.groups()[0]!;
  return [...order].map(
    (i) => `${g.vins[g.vinIndex[i]!]}|${g.signalId[i]}|${g.eventTimeMs[i]! - base}.${g.eventTimeSubMsUs[i]}`,
  );
}

describe('sortedRowOrder', () => {
  it('orders by vin (byte order), signal id, then µs event time, keeping arrival order for equal times', () => {
    const s = new Segment();
    s.add(1n, batch('VIN-B', [2, 1, 2, 1], [0, 0, 0, 1], [500, 0, 100, 0]));
    s.add(2n, batch('VIN-A', [7, 7], [5, 5], [1, 1]));
    const order = sortedRowOrder(s.groups()[0]!);
    expect(keys(order, s)).toEqual([
      'VIN-A|7|5.1',
      'VIN-A|7|5.1',
      'VIN-B|1|0.0',
      'VIN-B|1|1.0',
      'VIN-B|2|0.100',
      'VIN-B|2|0.500',
    ]);
    // Equal keys keep arrival order (the values 0 then 1 of VIN-A's two rows).
    const g = s.groups()[0]!;
    expect([order[0], order[1]].map((i) => g.value[i!])).toEqual([0, 1]);
  });

  it('sorts a (vin, signal) run that arrived out of time order, and matches a comparison sort on random rows', () => {
    const s = new Segment();
    let seed = 7;
    const rand = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
    for (let b = 0; b < 20; b++) {
      const n = 200;
      const ids = Array.from({ length: n }, () => rand(30));
      const offsets = Array.from({ length: n }, () => rand(1000));
      const subs = Array.from({ length: n }, () => rand(1000));
      s.add(BigInt(b), batch(`VIN-${rand(5)}`, ids, offsets, subs));
    }
    const g = s.groups()[0]!;
    const got = keys(sortedRowOrder(g), s);
    const compare = (a: number, b: number) =>
      (g.vins[g.vinIndex[a]!]! < g.vins[g.vinIndex[b]!]!
        ? -1
        : g.vins[g.vinIndex[a]!]! > g.vins[g.vinIndex[b]!]!
          ? 1
          : 0) ||
      g.signalId[a]! - g.signalId[b]! ||
      g.eventTimeMs[a]! - g.eventTimeMs[b]! ||
      g.eventTimeSubMsUs[a]! - g.eventTimeSubMsUs[b]! ||
      a - b;
    const want = Uint32Array.from(Array.from({ length: g.rows }, (_, i) => i).sort(compare));
    expect(got).toEqual(keys(want, s));
    expect(got).toHaveLength(4000);
  });
});
