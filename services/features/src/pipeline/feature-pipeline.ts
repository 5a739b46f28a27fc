/**
 * The features pipeline: one partition batch of vehicle.signals.v1 at a time →
 *   1. each record's samples into its vehicle's event-time windows (VehicleWindows), records below the partition's
 *      persisted offset skipped (they are already in the restored state);
 *   2. the windows the watermark closed, scored by the vehicle model's active fault model (one batch per poll);
 *   3. hysteresis per vehicle and model → predictive alert transitions;
 *   4. outputs: FeatureVectors to Kafka, the online store, alert transitions to the outbox;
 *   5. checkpoint: the touched vehicles' state with the batch's next offset in one PostgreSQL transaction (fenced by
 *      the partition epoch); the caller commits the Kafka offset after that.
 * A crash anywhere replays from the checkpoint with the state as of that offset, so every window is computed from
 * exactly the samples it had — never twice. Outputs of the replayed part are made again, identical (same windows,
 * same alert ids): Kafka consumers dedupe on the window key, the online store and the outbox ignore repeats.
 */
import { alertId } from '@telltale/rules';
import type { AlertEvent } from '@telltale/rules/alerts';
import { decodeSignalBatch } from '@telltale/platform/proto';
import { VehicleWindows, type ClosedWindow, type ModelFeatureSet } from '@telltale/feature-sets';
import {
  initialHysteresis,
  stepHysteresis,
  type HysteresisSettings,
  type HysteresisState,
} from '../domain/hysteresis.js';
import { topContributions } from '../domain/contributions.js';
import {
  partitionKey,
  type DeadLetters,
  type FaultModelRuntime,
  type FeatureVectorRecord,
  type FeaturesEvents,
  type OnlineStore,
  type PartitionRef,
  type PartitionStateStore,
  type PredictiveAlertSink,
  type SignalRecordBatch,
  type VectorSink,
  type VehicleStateJson,
} from './ports.js';

export interface FeaturePipelineOptions {
  readonly state: PartitionStateStore;
  readonly vectors: VectorSink;
  readonly online: OnlineStore;
  readonly alerts: PredictiveAlertSink;
  readonly deadLetters: DeadLetters;
  readonly events: FeaturesEvents;
  readonly fleetOf: (vin: string) => string | undefined;
  readonly owner: string;
  readonly hysteresis: HysteresisSettings;
  /** Samples further ahead of their batch's arrival than this are dropped (a device clock in the future). */
  readonly maxFutureMs: number;
  readonly nowMs?: () => number;
}

interface Vehicle {
  readonly vin: string;
  readonly modelId: string;
  windows: VehicleWindows | undefined;
  readonly alerts: Map<string, HysteresisState>;
}

interface PartitionRuntime {
  readonly ref: PartitionRef;
  readonly epoch: number;
  nextOffset: bigint | null;
  readonly vehicles: Map<string, Vehicle>;
  /** Persisted state of vehicles not seen yet since the claim (restored on first use). */
  readonly restored: Map<string, VehicleStateJson>;
}

export class FeaturePipeline {
  private readonly partitions = new Map<string, PartitionRuntime>();
  private assigned = new Set<string>();
  private sets = new Map<string, ModelFeatureSet>();
  private models = new Map<string, FaultModelRuntime>();
  private readonly now: () => number;

  constructor(private readonly options: FeaturePipelineOptions) {
    this.now = options.nowMs ?? Date.now;
  }

  /** New feature sets (vehicle model → compiled set) and active models (vehicle model → runtime), swapped whole. */
  setFeatures(sets: ReadonlyMap<string, ModelFeatureSet>, models: ReadonlyMap<string, FaultModelRuntime>): void {
    this.sets = new Map(sets);
    this.models = new Map(models);
    for (const partition of this.partitions.values()) {
      for (const vehicle of partition.vehicles.values()) {
        const set = this.sets.get(vehicle.modelId);
        if (vehicle.windows?.set !== set) vehicle.windows = set && new VehicleWindows(vehicle.vin, set);
      }
    }
  }

  /** The group's assignment changed: partitions no longer ours are forgotten (their state is in PostgreSQL). */
  assign(assignment: Readonly<Record<string, readonly number[]>>): void {
    this.assigned = new Set(
      Object.entries(assignment).flatMap(([topic, partitions]) => partitions.map((p) => `${topic}/${p}`)),
    );
    for (const key of [...this.partitions.keys()]) if (!this.assigned.has(key)) this.partitions.delete(key);
  }

  async handleBatch(batch: SignalRecordBatch): Promise<void> {
    const started = process.hrtime.bigint();
    const partition = await this.partition(batch);
    const touched = new Set<Vehicle>();
    const closed: { vehicle: Vehicle; window: ClosedWindow }[] = [];
    let samples = 0;
    let late = 0;
    let lateAccepted = 0;
    let future = 0;
    let unconfigured = 0;
    let last: bigint | undefined;
    for (const record of batch.records) {
      last = record.offset;
      if (partition.nextOffset !== null && record.offset < partition.nextOffset) continue;
      if (!record.value) {
        await this.reject(record, batch, 'EMPTY_RECORD', 'record without a value');
        continue;
      }
      let decoded: ReturnType<typeof decodeSignalBatch>;
      try {
        decoded = decodeSignalBatch(record.value);
      } catch (error) {
        await this.reject(record, batch, 'MALFORMED_PROTOBUF', (error as Error).message);
        continue;
      }
      const { header, columns } = decoded;
      const n = columns.signalId.length;
      samples += n;
      const vehicle = this.vehicle(partition, header.vin, header.modelId);
      if (vehicle.windows === undefined) {
        unconfigured += n;
        continue;
      }
      const base = header.baseTimeMsEpoch;
      const offsets = columns.timeOffsetMs;
      const limit = (header.source?.gatewayReceiveTimeMsEpoch || this.now()) + this.options.maxFutureMs;
      let ids: ArrayLike<number> = columns.signalId;
      if (base + maxOf(offsets) > limit) {
        // Rare: drop the future samples by pointing them at no signal.
        const filtered = Uint32Array.from(columns.signalId);
        for (let i = 0; i < n; i++) {
          if (base + offsets[i]! > limit) {
            filtered[i] = 0xffffffff;
            future++;
          }
        }
        ids = filtered;
      }
      const outcome = vehicle.windows.ingest(ids, columns.value, offsets, base);
      late += outcome.late;
      lateAccepted += outcome.lateAccepted;
      touched.add(vehicle);
      for (const window of outcome.closed) closed.push({ vehicle, window });
    }
    if (last === undefined) return;
    const vectors = await this.score(closed);
    const transitions = await this.alertTransitions(closed, vectors);
    if (vectors.length > 0) {
      await this.options.vectors.publish(vectors);
      await this.options.online.writeLatest(vectors);
    }
    if (transitions.length > 0) {
      await this.options.alerts.record(transitions);
      this.options.events.alerts(transitions);
    }
    const nextOffset = last + 1n;
    if (partition.nextOffset === null || nextOffset > partition.nextOffset) {
      const states = new Map([...touched].map((v) => [v.vin, stateOf(v)]));
      const ok = await this.options.state.checkpoint(partition.ref, partition.epoch, nextOffset, states);
      if (!ok) {
        this.options.events.fenced();
        this.partitions.delete(partitionKey(batch));
        throw new Error(`partition ${partitionKey(batch)} was claimed by another instance`);
      }
      partition.nextOffset = nextOffset;
    }
    const events = this.options.events;
    events.windows(vectors.length);
    if (late > 0 || lateAccepted > 0) events.late(late, lateAccepted);
    if (future > 0) events.dropped('future', future);
    if (unconfigured > 0) events.dropped('no-feature-set', unconfigured);
    events.batch(samples, batch.records.length, Number(process.hrtime.bigint() - started) / 1e9, batch.lag);
  }

  private async partition(ref: PartitionRef): Promise<PartitionRuntime> {
    const key = partitionKey(ref);
    let runtime = this.partitions.get(key);
    if (runtime === undefined) {
      const snapshot = await this.options.state.claim(ref, this.options.owner);
      runtime = {
        ref: { topic: ref.topic, partition: ref.partition },
        epoch: snapshot.epoch,
        nextOffset: snapshot.nextOffset,
        vehicles: new Map(),
        restored: new Map(snapshot.vehicles),
      };
      this.partitions.set(key, runtime);
    }
    return runtime;
  }

  private vehicle(partition: PartitionRuntime, vin: string, modelId: string): Vehicle {
    let vehicle = partition.vehicles.get(vin);
    if (vehicle !== undefined && vehicle.modelId === modelId) return vehicle;
    const set = this.sets.get(modelId);
    vehicle = { vin, modelId, windows: set && new VehicleWindows(vin, set), alerts: new Map() };
    const saved = partition.restored.get(vin);
    if (saved !== undefined && saved.modelId === modelId) {
      partition.restored.delete(vin);
      if (saved.windows !== null) vehicle.windows?.restore(saved.windows);
      for (const [model, state] of Object.entries(saved.alerts)) vehicle.alerts.set(model, { ...state });
    }
    partition.vehicles.set(vin, vehicle);
    return vehicle;
  }

  /** Closed windows as FeatureVectors, each scored by its vehicle model's active model (one call per model). */
  private async score(closed: readonly { vehicle: Vehicle; window: ClosedWindow }[]): Promise<FeatureVectorRecord[]> {
    const scores = new Array<FeatureVectorRecord['scores'][number] | undefined>(closed.length);
    const byModel = new Map<FaultModelRuntime, number[]>();
    closed.forEach(({ vehicle, window }, i) => {
      const model = this.models.get(vehicle.modelId);
      if (model === undefined || model.featureSetId !== window.setId || model.featureSetVersion !== window.setVersion)
        return;
      const list = byModel.get(model);
      if (list === undefined) byModel.set(model, [i]);
      else list.push(i);
    });
    for (const [model, indexes] of byModel) {
      const width = model.fillValues.length;
      const rows = new Float32Array(indexes.length * width);
      indexes.forEach((index, r) => fillRow(rows, r * width, closed[index]!.window.values, model.fillValues));
      const started = process.hrtime.bigint();
      const probabilities = await model.score(rows, indexes.length);
      this.options.events.scored(indexes.length, Number(process.hrtime.bigint() - started) / 1e9);
      indexes.forEach((index, r) => {
        scores[index] = {
          modelId: model.modelId,
          modelVersion: model.version,
          fault: model.fault,
          probability: probabilities[r]!,
        };
      });
    }
    return closed.map(({ vehicle, window }, i) => {
      const set = vehicle.windows?.set;
      const score = scores[i];
      return {
        vin: window.vin,
        fleetId: this.options.fleetOf(window.vin) ?? '',
        modelId: window.modelId,
        setId: window.setId,
        setVersion: window.setVersion,
        windowStartMs: window.windowStartMs,
        windowEndMs: window.windowEndMs,
        featureNames: set?.features.map((f) => f.name) ?? [],
        values: window.values,
        sampleCount: window.sampleCount,
        scores: score === undefined ? [] : [score],
      };
    });
  }

  private async alertTransitions(
    closed: readonly { vehicle: Vehicle; window: ClosedWindow }[],
    vectors: readonly FeatureVectorRecord[],
  ): Promise<AlertEvent[]> {
    const out: AlertEvent[] = [];
    for (let i = 0; i < vectors.length; i++) {
      const vector = vectors[i]!;
      const { vehicle, window } = closed[i]!;
      for (const score of vector.scores) {
        let state = vehicle.alerts.get(score.modelId);
        if (state === undefined) {
          state = initialHysteresis();
          vehicle.alerts.set(score.modelId, state);
        }
        const model = this.models.get(vehicle.modelId)!;
        const settings = model.alerting ?? this.options.hysteresis;
        const step = stepHysteresis(state, score.probability, vector.windowEndMs, settings);
        if (step.kind === 'none') continue;
        const top = step.kind === 'raise' ? await topContributions(model, window.values, vector.featureNames, 3) : [];
        out.push(predictiveAlert(vector, score, step.kind, step.episodeStartMs, step.seq, top, this.now()));
      }
    }
    return out;
  }

  private async reject(
    record: SignalRecordBatch['records'][number],
    ref: PartitionRef,
    reason: string,
    detail: string,
  ): Promise<void> {
    this.options.events.rejected(reason);
    await this.options.deadLetters.send(record, ref, reason, detail);
  }
}

function maxOf(xs: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < xs.length; i++) if (xs[i]! > m) m = xs[i]!;
  return m;
}

/** A window's values as a model input row: unknown values replaced by the model's fill values. */
export function fillRow(rows: Float32Array, at: number, values: Float64Array, fill: Float32Array): void {
  for (let f = 0; f < fill.length; f++) {
    const v = values[f];
    rows[at + f] = v === undefined || v !== v ? fill[f]! : v;
  }
}

function stateOf(vehicle: Vehicle): VehicleStateJson {
  return {
    modelId: vehicle.modelId,
    windows: vehicle.windows?.toJSON() ?? null,
    alerts: Object.fromEntries(vehicle.alerts),
  };
}

function predictiveAlert(
  vector: FeatureVectorRecord,
  score: FeatureVectorRecord['scores'][number],
  kind: 'raise' | 'clear',
  episodeStartMs: number,
  seq: number,
  top: readonly { name: string; value: number; contribution: number }[],
  nowMs: number,
): AlertEvent {
  const ruleId = `model:${score.modelId}`;
  const percent = Math.round(score.probability * 100);
  return {
    origin: 'model',
    emitTimeMs: nowMs,
    alertId: alertId(vector.vin, ruleId, episodeStartMs),
    vin: vector.vin,
    fleetId: vector.fleetId,
    modelId: vector.modelId,
    catalogVersion: '',
    ruleId,
    ruleVersion: score.modelVersion,
    ruleName: `Predicted fault: ${score.fault}`,
    state: kind === 'raise' ? 'raised' : 'cleared',
    severity: 'warning',
    previousSeverity: null,
    eventTimeMs: vector.windowEndMs,
    episodeStartMs,
    transitionSeq: seq,
    evidence: [
      {
        signal: 'probability',
        qualifiedName: `model/${score.modelId}`,
        value: score.probability,
        eventTimeMs: vector.windowEndMs,
        unit: '',
      },
      {
        signal: 'model-version',
        qualifiedName: `model/${score.modelId}`,
        value: score.modelVersion,
        eventTimeMs: vector.windowEndMs,
        unit: '',
      },
      ...top.map((t) => ({
        signal: t.name,
        qualifiedName: `feature/${vector.setId}/${t.name}`,
        value: t.value,
        eventTimeMs: vector.windowEndMs,
        unit: `contribution ${t.contribution >= 0 ? '+' : ''}${t.contribution.toFixed(3)}`,
      })),
    ],
    message:
      kind === 'raise'
        ? `Fault model ${score.modelId} v${score.modelVersion} predicts ${score.fault} (p = ${percent} %)`
        : `Fault model ${score.modelId} v${score.modelVersion}: ${score.fault} no longer predicted (p = ${percent} %)`,
    backfill: false,
    timer: false,
    reason: 'condition',
  };
}
