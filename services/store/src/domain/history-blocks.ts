/**
 * History as blocks: the samples coalesce keeps for history, packed at the grain of the latest blocks, one record
 * per (vin, block of HISTORY_BLOCK_SIZE signal ids, time bucket), and merged in memory by the vehicle's single
 * writer. Pure: no SQL, no clock.
 *
 * The grain is `signal_history_block` (migration 0018). A bucket starts at `bucketUs` (µs since the epoch): it is
 * HISTORY_RESOLUTION_MS wide and aligned to the UTC day (a bucket never straddles a day partition), or, at
 * resolution 0, the exact event time of its samples, so the signals of one CAN frame share a bucket. Per slot
 * (signal id − block × HISTORY_BLOCK_SIZE) a block keeps one sample: the winner under `sampleWins` (the newest event
 * time, then the greater value, the later receive time, the greater catalog version). That is a maximum under a
 * total order, so merging is commutative, associative and idempotent: a replay, a poll boundary splitting a bucket,
 * or input in any order leaves the same block.
 *
 * Blocks are sparse (only the slots with a sample, ascending): at resolution 0 a block holds the few signals of one
 * frame, at 1 s up to all 128.
 *
 * Why in memory: a later poll adds to the bucket an earlier poll wrote (a 1 s bucket spans several polls). The
 * writer keeps the buckets it wrote recently (HistoryBlockCache), merges the new samples in and writes the row
 * whole, compare-and-set on its version; only a bucket it does not hold (a replay, late data, a rebalance) makes it
 * read the stored row first. Merging 128 slots in SQL cost more than the rows blocks save (see the store README).
 */
import { LATEST_BLOCK_SIZE } from './latest-blocks.js';
import type { HistoryRows } from './coalesce.js';
import { bucketStartUs, sampleWins } from './history-order.js';

/** Signal ids per history block: the latest blocks' grain; migration 0018 has the same constant. */
export const HISTORY_BLOCK_SIZE = LATEST_BLOCK_SIZE;

/** One block as stored: per slot (HISTORY_BLOCK_SIZE of each), null where the signal has no sample. */
export interface StoredHistoryBlock {
  readonly vin: string;
  readonly block: number;
  readonly bucketUs: number;
  readonly value: readonly (number | null)[];
  readonly offsetUs: readonly (number | null)[];
  readonly receiveTimeMs: readonly (number | null)[];
  readonly catalogVersion: readonly (string | null)[];
  readonly version: number;
}

export class HistoryBlock {
  /** Slots with a sample, ascending; the arrays below are parallel to it. */
  slots: number[] = [];
  value: number[] = [];
  /** Event time − bucketUs, µs. */
  offsetUs: number[] = [];
  receiveTimeMs: number[] = [];
  catalogVersion: string[] = [];
  /** The row version in PostgreSQL this block was read at or last written as; 0: not known to be stored. */
  version = 0;

  constructor(
    readonly vin: string,
    readonly block: number,
    readonly bucketUs: number,
  ) {}

  get size(): number {
    return this.slots.length;
  }

  /** Merges one sample in (the winner stays); returns whether the block changed. */
  add(slot: number, value: number, offsetUs: number, receiveTimeMs: number, catalogVersion: string): boolean {
    const slots = this.slots;
    let at = slots.length;
    if (at > 0 && slots[at - 1]! >= slot) at = lowerBound(slots, slot);
    if (slots[at] === slot) {
      if (
        !sampleWins(
          offsetUs,
          value,
          receiveTimeMs,
          catalogVersion,
          this.offsetUs[at]!,
          this.value[at]!,
          this.receiveTimeMs[at]!,
          this.catalogVersion[at]!,
        )
      ) {
        return false;
      }
      this.value[at] = value;
      this.offsetUs[at] = offsetUs;
      this.receiveTimeMs[at] = receiveTimeMs;
      this.catalogVersion[at] = catalogVersion;
      return true;
    }
    if (at === slots.length) {
      slots.push(slot);
      this.value.push(value);
      this.offsetUs.push(offsetUs);
      this.receiveTimeMs.push(receiveTimeMs);
      this.catalogVersion.push(catalogVersion);
    } else {
      slots.splice(at, 0, slot);
      this.value.splice(at, 0, value);
      this.offsetUs.splice(at, 0, offsetUs);
      this.receiveTimeMs.splice(at, 0, receiveTimeMs);
      this.catalogVersion.splice(at, 0, catalogVersion);
    }
    return true;
  }

  /** Merges another block of the same (vin, block, bucket) in, slot by slot; returns whether this one changed. */
  merge(other: HistoryBlock): boolean {
    let changed = false;
    for (let i = 0; i < other.slots.length; i++) {
      if (
        this.add(
          other.slots[i]!,
          other.value[i]!,
          other.offsetUs[i]!,
          other.receiveTimeMs[i]!,
          other.catalogVersion[i]!,
        )
      ) {
        changed = true;
      }
    }
    return changed;
  }

  /**
   * Merges the stored row in and takes its version (the next write replaces that row). Returns whether the result
   * differs from the stored row, i.e. whether it still has to be written.
   */
  absorb(row: StoredHistoryBlock): boolean {
    const stored = fromStored(row);
    this.merge(stored);
    this.version = row.version;
    return stored.merge(this);
  }

  equals(other: HistoryBlock): boolean {
    if (other.slots.length !== this.slots.length) return false;
    for (let i = 0; i < this.slots.length; i++) {
      if (
        this.slots[i] !== other.slots[i] ||
        !Object.is(this.value[i], other.value[i]) ||
        this.offsetUs[i] !== other.offsetUs[i] ||
        this.receiveTimeMs[i] !== other.receiveTimeMs[i] ||
        this.catalogVersion[i] !== other.catalogVersion[i]
      ) {
        return false;
      }
    }
    return true;
  }

  /** The block's samples as history rows (signal id order). */
  samples(): { signalId: number; eventTimeUs: number; value: number; receiveTimeMs: number; catalogVersion: string }[] {
    return this.slots.map((slot, i) => ({
      signalId: this.block * HISTORY_BLOCK_SIZE + slot,
      eventTimeUs: this.bucketUs + this.offsetUs[i]!,
      value: this.value[i]!,
      receiveTimeMs: this.receiveTimeMs[i]!,
      catalogVersion: this.catalogVersion[i]!,
    }));
  }
}

function fromStored(row: StoredHistoryBlock): HistoryBlock {
  const block = new HistoryBlock(row.vin, row.block, row.bucketUs);
  for (let slot = 0; slot < HISTORY_BLOCK_SIZE; slot++) {
    const offset = row.offsetUs[slot];
    if (offset === null || offset === undefined) continue;
    block.add(slot, row.value[slot]!, offset, row.receiveTimeMs[slot]!, row.catalogVersion[slot]!);
  }
  return block;
}

function lowerBound(sorted: readonly number[], x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The cache key of a block. */
export function historyBlockKey(vin: string, block: number, bucketUs: number): string {
  return `${vin}\u0000${block}\u0000${bucketUs}`;
}

/**
 * History rows (any order; coalesce's are sorted by vin, signal, time) packed into blocks at `resolutionMs`, sorted
 * by (vin, block, bucket) so concurrent writers lock rows in the same order. Two rows for one slot of one bucket
 * merge by `sampleWins`.
 */
export function packHistory(history: HistoryRows, resolutionMs: number): HistoryBlock[] {
  const blocks = new Map<string, Map<number, Map<number, HistoryBlock>>>();
  let lastVin = '';
  let lastBlock = -1;
  let lastBuckets: Map<number, HistoryBlock> | undefined;
  for (let i = 0; i < history.vin.length; i++) {
    const vin = history.vin[i]!;
    const id = history.signalId[i]!;
    const block = Math.floor(id / HISTORY_BLOCK_SIZE);
    if (lastBuckets === undefined || vin !== lastVin || block !== lastBlock) {
      let ofVin = blocks.get(vin);
      if (!ofVin) blocks.set(vin, (ofVin = new Map<number, Map<number, HistoryBlock>>()));
      lastBuckets = ofVin.get(block);
      if (!lastBuckets) ofVin.set(block, (lastBuckets = new Map<number, HistoryBlock>()));
      lastVin = vin;
      lastBlock = block;
    }
    const timeUs = history.eventTimeMs[i]! * 1000 + history.eventTimeSubMsUs[i]!;
    const bucket = bucketStartUs(timeUs, resolutionMs);
    let target = lastBuckets.get(bucket);
    if (!target) lastBuckets.set(bucket, (target = new HistoryBlock(vin, block, bucket)));
    target.add(
      id - block * HISTORY_BLOCK_SIZE,
      history.value[i]!,
      timeUs - bucket,
      history.receiveTimeMs[i]!,
      history.catalogVersion[i]!,
    );
  }
  const out: HistoryBlock[] = [];
  for (const vin of [...blocks.keys()].sort()) {
    const ofVin = blocks.get(vin)!;
    for (const block of [...ofVin.keys()].sort((a, b) => a - b)) {
      const buckets = ofVin.get(block)!;
      for (const bucket of [...buckets.keys()].sort((a, b) => a - b)) out.push(buckets.get(bucket)!);
    }
  }
  return out;
}

export interface HistoryCacheOptions {
  /** Buckets kept after the poll that last wrote them, for later polls adding to them. */
  readonly keepPolls: number;
  /** Blocks kept in memory at most (the oldest written are forgotten first). */
  readonly maxBlocks: number;
}

/**
 * The history blocks this writer wrote in its last few polls, by (vin, block, bucket). `merge` applies a poll's
 * packed blocks and returns the blocks to write: a cached bucket merged with the new samples (only if they changed
 * it), or the new block (version 0: the row may exist, the writer finds out on write). `written` ages the cache
 * after a committed write; `clear` after a failed one, since memory may be ahead of PostgreSQL.
 */
export class HistoryBlockCache {
  private readonly blocks = new Map<string, { block: HistoryBlock; poll: number }>();
  private poll = 0;

  constructor(private readonly options: HistoryCacheOptions) {}

  merge(packed: readonly HistoryBlock[]): HistoryBlock[] {
    this.poll += 1;
    const changed: HistoryBlock[] = [];
    for (const block of packed) {
      const key = historyBlockKey(block.vin, block.block, block.bucketUs);
      const cached = this.blocks.get(key);
      if (cached === undefined) {
        block.version = 0;
        changed.push(block);
        this.blocks.set(key, { block, poll: this.poll });
        continue;
      }
      // Most recently used last, so aging walks from the front.
      this.blocks.delete(key);
      this.blocks.set(key, { block: cached.block, poll: this.poll });
      if (cached.block.merge(block)) changed.push(cached.block);
    }
    return changed;
  }

  /** After a committed write: forget the buckets no poll touched in the last keepPolls polls, and any beyond max. */
  written(): void {
    const oldest = this.poll - this.options.keepPolls;
    for (const [key, entry] of this.blocks) {
      if (entry.poll > oldest && this.blocks.size <= this.options.maxBlocks) break;
      this.blocks.delete(key);
    }
  }

  clear(): void {
    this.blocks.clear();
  }

  get size(): number {
    return this.blocks.size;
  }
}
