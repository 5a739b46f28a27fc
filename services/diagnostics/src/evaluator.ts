/**
 * The diagnostics service's core: feeds vehicle.signals.v1 batches to the rule engine, fires timers of silent
 * vehicles, and makes every alert transition durable before it is published.
 *
 * Guarantees, and how:
 * - Nothing lost, nothing duplicated. A transition is first inserted into alert_transitions (key: alert id +
 *   transition seq, both deterministic) and only then produced to vehicle.alerts.v1 and marked published; rows a
 *   crash left unpublished are published at start (at-least-once on Kafka with a stable dedupe key; exactly once in
 *   PostgreSQL). Vehicle state is checkpointed with the offset it reflects in one transaction; a restart loads it
 *   and skips records below that offset, so re-derived transitions equal the recorded ones and insert nothing.
 * - Rebalances: a partition is claimed (epoch + 1) before its batches are evaluated; state and transition writes
 *   check the epoch, so a former owner can no longer write. Kafka offsets are committed only after a checkpoint,
 *   never ahead of the persisted state.
 * - All engine work (batches, timers, rule swaps) runs one at a time, in arrival order.
 */
import type { KafkaMessage, Message } from 'kafkajs';
import { TelltaleError, type Logger } from '@telltale/platform';
import { partitionOfKey } from '@telltale/platform/kafka';
import { Alert, decodeSignalBatch } from '@telltale/platform/proto';
import { RuleEngine, type AlertTransition, type RuleEngineOptions, type RuleSnapshot } from '@telltale/rules';
import type { PartitionRef, PgDiagnosticsStore, VehicleStateRow } from './adapters/pg-diagnostics-store.js';
import { alertMessageOf, type AlertEvent } from '@telltale/rules/alerts';

export const DLQ_HEADER = {
  reason: 'telltale-reason',
  detail: 'telltale-detail',
  sourceOffset: 'telltale-source-offset',
} as const;

export interface DiagnosticsEvents {
  batch(samples: number, applied: number, seconds: number): void;
  transitions(list: readonly AlertTransition[]): void;
  /** Gateway receive time → alert on Kafka, for transitions made by a sample. */
  alertLatency(ms: number): void;
  rejected(reason: string): void;
  fenced(partition: PartitionRef): void;
  checkpoint(vehicles: number, seconds: number): void;
  dropped(kind: 'future' | 'invalid', count: number): void;
}

export interface EvaluatorDeps {
  readonly store: PgDiagnosticsStore;
  /** Produces to vehicle.alerts.v1 (acks=all); resolves once Kafka has them. */
  readonly publish: (messages: Message[]) => Promise<void>;
  readonly deadLetter: (messages: Message[]) => Promise<void>;
  /** Commits consumer offsets (already persisted in PostgreSQL). */
  readonly commitOffsets: (offsets: { topic: string; partition: number; offset: string }[]) => Promise<void>;
  /** The partition's end offset now, to know whether a claimed partition has a backlog. */
  readonly highWatermark: (ref: PartitionRef) => Promise<bigint>;
  /** The topic's partition count now (which partition a VIN's records go to depends on it). */
  readonly partitionCount: (topic: string) => Promise<number>;
  readonly fleetOf: (vin: string) => string | undefined;
  readonly events: DiagnosticsEvents;
  readonly log: Logger;
  readonly owner: string;
  readonly engine?: RuleEngineOptions;
  readonly now?: () => number;
}

interface OwnedPartition {
  readonly ref: PartitionRef;
  readonly epoch: number;
  /** Offsets below this are in the persisted state (skipped when consumed again). */
  checkpointOffset: bigint;
  /** The offset after the last record evaluated. */
  processedOffset: bigint;
  caughtUp: boolean;
  readonly vins: Set<string>;
}

const keyOf = (ref: PartitionRef): string => `${ref.topic}/${ref.partition}`;

export class DiagnosticsEvaluator {
  readonly engine: RuleEngine;
  private readonly now: () => number;
  private readonly owned = new Map<string, OwnedPartition>();
  private readonly claims = new Map<string, Promise<OwnedPartition | undefined>>();
  /** Bumped by every assignment: a claim started under an older one does not install itself. */
  private assignment = 0;
  private readonly vinPartition = new Map<string, string>();
  /** Vehicles whose changed state is not persisted yet (drained from the engine, checkpoint pending or failed). */
  private readonly unsaved = new Set<string>();
  private newestArrivalMs = 0;
  private queue: Promise<unknown> = Promise.resolve();
  private checkpointing: Promise<void> | undefined;

  constructor(private readonly deps: EvaluatorDeps) {
    this.engine = new RuleEngine(deps.engine ?? {});
    this.now = deps.now ?? Date.now;
  }

  /** Runs engine work one piece at a time, in call order. */
  private serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Swaps the rules; clears alerts of rules that are gone (reason rule-removed). */
  setRules(snapshot: RuleSnapshot): Promise<void> {
    return this.serial(async () => {
      await this.emit(this.engine.setRules(snapshot));
    });
  }

  /**
   * A new group assignment: drops every vehicle (a kept partition is consumed again from its committed offset,
   * i.e. from its checkpoint) and claims the assigned partitions, loading their vehicles' state.
   */
  assign(assignment: Readonly<Record<string, readonly number[]>>): void {
    const next = Object.entries(assignment).flatMap(([topic, partitions]) =>
      partitions.map((partition) => ({ topic, partition })),
    );
    void this.serial(async () => {
      this.dropAll();
      await Promise.all(next.map((ref) => this.claim(ref)));
    }).catch((err: unknown) =>
      this.deps.log.error({ err }, 'Claiming partitions failed; their batches retry the claim.'),
    );
  }

  private dropAll(): void {
    this.assignment += 1;
    for (const p of this.owned.values()) for (const vin of p.vins) this.engine.forget(vin);
    this.owned.clear();
    this.claims.clear();
    this.vinPartition.clear();
    this.unsaved.clear();
  }

  private claim(ref: PartitionRef): Promise<OwnedPartition | undefined> {
    const key = keyOf(ref);
    let claim = this.claims.get(key);
    if (claim === undefined) {
      const loading = this.load(ref, this.assignment);
      this.claims.set(key, loading);
      loading.catch(() => {
        if (this.claims.get(key) === loading) this.claims.delete(key); // the next batch claims again
      });
      claim = loading;
    }
    return claim;
  }

  private async load(ref: PartitionRef, assignment: number): Promise<OwnedPartition | undefined> {
    const { store, log } = this.deps;
    const claim = await store.claimPartition(ref, this.deps.owner);
    const count = await this.deps.partitionCount(ref.topic);
    const states = await store.loadStates(ref.topic, (vin) => partitionOfKey(ref.topic, vin, count) === ref.partition);
    const high = await this.deps.highWatermark(ref);
    if (assignment !== this.assignment) return undefined; // a newer assignment claims again
    const start = claim.nextOffset ?? 0n;
    const owned: OwnedPartition = {
      ref,
      epoch: claim.epoch,
      checkpointOffset: start,
      processedOffset: start,
      caughtUp: start >= high,
      vins: new Set(),
    };
    const removed: AlertTransition[] = [];
    for (const { vin, state } of states) {
      try {
        removed.push(...this.engine.restoreState(vin, state));
        owned.vins.add(vin);
        this.vinPartition.set(vin, keyOf(ref));
      } catch (err) {
        log.error(
          { err, vin, partition: ref.partition },
          'Persisted vehicle state is invalid; the vehicle starts fresh.',
        );
      }
    }
    this.owned.set(keyOf(ref), owned);
    log.info(
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
    await this.emit(removed);
    return owned;
  }

  /** Evaluates one partition batch of vehicle.signals.v1. */
  async handleBatch(topic: string, partition: number, messages: readonly KafkaMessage[], lag: number): Promise<void> {
    const ref = { topic, partition };
    await this.serial(async () => {
      // The current claim (a rebalance may have replaced the one that existed when the batch was fetched).
      const owned = this.owned.get(keyOf(ref)) ?? (await this.claim(ref));
      if (owned === undefined) {
        throw new TelltaleError(
          'DIAGNOSTICS_PARTITION_NOT_OWNED',
          `partition ${topic}/${partition} is being reassigned; the batch will be consumed again`,
          { retryable: true },
        );
      }
      const started = process.hrtime.bigint();
      const transitions: AlertTransition[] = [];
      const rejects: Message[] = [];
      let samples = 0;
      let applied = 0;
      let future = 0;
      let invalid = 0;
      const arrivals = new Map<AlertTransition, number>();
      for (const record of messages) {
        if (BigInt(record.offset) < owned.checkpointOffset) continue;
        if (!record.value) {
          rejects.push(this.reject(record, 'EMPTY_RECORD', 'record without a value'));
          continue;
        }
        let decoded;
        try {
          decoded = decodeSignalBatch(record.value);
        } catch (error) {
          rejects.push(this.reject(record, 'MALFORMED_PROTOBUF', (error as Error).message));
          continue;
        }
        const { header: b, columns } = decoded;
        const arrivalTimeMs = b.source?.gatewayReceiveTimeMsEpoch ?? this.now();
        const result = this.engine.ingest({
          vin: b.vin,
          modelId: b.modelId,
          fleetId: this.deps.fleetOf(b.vin) ?? '',
          catalogVersion: b.catalogVersion,
          signalIds: columns.signalId,
          values: columns.value,
          timesMs: columns.timeOffsetMs,
          baseTimeMs: b.baseTimeMsEpoch,
          backfill: b.backfill,
          arrivalTimeMs,
        });
        if (!b.backfill && arrivalTimeMs > this.newestArrivalMs) this.newestArrivalMs = arrivalTimeMs;
        if (!owned.vins.has(b.vin)) {
          owned.vins.add(b.vin);
          this.vinPartition.set(b.vin, keyOf(ref));
        }
        samples += columns.signalId.length;
        applied += result.applied;
        future += result.droppedFuture;
        invalid += result.droppedInvalid;
        for (const t of result.transitions) arrivals.set(t, arrivalTimeMs);
        transitions.push(...result.transitions);
      }
      const last = messages[messages.length - 1];
      if (last !== undefined)
        owned.processedOffset =
          BigInt(last.offset) + 1n > owned.processedOffset ? BigInt(last.offset) + 1n : owned.processedOffset;
      owned.caughtUp = lag === 0;
      if (rejects.length > 0) await this.deps.deadLetter(rejects);
      if (future > 0) this.deps.events.dropped('future', future);
      if (invalid > 0) this.deps.events.dropped('invalid', invalid);
      const published = await this.emit(transitions);
      const at = this.now();
      for (const t of published) {
        const arrival = arrivals.get(t);
        if (arrival !== undefined && !t.timer) this.deps.events.alertLatency(at - arrival);
      }
      this.deps.events.batch(samples, applied, Number(process.hrtime.bigint() - started) / 1e9);
    });
  }

  private reject(record: KafkaMessage, reason: string, detail: string): Message {
    this.deps.events.rejected(reason);
    return {
      key: record.key,
      value: record.value,
      headers: { [DLQ_HEADER.reason]: reason, [DLQ_HEADER.detail]: detail, [DLQ_HEADER.sourceOffset]: record.offset },
    };
  }

  /**
   * Fires the timers of silent vehicles. The clock is the wall clock once every owned partition is caught up;
   * while a backlog is consumed, the newest gateway receive time consumed (so a replay does not fire silence early).
   */
  tick(): Promise<void> {
    return this.serial(async () => {
      if (this.owned.size === 0) return;
      const caughtUp = [...this.owned.values()].every((p) => p.caughtUp);
      const now = caughtUp ? this.now() : this.newestArrivalMs;
      if (now <= 0) return;
      await this.emit(this.engine.advance(now));
    });
  }

  /**
   * Persists the state of vehicles changed since the last checkpoint and the offsets it reflects, per partition,
   * then commits those offsets to Kafka. One checkpoint at a time; the snapshot is taken in the queue (consistent
   * with the offsets), the writes happen outside it.
   */
  checkpoint(options: { commitOffsets?: boolean } = {}): Promise<void> {
    this.checkpointing ??= this.runCheckpoint(options.commitOffsets ?? true).finally(() => {
      this.checkpointing = undefined;
    });
    return this.checkpointing;
  }

  private async runCheckpoint(commitOffsets: boolean): Promise<void> {
    const started = process.hrtime.bigint();
    const work = await this.serial(() => {
      // Vehicles changed since the last checkpoint, plus those a failed checkpoint did not persist.
      for (const vin of this.engine.drainChanged()) this.unsaved.add(vin);
      const states = new Map<string, VehicleStateRow[]>();
      for (const vin of this.unsaved) {
        const key = this.vinPartition.get(vin);
        const state = this.engine.snapshotState(vin);
        if (key === undefined || state === undefined) {
          this.unsaved.delete(vin); // no longer this instance's
          continue;
        }
        const list = states.get(key) ?? [];
        list.push({ vin, state: JSON.stringify(state) });
        states.set(key, list);
      }
      const list = [...this.owned.entries()]
        .map(([key, p]) => ({ owned: p, offset: p.processedOffset, states: states.get(key) ?? [] }))
        .filter((w) => w.states.length > 0 || w.offset > w.owned.checkpointOffset);
      return Promise.resolve(list);
    });
    if (work.length === 0) return;
    const commits: { topic: string; partition: number; offset: string }[] = [];
    let vehicles = 0;
    let failure: Error | undefined;
    for (const w of work) {
      let ok: boolean;
      try {
        ok = await this.deps.store.checkpoint(w.owned.ref, w.owned.epoch, w.offset, w.states, this.now());
      } catch (error) {
        failure ??= error as Error; // its vehicles stay unsaved and go into the next checkpoint
        continue;
      }
      for (const { vin } of w.states) this.unsaved.delete(vin);
      if (!ok) {
        await this.lost(w.owned);
        continue;
      }
      if (w.offset > w.owned.checkpointOffset) w.owned.checkpointOffset = w.offset;
      vehicles += w.states.length;
      commits.push({ topic: w.owned.ref.topic, partition: w.owned.ref.partition, offset: w.offset.toString() });
    }
    this.deps.events.checkpoint(vehicles, Number(process.hrtime.bigint() - started) / 1e9);
    if (commitOffsets && commits.length > 0) {
      await this.deps
        .commitOffsets(commits)
        .catch((err: unknown) =>
          this.deps.log.warn({ err }, 'Offset commit failed (a rebalance?); the checkpoint in PostgreSQL stands.'),
        );
    }
    if (failure !== undefined) throw failure;
  }

  /** Another instance claimed the partition: forget its vehicles. */
  private lost(owned: OwnedPartition): Promise<void> {
    return this.serial(async () => {
      const key = keyOf(owned.ref);
      if (this.owned.get(key) !== owned) return;
      this.deps.events.fenced(owned.ref);
      this.deps.log.warn(
        { topic: owned.ref.topic, partition: owned.ref.partition, epoch: owned.epoch },
        'Partition claimed by another instance; dropping its vehicles.',
      );
      for (const vin of owned.vins) {
        this.engine.forget(vin);
        this.vinPartition.delete(vin);
      }
      this.owned.delete(key);
      this.claims.delete(key);
      await Promise.resolve();
    });
  }

  /**
   * Records transitions (per partition, fenced), then publishes the new ones and marks them published. Called from
   * inside the queue. Returns what was published.
   */
  private async emit(transitions: readonly AlertTransition[]): Promise<AlertTransition[]> {
    if (transitions.length === 0) return [];
    this.deps.events.transitions(transitions);
    const byPartition = new Map<string, AlertTransition[]>();
    for (const t of transitions) {
      const key = this.vinPartition.get(t.vin);
      if (key === undefined) continue; // a vehicle this instance does not own any more
      const list = byPartition.get(key) ?? [];
      list.push(t);
      byPartition.set(key, list);
    }
    const fresh: AlertTransition[] = [];
    const emitTimeMs = this.now();
    for (const [key, list] of byPartition) {
      const owned = this.owned.get(key);
      if (owned === undefined) continue;
      const inserted = await this.deps.store.recordTransitions(owned.ref, owned.epoch, list, emitTimeMs);
      if (inserted === undefined) {
        void this.lost(owned);
        continue;
      }
      fresh.push(...inserted);
    }
    await this.publish(fresh.map((transition) => ({ ...transition, origin: 'rule', emitTimeMs })));
    return fresh;
  }

  private async publish(events: readonly AlertEvent[]): Promise<void> {
    if (events.length === 0) return;
    await this.send(events);
    await this.deps.store.markPublished(events, this.now());
  }

  private async send(events: readonly AlertEvent[]): Promise<void> {
    await this.deps.publish(
      events.map((event) => ({
        key: event.vin,
        value: Buffer.from(Alert.encode(alertMessageOf(event)).finish()),
        headers: { 'telltale-alert-id': event.alertId, 'telltale-transition-seq': String(event.transitionSeq) },
      })),
    );
  }

  /**
   * Publishes what is recorded but not on Kafka: engine transitions older than `olderThanMs` (a crash between the
   * two steps) and acknowledgements the API recorded (at once). Returns how many.
   */
  async republish(olderThanMs: number): Promise<number> {
    let total = 0;
    for (;;) {
      const now = this.now();
      const sent = await this.deps.store.relay(
        now - olderThanMs,
        now + 1,
        500,
        (events) => this.send(events),
        this.now,
      );
      total += sent;
      if (sent < 500) return total;
    }
  }

  /**
   * Waits for queued work, then checkpoints (graceful stop). After the consumer left the group, offsets cannot be
   * committed: the PostgreSQL checkpoint alone tells the next owner where to resume.
   */
  async drain(options: { commitOffsets: boolean }): Promise<void> {
    await this.serial(() => Promise.resolve());
    await this.checkpointing; // one that started before the last work: not enough
    await this.checkpoint(options);
  }

  get status(): { partitions: number; vehicles: number; caughtUp: boolean } {
    const owned = [...this.owned.values()];
    return { partitions: owned.length, vehicles: this.vinPartition.size, caughtUp: owned.every((p) => p.caughtUp) };
  }
}
