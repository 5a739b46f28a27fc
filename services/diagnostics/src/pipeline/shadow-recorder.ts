/**
 * Transitions of the rule versions deployed as shadow: recorded in PostgreSQL (per partition, checking its epoch like
 * every diagnostics write; key rule, version, alert id, transition seq, so a replay inserts nothing) and counted —
 * never put in the outbox, so they never reach vehicle.alerts.v1, a webhook or a stream. A fenced write releases the
 * partition, as the outbox does.
 */
import type { AlertTransition } from '@telltale/rules';
import type { SerialWork } from './serial-work.js';
import { groupByPartition } from './partition-claims.js';
import type { PartitionRef } from './records.js';
import type { VehicleOwnership } from './transition-outbox.js';

export interface ShadowTransitionStore {
  /** How many of them were new; undefined: `epoch` is no longer the partition's (nothing written). */
  recordShadowTransitions(
    ref: PartitionRef,
    epoch: number,
    transitions: readonly AlertTransition[],
    emitTimeMs: number,
  ): Promise<number | undefined>;
}

export interface ShadowEvents {
  /** Transitions the shadow versions made (before dedupe against PostgreSQL), and how many were new. */
  shadowTransitions(list: readonly AlertTransition[], recorded: number): void;
}

export interface ShadowRecorderOptions {
  readonly work: SerialWork;
  readonly ownership: VehicleOwnership;
  readonly store: ShadowTransitionStore;
  readonly events: ShadowEvents;
  readonly now: () => number;
}

export class ShadowRecorder {
  constructor(private readonly options: ShadowRecorderOptions) {}

  /** Runs inside the SerialWork: a fenced partition is released by work queued after this. */
  async record(transitions: readonly AlertTransition[]): Promise<void> {
    if (transitions.length === 0) return;
    const { store, work, ownership, events, now } = this.options;
    const emitTimeMs = now();
    let recorded = 0;
    for (const [partition, list] of groupByPartition(transitions, ownership)) {
      const inserted = await store.recordShadowTransitions(partition.ref, partition.epoch, list, emitTimeMs);
      if (inserted === undefined) {
        void work.run(() => ownership.release(partition));
        continue;
      }
      recorded += inserted;
    }
    events.shadowTransitions(transitions, recorded);
  }
}
