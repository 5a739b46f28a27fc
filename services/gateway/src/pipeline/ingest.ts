/**
 * The gateway's acknowledgement pipeline. MQTT subscriber connections hand over messages, whose PUBACK waits for
 * `ack`. Messages from all connections are flushed together:
 * inspect → dedupe check → one Kafka request (accepted to tbox.frames.v1, rejected to the dead-letter topic) →
 * mark as seen → ack. A failed Kafka write is retried with backoff and nothing is acknowledged meanwhile, so an
 * acknowledged batch is always in Kafka; unacknowledged ones are redelivered by the broker. Records Kafka refuses
 * for good (too large, invalid) cannot be retried: the sink dead-letters them and they are counted, so one device's
 * bad publishes never hold every vehicle's acknowledgements.
 *
 * One flush runs at a time, which keeps per-VIN order and makes the in-process dedupe exact; duplicates across
 * gateway instances in the short window between check and mark are dropped downstream by batch id.
 */
import type { Logger } from 'pino';
import { inspectUplink, type InspectLimits, type RejectReason, type VehicleLookup } from '../domain/inspect-uplink.js';
import type { SequenceWindow } from '../domain/sequence-window.js';

export interface PendingMessage {
  readonly topic: string;
  readonly payload: Buffer;
  readonly receivedMs: number;
  readonly ack: (error?: Error) => void;
}

export interface AcceptedRecord {
  readonly vin: string;
  readonly topic: string;
  /** Device id and declared boot id: (stream, seq) identifies a batch, so a replaced T-Box or a declared reset
   * starts afresh instead of being dropped as a duplicate of the VIN's earlier batches. */
  readonly stream: string;
  readonly seq: number;
  readonly payload: Buffer;
  readonly receivedMs: number;
  readonly frameCount: number;
}

/** Why a record goes to the dead-letter topic: the inspection's verdict, or Kafka refused the uplink. */
export type DeadLetterReason = RejectReason | 'KAFKA_REFUSED' | 'SEQ_OUT_OF_WINDOW';

export interface RejectedRecord {
  readonly vin: string | undefined;
  readonly topic: string;
  readonly reason: DeadLetterReason;
  readonly detail: string;
  readonly payload: Buffer;
  readonly receivedMs: number;
}

/** A batch's identity: the device's sequence (device id + boot id) and its seq in it. */
export interface DedupeKey {
  readonly stream: string;
  readonly seq: number;
}

/** Ports the pipeline needs; adapters implement them over Redis and Kafka. */
export interface DedupeStore {
  /** For each (stream, seq): was it already written to Kafka? */
  seen(keys: readonly DedupeKey[]): Promise<boolean[]>;
  markSeen(keys: readonly DedupeKey[]): Promise<void>;
}

/** A record Kafka refused for good (retrying cannot help): an uplink dead-lettered instead, or a lost dead letter. */
export interface RefusedRecord {
  readonly vin: string | undefined;
  /** Kafka's error type, e.g. MESSAGE_TOO_LARGE. */
  readonly kafkaError: string;
  /** The uplink went to the dead-letter topic (reason KAFKA_REFUSED); false: nothing of it is in Kafka. */
  readonly deadLettered: boolean;
  /** The accepted uplink it was, if it was one (not marked as seen: a retransmit may still get through). */
  readonly accepted: AcceptedRecord | undefined;
}

export interface SinkResult {
  readonly refused: readonly RefusedRecord[];
}

export interface UplinkSink {
  /**
   * Resolves once every record is acknowledged by Kafka or refused for good (returned); rejects on errors a retry
   * can help with. A retry with the same records writes only those not acknowledged yet: records written before the
   * rejection are never written twice.
   */
  write(accepted: readonly AcceptedRecord[], rejected: readonly RejectedRecord[]): Promise<SinkResult>;
}

export interface IngestEvents {
  accepted(count: number, frames: number): void;
  duplicate(count: number): void;
  rejected(reason: RejectReason | 'SEQ_OUT_OF_WINDOW'): void;
  flushed(messages: number, seconds: number): void;
  sinkFailed(error: Error, attempt: number): void;
  /** Kafka refused a record for good: an uplink (dead-lettered unless `deadLettered` is false) or a dead letter. */
  refused(kafkaError: string, uplink: boolean, deadLettered: boolean): void;
  dedupeFailed(error: Error): void;
  /** The flush's messages were acknowledged (their PUBACKs released) at `ackedMs`, after their Kafka write. */
  acknowledged?(messages: readonly PendingMessage[], ackedMs: number): void;
}

export interface IngestOptions {
  readonly vehicles: VehicleLookup;
  readonly dedupe: DedupeStore;
  readonly sink: UplinkSink;
  readonly limits: InspectLimits;
  /** Refuses batches far ahead of their stream's newest seq (SEQ_OUT_OF_WINDOW). */
  readonly sequences: SequenceWindow;
  readonly events: IngestEvents;
  readonly log: Logger;
  /** Flush as soon as this many messages wait; a flush writes at most this many. */
  readonly flushAtMessages: number;
  /** …or this long after the first one arrived. */
  readonly lingerMs: number;
  readonly retryInitialMs?: number;
  readonly retryMaxMs?: number;
}

export class UplinkIngest {
  private pending: PendingMessage[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private stopping = false;

  constructor(private readonly options: IngestOptions) {}

  get waiting(): number {
    return this.pending.length;
  }

  submit(message: PendingMessage): void {
    this.pending.push(message);
    if (this.pending.length >= this.options.flushAtMessages) this.scheduleFlush(0);
    else this.scheduleFlush(this.options.lingerMs);
  }

  /** Flushes everything waiting (retrying the sink until it succeeds or `stop` gives up), then resolves. */
  async drain(): Promise<void> {
    while (this.pending.length > 0 || this.flushing) {
      if (!this.flushing) this.startFlush();
      await this.flushing;
    }
  }

  /** Stops retrying: messages not yet written are left unacknowledged for the broker to redeliver. */
  stop(): void {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private scheduleFlush(delayMs: number): void {
    if (this.flushing) return; // the running flush picks up what waits when it ends
    if (this.timer && delayMs > 0) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.startFlush();
    }, delayMs);
  }

  private startFlush(): void {
    if (this.flushing || this.pending.length === 0) return;
    const batch =
      this.pending.length <= this.options.flushAtMessages
        ? this.pending
        : this.pending.slice(0, this.options.flushAtMessages);
    this.pending = batch === this.pending ? [] : this.pending.slice(batch.length);
    this.flushing = this.flush(batch)
      .catch((err: unknown) =>
        this.options.log.error({ err }, 'Flush failed unexpectedly; messages stay unacknowledged.'),
      )
      .finally(() => {
        this.flushing = undefined;
        if (this.pending.length > 0 && !this.stopping) {
          this.scheduleFlush(this.pending.length >= this.options.flushAtMessages ? 0 : this.options.lingerMs);
        }
      });
  }

  private async flush(batch: PendingMessage[]): Promise<void> {
    const started = process.hrtime.bigint();
    const { vehicles, limits, events } = this.options;
    const accepted: AcceptedRecord[] = [];
    const rejected: RejectedRecord[] = [];
    const inBatch = new Set<string>();
    let duplicates = 0;
    for (const m of batch) {
      const verdict = inspectUplink(m.topic, m.payload, vehicles, limits);
      if (!verdict.ok) {
        rejected.push({
          vin: verdict.vin,
          topic: m.topic,
          reason: verdict.reason,
          detail: verdict.detail,
          payload: m.payload,
          receivedMs: m.receivedMs,
        });
        events.rejected(verdict.reason);
        continue;
      }
      if (this.options.sequences.isFarAhead(verdict.stream, verdict.seq)) {
        rejected.push({
          vin: verdict.vin,
          topic: m.topic,
          reason: 'SEQ_OUT_OF_WINDOW',
          detail:
            `seq ${verdict.seq} is more than ${this.options.sequences.maxJump} ahead of the newest batch of ` +
            `device stream ${verdict.stream}; declare a reset with a new boot id`,
          payload: m.payload,
          receivedMs: m.receivedMs,
        });
        events.rejected('SEQ_OUT_OF_WINDOW');
        continue;
      }
      const key = `${verdict.stream}:${verdict.seq}`;
      if (inBatch.has(key)) {
        duplicates += 1;
        continue;
      }
      inBatch.add(key);
      accepted.push({
        vin: verdict.vin,
        topic: m.topic,
        stream: verdict.stream,
        seq: verdict.seq,
        payload: m.payload,
        receivedMs: m.receivedMs,
        frameCount: verdict.frameCount,
      });
    }

    let fresh = accepted;
    if (accepted.length > 0) {
      try {
        const seen = await this.options.dedupe.seen(accepted);
        // Keep the same array when nothing was seen: the dedupe store reuses its work for markSeen.
        if (seen.includes(true)) fresh = accepted.filter((_, i) => !seen[i]);
        duplicates += accepted.length - fresh.length;
      } catch (error) {
        // Dedupe is an optimisation here (consumers drop replays by batch id); availability wins.
        events.dedupeFailed(error as Error);
      }
    }

    let refused: readonly RefusedRecord[] = [];
    for (let attempt = 1; ; attempt++) {
      try {
        if (fresh.length > 0 || rejected.length > 0) ({ refused } = await this.options.sink.write(fresh, rejected));
        break;
      } catch (error) {
        events.sinkFailed(error as Error, attempt);
        if (this.stopping) return; // unacknowledged: the broker redelivers after we disconnect
        const delay = Math.min(
          this.options.retryMaxMs ?? 5000,
          (this.options.retryInitialMs ?? 100) * 2 ** Math.min(attempt - 1, 10),
        );
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }

    if (refused.length > 0) {
      const refusedUplinks = new Set<AcceptedRecord>();
      for (const r of refused) {
        events.refused(r.kafkaError, r.accepted !== undefined, r.deadLettered);
        if (r.accepted) refusedUplinks.add(r.accepted);
      }
      if (refusedUplinks.size > 0) fresh = fresh.filter((r) => !refusedUplinks.has(r));
    }
    for (const r of fresh) this.options.sequences.advance(r.stream, r.seq);
    if (fresh.length > 0) {
      await this.options.dedupe.markSeen(fresh).catch((error: unknown) => events.dedupeFailed(error as Error));
    }
    if (fresh.length > 0)
      events.accepted(
        fresh.length,
        fresh.reduce((sum, r) => sum + r.frameCount, 0),
      );
    if (duplicates > 0) events.duplicate(duplicates);
    for (const m of batch) m.ack();
    events.acknowledged?.(batch, Date.now());
    events.flushed(batch.length, Number(process.hrtime.bigint() - started) / 1e9);
  }
}
