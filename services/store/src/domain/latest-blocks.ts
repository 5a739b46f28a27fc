/**
 * Latest values as blocks, merged in memory by the vehicle's single writer (the instance that owns its Kafka
 * partition). Pure: no SQL, no clock.
 *
 * The grain is `signal_latest_block` (migration 0016): one record per (vin, block of LATEST_BLOCK_SIZE signal ids),
 * slot = signal id − block × LATEST_BLOCK_SIZE. The cache holds the blocks of the vehicles this instance writes, as
 * loaded from or last written to PostgreSQL, each with the row version it saw. `merge` applies one poll's coalesced
 * rows signal by signal (a newer event time wins, a tie or an older one keeps what is there) and returns the blocks
 * that changed; the writer stores those whole, compare-and-set on the version, and on a conflict merges the stored
 * row in with `absorb` (the same newest-wins rule, so the order of merges does not matter).
 *
 * Why blocks: a premium EV updates ~8,400 signals per coalescing window. As one row each, PostgreSQL paid an index
 * probe, a heap tuple and a WAL record per signal (~105,000 rows/s on this machine: four vehicles). As blocks it pays
 * them 66 times per vehicle and window. Why in memory: merging 128 slots in SQL (unnest, compare, array_agg) cost
 * ~1.7 ms per block, more than the rows it replaced; in JavaScript it is a few array writes.
 */
import type { LatestRows } from './coalesce.js';

/** Signal ids per block; migration 0016 has the same constant in its CHECK, view and signal_latest_of(). */
export const LATEST_BLOCK_SIZE = 128;

/** One block as stored: null slots have no value yet. */
export interface StoredBlock {
  readonly vin: string;
  readonly block: number;
  readonly modelId: string;
  readonly value: readonly (number | null)[];
  readonly eventTimeMs: readonly (number | null)[];
  readonly receiveTimeMs: readonly (number | null)[];
  readonly catalogVersion: readonly (string | null)[];
  readonly version: number;
}

export class LatestBlock {
  readonly value = new Float64Array(LATEST_BLOCK_SIZE);
  /** -Infinity: no value yet. */
  readonly eventTimeMs = new Float64Array(LATEST_BLOCK_SIZE).fill(-Infinity);
  readonly receiveTimeMs = new Float64Array(LATEST_BLOCK_SIZE);
  readonly catalogVersion: (string | null)[] = new Array<string | null>(LATEST_BLOCK_SIZE).fill(null);
  modelId = '';
  /** The row version in PostgreSQL this block was read at or last written as; 0: no row. */
  version = 0;
  /** Event time of the newest sample the model id came from. */
  private modelTimeMs = -Infinity;

  constructor(
    readonly vin: string,
    readonly block: number,
  ) {}

  /** Newest wins; returns whether the slot changed. */
  set(slot: number, value: number, eventTimeMs: number, receiveTimeMs: number, modelId: string, version: string) {
    if (!(eventTimeMs > this.eventTimeMs[slot]!)) return false;
    this.value[slot] = value;
    this.eventTimeMs[slot] = eventTimeMs;
    this.receiveTimeMs[slot] = receiveTimeMs;
    this.catalogVersion[slot] = version;
    if (eventTimeMs > this.modelTimeMs) {
      this.modelTimeMs = eventTimeMs;
      this.modelId = modelId;
    }
    return true;
  }

  /** Merges a stored row in (newest wins per slot) and takes its version: the next write replaces that row. */
  absorb(row: StoredBlock): void {
    for (let slot = 0; slot < LATEST_BLOCK_SIZE; slot++) {
      const time = row.eventTimeMs[slot];
      if (time === null || time === undefined) continue;
      this.set(slot, row.value[slot]!, time, row.receiveTimeMs[slot]!, row.modelId, row.catalogVersion[slot]!);
    }
    if (this.modelId === '') this.modelId = row.modelId;
    this.version = row.version;
  }

  maxEventTimeMs(): number {
    let max = -Infinity;
    for (let slot = 0; slot < LATEST_BLOCK_SIZE; slot++)
      if (this.eventTimeMs[slot]! > max) max = this.eventTimeMs[slot]!;
    return max;
  }

  maxReceiveTimeMs(): number {
    let max = -Infinity;
    for (let slot = 0; slot < LATEST_BLOCK_SIZE; slot++) {
      if (this.eventTimeMs[slot] !== -Infinity && this.receiveTimeMs[slot]! > max) max = this.receiveTimeMs[slot]!;
    }
    return max;
  }
}

export interface LatestCacheOptions {
  /** Blocks kept in memory (~4 KB each); the least recently written vehicles are forgotten beyond it. */
  readonly maxBlocks: number;
}

/** The blocks of the vehicles this writer owns, least recently merged first. */
export class LatestBlockCache {
  private readonly vehicles = new Map<string, Map<number, LatestBlock>>();
  private blocks = 0;

  constructor(private readonly options: LatestCacheOptions) {}

  /** VINs of `latest` whose blocks are not in memory: load them (`load`) before merging. */
  missing(latest: LatestRows): string[] {
    const out: string[] = [];
    let last = '';
    for (const vin of latest.vin) {
      if (vin === last) continue;
      last = vin;
      if (!this.vehicles.has(vin)) out.push(vin);
    }
    return out;
  }

  /** The stored blocks of vehicles (all blocks each has); a vehicle with none is known, with no blocks yet. */
  load(vins: readonly string[], rows: readonly StoredBlock[]): void {
    for (const vin of vins) if (!this.vehicles.has(vin)) this.vehicles.set(vin, new Map());
    for (const row of rows) this.blockOf(row.vin, row.block).absorb(row);
  }

  /**
   * One poll's coalesced rows (sorted by vin and signal id, every vin loaded) merged in; returns the blocks that
   * changed, in (vin, block) order, so concurrent writers lock rows in the same order.
   */
  merge(latest: LatestRows): LatestBlock[] {
    const changed: LatestBlock[] = [];
    let current: LatestBlock | undefined;
    let dirty = false;
    for (let i = 0; i < latest.vin.length; i++) {
      const vin = latest.vin[i]!;
      const id = latest.signalId[i]!;
      const block = Math.floor(id / LATEST_BLOCK_SIZE);
      if (current?.block !== block || current.vin !== vin) {
        if (current && dirty) changed.push(current);
        current = this.blockOf(vin, block);
        dirty = false;
      }
      const slot = id - block * LATEST_BLOCK_SIZE;
      const v = latest.value[i]!;
      const t = latest.eventTimeMs[i]!;
      if (current.set(slot, v, t, latest.receiveTimeMs[i]!, latest.modelId[i]!, latest.catalogVersion[i]!)) {
        dirty = true;
      }
    }
    if (current && dirty) changed.push(current);
    return changed;
  }

  /** Forget vehicles whose write failed: memory may now be ahead of PostgreSQL, so they are read again. */
  forget(vins: Iterable<string>): void {
    for (const vin of vins) {
      const blocks = this.vehicles.get(vin);
      if (!blocks) continue;
      this.blocks -= blocks.size;
      this.vehicles.delete(vin);
    }
  }

  /** Marks vehicles as just used and forgets the least recently used ones beyond maxBlocks. */
  touch(vins: Iterable<string>): void {
    for (const vin of vins) {
      const blocks = this.vehicles.get(vin);
      if (!blocks) continue;
      this.vehicles.delete(vin);
      this.vehicles.set(vin, blocks);
    }
    for (const [vin, blocks] of this.vehicles) {
      if (this.blocks <= this.options.maxBlocks) break;
      this.blocks -= blocks.size;
      this.vehicles.delete(vin);
    }
  }

  get size(): { vehicles: number; blocks: number } {
    return { vehicles: this.vehicles.size, blocks: this.blocks };
  }

  private blockOf(vin: string, block: number): LatestBlock {
    let blocks = this.vehicles.get(vin);
    if (!blocks) {
      blocks = new Map();
      this.vehicles.set(vin, blocks);
    }
    let b = blocks.get(block);
    if (!b) {
      b = new LatestBlock(vin, block);
      blocks.set(block, b);
      this.blocks += 1;
    }
    return b;
  }
}
