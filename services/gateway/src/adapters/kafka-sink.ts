/**
 * Writes accepted uplinks to tbox.frames.v1 (key VIN, the payload byte for byte) and rejected ones to the
 * dead-letter topic with their reason. Accepted records carry the gateway receive time as their Kafka timestamp;
 * dead letters carry their provenance in headers and at most `maxDeadLetterBytes` of the payload.
 *
 * A retried write never writes a record twice. Each record's partition is chosen here (the producer's partitioner
 * over the topic's partition count) and each partition is written by its own produce calls, in order, one at a time:
 * a call then goes to one broker, so it either succeeded or failed as a whole, and kafkajs rolls a failed call's
 * idempotent sequence numbers back. The sink remembers which records were written; when some partition fails, `write`
 * rejects and the pipeline's retry sends only what is not written yet — exactly the failed call again, with the same
 * sequence numbers, which the broker deduplicates when the first attempt had landed after all (a lost response, a
 * leader killed after replicating). One produce call over several partitions, as before, went to several brokers:
 * after one broker's part failed, the whole call failed although the other brokers' parts were written and their
 * sequence numbers used, so the retry wrote those records again under new numbers (issue #18: 38 batches twice on
 * the topic after a broker kill); and kafkajs' own retry of such a call skips a broker that answered before, also
 * when it has become the leader of a failed partition since (tulios/kafkajs#1303: records silently not written).
 *
 * No one device can stall the flush for everyone: produce requests are split so that none exceeds
 * `maxRequestBytes` (Kafka checks a topic's max.message.bytes against each partition's record batch), and when Kafka
 * refuses records for good (MESSAGE_TOO_LARGE, INVALID_RECORD, …: retrying cannot help) the request is retried one
 * record at a time; a refused uplink goes to the dead-letter topic with reason KAFKA_REFUSED, a refused dead letter
 * is reported as lost. Both are returned to the pipeline, which counts them.
 */
import type { ICustomPartitioner, Message, PartitionMetadata } from 'kafkajs';
import { RECORD_HEADER as HEADER, type ReliableProducer } from '@telltale/platform/kafka';
import type { AcceptedRecord, RefusedRecord, RejectedRecord, SinkResult, UplinkSink } from '../pipeline/ingest.js';

/** Kafka error types that refuse the records themselves: the same request can never succeed. */
const REFUSALS = new Set(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE', 'INVALID_RECORD', 'INVALID_TIMESTAMP']);

/** The Kafka error type of a refusal anywhere in the error's cause chain, else undefined. */
export function refusalType(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 8; depth++) {
    const type = (e as { type?: unknown }).type;
    if (typeof type === 'string' && REFUSALS.has(type)) return type;
    const inner =
      (e as { cause?: unknown; originalError?: unknown }).cause ?? (e as { originalError?: unknown }).originalError;
    e = inner;
  }
  return undefined;
}

type Source = AcceptedRecord | RejectedRecord;

interface Outgoing {
  readonly topic: string;
  /** Chosen once per record: a retry sends it to the same partition (dead letters without a VIN have no key). */
  readonly partition: number;
  readonly message: Message;
  readonly bytes: number;
  readonly source: Source;
  readonly accepted?: AcceptedRecord;
}

export interface KafkaUplinkSinkOptions {
  readonly frames: string;
  readonly dlq: string;
  /** Produce requests stay below this (estimated record sizes); a larger single record goes alone. */
  readonly maxRequestBytes: number;
  /** Dead letters carry at most this much of the payload (the reason's detail says when it was cut). */
  readonly maxDeadLetterBytes: number;
  /** Partitions of each of the two topics (read at start; a partition added later is used after a restart). */
  readonly partitions: { readonly frames: number; readonly dlq: number };
  /** The producer's partitioner: records are placed as it would place them. */
  readonly createPartitioner: ICustomPartitioner;
}

export class KafkaUplinkSink implements UplinkSink {
  private readonly place: ReturnType<ICustomPartitioner>;
  private readonly metadata: Record<string, PartitionMetadata[]>;
  /** Each record's outgoing form, built once: a retry resends exactly what the failed call sent. */
  private readonly outgoing = new WeakMap<Source, Outgoing>();
  /** Records written (undefined) or refused for good (how) by an earlier, failed call of `write`. */
  private readonly settled = new WeakMap<Source, RefusedRecord | undefined>();

  constructor(
    private readonly producer: ReliableProducer,
    private readonly options: KafkaUplinkSinkOptions,
  ) {
    this.place = options.createPartitioner();
    const metadata = (count: number): PartitionMetadata[] =>
      Array.from({ length: count }, (_, partitionId) => ({
        partitionId,
        leader: 0,
        replicas: [],
        isr: [],
        partitionErrorCode: 0,
      }));
    this.metadata = {
      [options.frames]: metadata(options.partitions.frames),
      [options.dlq]: metadata(options.partitions.dlq),
    };
  }

  private lastMs = -1;
  private lastTimestamp = '';

  /** kafkajs wants a string per record; the records of a flush share a handful of milliseconds, so share strings. */
  private timestamp(ms: number): string {
    if (ms !== this.lastMs) {
      this.lastMs = ms;
      this.lastTimestamp = String(ms);
    }
    return this.lastTimestamp;
  }

  private placed(topic: string, message: Message): number {
    return this.place({ topic, partitionMetadata: this.metadata[topic]!, message });
  }

  private deadLetter(r: RejectedRecord, source: Source = r): Outgoing {
    const max = this.options.maxDeadLetterBytes;
    const cut = r.payload.length > max;
    const detail = cut ? `${r.detail} (payload cut to ${max} of ${r.payload.length} bytes)` : r.detail;
    const value = cut ? r.payload.subarray(0, max) : r.payload;
    const headers = {
      [HEADER.reason]: r.reason,
      [HEADER.detail]: detail,
      [HEADER.mqttTopic]: r.topic,
      [HEADER.receivedMs]: String(r.receivedMs),
    };
    const bytes = value.length + detail.length + r.topic.length + 160;
    const topic = this.options.dlq;
    const message: Message = { key: r.vin ?? null, value, headers };
    const partition = this.placed(topic, message);
    return { topic, partition, message: { ...message, partition }, bytes, source };
  }

  private outgoingOf(source: Source, accepted: boolean): Outgoing {
    let o = this.outgoing.get(source);
    if (o === undefined) {
      if (accepted) {
        const r = source as AcceptedRecord;
        // The record timestamp (CreateTime) carries the gateway receive time: no per-record header to encode.
        const topic = this.options.frames;
        const message: Message = { key: r.vin, value: r.payload, timestamp: this.timestamp(r.receivedMs) };
        const partition = this.placed(topic, message);
        o = { topic, partition, message: { ...message, partition }, bytes: r.payload.length + 80, source, accepted: r };
      } else o = this.deadLetter(source as RejectedRecord);
      this.outgoing.set(source, o);
    }
    return o;
  }

  async write(accepted: readonly AcceptedRecord[], rejected: readonly RejectedRecord[]): Promise<SinkResult> {
    const byPartition = new Map<string, Outgoing[]>();
    const add = (source: Source, isAccepted: boolean): void => {
      if (this.settled.has(source)) return; // written or refused by an earlier attempt
      const o = this.outgoingOf(source, isAccepted);
      const at = `${o.topic}\0${o.partition}`;
      const list = byPartition.get(at);
      if (list === undefined) byPartition.set(at, [o]);
      else list.push(o);
    };
    for (const r of accepted) add(r, true);
    for (const r of rejected) add(r, false);

    const outcomes = await Promise.allSettled([...byPartition.values()].map((list) => this.writePartition(list)));
    const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
    if (failed) throw failed.reason; // the written records stay settled: the retry sends only the rest

    const refused: RefusedRecord[] = [];
    for (const list of [accepted, rejected])
      for (const r of list) {
        const how = this.settled.get(r);
        if (how !== undefined) refused.push(how);
        this.settled.delete(r);
      }
    return { refused };
  }

  /** One partition's records, chunk after chunk; stops at the first failure so no later chunk overtakes it. */
  private async writePartition(list: readonly Outgoing[]): Promise<void> {
    for (const chunk of this.chunks(list)) {
      try {
        await this.send(chunk);
      } catch (error) {
        if (refusalType(error) === undefined) throw error;
        for (const one of chunk) if (!this.settled.has(one.source)) await this.sendAlone(one);
        continue;
      }
      for (const o of chunk) this.settled.set(o.source, undefined);
    }
  }

  /** One record after its request was refused: written, dead-lettered, or reported lost. */
  private async sendAlone(one: Outgoing): Promise<void> {
    try {
      await this.send([one]);
      this.settled.set(one.source, undefined);
      return;
    } catch (error) {
      const type = refusalType(error);
      if (type === undefined) throw error;
      if (one.accepted === undefined) {
        const vin = (one.source as RejectedRecord).vin;
        this.settled.set(one.source, { vin, kafkaError: type, deadLettered: false, accepted: undefined });
        return;
      }
      const r = one.accepted;
      const dead = this.deadLetter(
        {
          vin: r.vin,
          topic: r.topic,
          reason: 'KAFKA_REFUSED',
          detail: `Kafka refused the record: ${type}`,
          payload: r.payload,
          receivedMs: r.receivedMs,
        },
        r,
      );
      try {
        await this.send([dead]);
        this.settled.set(r, { vin: r.vin, kafkaError: type, deadLettered: true, accepted: r });
      } catch (deadError) {
        const deadType = refusalType(deadError);
        if (deadType === undefined) throw deadError;
        this.settled.set(r, { vin: r.vin, kafkaError: deadType, deadLettered: false, accepted: r });
      }
    }
  }

  private chunks(outgoing: readonly Outgoing[]): Outgoing[][] {
    const out: Outgoing[][] = [];
    let current: Outgoing[] = [];
    let bytes = 0;
    for (const o of outgoing) {
      if (current.length > 0 && bytes + o.bytes > this.options.maxRequestBytes) {
        out.push(current);
        current = [];
        bytes = 0;
      }
      current.push(o);
      bytes += o.bytes;
    }
    if (current.length > 0) out.push(current);
    return out;
  }

  /** One produce call for records of one partition: one broker, all or nothing. */
  private async send(chunk: readonly Outgoing[]): Promise<void> {
    await this.producer.send(
      chunk[0]!.topic,
      chunk.map((o) => o.message),
    );
  }
}
