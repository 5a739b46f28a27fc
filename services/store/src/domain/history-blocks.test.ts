import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { HistoryRows } from './coalesce.js';
import {
  HistoryBlock,
  HistoryBlockCache,
  historyBlockKey,
  packHistory,
  type StoredHistoryBlock,
} from './history-blocks.js';
import { bucketIndex, bucketStartUs, sampleWins } from './history-order.js';

const DAY_US = 86_400_000_000;
const T0_US = Date.UTC(2026, 10, 21) * 1000;

interface Sample {
  vin: string;
  signalId: number;
  timeUs: number;
  value: number;
  receiveTimeMs: number;
  catalogVersion: string;
}

function rows(samples: readonly Sample[], resolutionMs: number): HistoryRows {
  return {
    resolutionMs,
    vin: samples.map((s) => s.vin),
    signalId: samples.map((s) => s.signalId),
    eventTimeMs: samples.map((s) => Math.floor(s.timeUs / 1000)),
    eventTimeSubMsUs: samples.map((s) => s.timeUs - Math.floor(s.timeUs / 1000) * 1000),
    value: samples.map((s) => s.value),
    receiveTimeMs: samples.map((s) => s.receiveTimeMs),
    catalogVersion: samples.map((s) => s.catalogVersion),
  };
}

/** What a table of blocks holds: by key, the block's samples. */
type Table = Map<string, ReturnType<HistoryBlock['samples']>>;

function table(blocks: Iterable<HistoryBlock>): Table {
  const out: Table = new Map();
  for (const b of blocks) out.set(historyBlockKey(b.vin, b.block, b.bucketUs), b.samples());
  return new Map([...out].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * Stands in for signal_history_block: rows by key, each written whole (the writer's compare-and-set and its merge
 * under lock, without SQL).
 */
class FakeTable {
  readonly rows = new Map<string, HistoryBlock>();
  write(blocks: readonly HistoryBlock[]): void {
    for (const b of blocks) {
      const k = historyBlockKey(b.vin, b.block, b.bucketUs);
      const stored = this.rows.get(k);
      if (stored !== undefined && b.version !== stored.version) b.absorb(asStored(stored));
      const copy = new HistoryBlock(b.vin, b.block, b.bucketUs);
      copy.merge(b);
      copy.version = b.version + 1;
      b.version += 1;
      this.rows.set(k, copy);
    }
  }
}

function asStored(b: HistoryBlock): StoredHistoryBlock {
  const value: (number | null)[] = new Array<number | null>(128).fill(null);
  const offsetUs: (number | null)[] = new Array<number | null>(128).fill(null);
  const receiveTimeMs: (number | null)[] = new Array<number | null>(128).fill(null);
  const catalogVersion: (string | null)[] = new Array<string | null>(128).fill(null);
  b.slots.forEach((slot, i) => {
    value[slot] = b.value[i]!;
    offsetUs[slot] = b.offsetUs[i]!;
    receiveTimeMs[slot] = b.receiveTimeMs[i]!;
    catalogVersion[slot] = b.catalogVersion[i]!;
  });
  return {
    vin: b.vin,
    block: b.block,
    bucketUs: b.bucketUs,
    value,
    offsetUs,
    receiveTimeMs,
    catalogVersion,
    version: b.version,
  };
}

const sampleArb = fc.record({
  vin: fc.constantFrom('V1', 'V2'),
  signalId: fc.integer({ min: 0, max: 300 }),
  timeUs: fc.integer({ min: 0, max: 4_000_000 }).map((d) => T0_US - 2_000_000 + d), // spans midnight
  value: fc.oneof(fc.integer({ min: -3, max: 3 }), fc.constantFrom(Number.NaN, -0, 0.5)),
  receiveTimeMs: fc.integer({ min: 0, max: 2 }).map((d) => 1_800_000_000_000 + d),
  catalogVersion: fc.constantFrom('1.0.0', '1.1.0'),
});

describe('history buckets', () => {
  it('are aligned to the UTC day and never straddle it; bucketIndex numbers them in order', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 3 * 86_400_000 }).map((d) => T0_US - DAY_US + d * 1000 + (d % 1000)),
        fc.integer({ min: 0, max: 3 * 86_400_000 }).map((d) => T0_US - DAY_US + d * 1000 + (d % 997)),
        fc.constantFrom(0, 1, 1000, 7000, 1_800_000),
        (a, b, res) => {
          const start = bucketStartUs(a, res);
          expect(start).toBeLessThanOrEqual(a);
          expect(Math.floor(start / DAY_US)).toBe(Math.floor(a / DAY_US));
          if (res > 0) expect(a - start).toBeLessThan(res * 1000);
          const same = bucketStartUs(b, res) === start;
          expect(bucketIndex(b, res) === bucketIndex(a, res)).toBe(same);
          if (!same) expect(bucketIndex(b, res) < bucketIndex(a, res)).toBe(b < a);
        },
      ),
    );
  });

  it('at 1 s are the second of the time, at 0 the time itself', () => {
    expect(bucketStartUs(T0_US + 1_234_567, 1000)).toBe(T0_US + 1_000_000);
    expect(bucketStartUs(T0_US + 1_234_567, 0)).toBe(T0_US + 1_234_567);
    // 7 s does not divide a day: the day's last bucket is shorter, the next day starts a new one.
    expect(bucketStartUs(T0_US - 1, 7000)).toBe(T0_US - ((DAY_US / 1000) % 7000) * 1000);
    expect(bucketStartUs(T0_US, 7000)).toBe(T0_US);
  });
});

describe('sampleWins', () => {
  it('is a strict total order on what a slot stores', () => {
    fc.assert(
      fc.property(sampleArb, sampleArb, (a, b) => {
        const ab = sampleWins(
          a.timeUs,
          a.value,
          a.receiveTimeMs,
          a.catalogVersion,
          b.timeUs,
          b.value,
          b.receiveTimeMs,
          b.catalogVersion,
        );
        const ba = sampleWins(
          b.timeUs,
          b.value,
          b.receiveTimeMs,
          b.catalogVersion,
          a.timeUs,
          a.value,
          a.receiveTimeMs,
          a.catalogVersion,
        );
        const same =
          a.timeUs === b.timeUs &&
          Object.is(a.value, b.value) &&
          a.receiveTimeMs === b.receiveTimeMs &&
          a.catalogVersion === b.catalogVersion;
        expect(ab && ba).toBe(false);
        expect(ab || ba).toBe(!same);
      }),
    );
  });
});

describe('sampleWins with NaN', () => {
  it('orders two NaN samples by receive time, then catalog version (found by CI: neither won)', () => {
    const t = T0_US + 15;
    expect(sampleWins(t, Number.NaN, 1, '1.1.0', t, Number.NaN, 1, '1.0.0')).toBe(true);
    expect(sampleWins(t, Number.NaN, 1, '1.0.0', t, Number.NaN, 1, '1.1.0')).toBe(false);
    expect(sampleWins(t, Number.NaN, 2, '1.0.0', t, Number.NaN, 1, '1.1.0')).toBe(true);
    expect(sampleWins(t, Number.NaN, 1, '1.0.0', t, 5, 9, '9.0.0')).toBe(true);
    expect(sampleWins(t, 5, 9, '9.0.0', t, Number.NaN, 1, '1.0.0')).toBe(false);
  });
});

describe('packHistory and HistoryBlockCache', () => {
  it('packs samples per (vin, block of 128, bucket), sorted, with each sample at its exact µs', () => {
    const blocks = packHistory(
      rows(
        [
          { vin: 'V2', signalId: 3, timeUs: T0_US + 5, value: 1, receiveTimeMs: 9, catalogVersion: '1.0.0' },
          { vin: 'V1', signalId: 130, timeUs: T0_US + 1_500_007, value: 2, receiveTimeMs: 9, catalogVersion: '1.0.0' },
          { vin: 'V1', signalId: 129, timeUs: T0_US + 1_000_000, value: 3, receiveTimeMs: 9, catalogVersion: '1.1.0' },
          { vin: 'V1', signalId: 0, timeUs: T0_US + 999_999, value: 4, receiveTimeMs: 9, catalogVersion: '1.0.0' },
        ],
        1000,
      ),
      1000,
    );
    expect(blocks.map((b) => [b.vin, b.block, b.bucketUs - T0_US, b.slots, b.offsetUs])).toEqual([
      ['V1', 0, 0, [0], [999_999]],
      ['V1', 1, 1_000_000, [1, 2], [0, 500_007]],
      ['V2', 0, 0, [3], [5]],
    ]);
    expect(blocks[1]!.catalogVersion).toEqual(['1.1.0', '1.0.0']);
  });

  it('keeps one sample per signal and bucket, the winner, whatever the order or the split into polls', () => {
    fc.assert(
      fc.property(
        fc.array(sampleArb, { maxLength: 60 }),
        fc.constantFrom(0, 1000, 7000),
        fc.array(fc.integer({ min: 0, max: 1_000_000 }), { maxLength: 60 }),
        fc.integer({ min: 1, max: 5 }),
        (samples, res, shuffle, polls) => {
          // The reference: per (vin, signal, bucket) the winner of all samples.
          const best = new Map<string, Sample>();
          for (const s of samples) {
            const k = `${s.vin}/${s.signalId}/${bucketStartUs(s.timeUs, res)}`;
            const b = best.get(k);
            if (
              !b ||
              sampleWins(
                s.timeUs,
                s.value,
                s.receiveTimeMs,
                s.catalogVersion,
                b.timeUs,
                b.value,
                b.receiveTimeMs,
                b.catalogVersion,
              )
            ) {
              best.set(k, s);
            }
          }
          const expected = table(packHistory(rows([...best.values()], res), res));
          expect(table(packHistory(rows(samples, res), res))).toEqual(expected);

          // Shuffled, split into polls, each twice (a replay), through a writer's cache into a table.
          const order = samples.map((s, i) => ({ s, k: shuffle[i] ?? i })).sort((a, b) => a.k - b.k);
          const cache = new HistoryBlockCache({ keepPolls: 1, maxBlocks: 3 });
          const stored = new FakeTable();
          const size = Math.ceil(order.length / polls) || 1;
          for (let from = 0; from < order.length; from += size) {
            const poll = order.slice(from, from + size).map((o) => o.s);
            for (let twice = 0; twice < 2; twice++) {
              stored.write(cache.merge(packHistory(rows(poll, res), res)));
              cache.written();
            }
          }
          expect(table(stored.rows.values())).toEqual(expected);
        },
      ),
    );
  });

  it('writes a cached bucket again only when a later poll changes it; a replay writes nothing', () => {
    const cache = new HistoryBlockCache({ keepPolls: 2, maxBlocks: 100 });
    const poll = (value: number, timeUs: number) =>
      packHistory(rows([{ vin: 'V', signalId: 1, timeUs, value, receiveTimeMs: 1, catalogVersion: '1' }], 1000), 1000);
    const first = cache.merge(poll(1, T0_US + 100));
    expect(first).toHaveLength(1);
    first[0]!.version = 1; // written
    cache.written();
    expect(cache.merge(poll(1, T0_US + 100))).toEqual([]); // replay
    cache.written();
    const later = cache.merge(poll(2, T0_US + 200)); // same bucket, newer sample
    expect(later).toHaveLength(1);
    expect(later[0]!.version).toBe(1);
    expect(later[0]!.value).toEqual([2]);
    cache.written();
    cache.merge([]);
    cache.written();
    cache.merge([]);
    cache.written();
    expect(cache.size).toBe(0); // aged out after keepPolls polls without it
  });

  it('absorb merges a stored row in and says whether the result still differs from it', () => {
    const a = new HistoryBlock('V', 0, T0_US);
    a.add(1, 5, 10, 1, '1');
    const stored = asStored(a);
    const b = new HistoryBlock('V', 0, T0_US);
    b.add(1, 5, 10, 1, '1');
    expect(b.absorb({ ...stored, version: 7 })).toBe(false);
    expect(b.version).toBe(7);
    b.add(2, 6, 0, 1, '1');
    expect(b.absorb(stored)).toBe(true);
    expect(b.slots).toEqual([1, 2]);
  });
});
