import { describe, expect, it } from 'vitest';
import type { LatestRows } from './coalesce.js';
import type { LatestBlock } from './latest-blocks.js';
import { LATEST_BLOCK_SIZE, LatestBlockCache, type StoredBlock } from './latest-blocks.js';

const VIN = 'LRW3E7FS1RC000001';

function rows(samples: [vin: string, id: number, value: number, time: number][], version = '1.0.0'): LatestRows {
  return {
    vin: samples.map((s) => s[0]),
    signalId: samples.map((s) => s[1]),
    value: samples.map((s) => s[2]),
    eventTimeMs: samples.map((s) => s[3]),
    eventTimeSubMsUs: samples.map(() => 0),
    receiveTimeMs: samples.map((s) => s[3] + 100),
    modelId: samples.map(() => 'aurora-ev-2026'),
    catalogVersion: samples.map(() => version),
  };
}

function slot(block: LatestBlock, id: number): [value: number, time: number, version: string | null] {
  const s = id % LATEST_BLOCK_SIZE;
  return [block.value[s]!, block.eventTimeMs[s]!, block.catalogVersion[s]!];
}

function stored(block: number, slots: Record<number, [value: number, time: number]>, version = 3): StoredBlock {
  const empty = (): null[] => new Array<null>(LATEST_BLOCK_SIZE).fill(null);
  const row = {
    vin: VIN,
    block,
    modelId: 'aurora-ev-2026',
    value: empty() as (number | null)[],
    eventTimeMs: empty() as (number | null)[],
    receiveTimeMs: empty() as (number | null)[],
    catalogVersion: empty() as (string | null)[],
    version,
  };
  for (const [s, [value, time]] of Object.entries(slots)) {
    row.value[Number(s)] = value;
    row.eventTimeMs[Number(s)] = time;
    row.receiveTimeMs[Number(s)] = time + 100;
    row.catalogVersion[Number(s)] = '0.9.0';
  }
  return row;
}

describe('LatestBlockCache', () => {
  it('groups signals into blocks of 128 ids and returns the changed blocks in (vin, block) order', () => {
    const cache = new LatestBlockCache({ maxBlocks: 1000 });
    cache.load([VIN, 'B'], []);
    const changed = cache.merge(
      rows([
        ['B', 5, 1, 1000],
        [VIN, 3, 30, 1000],
        [VIN, 127, 1270, 1000],
        [VIN, 128, 1280, 1000],
        [VIN, 8399, 83990, 1000],
      ]),
    );
    expect(changed.map((b) => [b.vin, b.block])).toEqual([
      ['B', 0],
      [VIN, 0],
      [VIN, 1],
      [VIN, 65],
    ]);
    expect(slot(changed[1]!, 127)).toEqual([1270, 1000, '1.0.0']);
    expect(slot(changed[2]!, 128)).toEqual([1280, 1000, '1.0.0']);
    expect(slot(changed[3]!, 8399)).toEqual([83990, 1000, '1.0.0']);
    expect(changed[1]!.eventTimeMs[4]).toBe(-Infinity); // untouched slot: no value
    expect(cache.size).toEqual({ vehicles: 2, blocks: 4 });
  });

  it('keeps the newest event time per signal: a late poll, a replay or a tie changes nothing', () => {
    const cache = new LatestBlockCache({ maxBlocks: 1000 });
    cache.load([VIN], []);
    cache.merge(
      rows([
        [VIN, 1, 10, 2000],
        [VIN, 2, 20, 2000],
      ]),
    );
    expect(cache.merge(rows([[VIN, 1, 5, 1000]]))).toEqual([]); // late
    expect(cache.merge(rows([[VIN, 1, 10, 2000]]))).toEqual([]); // replay
    expect(cache.merge(rows([[VIN, 2, 99, 2000]]))).toEqual([]); // tie keeps the first
    // A poll mixing one newer and one older signal of the same block changes only the newer one.
    const [block] = cache.merge(
      rows([
        [VIN, 1, 4, 500],
        [VIN, 2, 21, 3000],
      ]),
    );
    expect(slot(block!, 1)).toEqual([10, 2000, '1.0.0']);
    expect(slot(block!, 2)).toEqual([21, 3000, '1.0.0']);
    expect(block!.maxEventTimeMs()).toBe(3000);
    expect(block!.maxReceiveTimeMs()).toBe(3100);
  });

  it('absorbs a stored row signal by signal and takes its version (what another writer did wins where newer)', () => {
    const cache = new LatestBlockCache({ maxBlocks: 1000 });
    cache.load([VIN], [stored(0, { 1: [10, 2000], 2: [20, 2000] }, 7)]);
    const [block] = cache.merge(
      rows([
        [VIN, 1, 11, 3000],
        [VIN, 2, 19, 1000],
        [VIN, 3, 30, 1000],
      ]),
    );
    expect(block!.version).toBe(7);
    expect([slot(block!, 1), slot(block!, 2), slot(block!, 3)]).toEqual([
      [11, 3000, '1.0.0'],
      [20, 2000, '0.9.0'],
      [30, 1000, '1.0.0'],
    ]);
    // Conflict: meanwhile another writer stored signal 1 newer and signal 3 older; merging keeps the newest of both.
    block!.absorb(stored(0, { 1: [12, 4000], 3: [29, 500] }, 9));
    expect([slot(block!, 1), slot(block!, 3)]).toEqual([
      [12, 4000, '0.9.0'],
      [30, 1000, '1.0.0'],
    ]);
    expect(block!.version).toBe(9);
  });

  it('asks for the vehicles it has not loaded, forgets failed ones and the least recently used beyond the cap', () => {
    const cache = new LatestBlockCache({ maxBlocks: 2 });
    const poll = rows([
      ['A', 1, 1, 1000],
      ['B', 1, 1, 1000],
      ['B', 200, 1, 1000],
    ]);
    expect(cache.missing(poll)).toEqual(['A', 'B']);
    cache.load(['A', 'B'], []);
    expect(cache.missing(poll)).toEqual([]);
    cache.merge(poll);
    expect(cache.size).toEqual({ vehicles: 2, blocks: 3 });
    cache.touch(['B']); // A is now the least recently used: forgotten to get back under 2 blocks
    expect(cache.missing(poll)).toEqual(['A']);
    cache.forget(['B']);
    expect(cache.missing(poll)).toEqual(['A', 'B']);
    expect(cache.size).toEqual({ vehicles: 0, blocks: 0 });
  });
});
