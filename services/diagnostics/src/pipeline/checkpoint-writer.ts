/**
 * Checkpoints: the state of the vehicles that changed since the last one is persisted per partition together with
 * the offset it reflects, in one transaction that checks the partition's epoch; only then are those offsets committed
 * to Kafka, never ahead of the persisted state. A restart loads the state and skips records below that offset.
 *
 * One checkpoint at a time. Its snapshot is taken inside the SerialWork (consistent with the offsets); the writes
 * happen outside it. Vehicles a failed write did not persist go into the next checkpoint; a fenced write releases
 * the partition.
 */
import type { Logger } from '@telltale/platform';
import type { SerialWork } from './serial-work.js';
import type { OwnedPartition } from './partition-claims.js';
import type { OffsetCommit, PartitionRef } from './records.js';

export interface VehicleStateRow {
  readonly vin: string;
  /** JSON text of RuleEngine.snapshotState. */
  readonly state: string;
}

export interface CheckpointStore {
  /** Persists states as of `nextOffset` if `epoch` is still the partition's; false: fenced, nothing written. */
  checkpoint(
    ref: PartitionRef,
    epoch: number,
    nextOffset: bigint,
    states: readonly VehicleStateRow[],
    nowMs: number,
  ): Promise<boolean>;
}

/** The part of the rule engine that says which vehicles changed and what their state is. */
export interface ChangedVehicles {
  drainChanged(): string[];
  snapshotState(vin: string): unknown;
}

export interface PartitionOwnership {
  partitionOf(vin: string): OwnedPartition | undefined;
  list(): OwnedPartition[];
  release(partition: OwnedPartition): void;
}

export interface CheckpointEvents {
  checkpoint(vehicles: number, seconds: number): void;
}

export interface CheckpointWriterOptions {
  readonly work: SerialWork;
  readonly ownership: PartitionOwnership;
  readonly vehicles: ChangedVehicles;
  readonly store: CheckpointStore;
  /** Commits consumer offsets (already persisted in PostgreSQL). */
  readonly commitOffsets: (offsets: OffsetCommit[]) => Promise<void>;
  readonly events: CheckpointEvents;
  readonly log: Logger;
  readonly now: () => number;
}

/** What one partition's checkpoint writes. */
interface PartitionCheckpoint {
  readonly partition: OwnedPartition;
  readonly nextOffset: bigint;
  readonly states: VehicleStateRow[];
}

export class CheckpointWriter {
  /** Vehicles whose changed state is not persisted yet (drained from the engine, checkpoint pending or failed). */
  private readonly unsaved = new Set<string>();
  /**
   * Offsets persisted in PostgreSQL whose commit to Kafka failed (e.g. kafkajs kept a group coordinator that moved
   * with a broker kill): committed with the next checkpoint, also when nothing changed since, while the partition is
   * still owned. Otherwise the group's committed offset stays behind until new input arrives (the chaos run waited
   * minutes for a lag that was only this).
   */
  private readonly uncommitted = new Map<OwnedPartition, OffsetCommit>();
  private running: Promise<void> | undefined;

  constructor(private readonly options: CheckpointWriterOptions) {}

  /** Persists changed vehicles and offsets, then commits the offsets (unless told not to); a failed write rejects. */
  checkpoint(options: { commitOffsets?: boolean } = {}): Promise<void> {
    this.running ??= this.run(options.commitOffsets ?? true).finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** The checkpoint in progress, if any (a graceful stop waits for it, then takes one more). */
  inProgress(): Promise<void> | undefined {
    return this.running;
  }

  /** A new assignment dropped every vehicle: there is nothing of theirs to persist. Call inside the SerialWork. */
  forgetUnsaved(): void {
    this.unsaved.clear();
  }

  private async run(commitOffsets: boolean): Promise<void> {
    const started = process.hrtime.bigint();
    const { pending, owned } = await this.options.work.run(() => ({
      pending: this.snapshot(),
      owned: new Set(this.options.ownership.list()),
    }));
    for (const partition of this.uncommitted.keys()) if (!owned.has(partition)) this.uncommitted.delete(partition);
    if (pending.length === 0 && (this.uncommitted.size === 0 || !commitOffsets)) return;
    const { commits, vehicles, failure } = await this.write(pending);
    if (pending.length > 0) this.options.events.checkpoint(vehicles, Number(process.hrtime.bigint() - started) / 1e9);
    for (const [partition, commit] of commits) this.uncommitted.set(partition, commit);
    if (commitOffsets && this.uncommitted.size > 0) {
      const attempt = new Map(this.uncommitted);
      this.uncommitted.clear();
      await this.options.commitOffsets([...attempt.values()]).catch((err: unknown) => {
        for (const [partition, commit] of attempt)
          if (!this.uncommitted.has(partition)) this.uncommitted.set(partition, commit);
        this.options.log.warn(
          { err },
          'Offset commit failed (a rebalance?); the checkpoint in PostgreSQL stands, the commit is retried.',
        );
      });
    }
    if (failure !== undefined) throw failure;
  }

  /** Per owned partition: its changed vehicles' state and the offset it reflects (partitions with news only). */
  private snapshot(): PartitionCheckpoint[] {
    const { vehicles, ownership } = this.options;
    for (const vin of vehicles.drainChanged()) this.unsaved.add(vin);
    const states = new Map<OwnedPartition, VehicleStateRow[]>();
    for (const vin of this.unsaved) {
      const partition = ownership.partitionOf(vin);
      const state = vehicles.snapshotState(vin);
      if (partition === undefined || state === undefined) {
        this.unsaved.delete(vin); // no longer this instance's
        continue;
      }
      const list = states.get(partition) ?? [];
      list.push({ vin, state: JSON.stringify(state) });
      states.set(partition, list);
    }
    return ownership
      .list()
      .map((partition) => ({ partition, nextOffset: partition.processedOffset, states: states.get(partition) ?? [] }))
      .filter((c) => c.states.length > 0 || c.nextOffset > c.partition.checkpointOffset);
  }

  private async write(
    pending: readonly PartitionCheckpoint[],
  ): Promise<{ commits: [OwnedPartition, OffsetCommit][]; vehicles: number; failure: Error | undefined }> {
    const { store, work, ownership, now } = this.options;
    const commits: [OwnedPartition, OffsetCommit][] = [];
    let vehicles = 0;
    let failure: Error | undefined;
    for (const { partition, nextOffset, states } of pending) {
      let written: boolean;
      try {
        written = await store.checkpoint(partition.ref, partition.epoch, nextOffset, states, now());
      } catch (error) {
        failure ??= error as Error; // its vehicles stay unsaved and go into the next checkpoint
        continue;
      }
      for (const { vin } of states) this.unsaved.delete(vin);
      if (!written) {
        await work.run(() => ownership.release(partition));
        continue;
      }
      if (nextOffset > partition.checkpointOffset) partition.checkpointOffset = nextOffset;
      vehicles += states.length;
      commits.push([
        partition,
        { topic: partition.ref.topic, partition: partition.ref.partition, offset: nextOffset.toString() },
      ]);
    }
    return { commits, vehicles, failure };
  }
}
