/**
 * The diagnostics pipeline assembled: one rule engine and one SerialWork shared by partition claims, evaluation,
 * the transition outbox and checkpoints. main.ts connects its ports to PostgreSQL and Kafka; unit tests to
 * in-memory fakes.
 *
 *   assign ─▶ PartitionClaims (epoch, vehicles' state) ─▶ VehicleEvaluator (records, timers, rules)
 *        ─▶ TransitionOutbox (recorded, then published) ; CheckpointWriter (state + offsets, then commit)
 *                 └─ shadow versions (same engine calls) ─▶ ShadowRecorder (recorded only, never published)
 */
import type { Logger } from '@telltale/platform';
import type { RuleEngineOptions } from '@telltale/rules';
import { ShadowedRuleEngine } from '../domain/shadowed-engine.js';
import type { TimerClockSettings } from '../domain/timer-clock.js';
import { CheckpointWriter, type CheckpointEvents, type CheckpointStore } from './checkpoint-writer.js';
import {
  PartitionClaims,
  type ClaimEvents,
  type ClaimStore,
  type OwnedPartition,
  type TopicOffsets,
} from './partition-claims.js';
import type { OffsetCommit } from './records.js';
import { SerialWork } from './serial-work.js';
import { ShadowRecorder, type ShadowEvents, type ShadowTransitionStore } from './shadow-recorder.js';
import { TransitionOutbox, type AlertPublisher, type OutboxEvents, type TransitionStore } from './transition-outbox.js';
import { VehicleEvaluator, type DeadLetters, type EvaluationEvents } from './vehicle-evaluator.js';

export type DiagnosticsEvents = ClaimEvents & CheckpointEvents & OutboxEvents & EvaluationEvents & ShadowEvents;

export interface DiagnosticsPipelineOptions {
  /** Partition epochs and offsets, vehicle state. */
  readonly partitionState: ClaimStore & CheckpointStore;
  /** Alert transitions: recorded, marked published, relayed. */
  readonly transitionStore: TransitionStore;
  /** Transitions of the versions deployed as shadow: recorded apart, never published. */
  readonly shadowStore: ShadowTransitionStore;
  readonly topics: TopicOffsets;
  /** Produces to vehicle.alerts.v1. */
  readonly publisher: AlertPublisher;
  /** Produces to vehicle.signals.dlq.v1. */
  readonly deadLetters: DeadLetters;
  /** Commits consumer offsets (already persisted in PostgreSQL). */
  readonly commitOffsets: (offsets: OffsetCommit[]) => Promise<void>;
  readonly fleetOf: (vin: string) => string | undefined;
  readonly events: DiagnosticsEvents;
  readonly log: Logger;
  /** Names this instance as a partition's owner. */
  readonly owner: string;
  readonly engine?: RuleEngineOptions;
  /** Each partition's timer clock: its idle hold and the margin past its newest arrival. Default: no hold. */
  readonly timerClock?: TimerClockSettings;
  readonly now?: () => number;
}

export class DiagnosticsPipeline {
  readonly claims: PartitionClaims;
  readonly evaluator: VehicleEvaluator;
  readonly outbox: TransitionOutbox;
  readonly checkpoints: CheckpointWriter;
  readonly shadow: ShadowRecorder;
  /** The live and the shadow engine (inspection and tests). */
  readonly engine: ShadowedRuleEngine;
  private readonly work = new SerialWork();
  private readonly log: Logger;

  constructor(options: DiagnosticsPipelineOptions) {
    const { partitionState, events, log } = options;
    const now = options.now ?? Date.now;
    const work = this.work;
    const engine = new ShadowedRuleEngine(options.engine ?? {});
    this.engine = engine;
    this.log = log;
    const ownershipOfVehicles = {
      partitionOf: (vin: string) => this.claims.partitionOf(vin),
      release: (p: OwnedPartition) => this.claims.release(p),
    };
    const outbox = new TransitionOutbox({
      work,
      store: options.transitionStore,
      events,
      now,
      ownership: ownershipOfVehicles,
      publisher: options.publisher,
    });
    this.outbox = outbox;
    const shadow = new ShadowRecorder({
      work,
      store: options.shadowStore,
      events,
      now,
      ownership: ownershipOfVehicles,
    });
    this.shadow = shadow;
    this.claims = new PartitionClaims({
      store: partitionState,
      events,
      log,
      topics: options.topics,
      vehicles: engine,
      owner: options.owner,
      now,
      onRestored: async (transitions) => {
        await outbox.record(transitions);
        await shadow.record(engine.drainShadow());
      },
    });
    const ownership = this.claims;
    const { deadLetters, fleetOf, commitOffsets } = options;
    this.evaluator = new VehicleEvaluator({
      work,
      engine,
      ownership,
      outbox,
      shadow: { engine, recorder: shadow },
      deadLetters,
      fleetOf,
      events,
      now,
      timerClock: options.timerClock ?? { idleHoldMs: 0, heldMarginMs: 0 },
    });
    this.checkpoints = new CheckpointWriter({
      work,
      ownership,
      vehicles: engine,
      store: partitionState,
      commitOffsets,
      events,
      log,
      now,
    });
  }

  /** A new group assignment ({ topic: [partition, ...] }): claims the partitions, dropping the previous ones. */
  assign(assignment: Readonly<Record<string, readonly number[]>>): void {
    const refs = Object.entries(assignment).flatMap(([topic, partitions]) =>
      partitions.map((partition) => ({ topic, partition })),
    );
    void this.work
      .run(async () => {
        this.checkpoints.forgetUnsaved();
        await this.claims.reassign(refs);
      })
      .catch((err: unknown) => this.log.error({ err }, 'Claiming partitions failed; their batches retry the claim.'));
  }

  /**
   * Waits for queued work, then checkpoints (graceful stop). After the consumer left the group, offsets cannot be
   * committed: the PostgreSQL checkpoint alone tells the next owner where to resume.
   */
  async drain(options: { commitOffsets: boolean }): Promise<void> {
    await this.work.idle();
    await this.checkpoints.inProgress(); // one that started before the last work: not enough
    await this.checkpoints.checkpoint(options);
  }

  get status(): { partitions: number; vehicles: number; caughtUp: boolean } {
    return this.claims.status;
  }
}
