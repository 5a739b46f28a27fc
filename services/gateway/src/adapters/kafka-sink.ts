/**
 * Writes accepted uplinks to tbox.frames.v1 (key VIN, the payload byte for byte) and rejected ones to the
 * dead-letter topic with their reason, in one Kafka request. Accepted records carry the gateway receive time as
 * their Kafka timestamp; dead letters carry their provenance in headers.
 */
import type { Message } from 'kafkajs';
import { RECORD_HEADER as HEADER, type ReliableProducer } from '@telltale/platform/kafka';
import type { AcceptedRecord, RejectedRecord, UplinkSink } from '../pipeline/ingest.js';

export class KafkaUplinkSink implements UplinkSink {
  constructor(
    private readonly producer: ReliableProducer,
    private readonly topics: { frames: string; dlq: string },
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

  async write(accepted: readonly AcceptedRecord[], rejected: readonly RejectedRecord[]): Promise<void> {
    const batch: { topic: string; messages: Message[] }[] = [];
    if (accepted.length > 0) {
      batch.push({
        topic: this.topics.frames,
        // The record timestamp (CreateTime) carries the gateway receive time: no per-record header to encode.
        messages: accepted.map((r) => ({ key: r.vin, value: r.payload, timestamp: this.timestamp(r.receivedMs) })),
      });
    }
    if (rejected.length > 0) {
      batch.push({
        topic: this.topics.dlq,
        messages: rejected.map((r) => ({
          key: r.vin ?? null,
          value: r.payload,
          headers: {
            [HEADER.reason]: r.reason,
            [HEADER.detail]: r.detail,
            [HEADER.mqttTopic]: r.topic,
            [HEADER.receivedMs]: String(r.receivedMs),
          },
        })),
      });
    }
    await this.producer.sendBatch(batch);
  }
}
