/**
 * Exactly once from an input topic to output topics when several instances share the input through a consumer
 * group, without KIP-447: kafkajs sends no group generation with the offsets of a transaction, so the broker cannot
 * refuse the commit of a member that lost the partition in a rebalance (a stalled or evicted member finishing the
 * batch it was on). Hence one transactional producer per input partition, transactional id
 * `<group>-<topic>-<partition>`, the same on every instance:
 *
 * 1. `claim` creates the partition's producer on its first batch here and initialises its transactional id. That
 *    bumps the id's epoch: the previous owner's open transaction is aborted (or, if it was already committing,
 *    completed first) and every later send or commit of its producer is refused (fenced).
 * 2. Only then is the group's committed offset read. Input below it was committed by a previous owner, possibly
 *    after this member fetched it: `uncommitted` drops it. While the producer stays unfenced no one else can commit
 *    offsets of the partition, so one check per claim is enough.
 * 3. `transaction` commits output and the next input offset together; a failed transaction discards the producer
 *    and rejects with KAFKA_TRANSACTION_FAILED (retryable), so the retry claims again (and sees the offset if the
 *    failed commit did land after all).
 * 4. `retain(assignment)` after each rebalance disconnects the producers of partitions no longer assigned, so
 *    connections follow the assignment instead of growing with every partition ever held.
 */
import type { Admin, Kafka, Transaction } from 'kafkajs';
import { TelltaleError } from '../errors.js';
import { createReliableProducer, type ReliableProducer } from './producer.js';

/** A partition this member processes, with its own fenced transactional producer. */
export interface ClaimedPartition {
  readonly topic: string;
  readonly partition: number;
  readonly transactionalId: string;
  /** The group's committed offset read right after fencing: input below it is already processed (-1n: none). */
  readonly committedOffset: bigint;
  /** The messages at or after the committed offset: the ones this member must process. */
  uncommitted<M extends { readonly offset: string }>(messages: readonly M[]): readonly M[];
  /**
   * Runs `send` in one transaction of the partition's producer, adds `nextOffset` as the group's offset of the
   * partition, commits. Rejects (after aborting) if any step fails; the producer is then discarded.
   */
  transaction(nextOffset: string, send: (tx: Transaction) => Promise<void>): Promise<void>;
}

export interface PartitionProducersOptions {
  readonly kafka: Kafka;
  /** The consumer group whose offsets the transactions commit; also the transactional ids' prefix. */
  readonly groupId: string;
  /** A partition was claimed: its producer is fenced in and the committed offset read. */
  readonly onClaim?: (claim: ClaimedPartition) => void;
}

interface Entry {
  readonly claim: ClaimedPartition;
  readonly producer: ReliableProducer;
  /** The transaction in flight, if any: a close waits for it. */
  busy: Promise<void>;
}

export class PartitionProducers {
  private readonly entries = new Map<string, Promise<Entry>>();
  private admin: Promise<Admin> | undefined;
  private closed = false;

  constructor(private readonly options: PartitionProducersOptions) {}

  /** Producers open now (one per partition this member has processed since it was assigned). */
  get size(): number {
    return this.entries.size;
  }

  /** The partition's claim: created, fenced and checked against the committed offset on first use. */
  claim(topic: string, partition: number): Promise<ClaimedPartition> {
    if (this.closed) return Promise.reject(new Error('The partition producers are closed.'));
    const key = `${topic}\u0000${partition}`;
    let entry = this.entries.get(key);
    if (!entry) {
      entry = this.open(topic, partition, key);
      this.entries.set(key, entry);
      // A claim that failed is not kept: the next batch tries again.
      entry.catch(() => {
        if (this.entries.get(key) === entry) this.entries.delete(key);
      });
    }
    return entry.then((e) => e.claim);
  }

  /** Disconnects the producers of partitions not in `assignment` ({ topic: [partition, ...] }). */
  async retain(assignment: Readonly<Record<string, readonly number[]>>): Promise<void> {
    const kept = new Set(
      Object.entries(assignment).flatMap(([topic, partitions]) => partitions.map((p) => `${topic}\u0000${p}`)),
    );
    await Promise.all([...this.entries.keys()].filter((key) => !kept.has(key)).map((key) => this.discard(key)));
  }

  /** Disconnects every producer (after its transaction in flight) and the admin client. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.entries.keys()].map((key) => this.discard(key)));
    const admin = await this.admin?.catch(() => undefined);
    this.admin = undefined;
    await admin?.disconnect();
  }

  private async discard(key: string): Promise<void> {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    const opened = await entry.catch(() => undefined);
    if (!opened) return;
    await opened.busy;
    await opened.producer.disconnect().catch(() => undefined);
  }

  private async open(topic: string, partition: number, key: string): Promise<Entry> {
    const { kafka, groupId } = this.options;
    const transactionalId = `${groupId}-${topic}-${partition}`;
    const producer = createReliableProducer(kafka, { transactionalId });
    try {
      await producer.connect();
      // kafkajs initialises the transactional id with its first transaction: an empty one sends nothing else.
      await (await producer.raw.transaction()).abort();
      const committedOffset = await this.committedOffset(topic, partition);
      const entry: Entry = {
        producer,
        busy: Promise.resolve(),
        claim: {
          topic,
          partition,
          transactionalId,
          committedOffset,
          uncommitted: (messages) =>
            committedOffset < 0n || messages.every((m) => BigInt(m.offset) >= committedOffset)
              ? messages
              : messages.filter((m) => BigInt(m.offset) >= committedOffset),
          transaction: (nextOffset, send) => {
            const run = this.transact(entry, key, nextOffset, send);
            entry.busy = run.then(
              () => undefined,
              () => undefined,
            );
            return run;
          },
        },
      };
      this.options.onClaim?.(entry.claim);
      return entry;
    } catch (error) {
      await producer.disconnect().catch(() => undefined);
      throw new TelltaleError('KAFKA_PARTITION_CLAIM_FAILED', `Claiming ${topic}[${partition}] failed.`, {
        retryable: true,
        cause: error,
        details: { transactionalId },
      });
    }
  }

  private async transact(
    entry: Entry,
    key: string,
    nextOffset: string,
    send: (tx: Transaction) => Promise<void>,
  ): Promise<void> {
    const { topic, partition } = entry.claim;
    let tx: Transaction | undefined;
    try {
      tx = await entry.producer.raw.transaction();
      await send(tx);
      await tx.sendOffsets({
        consumerGroupId: this.options.groupId,
        topics: [{ topic, partitions: [{ partition, offset: nextOffset }] }],
      });
      await tx.commit();
    } catch (error) {
      await tx?.abort().catch(() => undefined);
      // Fenced, or in a state kafkajs cannot leave (an unknown commit outcome): claim afresh on the retry.
      const current = this.entries.get(key);
      if (current && (await current.catch(() => undefined)) === entry) {
        this.entries.delete(key);
        void entry.producer.disconnect().catch(() => undefined);
      }
      // Retryable (kafkajs retries the batch in place rather than restarting the consumer): the retry claims the
      // partition again, and a member that lost it finds out at its next heartbeat.
      throw new TelltaleError('KAFKA_TRANSACTION_FAILED', `Transaction for ${topic}[${partition}] failed.`, {
        retryable: true,
        cause: error,
        details: { transactionalId: entry.claim.transactionalId },
      });
    }
  }

  private async committedOffset(topic: string, partition: number): Promise<bigint> {
    if (!this.admin) {
      const admin = this.options.kafka.admin();
      const connecting = admin.connect().then(() => admin);
      this.admin = connecting;
      connecting.catch(() => {
        if (this.admin === connecting) this.admin = undefined;
      });
    }
    const offsets = await (await this.admin).fetchOffsets({ groupId: this.options.groupId, topics: [topic] });
    const found = offsets.find((t) => t.topic === topic)?.partitions.find((p) => p.partition === partition);
    return BigInt(found?.offset ?? '-1');
  }
}
