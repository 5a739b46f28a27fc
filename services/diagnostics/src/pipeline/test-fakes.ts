/**
 * In-memory stand-ins for the pipeline's ports, for the unit tests beside it. They keep the contracts the PostgreSQL
 * and Kafka adapters keep (a claim bumps the epoch, fenced writes write nothing, a transition is inserted once);
 * test/diagnostics/ runs the same pipeline against the real services.
 */
import { encodeSignalBatch } from '@telltale/platform/proto';
import type { Catalog } from '@telltale/catalog';
import type { AlertTransition } from '@telltale/rules';
import type { AlertEvent } from '@telltale/rules/alerts';
import type { DiagnosticsEvents } from './diagnostics-pipeline.js';
import type { CheckpointStore, VehicleStateRow } from './checkpoint-writer.js';
import type { ClaimStore, OwnedPartition, PartitionClaim, TopicOffsets } from './partition-claims.js';
import { partitionKey, type PartitionRef, type RejectedSignalRecord, type SignalRecord } from './records.js';
import type { AlertPublisher, TransitionStore } from './transition-outbox.js';
import type { DeadLetters } from './vehicle-evaluator.js';
import type { ShadowTransitionStore } from './shadow-recorder.js';

export const T0 = 1_700_000_000_000;
export const SIGNALS = 'vehicle.signals.v1';

/** An owned partition of SIGNALS as a claim makes it (nothing consumed yet), with `more` on top. */
export function ownedPartition(
  partition: number,
  epoch: number,
  vins: Iterable<string> = [],
  more: Partial<OwnedPartition> = {},
): OwnedPartition {
  return {
    ref: { topic: SIGNALS, partition },
    epoch,
    checkpointOffset: 0n,
    processedOffset: 0n,
    caughtUp: true,
    newestArrivalMs: 0,
    lastLiveMs: T0,
    vins: new Set(vins),
    ...more,
  };
}

interface StoredTransition {
  readonly transition: AlertTransition;
  readonly emitTimeMs: number;
  publishedMs: number | undefined;
}

export class MemoryDiagnosticsStore implements ClaimStore, CheckpointStore, TransitionStore, ShadowTransitionStore {
  readonly partitions = new Map<string, { epoch: number; nextOffset: bigint | null }>();
  readonly states = new Map<string, { topic: string; state: unknown }>();
  readonly checkpoints: { partition: number; nextOffset: bigint; vins: string[] }[] = [];
  readonly transitions = new Map<string, StoredTransition>();
  /** Shadow transitions by rule, version, alert id and seq. */
  readonly shadowTransitions = new Map<string, AlertTransition>();
  failNextCheckpoint = false;

  claimPartition(ref: PartitionRef, _owner: string): Promise<PartitionClaim> {
    const row = this.partitions.get(partitionKey(ref)) ?? { epoch: 0, nextOffset: null };
    row.epoch += 1;
    this.partitions.set(partitionKey(ref), row);
    return Promise.resolve({ ...row });
  }

  /** Another instance claims the partition. */
  steal(ref: PartitionRef): void {
    void this.claimPartition(ref, 'someone else');
  }

  loadStates(topic: string, owns: (vin: string) => boolean): Promise<{ vin: string; state: unknown }[]> {
    const rows = [...this.states].filter(([vin, row]) => row.topic === topic && owns(vin));
    return Promise.resolve(rows.map(([vin, row]) => ({ vin, state: row.state })));
  }

  checkpoint(
    ref: PartitionRef,
    epoch: number,
    nextOffset: bigint,
    states: readonly VehicleStateRow[],
  ): Promise<boolean> {
    if (this.failNextCheckpoint) {
      this.failNextCheckpoint = false;
      return Promise.reject(new Error('PostgreSQL went away'));
    }
    const row = this.partitions.get(partitionKey(ref));
    if (row?.epoch !== epoch) return Promise.resolve(false);
    row.nextOffset = nextOffset;
    for (const s of states) this.states.set(s.vin, { topic: ref.topic, state: JSON.parse(s.state) as unknown });
    this.checkpoints.push({ partition: ref.partition, nextOffset, vins: states.map((s) => s.vin).sort() });
    return Promise.resolve(true);
  }

  recordTransitions(
    ref: PartitionRef,
    epoch: number,
    transitions: readonly AlertTransition[],
    emitTimeMs: number,
  ): Promise<AlertTransition[] | undefined> {
    if (this.partitions.get(partitionKey(ref))?.epoch !== epoch) return Promise.resolve(undefined);
    const fresh = transitions.filter((t) => !this.transitions.has(transitionKey(t)));
    for (const t of fresh)
      this.transitions.set(transitionKey(t), { transition: t, emitTimeMs, publishedMs: undefined });
    return Promise.resolve(fresh);
  }

  recordShadowTransitions(
    ref: PartitionRef,
    epoch: number,
    transitions: readonly AlertTransition[],
  ): Promise<number | undefined> {
    if (this.partitions.get(partitionKey(ref))?.epoch !== epoch) return Promise.resolve(undefined);
    let fresh = 0;
    for (const t of transitions) {
      const key = `${t.ruleId}@${t.ruleVersion}/${transitionKey(t)}`;
      if (this.shadowTransitions.has(key)) continue;
      this.shadowTransitions.set(key, t);
      fresh += 1;
    }
    return Promise.resolve(fresh);
  }

  markPublished(transitions: readonly { alertId: string; transitionSeq: number }[], nowMs: number): Promise<void> {
    for (const t of transitions) {
      const row = this.transitions.get(transitionKey(t));
      if (row !== undefined) row.publishedMs ??= nowMs;
    }
    return Promise.resolve();
  }

  async relay(
    beforeMs: number,
    _ackBeforeMs: number,
    limit: number,
    publish: (events: AlertEvent[]) => Promise<void>,
    nowMs: () => number,
  ): Promise<number> {
    const rows = [...this.transitions.values()]
      .filter((r) => r.publishedMs === undefined && r.emitTimeMs < beforeMs)
      .slice(0, limit);
    if (rows.length === 0) return 0;
    await publish(rows.map((r) => ({ ...r.transition, origin: 'rule', emitTimeMs: r.emitTimeMs })));
    for (const r of rows) r.publishedMs = nowMs();
    return rows.length;
  }

  unpublished(): number {
    return [...this.transitions.values()].filter((r) => r.publishedMs === undefined).length;
  }
}

const transitionKey = (t: { alertId: string; transitionSeq: number }): string => `${t.alertId}/${t.transitionSeq}`;

export class MemoryTopics implements TopicOffsets {
  partitions = 1;
  readonly high = new Map<number, bigint>();

  highWatermark(ref: PartitionRef): Promise<bigint> {
    return Promise.resolve(this.high.get(ref.partition) ?? 0n);
  }

  partitionCount(): Promise<number> {
    return Promise.resolve(this.partitions);
  }
}

export class MemoryAlerts implements AlertPublisher {
  readonly published: AlertEvent[] = [];

  publish(events: readonly AlertEvent[]): Promise<void> {
    this.published.push(...events);
    return Promise.resolve();
  }

  keys(): string[] {
    return this.published.map(transitionKey);
  }
}

export class MemoryDeadLetters implements DeadLetters {
  readonly sent: RejectedSignalRecord[] = [];

  send(records: readonly RejectedSignalRecord[]): Promise<void> {
    this.sent.push(...records);
    return Promise.resolve();
  }
}

/** Events that remember what they were told. */
export function recordingEvents(): DiagnosticsEvents & {
  readonly rejects: string[];
  readonly fences: PartitionRef[];
  readonly drops: Record<string, number>;
  readonly latencies: number[];
  readonly checkpointed: number[];
  readonly shadowCounts: { made: number; recorded: number };
  /** The partitions per timer clock state at the last tick. */
  readonly clocks: Partial<Record<string, number>>;
} {
  const rejects: string[] = [];
  const fences: PartitionRef[] = [];
  const drops: Record<string, number> = {};
  const latencies: number[] = [];
  const checkpointed: number[] = [];
  const shadowCounts = { made: 0, recorded: 0 };
  const clocks: Partial<Record<string, number>> = {};
  return {
    shadowCounts,
    clocks,
    timerClocks: (partitions) => Object.assign(clocks, partitions),
    shadowTransitions: (list, recorded) => {
      shadowCounts.made += list.length;
      shadowCounts.recorded += recorded;
    },
    rejects,
    fences,
    drops,
    latencies,
    checkpointed,
    batch: () => undefined,
    transitions: () => undefined,
    alertLatency: (ms) => latencies.push(ms),
    rejected: (reason) => rejects.push(reason),
    fenced: (partition) => fences.push(partition),
    checkpoint: (vehicles) => checkpointed.push(vehicles),
    dropped: (kind, count) => {
      drops[kind] = (drops[kind] ?? 0) + count;
    },
  };
}

/** A vehicle.signals.v1 record: one sample of `signalId` at `timeMs`, received by the gateway at `receivedMs`. */
export function signalRecord(
  catalog: Catalog,
  offset: number,
  vin: string,
  sample: { signalId: number; value: number; timeMs: number; receivedMs?: number },
): SignalRecord {
  const bytes = encodeSignalBatch(
    {
      vin,
      modelId: catalog.modelId,
      catalogVersion: catalog.catalogVersion,
      baseTimeMsEpoch: sample.timeMs,
      source: { gatewayReceiveTimeMsEpoch: sample.receivedMs ?? sample.timeMs },
    },
    {
      signalId: Uint32Array.of(sample.signalId),
      value: Float64Array.of(sample.value),
      timeOffsetMs: Uint32Array.of(0),
    },
  );
  return { offset: BigInt(offset), key: Buffer.from(vin), value: Buffer.from(bytes) };
}
