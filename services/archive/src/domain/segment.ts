/**
 * The rows of one vehicle.signals.v1 partition since its last flush, grouped by hour partition, as columns. A
 * segment covers a contiguous range of offsets (every record in it: archived, dead-lettered or empty); it is
 * flushed as one file per hour partition and committed as one ledger row, so a range of offsets is archived
 * entirely or not at all.
 *
 *   const segment = new Segment();
 *   segment.add(offset, batch);              // a decoded, checked SignalBatch
 *   segment.addEmpty(offset);                // a dead-lettered record: its offset is in the range, no rows
 *   for (const group of segment.groups()) …  // per hour partition: vins, signal ids, times, values, …
 */
import { hourOf, hourPartition, type HourPartition } from './layout.js';

/** What the archive keeps of a SignalBatch: the header fields and the three columns. */
export interface ArchivableBatch {
  readonly vin: string;
  readonly modelId: string;
  readonly catalogVersion: string;
  readonly deviceSeq: number;
  readonly baseTimeMsEpoch: number;
  readonly signalId: Uint32Array;
  readonly value: Float64Array;
  readonly timeOffsetMs: Uint32Array;
  /** µs within the ms (0-999) per sample; absent: all 0 (a producer that predates SignalBatch field 13). */
  readonly timeSubMsUs?: Uint32Array;
}

/** One hour partition's rows; vins and catalog versions as indexes into small per-group dictionaries. */
export interface RowGroup {
  readonly partition: HourPartition;
  readonly rows: number;
  readonly vins: readonly string[];
  readonly catalogVersions: readonly string[];
  readonly vinIndex: Uint32Array;
  readonly signalId: Uint32Array;
  /** ms since the epoch; whole numbers, exact in a double. */
  readonly eventTimeMs: Float64Array;
  /** µs within the event time's ms, 0-999. */
  readonly eventTimeSubMsUs: Uint32Array;
  readonly value: Float64Array;
  readonly catalogVersionIndex: Uint32Array;
  readonly deviceSeq: Uint32Array;
  readonly minEventTimeMs: number;
  readonly maxEventTimeMs: number;
}

class Column<T extends Uint32Array | Float64Array> {
  length = 0;
  constructor(
    public data: T,
    private readonly make: (n: number) => T,
  ) {}
  reserve(extra: number): void {
    if (this.length + extra <= this.data.length) return;
    const next = this.make(Math.max(this.data.length * 2, this.length + extra));
    next.set(this.data.subarray(0, this.length));
    this.data = next;
  }
  view(): T {
    return this.data.subarray(0, this.length) as T;
  }
}

const u32 = (n: number): Uint32Array => new Uint32Array(n);
const f64 = (n: number): Float64Array => new Float64Array(n);

class GroupBuilder {
  readonly vins: string[] = [];
  readonly catalogVersions: string[] = [];
  private readonly vinIds = new Map<string, number>();
  private readonly versionIds = new Map<string, number>();
  readonly vinIndex = new Column(u32(1024), u32);
  readonly signalId = new Column(u32(1024), u32);
  readonly eventTimeMs = new Column(f64(1024), f64);
  readonly eventTimeSubMsUs = new Column(u32(1024), u32);
  readonly value = new Column(f64(1024), f64);
  readonly versionIndex = new Column(u32(1024), u32);
  readonly deviceSeq = new Column(u32(1024), u32);
  min = Number.POSITIVE_INFINITY;
  max = Number.NEGATIVE_INFINITY;

  constructor(readonly partition: HourPartition) {}

  private id(map: Map<string, number>, list: string[], key: string): number {
    let i = map.get(key);
    if (i === undefined) {
      i = list.length;
      list.push(key);
      map.set(key, i);
    }
    return i;
  }

  /** Appends rows from..to (exclusive) of a batch. */
  append(b: ArchivableBatch, from: number, to: number): void {
    const n = to - from;
    const columns = [
      this.vinIndex,
      this.signalId,
      this.eventTimeMs,
      this.eventTimeSubMsUs,
      this.value,
      this.versionIndex,
      this.deviceSeq,
    ];
    for (const c of columns) c.reserve(n);
    const vi = this.id(this.vinIds, this.vins, b.vin);
    const ci = this.id(this.versionIds, this.catalogVersions, b.catalogVersion);
    const at = this.value.length;
    this.vinIndex.data.fill(vi, at, at + n);
    this.versionIndex.data.fill(ci, at, at + n);
    this.deviceSeq.data.fill(b.deviceSeq, at, at + n);
    this.signalId.data.set(b.signalId.subarray(from, to), at);
    this.value.data.set(b.value.subarray(from, to), at);
    if (b.timeSubMsUs) this.eventTimeSubMsUs.data.set(b.timeSubMsUs.subarray(from, to), at);
    else this.eventTimeSubMsUs.data.fill(0, at, at + n);
    const times = this.eventTimeMs.data;
    for (let i = from; i < to; i++) {
      const t = b.baseTimeMsEpoch + b.timeOffsetMs[i]!;
      times[at + i - from] = t;
      if (t < this.min) this.min = t;
      if (t > this.max) this.max = t;
    }
    for (const c of columns) c.length += n;
  }

  build(): RowGroup {
    return {
      partition: this.partition,
      rows: this.value.length,
      vins: this.vins,
      catalogVersions: this.catalogVersions,
      vinIndex: this.vinIndex.view(),
      signalId: this.signalId.view(),
      eventTimeMs: this.eventTimeMs.view(),
      eventTimeSubMsUs: this.eventTimeSubMsUs.view(),
      value: this.value.view(),
      catalogVersionIndex: this.versionIndex.view(),
      deviceSeq: this.deviceSeq.view(),
      minEventTimeMs: this.min,
      maxEventTimeMs: this.max,
    };
  }
}

export class Segment {
  private readonly builders = new Map<string, GroupBuilder>();
  private first: bigint | undefined;
  private last: bigint | undefined;
  private rowCount = 0;
  /** When the first record arrived (the flush timer's reference), ms. */
  private openedAtMs = 0;

  get firstOffset(): bigint | undefined {
    return this.first;
  }
  get lastOffset(): bigint | undefined {
    return this.last;
  }
  get rows(): number {
    return this.rowCount;
  }
  get isEmpty(): boolean {
    return this.first === undefined;
  }
  ageMs(nowMs: number): number {
    return this.first === undefined ? 0 : nowMs - this.openedAtMs;
  }

  /** A record with no rows (dead-lettered, empty): its offset joins the range. */
  addEmpty(offset: bigint, nowMs = Date.now()): void {
    this.note(offset, nowMs);
  }

  add(offset: bigint, b: ArchivableBatch, nowMs = Date.now()): void {
    this.note(offset, nowMs);
    const n = b.value.length;
    // Runs of samples in the same hour go in at once (a batch rarely spans an hour boundary).
    let from = 0;
    while (from < n) {
      const hour = hourOf(b.baseTimeMsEpoch + b.timeOffsetMs[from]!);
      let to = from + 1;
      while (to < n && hourOf(b.baseTimeMsEpoch + b.timeOffsetMs[to]!) === hour) to++;
      const key = `${b.modelId}\u0000${hour}`;
      let builder = this.builders.get(key);
      if (!builder) {
        builder = new GroupBuilder(hourPartition(b.modelId, hour));
        this.builders.set(key, builder);
      }
      builder.append(b, from, to);
      from = to;
    }
    this.rowCount += n;
  }

  groups(): RowGroup[] {
    return [...this.builders.values()].map((b) => b.build());
  }

  private note(offset: bigint, nowMs: number): void {
    if (this.last !== undefined && offset <= this.last)
      throw new Error(`offset ${offset} is not after the segment's last offset ${this.last}`);
    if (this.first === undefined) {
      this.first = offset;
      this.openedAtMs = nowMs;
    }
    this.last = offset;
  }
}
