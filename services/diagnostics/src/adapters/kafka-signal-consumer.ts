/**
 * The consumer of vehicle.signals.v1: hands each partition batch to the pipeline as plain records. Offsets are not
 * committed per batch but by the checkpoint (`commitOffsets`), never ahead of the state persisted in PostgreSQL.
 */
import type { Kafka } from 'kafkajs';
import type { Logger, Registry } from '@telltale/platform';
import { startCommittingConsumer } from '@telltale/platform/kafka';
import type { OffsetCommit, SignalRecordBatch } from '../pipeline/records.js';

export interface SignalConsumerOptions {
  readonly kafka: Kafka;
  readonly groupId: string;
  readonly topic: string;
  readonly sessionTimeoutMs: number;
  readonly log: Logger;
  /** The service's registry: consumer lag and processing time are exported on it. */
  readonly metrics?: Registry;
  readonly onAssignment: (assignment: Readonly<Record<string, readonly number[]>>) => void;
  readonly handleBatch: (batch: SignalRecordBatch) => Promise<void>;
}

export interface SignalConsumer {
  commitOffsets(offsets: OffsetCommit[]): Promise<void>;
  /** Leaves the group after the batch in flight. */
  stop(): Promise<void>;
}

export async function startSignalConsumer(options: SignalConsumerOptions): Promise<SignalConsumer> {
  const consumer = await startCommittingConsumer({
    kafka: options.kafka,
    groupId: options.groupId,
    topics: [options.topic],
    fromBeginning: true,
    log: options.log,
    metrics: options.metrics,
    offsetCommit: 'in-handler', // committed after each checkpoint, never ahead of the persisted state
    onAssignment: options.onAssignment,
    consumerConfig: {
      sessionTimeout: options.sessionTimeoutMs,
      heartbeatInterval: Math.min(3000, options.sessionTimeoutMs / 3),
      maxWaitTimeInMs: 50,
    },
    handleBatch: (batch, context) =>
      options.handleBatch({
        topic: batch.topic,
        partition: batch.partition,
        lag: context.lag,
        records: batch.messages.map((m) => ({ offset: BigInt(m.offset), key: m.key, value: m.value })),
      }),
  });
  return {
    commitOffsets: (offsets) => consumer.raw.commitOffsets(offsets),
    stop: () => consumer.stop(),
  };
}
