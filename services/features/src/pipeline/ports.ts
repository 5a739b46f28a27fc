/** The plain records and narrow interfaces the features pipeline works with; adapters implement them. */
import type { AlertEvent } from '@telltale/rules/alerts';
import type { VehicleWindowsJson } from '@telltale/feature-sets';
import type { HysteresisSettings, HysteresisState } from '../domain/hysteresis.js';

export interface PartitionRef {
  readonly topic: string;
  readonly partition: number;
}

export const partitionKey = (ref: PartitionRef): string => `${ref.topic}/${ref.partition}`;

export interface SignalRecord {
  readonly offset: bigint;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
}

export interface SignalRecordBatch extends PartitionRef {
  readonly records: readonly SignalRecord[];
  /** Records after this batch in the partition when it was fetched. */
  readonly lag: number;
}

/** What is persisted per vehicle with its partition's offset. */
export interface VehicleStateJson {
  readonly modelId: string;
  readonly windows: VehicleWindowsJson | null;
  /** Fault model id → its alert hysteresis. */
  readonly alerts: Readonly<Record<string, HysteresisState>>;
}

export interface PartitionSnapshot {
  readonly epoch: number;
  /** First offset the persisted state does not reflect; null: nothing persisted yet. */
  readonly nextOffset: bigint | null;
  readonly vehicles: ReadonlyMap<string, VehicleStateJson>;
}

/** Window state and offsets in PostgreSQL, fenced by a per-partition epoch. */
export interface PartitionStateStore {
  /** Takes the partition over (bumps its epoch) and reads its state. */
  claim(ref: PartitionRef, owner: string): Promise<PartitionSnapshot>;
  /** Persists vehicles' state with the offset it reflects; false: fenced (another instance claimed it). */
  checkpoint(
    ref: PartitionRef,
    epoch: number,
    nextOffset: bigint,
    vehicles: ReadonlyMap<string, VehicleStateJson>,
  ): Promise<boolean>;
}

export interface ModelScore {
  readonly modelId: string;
  readonly modelVersion: number;
  readonly fault: string;
  readonly probability: number;
}

/** A closed window with its values by name and, when a model is active for the vehicle model, its score. */
export interface FeatureVectorRecord {
  readonly vin: string;
  readonly fleetId: string;
  readonly modelId: string;
  readonly setId: string;
  readonly setVersion: number;
  readonly windowStartMs: number;
  readonly windowEndMs: number;
  readonly featureNames: readonly string[];
  readonly values: Float64Array;
  readonly sampleCount: number;
  readonly scores: readonly ModelScore[];
}

export interface VectorSink {
  /** Resolves when every vector is acknowledged (Kafka acks=all). */
  publish(vectors: readonly FeatureVectorRecord[]): Promise<void>;
}

export interface OnlineStore {
  /** Latest vector per vehicle; an older window never replaces a newer one. */
  writeLatest(vectors: readonly FeatureVectorRecord[]): Promise<void>;
}

export interface PredictiveAlertSink {
  /** Records transitions in the alert outbox (idempotent) and publishes the new ones. */
  record(events: readonly AlertEvent[]): Promise<void>;
}

export interface DeadLetters {
  send(record: SignalRecord, ref: PartitionRef, reason: string, detail: string): Promise<void>;
}

/** A fault model ready to score vectors of one feature set version. */
export interface FaultModelRuntime {
  readonly modelId: string;
  readonly version: number;
  readonly vehicleModel: string;
  readonly fault: string;
  readonly featureSetId: string;
  readonly featureSetVersion: number;
  /** Stand-in for a feature with no value in a window (the training mean), in feature order. */
  readonly fillValues: Float32Array;
  /** The model's own alert hysteresis (its card's `alerting`), else the service's configured one. */
  readonly alerting?: HysteresisSettings;
  /** Fault probability per row of `rows` (n rows × features, row-major). */
  score(rows: Float32Array, n: number): Promise<Float32Array>;
}

export interface FeaturesEvents {
  batch(samples: number, records: number, seconds: number, lag: number): void;
  windows(emitted: number): void;
  late(dropped: number, accepted: number): void;
  dropped(kind: 'future' | 'no-feature-set', count: number): void;
  rejected(reason: string): void;
  scored(rows: number, seconds: number): void;
  alerts(events: readonly AlertEvent[]): void;
  fenced(): void;
}
