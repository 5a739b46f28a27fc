/**
 * Writes accepted uplinks to tbox.frames.v1 (key VIN, the payload byte for byte) and rejected ones to the
 * dead-letter topic with their reason. Accepted records carry the gateway receive time as their Kafka timestamp;
 * dead letters carry their provenance in headers and at most `maxDeadLetterBytes` of the payload.
 *
 * No one device can stall the flush for everyone: produce requests are split so that none exceeds
 * `maxRequestBytes` (Kafka checks a topic's max.message.bytes against each partition's record batch), and when Kafka
 * refuses records for good (MESSAGE_TOO_LARGE, INVALID_RECORD, …: retrying cannot help) the request is retried one
 * record at a time; a refused uplink goes to the dead-letter topic with reason KAFKA_REFUSED, a refused dead letter
 * is reported as lost. Both are returned to the pipeline, which counts them. Any other error fails the write (the
 * pipeline retries it; records of requests that had succeeded may then be written twice, which consumers drop by
 * batch id).
 */
import type { Message } from 'kafkajs';
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

interface Outgoing {
  readonly topic: string;
  readonly message: Message;
  readonly bytes: number;
  readonly accepted?: AcceptedRecord;
  readonly rejected?: RejectedRecord;
}

export interface KafkaUplinkSinkOptions {
  readonly frames: string;
  readonly dlq: string;
  /** Produce requests stay below this (estimated record sizes); a larger single record goes alone. */
  readonly maxRequestBytes: number;
  /** Dead letters carry at most this much of the payload (the reason's detail says when it was cut). */
  readonly maxDeadLetterBytes: number;
}

export class KafkaUplinkSink implements UplinkSink {
  constructor(
    private readonly producer: ReliableProducer,
    private readonly options: KafkaUplinkSinkOptions,
  ) {}

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

  private deadLetter(r: RejectedRecord): Outgoing {
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
    return { topic: this.options.dlq, message: { key: r.vin ?? null, value, headers }, bytes, rejected: r };
  }

  async write(accepted: readonly AcceptedRecord[], rejected: readonly RejectedRecord[]): Promise<SinkResult> {
    const outgoing: Outgoing[] = [];
    for (const r of accepted) {
      // The record timestamp (CreateTime) carries the gateway receive time: no per-record header to encode.
      const message = { key: r.vin, value: r.payload, timestamp: this.timestamp(r.receivedMs) };
      outgoing.push({ topic: this.options.frames, message, bytes: r.payload.length + 80, accepted: r });
    }
    for (const r of rejected) outgoing.push(this.deadLetter(r));

    const refused: RefusedRecord[] = [];
    for (const chunk of this.chunks(outgoing)) {
      try {
        await this.send(chunk);
      } catch (error) {
        if (refusalType(error) === undefined) throw error;
        for (const one of chunk) await this.sendAlone(one, refused);
      }
    }
    return { refused };
  }

  /** One record after its request was refused: written, dead-lettered, or reported lost. */
  private async sendAlone(one: Outgoing, refused: RefusedRecord[]): Promise<void> {
    try {
      await this.send([one]);
      return;
    } catch (error) {
      const type = refusalType(error);
      if (type === undefined) throw error;
      if (one.accepted === undefined) {
        refused.push({ vin: one.rejected?.vin, kafkaError: type, deadLettered: false, accepted: undefined });
        return;
      }
      const r = one.accepted;
      const dead = this.deadLetter({
        vin: r.vin,
        topic: r.topic,
        reason: 'KAFKA_REFUSED',
        detail: `Kafka refused the record: ${type}`,
        payload: r.payload,
        receivedMs: r.receivedMs,
      });
      try {
        await this.send([dead]);
        refused.push({ vin: r.vin, kafkaError: type, deadLettered: true, accepted: r });
      } catch (deadError) {
        const deadType = refusalType(deadError);
        if (deadType === undefined) throw deadError;
        refused.push({ vin: r.vin, kafkaError: deadType, deadLettered: false, accepted: r });
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

  private async send(chunk: readonly Outgoing[]): Promise<void> {
    const byTopic = new Map<string, Message[]>();
    for (const o of chunk) {
      let messages = byTopic.get(o.topic);
      if (messages === undefined) byTopic.set(o.topic, (messages = []));
      messages.push(o.message);
    }
    await this.producer.sendBatch([...byTopic].map(([topic, messages]) => ({ topic, messages })));
  }
}
