import type { Consumer, ConsumerConfig, Kafka, KafkaMessage } from 'kafkajs';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { consumerMetrics } from './consumer-metrics.js';

export interface PartitionBatch {
  readonly topic: string;
  readonly partition: number;
  readonly messages: readonly KafkaMessage[];
}

export interface BatchContext {
  /** Call during long processing so the group coordinator does not evict the member. */
  heartbeat(): Promise<void>;
  /** False once the consumer is stopping or the partition was revoked: finish quickly. */
  isRunning(): boolean;
  /** The offset after the batch's last message: what a commit of this batch records. */
  readonly nextOffset: string;
  /** Messages after this batch in the partition when it was fetched. */
  readonly lag: number;
}

export interface CommittingConsumerOptions {
  kafka: Kafka;
  groupId: string;
  topics: readonly string[];
  log: Logger;
  /** Where a group with no committed offset starts: the earliest record (true) or only new ones. */
  fromBeginning?: boolean;
  /**
   * Processes one partition's batch. Resolve only when its output is durable: the batch's offsets are committed
   * after this resolves, so a crash before that redelivers the batch. A rejection commits nothing; the consumer
   * restarts and the batch comes again.
   */
  handleBatch: (batch: PartitionBatch, context: BatchContext) => Promise<void>;
  /**
   * 'after-handler' (default): the consumer commits the batch's offsets once the handler resolved.
   * 'in-handler': the handler commits them itself, e.g. inside a Kafka transaction with its output
   * (`context.nextOffset` is the offset to commit).
   */
  offsetCommit?: 'after-handler' | 'in-handler';
  /**
   * Called after every group join with this member's partitions ({ topic: [partition, ...] }), before their
   * batches are handled; a rebalance calls it again with the new assignment.
   */
  onAssignment?: (assignment: Readonly<Record<string, readonly number[]>>) => void;
  consumerConfig?: Partial<ConsumerConfig>;
  /**
   * Partitions whose batches are handled at once (default 1): with more, one partition's handler computes while
   * another's waits for its writes. Only for handlers that keep no state shared between partitions.
   */
  partitionsConsumedConcurrently?: number;
  /**
   * The service's metrics registry: when given, the consumer exports its lag per partition (log end − committed),
   * handler time per batch, records and failures (`consumer-metrics.ts`).
   */
  metrics?: Registry;
}

export interface CommittingConsumer {
  readonly raw: Consumer;
  /** Stops fetching, waits for the batch in flight to finish and commit, leaves the group. */
  stop(): Promise<void>;
  /**
   * Stops consuming (waits for the batches in flight), calls `whenStopped`, and consumes again from the committed
   * offsets: for a handler that resolved batches before their output was durable and then failed to make it so
   * (offsetCommit 'in-handler'), so that everything after the last commit comes again.
   */
  restart(whenStopped?: () => void): Promise<void>;
}

/**
 * A consumer with the acknowledgement contract of the platform: offsets are committed per partition batch, only
 * after the handler has made the batch's output durable (at-least-once; handlers make their writes idempotent).
 */
export async function startCommittingConsumer(options: CommittingConsumerOptions): Promise<CommittingConsumer> {
  const consumer = options.kafka.consumer({
    groupId: options.groupId,
    sessionTimeout: 30000,
    heartbeatInterval: 3000,
    allowAutoTopicCreation: false,
    // Only committed transactional output is read (the decoder writes in transactions).
    readUncommitted: false,
    ...options.consumerConfig,
  });
  const log = options.log.child({ component: 'consumer', groupId: options.groupId });
  const { onAssignment } = options;
  if (onAssignment) consumer.on(consumer.events.GROUP_JOIN, (event) => onAssignment(event.payload.memberAssignment));
  const metrics = options.metrics
    ? consumerMetrics(options.metrics, { kafka: options.kafka, groupId: options.groupId, topics: options.topics })
    : undefined;
  let stopping = false;
  const start = async (): Promise<void> => {
    await consumer.connect();
    await consumer.subscribe({ topics: [...options.topics], fromBeginning: options.fromBeginning ?? false });
    await run();
  };
  // kafkajs restarts its consumer after retriable errors only; after a non-retriable one (e.g. UNKNOWN_MEMBER_ID
  // when the group coordinator moved during a broker failure) it disconnects and stays down while the process runs
  // on. Found by the chaos run: the store stopped consuming for good. Start again, as the restart would have.
  consumer.on(consumer.events.CRASH, (event) => {
    if (event.payload.restart || stopping) return;
    log.error({ err: event.payload.error }, 'Consumer crashed with a non-retriable error; starting it again.');
    const again = (): void => {
      if (stopping) return;
      start().catch((err: unknown) => {
        log.error({ err }, 'Restarting the consumer failed; trying again.');
        setTimeout(again, 1000);
      });
    };
    setTimeout(again, 1000);
  });
  const run = (): Promise<void> =>
    consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: options.partitionsConsumedConcurrently ?? 1,
      eachBatch: async (payload) => {
        const { batch } = payload;
        if (batch.messages.length === 0 || payload.isStale()) return;
        const last = batch.lastOffset();
        const nextOffset = (BigInt(last) + 1n).toString();
        const started = process.hrtime.bigint();
        try {
          await options.handleBatch(
            { topic: batch.topic, partition: batch.partition, messages: batch.messages },
            {
              heartbeat: () => payload.heartbeat(),
              isRunning: () => payload.isRunning() && !payload.isStale(),
              nextOffset,
              lag: Number(batch.offsetLag()),
            },
          );
        } catch (error) {
          metrics?.batch(batch.topic, batch.messages.length, secondsSince(started), false);
          throw error;
        }
        metrics?.batch(batch.topic, batch.messages.length, secondsSince(started), true);
        payload.resolveOffset(last);
        if (options.offsetCommit !== 'in-handler') {
          await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: nextOffset }]);
        }
      },
    });
  await start();
  log.info({ topics: options.topics }, 'Consumer started.');
  return {
    raw: consumer,
    restart: async (whenStopped) => {
      if (stopping) return;
      await consumer.stop();
      whenStopped?.();
      if (stopping) return;
      await run();
      log.warn({}, 'Consumer restarted from the committed offsets.');
    },
    stop: async () => {
      stopping = true;
      await consumer.disconnect();
      await metrics?.close();
      log.info({}, 'Consumer stopped.');
    },
  };
}

function secondsSince(started: bigint): number {
  return Number(process.hrtime.bigint() - started) / 1e9;
}
