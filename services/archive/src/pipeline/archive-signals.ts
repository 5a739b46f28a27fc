/**
 * The archive's handler for vehicle.signals.v1. Per partition it buffers a segment (every record since the last
 * flush), and when the segment is big or old enough it flushes:
 *
 *   write each hour's file (temporary name) → fsync → rename → one PostgreSQL transaction (ledger row for the
 *   offset range + manifest rows, refused if the partition was claimed by someone else since) → commit the Kafka
 *   offset after the range.
 *
 * Exactly once: a range of offsets is archived iff its ledger row exists (files are published before, offsets
 * committed after). A claim bumps the partition's epoch and reads the highest archived offset; records at or below
 * it are skipped, whatever Kafka's committed offset says, and files of earlier epochs missing from the manifest
 * (a crash between rename and transaction) are deleted and written again from the re-read records.
 */
import type { Message } from 'kafkajs';
import { RECORD_HEADER } from '@telltale/platform/kafka';
import { decodeSignalBatch } from '@telltale/platform/proto';
import { TelltaleError } from '@telltale/platform';
import { Segment, type ArchivableBatch, type RowGroup } from '../domain/segment.js';
import { checkBatch, type RejectReason } from '../domain/check-batch.js';
import type { SegmentName } from '../domain/layout.js';
import type { Claim, ManifestFile, SegmentCommit } from '../adapters/pg-manifest.js';

/** A consumed record, as plain data. */
export interface SignalRecord {
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
}

export interface ArchiveLedger {
  claim(topic: string, partition: number): Promise<Claim>;
  commitSegment(segment: SegmentCommit): Promise<void>;
  listed(paths: readonly string[]): Promise<Set<string>>;
}

export interface ArchiveFileStore {
  write(segment: SegmentName, groups: readonly RowGroup[]): Promise<ManifestFile[]>;
  remove(paths: readonly string[]): Promise<void>;
  removeOrphans(
    partition: number,
    epoch: bigint,
    listed: (paths: readonly string[]) => Promise<Set<string>>,
  ): Promise<number>;
}

export interface ArchiveEvents {
  claimed(partition: number, epoch: bigint, doneThrough: bigint, orphansRemoved: number): void;
  skipped(count: number): void;
  rejected(reason: RejectReason): void;
  flushed(partition: number, rows: number, files: number, bytes: number, seconds: number): void;
  fenced(partition: number): void;
}

export interface ArchiveOptions {
  readonly topic: string;
  readonly flushRows: number;
  readonly flushIntervalMs: number;
  readonly now?: () => number;
  /**
   * Called when a flush was fenced (another instance claimed the partition since): the rows buffered since the last
   * commit are dropped, and the consumer's position is past them, so it must consume again from the committed
   * offsets (the ledger skips what is archived). Without it a partition this instance still owns, or owns again,
   * would go on after the dropped records and commit past them: rows missing from the archive for good.
   */
  readonly rewind?: () => void;
}

interface PartitionState {
  readonly partition: number;
  readonly epoch: bigint;
  doneThrough: bigint;
  segment: Segment;
  /** Offset after the last record handled (what a commit with an empty segment records). */
  nextOffset: bigint | undefined;
  /** Serialises the handler and timer flushes of one partition. */
  lock: Promise<void>;
  dropped: boolean;
}

export class SignalArchiver {
  private readonly states = new Map<number, Promise<PartitionState>>();
  private readonly now: () => number;

  constructor(
    private readonly ledger: ArchiveLedger,
    private readonly files: ArchiveFileStore,
    private readonly commitOffset: (partition: number, nextOffset: string) => Promise<void>,
    private readonly deadLetter: (messages: Message[]) => Promise<void>,
    private readonly events: ArchiveEvents,
    private readonly options: ArchiveOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  /**
   * A (re)join of the consumer group: every partition is claimed afresh on its next batch, and buffered rows are
   * dropped (Kafka redelivers them from the committed offset; the ledger skips what is archived).
   */
  reset(partitions: readonly number[] = []): void {
    for (const state of this.states.values()) void state.then((s) => (s.dropped = true)).catch(() => undefined);
    this.states.clear();
    // Claim at once, not on the first batch: a partition with nothing new still gets its leftovers cleaned up.
    for (const partition of partitions) void this.state(partition).catch(() => undefined);
  }

  async handle(partition: number, records: readonly SignalRecord[]): Promise<void> {
    const state = await this.state(partition);
    await this.locked(state, async () => {
      const dead: Message[] = [];
      let skipped = 0;
      for (const record of records) {
        const offset = BigInt(record.offset);
        state.nextOffset = offset + 1n;
        if (offset <= state.doneThrough) {
          skipped++;
          continue;
        }
        const parsed = this.parse(record);
        if ('reason' in parsed) {
          this.events.rejected(parsed.reason);
          dead.push(deadLetterOf(record, partition, parsed.reason, parsed.detail));
          state.segment.addEmpty(offset, this.now());
        } else {
          state.segment.add(offset, parsed.batch, this.now());
        }
      }
      if (skipped > 0) this.events.skipped(skipped);
      // Dead letters are durable before any commit that covers their offsets.
      if (dead.length > 0) await this.deadLetter(dead);
      if (state.segment.rows >= this.options.flushRows) await this.flush(state);
      else if (state.segment.rows === 0) await this.commitEmpty(state);
    });
  }

  /** Flushes every partition whose segment is older than the flush interval (called by a timer). */
  async flushDue(): Promise<void> {
    for (const pending of [...this.states.values()]) {
      const state = await pending.catch(() => undefined);
      if (!state || state.dropped) continue;
      if (state.segment.ageMs(this.now()) < this.options.flushIntervalMs) continue;
      await this.locked(state, () => (state.segment.rows > 0 ? this.flush(state) : this.commitEmpty(state)));
    }
  }

  /** Flushes everything buffered (graceful shutdown). */
  async flushAll(): Promise<void> {
    for (const pending of [...this.states.values()]) {
      const state = await pending.catch(() => undefined);
      if (!state || state.dropped) continue;
      await this.locked(state, () => (state.segment.rows > 0 ? this.flush(state) : this.commitEmpty(state)));
    }
  }

  private state(partition: number): Promise<PartitionState> {
    let pending = this.states.get(partition);
    if (!pending) {
      pending = this.claim(partition);
      this.states.set(partition, pending);
      pending.catch(() => this.states.delete(partition));
    }
    return pending;
  }

  private async claim(partition: number): Promise<PartitionState> {
    const { epoch, doneThrough } = await this.ledger.claim(this.options.topic, partition);
    const orphans = await this.files.removeOrphans(partition, epoch, (paths) => this.ledger.listed(paths));
    this.events.claimed(partition, epoch, doneThrough, orphans);
    return {
      partition,
      epoch,
      doneThrough,
      segment: new Segment(),
      nextOffset: undefined,
      lock: Promise.resolve(),
      dropped: false,
    };
  }

  private locked(state: PartitionState, work: () => Promise<void>): Promise<void> {
    const run = state.lock.then(() => (state.dropped ? undefined : work()));
    state.lock = run.catch(() => undefined);
    return run;
  }

  private parse(record: SignalRecord): { batch: ArchivableBatch } | { reason: RejectReason; detail: string } {
    if (!record.value || record.value.length === 0)
      return { reason: 'EMPTY_RECORD', detail: 'the record has no value' };
    let batch: ArchivableBatch;
    try {
      const { header, columns } = decodeSignalBatch(record.value);
      batch = {
        vin: header.vin,
        modelId: header.modelId,
        catalogVersion: header.catalogVersion,
        deviceSeq: header.source?.deviceSeq ?? 0,
        baseTimeMsEpoch: Number(header.baseTimeMsEpoch),
        ...columns,
      };
    } catch (error) {
      return { reason: 'MALFORMED_PROTOBUF', detail: (error as Error).message };
    }
    const problem = checkBatch(batch);
    return problem ?? { batch };
  }

  private async commitEmpty(state: PartitionState): Promise<void> {
    if (state.nextOffset === undefined) return;
    state.segment = new Segment();
    await this.commitOffset(state.partition, String(state.nextOffset));
  }

  private async flush(state: PartitionState): Promise<void> {
    const segment = state.segment;
    const first = segment.firstOffset;
    const last = segment.lastOffset;
    if (first === undefined || last === undefined) return;
    const started = this.now();
    const name = { partition: state.partition, firstOffset: first, lastOffset: last, epoch: state.epoch };
    const groups = segment.groups();
    let files: ManifestFile[] = [];
    try {
      files = await this.files.write(name, groups);
      await this.ledger.commitSegment({
        topic: this.options.topic,
        partition: state.partition,
        firstOffset: first,
        lastOffset: last,
        epoch: state.epoch,
        rows: segment.rows,
        files,
      });
    } catch (error) {
      // Our own files of this epoch: nobody else writes these names, and the ledger did not take them.
      await this.files.remove(files.map((f) => f.path)).catch(() => undefined);
      if (
        error instanceof TelltaleError &&
        (error.code === 'ARCHIVE_FENCED' || error.code === 'ARCHIVE_OFFSETS_OVERLAP')
      ) {
        state.dropped = true;
        this.states.delete(state.partition);
        this.events.fenced(state.partition);
        this.options.rewind?.();
      }
      throw error;
    }
    state.doneThrough = last;
    state.segment = new Segment();
    const bytes = files.reduce((n, f) => n + f.bytes, 0);
    this.events.flushed(state.partition, segment.rows, files.length, bytes, (this.now() - started) / 1000);
    await this.commitOffset(state.partition, String(last + 1n));
  }
}

function deadLetterOf(record: SignalRecord, partition: number, reason: RejectReason, detail: string): Message {
  return {
    key: record.key,
    value: record.value,
    headers: {
      [RECORD_HEADER.reason]: reason,
      [RECORD_HEADER.detail]: detail,
      [RECORD_HEADER.sourceOffset]: `${partition}:${record.offset}`,
    },
  };
}
