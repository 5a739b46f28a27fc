/**
 * Evaluation: feeds each record of vehicle.signals.v1 to the rule engine (per vehicle, in event time), fires the
 * timers of silent vehicles, swaps rules, and hands the transitions to the outbox. A record that is not a SignalBatch
 * is dead-lettered with its reason and offset and counted; records below the partition's checkpoint are in the
 * persisted state already and skipped. All of it runs inside the SerialWork, one piece at a time.
 *
 * Rule versions deployed as shadow are evaluated by the same engine calls (`shadow.engine`); what they make is handed
 * to `shadow.recorder` after the live transitions, never to the outbox.
 */
import { TelltaleError } from '@telltale/platform';
import type { AlertTransition, IngestResult, RuleSnapshot, RuleTiming, SampleBatch } from '@telltale/rules';
import { readSignalRecord } from '../domain/signal-record.js';
import { partitionClock, type PartitionClockState, type TimerClockSettings } from '../domain/timer-clock.js';
import type { SerialWork } from './serial-work.js';
import type { OwnedPartition } from './partition-claims.js';
import type { PartitionRef, RejectedSignalRecord, SignalRecord, SignalRecordBatch } from './records.js';

/** The part of the rule engine that evaluates. */
export interface RuleEvaluation {
  setRules(snapshot: RuleSnapshot): AlertTransition[];
  ingest(batch: SampleBatch): IngestResult;
  /** Fires the timers of the vehicles named (one partition's) on that partition's clock. */
  advance(nowMs: number, vins: Iterable<string>): AlertTransition[];
  /** Per-rule evaluations and time since the last call (when the engine measures them). */
  drainRuleTimings?(): RuleTiming[];
}

export interface EvaluationOwnership {
  ownedOrClaimed(ref: PartitionRef): Promise<OwnedPartition | undefined>;
  addVehicle(partition: OwnedPartition, vin: string): void;
  list(): OwnedPartition[];
}

export interface TransitionRecorder {
  /** Records, then publishes; returns the transitions that were new (and so published). */
  record(transitions: readonly AlertTransition[]): Promise<AlertTransition[]>;
}

/** The engine's shadow side: the versions deployed as shadow and what they made since the last drain. */
export interface ShadowEvaluation {
  setShadowRules(snapshot: RuleSnapshot): void;
  drainShadow(): AlertTransition[];
}

export interface ShadowTransitionRecorder {
  /** Records shadow transitions (nothing is published). */
  record(transitions: readonly AlertTransition[]): Promise<void>;
}

export interface DeadLetters {
  /** Resolves once Kafka has every one. */
  send(records: readonly RejectedSignalRecord[]): Promise<void>;
}

export interface EvaluationEvents {
  batch(samples: number, applied: number, seconds: number): void;
  /** Gateway receive time → alert on Kafka, for transitions made by a sample. */
  alertLatency(ms: number): void;
  rejected(reason: string): void;
  dropped(kind: 'future' | 'invalid', count: number): void;
  /** Per-rule evaluations and their time, after each batch and timer tick. */
  ruleTimings?(timings: readonly RuleTiming[]): void;
  /** How many owned partitions each timer clock state holds, at each timer tick. */
  timerClocks(partitions: Readonly<Record<PartitionClockState, number>>): void;
}

export interface VehicleEvaluatorOptions {
  readonly work: SerialWork;
  readonly engine: RuleEvaluation;
  readonly ownership: EvaluationOwnership;
  readonly outbox: TransitionRecorder;
  /** Shadow versions: absent, the engine evaluates live rules only. */
  readonly shadow?: { readonly engine: ShadowEvaluation; readonly recorder: ShadowTransitionRecorder };
  readonly deadLetters: DeadLetters;
  readonly fleetOf: (vin: string) => string | undefined;
  readonly events: EvaluationEvents;
  readonly now: () => number;
  /** The idle hold of each partition's timer clock (timer-clock.ts). */
  readonly timerClock: TimerClockSettings;
}

/** What evaluating a batch's records produced. */
interface BatchOutcome {
  readonly transitions: AlertTransition[];
  /** Gateway receive time of the batch that made each transition. */
  readonly arrivals: Map<AlertTransition, number>;
  readonly rejects: RejectedSignalRecord[];
  samples: number;
  applied: number;
  future: number;
  invalid: number;
}

export class VehicleEvaluator {
  constructor(private readonly options: VehicleEvaluatorOptions) {}

  /** Swaps the rules; clears alerts of rules that are gone (reason rule-removed). */
  setRules(snapshot: RuleSnapshot): Promise<void> {
    return this.options.work.run(async () => {
      await this.options.outbox.record(this.options.engine.setRules(snapshot));
    });
  }

  /** Swaps the versions deployed as shadow; records the shadow clears of versions that are gone. */
  setShadowRules(snapshot: RuleSnapshot): Promise<void> {
    return this.options.work.run(async () => {
      this.options.shadow?.engine.setShadowRules(snapshot);
      await this.recordShadow();
    });
  }

  /** Records what the shadow versions made (after the live transitions of the same work). */
  private async recordShadow(): Promise<void> {
    const shadow = this.options.shadow;
    if (shadow === undefined) return;
    const transitions = shadow.engine.drainShadow();
    if (transitions.length > 0) await shadow.recorder.record(transitions);
  }

  /** Evaluates one partition batch; resolves once its transitions are recorded and published. */
  handleBatch(batch: SignalRecordBatch): Promise<void> {
    const ref = { topic: batch.topic, partition: batch.partition };
    return this.options.work.run(async () => {
      // The current claim (a rebalance may have replaced the one that existed when the batch was fetched).
      const owned = await this.options.ownership.ownedOrClaimed(ref);
      if (owned === undefined) {
        throw new TelltaleError(
          'DIAGNOSTICS_PARTITION_NOT_OWNED',
          `partition ${ref.topic}/${ref.partition} is being reassigned; the batch will be consumed again`,
          { retryable: true },
        );
      }
      const started = process.hrtime.bigint();
      const outcome = this.evaluate(owned, batch.records);
      const last = batch.records[batch.records.length - 1];
      if (last !== undefined && last.offset + 1n > owned.processedOffset) owned.processedOffset = last.offset + 1n;
      owned.caughtUp = batch.lag === 0;
      await this.finish(outcome);
      await this.recordShadow();
      this.options.events.batch(outcome.samples, outcome.applied, Number(process.hrtime.bigint() - started) / 1e9);
      this.reportRuleTimings();
    });
  }

  /**
   * Fires the timers of silent vehicles, each partition's on its own clock (`partitionClock`): the wall clock while
   * its records flow, the newest gateway receive time consumed on it while it has a backlog (a replay does not fire
   * silence early), held near that receive time while it is quiet (it may be stalled upstream) until the idle hold.
   */
  tick(): Promise<void> {
    return this.options.work.run(async () => {
      const { engine, ownership, now, timerClock, events } = this.options;
      const wallMs = now();
      const transitions: AlertTransition[] = [];
      const states: Record<PartitionClockState, number> = { behind: 0, flowing: 0, held: 0, idle: 0 };
      for (const partition of ownership.list()) {
        const clock = partitionClock(partition, wallMs, timerClock);
        states[clock.state] += 1;
        if (clock.atMs !== undefined && partition.vins.size > 0)
          transitions.push(...engine.advance(clock.atMs, partition.vins));
      }
      events.timerClocks(states);
      await this.options.outbox.record(transitions);
      await this.recordShadow();
      this.reportRuleTimings();
    });
  }

  private reportRuleTimings(): void {
    const timings = this.options.engine.drainRuleTimings?.();
    if (timings !== undefined && timings.length > 0) this.options.events.ruleTimings?.(timings);
  }

  private evaluate(owned: OwnedPartition, records: readonly SignalRecord[]): BatchOutcome {
    const { engine, ownership, fleetOf, now } = this.options;
    const outcome: BatchOutcome = {
      transitions: [],
      arrivals: new Map(),
      rejects: [],
      samples: 0,
      applied: 0,
      future: 0,
      invalid: 0,
    };
    for (const record of records) {
      if (record.offset < owned.checkpointOffset) continue;
      const read = readSignalRecord(record.value, fleetOf, now);
      if (!read.ok) {
        outcome.rejects.push(this.reject(record, read.reason, read.detail));
        continue;
      }
      const { batch } = read;
      const result = engine.ingest(batch);
      if (!batch.backfill) {
        // The partition's timer clock: it is flowing, up to this receive time.
        if (batch.arrivalTimeMs > owned.newestArrivalMs) owned.newestArrivalMs = batch.arrivalTimeMs;
        owned.lastLiveMs = now();
      }
      ownership.addVehicle(owned, batch.vin);
      outcome.samples += batch.signalIds.length;
      outcome.applied += result.applied;
      outcome.future += result.droppedFuture;
      outcome.invalid += result.droppedInvalid;
      for (const t of result.transitions) outcome.arrivals.set(t, batch.arrivalTimeMs);
      outcome.transitions.push(...result.transitions);
    }
    return outcome;
  }

  /** Dead letters, drop counts, then the transitions: recorded, published, and their latency measured. */
  private async finish(outcome: BatchOutcome): Promise<void> {
    const { deadLetters, events, outbox, now } = this.options;
    if (outcome.rejects.length > 0) await deadLetters.send(outcome.rejects);
    if (outcome.future > 0) events.dropped('future', outcome.future);
    if (outcome.invalid > 0) events.dropped('invalid', outcome.invalid);
    const published = await outbox.record(outcome.transitions);
    const at = now();
    for (const t of published) {
      const arrival = outcome.arrivals.get(t);
      if (arrival !== undefined && !t.timer) events.alertLatency(at - arrival);
    }
  }

  private reject(record: SignalRecord, reason: string, detail: string): RejectedSignalRecord {
    this.options.events.rejected(reason);
    return { key: record.key, value: record.value, reason, detail, sourceOffset: record.offset };
  }
}
