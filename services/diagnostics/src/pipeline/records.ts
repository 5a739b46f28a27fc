/** The plain records the pipeline handlers take and give: adapters translate Kafka's and PostgreSQL's to these. */

/** A partition of vehicle.signals.v1. */
export interface PartitionRef {
  readonly topic: string;
  readonly partition: number;
}

export const partitionKey = (ref: PartitionRef): string => `${ref.topic}/${ref.partition}`;

/** One record of vehicle.signals.v1 (key VIN, value a SignalBatch). */
export interface SignalRecord {
  readonly offset: bigint;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
}

/** One fetched batch of one partition. */
export interface SignalRecordBatch extends PartitionRef {
  readonly records: readonly SignalRecord[];
  /** Records after this batch in the partition when it was fetched (0: caught up). */
  readonly lag: number;
}

/** A record that cannot be evaluated, on its way to the dead-letter topic. */
export interface RejectedSignalRecord {
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly reason: string;
  readonly detail: string;
  readonly sourceOffset: bigint;
}

/** A consumer offset to commit: the first record the persisted state does not reflect. */
export interface OffsetCommit {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
}
