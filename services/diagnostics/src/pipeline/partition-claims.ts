/**
 * Which partitions of vehicle.signals.v1 this instance owns, and which vehicles belong to each.
 *
 * Claiming a partition bumps its epoch in PostgreSQL; every later state or transition write checks that epoch in its
 * transaction, so a former owner that has not noticed the rebalance can no longer write: it is fenced, and drops the
 * partition (`release`). A claim loads the persisted state of the vehicles that map to the partition *now* (the
 * producers' partitioner over today's partition count), wherever it was written, so state follows its vehicle when
 * the topic grows. Not re-entrant: callers run it inside the service's SerialWork.
 */
import type { Logger } from '@telltale/platform';
import { partitionOfKey } from '@telltale/platform/kafka';
import type { AlertTransition } from '@telltale/rules';
import { partitionKey, type PartitionRef } from './records.js';

export interface PartitionClaim {
  readonly epoch: number;
  /** The first offset the persisted state does not reflect; null when nothing was checkpointed yet. */
  readonly nextOffset: bigint | null;
}

export interface ClaimStore {
  /** Takes ownership of a partition: bumps its epoch (fencing the former owner's later writes). */
  claimPartition(ref: PartitionRef, owner: string): Promise<PartitionClaim>;
  /** The persisted state of the vehicles `owns(vin)` picks among those of the topic. */
  loadStates(topic: string, owns: (vin: string) => boolean): Promise<{ vin: string; state: unknown }[]>;
}

export interface TopicOffsets {
  /** The partition's end offset now, to know whether a claimed partition has a backlog. */
  highWatermark(ref: PartitionRef): Promise<bigint>;
  /** The topic's partition count now (which partition a VIN's records go to depends on it). */
  partitionCount(topic: string): Promise<number>;
}

/** The part of the rule engine that holds vehicles. */
export interface VehicleStateHolder {
  /** Returns the clears of alerts whose rules are gone. Throws on malformed state. */
  restoreState(vin: string, state: unknown): AlertTransition[];
  forget(vin: string): void;
}

export interface ClaimEvents {
  fenced(partition: PartitionRef): void;
}

export interface OwnedPartition {
  readonly ref: PartitionRef;
  readonly epoch: number;
  /** Offsets below this are in the persisted state (skipped when consumed again). */
  checkpointOffset: bigint;
  /** The offset after the last record evaluated. */
  processedOffset: bigint;
  /** The partition's timer clock (`partitionClockMs`): whether its last batch left no lag, ... */
  caughtUp: boolean;
  /** ... the newest gateway receive time of a live batch consumed on it (0 before one), ... */
  newestArrivalMs: number;
  /** ... and when a live batch was last consumed on it (wall clock; the claim time before the first). */
  lastLiveMs: number;
  readonly vins: Set<string>;
}

/** Transitions of vehicles this instance owns, by partition; those of vehicles it no longer owns are dropped. */
export function groupByPartition(
  transitions: readonly AlertTransition[],
  ownership: { partitionOf(vin: string): OwnedPartition | undefined },
): Map<OwnedPartition, AlertTransition[]> {
  const grouped = new Map<OwnedPartition, AlertTransition[]>();
  for (const t of transitions) {
    const partition = ownership.partitionOf(t.vin);
    if (partition === undefined) continue;
    const list = grouped.get(partition) ?? [];
    list.push(t);
    grouped.set(partition, list);
  }
  return grouped;
}

export interface PartitionClaimsOptions {
  readonly store: ClaimStore;
  readonly topics: TopicOffsets;
  readonly vehicles: VehicleStateHolder;
  readonly events: ClaimEvents;
  readonly log: Logger;
  /** Names this instance as the owner in PostgreSQL. */
  readonly owner: string;
  /** Records the transitions restoring a partition's vehicles made; called once the partition is owned. */
  readonly onRestored: (transitions: readonly AlertTransition[]) => Promise<unknown>;
  /** The wall clock: a partition claimed is quiet from then until its first live record. */
  readonly now: () => number;
}

export class PartitionClaims {
  private readonly owned = new Map<string, OwnedPartition>();
  private readonly claims = new Map<string, Promise<OwnedPartition | undefined>>();
  /** Bumped by every assignment: a claim started under an older one does not install itself. */
  private generation = 0;
  private readonly vehiclePartition = new Map<string, OwnedPartition>();

  constructor(private readonly options: PartitionClaimsOptions) {}

  /**
   * A new group assignment: drops every vehicle (a kept partition is consumed again from its committed offset, i.e.
   * from its checkpoint) and claims the assigned partitions, loading their vehicles' state.
   */
  async reassign(refs: readonly PartitionRef[]): Promise<void> {
    this.generation += 1;
    for (const p of this.owned.values()) for (const vin of p.vins) this.options.vehicles.forget(vin);
    this.owned.clear();
    this.claims.clear();
    this.vehiclePartition.clear();
    await Promise.all(refs.map((ref) => this.claim(ref)));
  }

  /** The partition as owned now, claimed first if needed; undefined while a newer assignment replaces it. */
  async ownedOrClaimed(ref: PartitionRef): Promise<OwnedPartition | undefined> {
    return this.owned.get(partitionKey(ref)) ?? (await this.claim(ref));
  }

  partitionOf(vin: string): OwnedPartition | undefined {
    return this.vehiclePartition.get(vin);
  }

  addVehicle(partition: OwnedPartition, vin: string): void {
    if (partition.vins.has(vin)) return;
    partition.vins.add(vin);
    this.vehiclePartition.set(vin, partition);
  }

  list(): OwnedPartition[] {
    return [...this.owned.values()];
  }

  /** Another instance claimed the partition (a write was fenced): forget its vehicles. */
  release(partition: OwnedPartition): void {
    const key = partitionKey(partition.ref);
    if (this.owned.get(key) !== partition) return;
    const { ref, epoch } = partition;
    this.options.events.fenced(ref);
    this.options.log.warn(
      { topic: ref.topic, partition: ref.partition, epoch },
      'Partition claimed by another instance; dropping its vehicles.',
    );
    for (const vin of partition.vins) {
      this.options.vehicles.forget(vin);
      this.vehiclePartition.delete(vin);
    }
    this.owned.delete(key);
    this.claims.delete(key);
  }

  get status(): { partitions: number; vehicles: number; caughtUp: boolean } {
    const owned = this.list();
    return { partitions: owned.length, vehicles: this.vehiclePartition.size, caughtUp: owned.every((p) => p.caughtUp) };
  }

  private claim(ref: PartitionRef): Promise<OwnedPartition | undefined> {
    const key = partitionKey(ref);
    const pending = this.claims.get(key);
    if (pending !== undefined) return pending;
    const loading = this.load(ref, this.generation);
    this.claims.set(key, loading);
    loading.catch(() => {
      if (this.claims.get(key) === loading) this.claims.delete(key); // the next batch claims again
    });
    return loading;
  }

  private async load(ref: PartitionRef, generation: number): Promise<OwnedPartition | undefined> {
    const { store, topics, owner } = this.options;
    const claim = await store.claimPartition(ref, owner);
    const count = await topics.partitionCount(ref.topic);
    const owns = (vin: string): boolean => partitionOfKey(ref.topic, vin, count) === ref.partition;
    const states = await store.loadStates(ref.topic, owns);
    const high = await topics.highWatermark(ref);
    if (generation !== this.generation) return undefined; // a newer assignment claims again
    const start = claim.nextOffset ?? 0n;
    const owned: OwnedPartition = {
      ref,
      epoch: claim.epoch,
      checkpointOffset: start,
      processedOffset: start,
      caughtUp: start >= high,
      // Nothing is known of its input yet (it may be stalled upstream): its timers hold until a live record comes
      // or the idle hold passes.
      newestArrivalMs: 0,
      lastLiveMs: this.options.now(),
      vins: new Set(),
    };
    const removed = this.restore(owned, states);
    this.owned.set(partitionKey(ref), owned);
    this.options.log.info(
      {
        topic: ref.topic,
        partition: ref.partition,
        epoch: claim.epoch,
        vehicles: owned.vins.size,
        from: start.toString(),
        backlog: (high - start).toString(),
      },
      'Partition claimed.',
    );
    await this.options.onRestored(removed);
    return owned;
  }

  /** Puts the persisted vehicles back into the engine; returns the clears of alerts whose rules are gone. */
  private restore(owned: OwnedPartition, states: readonly { vin: string; state: unknown }[]): AlertTransition[] {
    const removed: AlertTransition[] = [];
    for (const { vin, state } of states) {
      try {
        removed.push(...this.options.vehicles.restoreState(vin, state));
        this.addVehicle(owned, vin);
      } catch (err) {
        this.options.log.error(
          { err, vin, partition: owned.ref.partition },
          'Persisted vehicle state is invalid; the vehicle starts fresh.',
        );
      }
    }
    return removed;
  }
}
