/**
 * Alert transitions, durable before published. A transition is first inserted into PostgreSQL (key: alert id +
 * transition seq, both deterministic; per partition, checking the partition's epoch) and only the rows that were new
 * are published to vehicle.alerts.v1 and then marked published. A replay re-derives transitions that insert nothing,
 * so it publishes nothing. Rows a crash left unpublished go out through `republish` (at-least-once on Kafka with a
 * stable dedupe key; exactly once in PostgreSQL).
 */
import type { AlertTransition } from '@telltale/rules';
import type { AlertEvent } from '@telltale/rules/alerts';
import type { SerialWork } from './serial-work.js';
import { groupByPartition, type OwnedPartition } from './partition-claims.js';
import type { PartitionRef } from './records.js';

export interface TransitionStore {
  /** The transitions that were new; undefined: `epoch` is no longer the partition's (nothing written). */
  recordTransitions(
    ref: PartitionRef,
    epoch: number,
    transitions: readonly AlertTransition[],
    emitTimeMs: number,
  ): Promise<AlertTransition[] | undefined>;
  markPublished(transitions: readonly { alertId: string; transitionSeq: number }[], nowMs: number): Promise<void>;
  /** Publishes up to `limit` recorded, unpublished transitions (engine ones before `beforeMs`); returns how many. */
  relay(
    beforeMs: number,
    ackBeforeMs: number,
    limit: number,
    publish: (events: AlertEvent[]) => Promise<void>,
    nowMs: () => number,
  ): Promise<number>;
}

export interface AlertPublisher {
  /** Resolves once Kafka has every one (acks=all). */
  publish(events: readonly AlertEvent[]): Promise<void>;
}

/** Which partition a vehicle belongs to, and dropping a partition another instance claimed. */
export interface VehicleOwnership {
  partitionOf(vin: string): OwnedPartition | undefined;
  release(partition: OwnedPartition): void;
}

export interface OutboxEvents {
  transitions(list: readonly AlertTransition[]): void;
}

export interface TransitionOutboxOptions {
  readonly work: SerialWork;
  readonly ownership: VehicleOwnership;
  readonly store: TransitionStore;
  readonly publisher: AlertPublisher;
  readonly events: OutboxEvents;
  readonly now: () => number;
}

const RELAY_PAGE = 500;

export class TransitionOutbox {
  constructor(private readonly options: TransitionOutboxOptions) {}

  /**
   * Records transitions, then publishes the new ones and marks them published. Returns what was published. Runs
   * inside the SerialWork: a fenced partition is released by work queued after this.
   */
  async record(transitions: readonly AlertTransition[]): Promise<AlertTransition[]> {
    if (transitions.length === 0) return [];
    const { events, store, work, ownership, now } = this.options;
    events.transitions(transitions);
    const fresh: AlertTransition[] = [];
    const emitTimeMs = now();
    for (const [partition, list] of groupByPartition(transitions, ownership)) {
      const inserted = await store.recordTransitions(partition.ref, partition.epoch, list, emitTimeMs);
      if (inserted === undefined) {
        void work.run(() => ownership.release(partition));
        continue;
      }
      fresh.push(...inserted);
    }
    await this.publish(fresh.map((transition) => ({ ...transition, origin: 'rule', emitTimeMs })));
    return fresh;
  }

  /**
   * Publishes what is recorded but not on Kafka: engine transitions older than `olderThanMs` (a crash between the
   * two steps) and acknowledgements the API recorded (at once). Returns how many.
   */
  async republish(olderThanMs: number): Promise<number> {
    const { store, publisher, now } = this.options;
    let total = 0;
    for (;;) {
      const nowMs = now();
      const sent = await store.relay(nowMs - olderThanMs, nowMs + 1, RELAY_PAGE, (e) => publisher.publish(e), now);
      total += sent;
      if (sent < RELAY_PAGE) return total;
    }
  }

  private async publish(events: readonly AlertEvent[]): Promise<void> {
    if (events.length === 0) return;
    await this.options.publisher.publish(events);
    await this.options.store.markPublished(events, this.options.now());
  }
}
