/**
 * The store's handler for one partition batch of vehicle.signals.v1: decode, coalesce, write the rows, dead-letter
 * what cannot be stored (undecodable records, samples from a device clock far in the future); the caller commits
 * the offsets after `handle` resolves, so everything it wrote or dead-lettered is durable first.
 *
 * Takes plain records and talks to its outputs through the two narrow ports below: the Kafka and PostgreSQL
 * adapters implement them, and the unit tests use in-memory fakes.
 */
import { RECORD_HEADER } from '@telltale/platform/kafka';
import { SignalBatch, decodeSignalBatch } from '@telltale/platform/proto';
import {
  coalesce,
  emptyHistoryRows,
  type Coalesced,
  type DecodedBatch,
  type HistoryRows,
  type LatestRows,
} from '../domain/coalesce.js';
import type { QuarantinedSample } from '../domain/coalesce.js';

/** One consumed record, as the Kafka adapter hands it over. */
export interface SignalRecord {
  readonly partition: number;
  readonly offset: string;
  readonly key: Buffer | string | null;
  readonly value: Buffer | null;
  /** The record's Kafka timestamp: when the decoder produced it (ms since epoch); absent: unknown. */
  readonly timestampMs?: number;
}

/** A record for the dead-letter topic: the original bytes with RECORD_HEADER reason, detail and source offset. */
export interface DeadLetterRecord {
  readonly key: Buffer | string | null;
  readonly value: Buffer | null;
  readonly headers: Readonly<Record<string, string>>;
}

export type SignalRejectReason = 'EMPTY_RECORD' | 'MALFORMED_PROTOBUF' | 'FUTURE_EVENT_TIME';

/**
 * Where coalesced rows go (PgSignalStore): latest values newest-wins, history idempotent. Each resolves once its
 * rows are committed; the latest values are written first, in their own transaction, so they are visible without
 * waiting for history.
 */
export interface SignalRowSink {
  writeLatest(latest: LatestRows, writeTimeMs: number): Promise<void>;
  writeHistory(history: HistoryRows): Promise<void>;
}

/** Resolves once every record is acknowledged by the dead-letter topic. */
export interface DeadLetterSink {
  send(records: readonly DeadLetterRecord[]): Promise<void>;
}

export interface StoreEvents {
  written(samples: number, latestRows: number, historyRows: number, seconds: number): void;
  quarantined(count: number): void;
  expired(count: number): void;
  rejected(reason: SignalRejectReason, detail: string, where: { partition: number; offset: string }): void;
  visibleLatency(ms: number): void;
  /** How long one record spent in a stage (StoreStage), in ms. */
  stage(stage: StoreStage, ms: number): void;
}

/**
 * The stages of a record's way to visible, each measured per record (so their distributions show where the tail
 * forms): `decoder` gateway receive → the decoder produced the record (gateway Kafka write, decoder fetch and
 * decode); `queue` produced → the store's handler took it (the decoder's transaction commit, the store's fetch wait
 * and the batches handled before it); `latest` poll taken → its partition batch's latest values committed (its
 * own and the poll's earlier batches' decode, coalesce, latest-value transaction); `history` latest committed →
 * its poll's history committed.
 */
export type StoreStage = 'decoder' | 'queue' | 'latest' | 'history';

export interface SignalWriterOptions {
  readonly maxFutureMs: number;
  readonly historyResolutionMs: number;
  /** History older than this many hours before now is not written (the archive has it); 0: no history. */
  readonly historyHotHours: number;
  readonly now?: () => number;
}

/** A poll whose latest values are committed: what its durable stage still writes, and its timings. */
export interface VisiblePoll {
  readonly batches: readonly DecodedBatch[];
  readonly sourceOf: ReadonlyMap<DecodedBatch, SignalRecord>;
  readonly rejects: DeadLetterRecord[];
  readonly out: Coalesced;
  readonly now: number;
  /** When the poll was taken, and when its latest values were committed (ms since epoch). */
  readonly takenMs: number;
  readonly visibleMs: number;
  /** Time the visible stage took (ns). */
  readonly visibleNs: bigint;
}

export class SignalWriter {
  private readonly now: () => number;

  constructor(
    private readonly rows: SignalRowSink,
    private readonly deadLetters: DeadLetterSink,
    private readonly events: StoreEvents,
    private readonly options: SignalWriterOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  /** The whole poll: latest values, then history and dead letters; resolves once all of it is durable. */
  async handle(records: readonly SignalRecord[]): Promise<void> {
    await this.durable([await this.visible(records)]);
  }

  /**
   * The first stage of a poll: decode, coalesce, commit the latest values (visible from then on). Resolves with
   * what `durable` still has to write; nothing is dead-lettered yet.
   */
  async visible(records: readonly SignalRecord[], takenMs = this.now()): Promise<VisiblePoll> {
    const started = process.hrtime.bigint();
    const batches: DecodedBatch[] = [];
    const sourceOf = new Map<DecodedBatch, SignalRecord>();
    const rejects: DeadLetterRecord[] = [];
    const reject = (record: SignalRecord, reason: SignalRejectReason, detail: string): void => {
      rejects.push({ key: record.key, value: record.value, headers: deadLetterHeaders(record, reason, detail) });
      this.events.rejected(reason, detail, { partition: record.partition, offset: record.offset });
    };
    for (const record of records) {
      if (!record.value || record.value.length === 0) {
        reject(record, 'EMPTY_RECORD', 'record has no value');
        continue;
      }
      try {
        const { header: b, columns } = decodeSignalBatch(record.value);
        const batch: DecodedBatch = {
          vin: b.vin,
          modelId: b.modelId,
          catalogVersion: b.catalogVersion,
          baseTimeMsEpoch: b.baseTimeMsEpoch,
          receiveTimeMs: b.source?.gatewayReceiveTimeMsEpoch ?? 0,
          ...columns,
        };
        batches.push(batch);
        sourceOf.set(batch, record);
      } catch (error) {
        reject(record, 'MALFORMED_PROTOBUF', (error as Error).message);
      }
    }
    const now = this.now();
    const hot = this.options.historyHotHours;
    const out = coalesce(batches, {
      nowMs: now,
      maxFutureMs: this.options.maxFutureMs,
      historyResolutionMs: this.options.historyResolutionMs,
      historyFromMs: hot > 0 ? hotWindowStartMs(now, hot) : Number.POSITIVE_INFINITY,
    });
    const writeTime = this.now();
    if (out.latest.vin.length > 0) await this.rows.writeLatest(out.latest, writeTime);
    const visibleMs = this.now();
    for (const b of batches) if (b.receiveTimeMs > 0) this.events.visibleLatency(visibleMs - b.receiveTimeMs);
    const visibleNs = process.hrtime.bigint() - started;
    return { batches, sourceOf, rejects, out, now, takenMs, visibleMs, visibleNs };
  }

  /**
   * The second stage, for the visible parts (partition batches) of one poll: their history as one write, then dead
   * letters (undecodable records, quarantined samples); resolves once both are durable. Polls go through it in the
   * order they were made visible.
   */
  async durable(parts: readonly VisiblePoll[]): Promise<void> {
    const started = process.hrtime.bigint();
    const hot = this.options.historyHotHours;
    const history = joinHistory(parts.map((p) => p.out.history));
    if (history.vin.length > 0) await this.rows.writeHistory(history);
    const historyMs = this.now();
    const rejects: DeadLetterRecord[] = [];
    let samples = 0;
    let latestRows = 0;
    let visibleNs = 0n;
    for (const { out, sourceOf, now, rejects: own } of parts) {
      rejects.push(...own);
      if (out.quarantined.length > 0) {
        rejects.push(...quarantineRecords(out.quarantined, sourceOf, now, this.options.maxFutureMs));
        this.events.quarantined(out.quarantined.length);
      }
    }
    if (rejects.length > 0) await this.deadLetters.send(rejects);
    for (const p of parts) {
      if (p.out.expired > 0 && hot > 0) this.events.expired(p.out.expired);
      this.stages(p.batches, p.sourceOf, p.takenMs, p.visibleMs, historyMs);
      samples += p.out.samples;
      latestRows += p.out.latest.vin.length;
      visibleNs += p.visibleNs;
    }
    this.events.written(
      samples,
      latestRows,
      history.vin.length,
      Number(visibleNs + process.hrtime.bigint() - started) / 1e9,
    );
  }

  /** Observes each record's time in each stage (StoreStage). */
  private stages(
    batches: readonly DecodedBatch[],
    sourceOf: ReadonlyMap<DecodedBatch, SignalRecord>,
    takenMs: number,
    visibleMs: number,
    historyMs: number,
  ): void {
    for (const b of batches) {
      const producedMs = sourceOf.get(b)?.timestampMs;
      if (producedMs !== undefined) {
        if (b.receiveTimeMs > 0) this.events.stage('decoder', producedMs - b.receiveTimeMs);
        this.events.stage('queue', takenMs - producedMs);
      }
      this.events.stage('latest', visibleMs - takenMs);
      this.events.stage('history', historyMs - visibleMs);
    }
  }
}

/**
 * The history rows of a poll's partition batches as one write. Each vehicle's records are in one partition, so
 * the parts hold disjoint vehicles and their concatenation is what coalescing the whole poll would give.
 */
export function joinHistory(parts: readonly HistoryRows[]): HistoryRows {
  if (parts.length === 1) return parts[0]!;
  const out = emptyHistoryRows(parts[0]?.resolutionMs ?? 0);
  for (const h of parts) {
    for (let i = 0; i < h.vin.length; i++) {
      out.vin.push(h.vin[i]!);
      out.signalId.push(h.signalId[i]!);
      out.eventTimeMs.push(h.eventTimeMs[i]!);
      out.eventTimeSubMsUs.push(h.eventTimeSubMsUs[i]!);
      out.value.push(h.value[i]!);
      out.receiveTimeMs.push(h.receiveTimeMs[i]!);
      out.catalogVersion.push(h.catalogVersion[i]!);
    }
  }
  return out;
}

/** Where the hot window starts: PostgreSQL holds history from here on, the archive what is older. */
export function hotWindowStartMs(nowMs: number, hotHours: number): number {
  return nowMs - hotHours * 3_600_000;
}

function deadLetterHeaders(record: SignalRecord, reason: SignalRejectReason, detail: string): Record<string, string> {
  return {
    [RECORD_HEADER.reason]: reason,
    [RECORD_HEADER.detail]: detail,
    [RECORD_HEADER.sourceOffset]: `${record.partition}:${record.offset}`,
  };
}

/** One SignalBatch per source batch with its quarantined samples, so the data is kept for inspection. */
function quarantineRecords(
  samples: readonly QuarantinedSample[],
  sourceOf: ReadonlyMap<DecodedBatch, SignalRecord>,
  nowMs: number,
  maxFutureMs: number,
): DeadLetterRecord[] {
  const byBatch = new Map<DecodedBatch, number[]>();
  for (const q of samples) {
    const list = byBatch.get(q.batch) ?? [];
    list.push(q.index);
    byBatch.set(q.batch, list);
  }
  return [...byBatch].map(([b, indexes]) => {
    const detail =
      `${indexes.length} samples more than ${maxFutureMs} ms ahead of the store clock ` +
      `(${new Date(nowMs).toISOString()})`;
    const source = sourceOf.get(b);
    return {
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
      headers: source
        ? deadLetterHeaders(source, 'FUTURE_EVENT_TIME', detail)
        : { [RECORD_HEADER.reason]: 'FUTURE_EVENT_TIME', [RECORD_HEADER.detail]: detail },
    };
  });
}
