// CheckpointWriter with small fakes: which vehicles and offsets a checkpoint writes, and what it does after a failed,
// a fenced or an uncommittable write.
import { beforeEach, describe, expect, it } from 'vitest';
import { testLogger } from '@telltale/platform/testing';
import { CheckpointWriter, type ChangedVehicles, type PartitionOwnership } from './checkpoint-writer.js';
import type { OwnedPartition } from './partition-claims.js';
import type { OffsetCommit } from './records.js';
import { SerialWork } from './serial-work.js';
import { MemoryDiagnosticsStore, ownedPartition, recordingEvents, SIGNALS } from './test-fakes.js';

class FakeOwnership implements PartitionOwnership {
  readonly partitions: OwnedPartition[] = [];
  readonly vehicles = new Map<string, OwnedPartition>();
  readonly released: OwnedPartition[] = [];

  own(partition: number, epoch: number, vins: string[]): OwnedPartition {
    const owned = ownedPartition(partition, epoch, vins);
    this.partitions.push(owned);
    for (const vin of vins) this.vehicles.set(vin, owned);
    return owned;
  }
  partitionOf(vin: string): OwnedPartition | undefined {
    return this.vehicles.get(vin);
  }
  list(): OwnedPartition[] {
    return [...this.partitions];
  }
  release(partition: OwnedPartition): void {
    this.released.push(partition);
    this.partitions.splice(this.partitions.indexOf(partition), 1);
    for (const vin of partition.vins) this.vehicles.delete(vin);
  }
}

class FakeVehicles implements ChangedVehicles {
  changed: string[] = [];
  drainChanged(): string[] {
    const list = this.changed;
    this.changed = [];
    return list;
  }
  snapshotState(vin: string): unknown {
    return { vin };
  }
}

let store: MemoryDiagnosticsStore;
let ownership: FakeOwnership;
let vehicles: FakeVehicles;
let commits: OffsetCommit[][];
let failCommit: boolean;
let events: ReturnType<typeof recordingEvents>;
let writer: CheckpointWriter;

beforeEach(() => {
  store = new MemoryDiagnosticsStore();
  ownership = new FakeOwnership();
  vehicles = new FakeVehicles();
  commits = [];
  failCommit = false;
  events = recordingEvents();
  writer = new CheckpointWriter({
    work: new SerialWork(),
    ownership,
    vehicles,
    store,
    commitOffsets: (offsets) => {
      if (failCommit) return Promise.reject(new Error('rebalance in progress'));
      commits.push(offsets);
      return Promise.resolve();
    },
    events,
    log: testLogger(),
    now: () => 1_700_000_000_000,
  });
});

/** Partition `n` claimed in the store (epoch 1) and owned with these vehicles. */
async function owned(n: number, vins: string[]): Promise<OwnedPartition> {
  const claim = await store.claimPartition({ topic: SIGNALS, partition: n }, 'test');
  return ownership.own(n, claim.epoch, vins);
}

describe('CheckpointWriter', () => {
  it('persists changed vehicles with the offset they reflect, per partition, then commits the offsets', async () => {
    const p0 = await owned(0, ['VIN-A', 'VIN-B']);
    const p1 = await owned(1, ['VIN-C']);
    p0.processedOffset = 5n;
    p1.processedOffset = 2n;
    vehicles.changed = ['VIN-A', 'VIN-C'];
    await writer.checkpoint();
    expect(store.checkpoints).toEqual([
      { partition: 0, nextOffset: 5n, vins: ['VIN-A'] },
      { partition: 1, nextOffset: 2n, vins: ['VIN-C'] },
    ]);
    expect(store.states.get('VIN-A')).toEqual({ topic: SIGNALS, state: { vin: 'VIN-A' } });
    expect(commits).toEqual([
      [
        { topic: SIGNALS, partition: 0, offset: '5' },
        { topic: SIGNALS, partition: 1, offset: '2' },
      ],
    ]);
    expect(p0.checkpointOffset).toBe(5n);
    expect(events.checkpointed).toEqual([2]);
  });

  it('puts the vehicles of a failed checkpoint into the next one, and commits nothing for it', async () => {
    const p0 = await owned(0, ['VIN-A', 'VIN-B']);
    p0.processedOffset = 2n;
    vehicles.changed = ['VIN-A', 'VIN-B'];
    store.failNextCheckpoint = true;
    await expect(writer.checkpoint()).rejects.toThrow('PostgreSQL went away');
    expect(commits).toEqual([]);
    expect(p0.checkpointOffset).toBe(0n);
    p0.processedOffset = 3n;
    vehicles.changed = ['VIN-A'];
    await writer.checkpoint();
    expect(store.checkpoints).toEqual([{ partition: 0, nextOffset: 3n, vins: ['VIN-A', 'VIN-B'] }]);
    expect(commits).toEqual([[{ topic: SIGNALS, partition: 0, offset: '3' }]]);
  });

  it('drops a partition whose write was fenced, commits nothing for it, and goes on with the others', async () => {
    const p0 = await owned(0, ['VIN-A']);
    const p1 = await owned(1, ['VIN-B']);
    p0.processedOffset = 4n;
    p1.processedOffset = 4n;
    vehicles.changed = ['VIN-A', 'VIN-B'];
    store.steal(p0.ref);
    await writer.checkpoint();
    expect(ownership.released).toEqual([p0]);
    expect(store.checkpoints).toEqual([{ partition: 1, nextOffset: 4n, vins: ['VIN-B'] }]);
    expect(commits).toEqual([[{ topic: SIGNALS, partition: 1, offset: '4' }]]);
    await writer.checkpoint(); // VIN-A is not retried: it is another instance's now
    expect(store.checkpoints).toHaveLength(1);
  });

  it('writes nothing when no vehicle changed and no offset moved', async () => {
    const p0 = await owned(0, ['VIN-A']);
    p0.processedOffset = 1n;
    await writer.checkpoint();
    await writer.checkpoint();
    expect(store.checkpoints).toEqual([{ partition: 0, nextOffset: 1n, vins: [] }]);
    expect(commits).toHaveLength(1);
  });

  it('keeps a checkpoint whose offset commit failed, and commits nothing when told not to', async () => {
    const p0 = await owned(0, ['VIN-A']);
    p0.processedOffset = 1n;
    failCommit = true;
    await writer.checkpoint();
    expect(p0.checkpointOffset).toBe(1n);
    failCommit = false;
    p0.processedOffset = 2n;
    await writer.checkpoint({ commitOffsets: false });
    expect(store.checkpoints.map((c) => c.nextOffset)).toEqual([1n, 2n]);
    expect(commits).toEqual([]);
  });

  it('commits an offset whose commit failed with the next checkpoint, also when nothing changed since', async () => {
    const p0 = await owned(0, ['VIN-A']);
    const p1 = await owned(1, ['VIN-B']);
    p0.processedOffset = 5n;
    p1.processedOffset = 7n;
    failCommit = true;
    await writer.checkpoint();
    expect(commits).toEqual([]);
    failCommit = false;
    ownership.release(p1); // no longer ours: its offset is the new owner's to commit
    await writer.checkpoint();
    expect(commits).toEqual([[{ topic: SIGNALS, partition: 0, offset: '5' }]]);
    await writer.checkpoint();
    expect(commits).toHaveLength(1); // committed once: nothing left to retry
    expect(store.checkpoints.map((c) => c.nextOffset)).toEqual([5n, 7n]);
  });

  it('forgets vehicles that are no longer this instance’s, and unsaved ones after a new assignment', async () => {
    const p0 = await owned(0, ['VIN-A']);
    p0.processedOffset = 1n;
    vehicles.changed = ['VIN-A', 'VIN-GONE'];
    await writer.checkpoint();
    expect(store.checkpoints).toEqual([{ partition: 0, nextOffset: 1n, vins: ['VIN-A'] }]);
    vehicles.changed = ['VIN-A'];
    store.failNextCheckpoint = true;
    p0.processedOffset = 2n;
    await expect(writer.checkpoint()).rejects.toThrow();
    writer.forgetUnsaved();
    await writer.checkpoint();
    expect(store.checkpoints.at(-1)).toEqual({ partition: 0, nextOffset: 2n, vins: [] });
  });

  it('runs one checkpoint at a time: a call while one runs gets that one', async () => {
    const p0 = await owned(0, ['VIN-A']);
    p0.processedOffset = 1n;
    vehicles.changed = ['VIN-A'];
    const first = writer.checkpoint();
    expect(writer.inProgress()).toBe(first);
    expect(writer.checkpoint()).toBe(first);
    await first;
    expect(writer.inProgress()).toBeUndefined();
    expect(store.checkpoints).toHaveLength(1);
  });
});
