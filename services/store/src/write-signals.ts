/**
 * The store's handler for one partition batch of vehicle.signals.v1: decode, coalesce, write to PostgreSQL in one
 * transaction, dead-letter quarantined samples; the caller commits the offsets afterwards.
 */
import type { KafkaMessage, Message } from 'kafkajs';
import { SignalBatch, decodeSignalBatch } from '@telltale/platform/proto';
import { coalesce, type DecodedBatch, type QuarantinedSample } from './domain/coalesce.js';
import type { PgSignalStore } from './adapters/pg-signal-store.js';

export const HEADER = {
  reason: 'telltale-reason',
  detail: 'telltale-detail',
  sourceOffset: 'telltale-source-offset',
} as const;
const DAY_MS = 86_400_000;

export interface StoreEvents {
  written(samples: number, latestRows: number, historyRows: number, seconds: number): void;
  quarantined(count: number): void;
  expired(count: number): void;
  rejected(reason: string): void;
  visibleLatency(ms: number): void;
}

export interface SignalWriterOptions {
  readonly maxFutureMs: number;
  readonly historyResolutionMs: number;
  readonly historyRetentionDays: number;
  readonly now?: () => number;
}

export class SignalWriter {
  private readonly now: () => number;

  constructor(
    private readonly store: PgSignalStore,
    private readonly deadLetter: (messages: Message[]) => Promise<void>,
    private readonly events: StoreEvents,
    private readonly options: SignalWriterOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  async handle(records: readonly KafkaMessage[]): Promise<void> {
    const started = process.hrtime.bigint();
    const batches: DecodedBatch[] = [];
    const rejects: Message[] = [];
    for (const record of records) {
      if (!record.value) {
        this.events.rejected('EMPTY_RECORD');
        continue;
      }
      try {
        const { header: b, columns } = decodeSignalBatch(record.value);
        batches.push({
          vin: b.vin,
          modelId: b.modelId,
          catalogVersion: b.catalogVersion,
          baseTimeMsEpoch: b.baseTimeMsEpoch,
          receiveTimeMs: b.source?.gatewayReceiveTimeMsEpoch ?? 0,
          ...columns,
        });
      } catch (error) {
        this.events.rejected('MALFORMED_PROTOBUF');
        rejects.push({
          key: record.key,
          value: record.value,
          headers: {
            [HEADER.reason]: 'MALFORMED_PROTOBUF',
            [HEADER.detail]: (error as Error).message,
            [HEADER.sourceOffset]: record.offset,
          },
        });
      }
    }
    const now = this.now();
    const today = Math.floor(now / DAY_MS);
    const out = coalesce(batches, {
      nowMs: now,
      maxFutureMs: this.options.maxFutureMs,
      historyResolutionMs: this.options.historyResolutionMs,
      historyFromMs: (today - this.options.historyRetentionDays) * DAY_MS,
    });
    const writeTime = this.now();
    await this.store.write(out.latest, out.history, writeTime);
    if (out.quarantined.length > 0) {
      rejects.push(...quarantineRecords(out.quarantined, now, this.options.maxFutureMs));
      this.events.quarantined(out.quarantined.length);
    }
    if (rejects.length > 0) await this.deadLetter(rejects);
    if (out.expired > 0) this.events.expired(out.expired);
    for (const b of batches) if (b.receiveTimeMs > 0) this.events.visibleLatency(writeTime - b.receiveTimeMs);
    this.events.written(
      out.samples,
      out.latest.vin.length,
      out.history.vin.length,
      Number(process.hrtime.bigint() - started) / 1e9,
    );
  }
}

/** One SignalBatch per source batch with its quarantined samples, so the data is kept for inspection. */
function quarantineRecords(samples: readonly QuarantinedSample[], nowMs: number, maxFutureMs: number): Message[] {
  const byBatch = new Map<DecodedBatch, number[]>();
  for (const q of samples) {
    const list = byBatch.get(q.batch) ?? [];
    list.push(q.index);
    byBatch.set(q.batch, list);
  }
  return [...byBatch].map(([b, indexes]) => ({
    key: b.vin,
    value: Buffer.from(
      SignalBatch.encode({
        vin: b.vin,
        modelId: b.modelId,
        catalogVersion: b.catalogVersion,
        baseTimeMsEpoch: b.baseTimeMsEpoch,
        signalId: indexes.map((i) => b.signalId[i]!),
        value: indexes.map((i) => b.value[i]!),
        timeOffsetMs: indexes.map((i) => b.timeOffsetMs[i]!),
      }).finish(),
    ),
    headers: {
      [HEADER.reason]: 'FUTURE_EVENT_TIME',
      [HEADER.detail]: `${indexes.length} samples more than ${maxFutureMs} ms ahead of the store clock (${new Date(nowMs).toISOString()})`,
    },
  }));
}
