/**
 * Turns one partition batch of tbox.frames.v1 records into vehicle.signals.v1 records and dead-letter records.
 * Lenient per frame: a frame that cannot be decoded is counted and dead-lettered (raw), the rest of its batch is
 * still decoded. A batch that cannot be decoded at all (unknown VIN, no catalog, malformed) is dead-lettered whole.
 */
import { TelemetryBatch, encodeSignalBatch, scanTelemetryBatch, strictBytes } from '@telltale/platform/proto';
import { RECORD_HEADER } from '@telltale/platform/kafka';
import { BATCH_ERROR_REASON_NAMES, SignalSink, decodeBatch } from '@telltale/dbc';
import type { CatalogLookup, CompiledCatalog } from '@telltale/catalog';
import { messageLabel, toSignalColumns } from '../domain/decode-uplink.js';
import { countOutOfRange, signalRanges } from '../domain/signal-ranges.js';

/** One tbox.frames.v1 record as the adapter hands it over (no Kafka client types). */
export interface UplinkRecord {
  /** The Kafka key: the VIN the gateway checked. */
  readonly key: string | undefined;
  readonly value: Uint8Array | undefined;
  /** Offset in its partition (decimal string). */
  readonly offset: string;
  /** The record timestamp (the gateway's receive time), ms since the epoch as a decimal string. */
  readonly timestamp: string;
  /** Older gateways stamped the receive time in a header instead. */
  readonly receivedMsHeader: string | undefined;
}

/** A record to produce: the adapter writes it as is. */
export interface OutputRecord {
  readonly key: string | null;
  readonly value: Buffer | null;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface VehicleModelLookup {
  get(vin: string): { readonly modelId: string; readonly catalogVersion: string } | undefined;
}

export interface CatalogSource {
  get(modelId: string, version: string): Promise<CatalogLookup>;
}

export interface DecodeEvents {
  batch(modelId: string, frames: number, signals: number, seconds: number): void;
  frameErrors(modelId: string, message: string, reason: string, count: number): void;
  batchRejected(reason: string): void;
  /** Samples outside their signal's DBC range (published all the same), per qualified signal name. */
  outOfRange?(modelId: string, signal: string, count: number): void;
}

export interface DecodedRecords {
  readonly signals: OutputRecord[];
  readonly deadLetters: OutputRecord[];
}

export class RecordDecoder {
  private readonly sink = new SignalSink(16384, 256);
  private readonly outOfRange = new Map<number, number>();

  constructor(
    private readonly vehicles: VehicleModelLookup,
    private readonly catalogs: CatalogSource,
    private readonly events: DecodeEvents,
    /** Larger outputs are split into parts (each record ~12 bytes per signal). */
    private readonly maxSignalsPerRecord = 65536,
    private readonly now: () => number = Date.now,
  ) {}

  async decode(records: readonly UplinkRecord[]): Promise<DecodedRecords> {
    const signals: OutputRecord[] = [];
    const deadLetters: OutputRecord[] = [];
    for (const record of records) {
      const value = record.value;
      const vin = record.key ?? '';
      const rejectWhole = (reason: string, detail: string): void => {
        this.events.batchRejected(reason);
        deadLetters.push({
          key: vin || null,
          value: value ? Buffer.from(value.buffer, value.byteOffset, value.byteLength) : null,
          headers: {
            [RECORD_HEADER.reason]: reason,
            [RECORD_HEADER.detail]: detail,
            [RECORD_HEADER.sourceOffset]: record.offset,
            ...passThrough(record),
          },
        });
      };
      if (!value) {
        rejectWhole('EMPTY_RECORD', 'record has no value');
        continue;
      }
      let batch: TelemetryBatch;
      try {
        // The gateway's strict reading first: protobufjs alone would also decode ambiguous bytes, and read them
        // differently from what the gateway judged.
        scanTelemetryBatch(value);
        batch = TelemetryBatch.decode(strictBytes(value));
      } catch (error) {
        rejectWhole('MALFORMED_PROTOBUF', (error as Error).message);
        continue;
      }
      // The key is the VIN the gateway authenticated (topic, device); the payload must not speak for another one.
      if (batch.vin !== vin) {
        rejectWhole('KEY_VIN_MISMATCH', `payload VIN "${batch.vin}" differs from the record key "${vin}"`);
        continue;
      }
      const vehicle = this.vehicles.get(batch.vin);
      if (!vehicle) {
        rejectWhole('UNKNOWN_VIN', `VIN ${batch.vin} is not in the registry`);
        continue;
      }
      const lookup = await this.catalogs.get(vehicle.modelId, vehicle.catalogVersion);
      if (!lookup.ok) {
        rejectWhole(lookup.reason, lookup.detail);
        continue;
      }
      const started = process.hrtime.bigint();
      const out = this.decodeBatch(batch, vehicle.modelId, lookup.catalog, record);
      signals.push(...out.signals);
      if (out.deadLetter) deadLetters.push(out.deadLetter);
      this.events.batch(vehicle.modelId, out.frames, out.signalCount, Number(process.hrtime.bigint() - started) / 1e9);
    }
    return { signals, deadLetters };
  }

  private decodeBatch(
    batch: TelemetryBatch,
    modelId: string,
    catalog: CompiledCatalog,
    record: UplinkRecord,
  ): { signals: OutputRecord[]; deadLetter: OutputRecord | undefined; frames: number; signalCount: number } {
    const f = batch.frames;
    const frames = {
      count: f?.canId?.length ?? 0,
      timeOffsetUs: f?.timeOffsetUs ?? [],
      bus: f?.bus ?? [],
      canId: f?.canId ?? [],
      flags: f?.flags ?? [],
      length: f?.length ?? [],
      data: f?.data ?? new Uint8Array(0),
    };
    const count = decodeBatch(frames, catalog, this.sink);
    const columns = toSignalColumns(this.sink, frames.timeOffsetUs);
    if (this.events.outOfRange) this.countOutOfRange(columns, count, modelId, catalog);
    // The gateway sets the record timestamp to its receive time (older records carried it in a header).
    const received = Number(record.receivedMsHeader ?? record.timestamp);
    const decodedAt = this.now();
    const parts = Math.max(1, Math.ceil(count / this.maxSignalsPerRecord));
    const signals: OutputRecord[] = [];
    for (let part = 0; part < parts; part++) {
      const from = part * this.maxSignalsPerRecord;
      const to = Math.min(count, from + this.maxSignalsPerRecord);
      const output = encodeSignalBatch(
        {
          vin: batch.vin,
          modelId,
          catalogVersion: catalog.catalog.catalogVersion,
          source: {
            deviceSeq: batch.seq,
            gatewayReceiveTimeMsEpoch: received,
            decodeTimeMsEpoch: decodedAt,
            deviceId: batch.deviceId,
          },
          baseTimeMsEpoch: batch.baseTimeMsEpoch,
          backfill: batch.backfill,
          batchId: `${batch.vin}:${batch.seq}`,
          part,
          partCount: parts,
        },
        {
          signalId: columns.signalId.subarray(from, to),
          value: columns.value.subarray(from, to),
          timeOffsetMs: columns.timeOffsetMs.subarray(from, to),
          timeSubMsUs: columns.timeSubMsUs.subarray(from, to),
        },
      );
      signals.push({ key: batch.vin, value: Buffer.from(output.buffer, output.byteOffset, output.byteLength) });
    }
    return {
      signals,
      deadLetter: this.sink.errorCount > 0 ? this.badFrames(batch, frames, modelId, catalog, record) : undefined,
      frames: frames.count,
      signalCount: count,
    };
  }

  private countOutOfRange(
    columns: { signalId: ArrayLike<number>; value: ArrayLike<number> },
    count: number,
    modelId: string,
    catalog: CompiledCatalog,
  ): void {
    const out = this.outOfRange;
    countOutOfRange(columns.signalId, columns.value, count, signalRanges(catalog.catalog), out);
    if (out.size === 0) return;
    for (const [id, n] of out) {
      this.events.outOfRange?.(modelId, catalog.catalog.signals[id]?.qualifiedName ?? String(id), n);
    }
    out.clear();
  }

  /** The frames that failed, as a TelemetryBatch of their own (same tools read it), with one reason per frame. */
  private badFrames(
    batch: TelemetryBatch,
    frames: {
      canId: ArrayLike<number>;
      flags: ArrayLike<number>;
      bus: ArrayLike<number>;
      length: ArrayLike<number>;
      timeOffsetUs: ArrayLike<number>;
      data: Uint8Array;
    },
    modelId: string,
    catalog: CompiledCatalog,
    record: UplinkRecord,
  ): OutputRecord {
    const starts: number[] = [];
    let offset = 0;
    for (let i = 0; i < frames.length.length; i++) {
      starts.push(offset);
      offset += frames.length[i]!;
    }
    const picked = {
      timeOffsetUs: [] as number[],
      bus: [] as number[],
      canId: [] as number[],
      flags: [] as number[],
      length: [] as number[],
      chunks: [] as Uint8Array[],
    };
    const reasons: string[] = [];
    const counts = new Map<string, number>();
    for (let e = 0; e < this.sink.errorCount; e++) {
      const i = this.sink.errorFrame[e]!;
      const reason = BATCH_ERROR_REASON_NAMES[this.sink.errorReason[e]!] ?? 'UNKNOWN';
      reasons.push(reason);
      const label = `${messageLabel(catalog, frames.bus[i]!, frames.canId[i]!, frames.flags[i]!)}\u0000${reason}`;
      counts.set(label, (counts.get(label) ?? 0) + 1);
      picked.timeOffsetUs.push(frames.timeOffsetUs[i]!);
      picked.bus.push(frames.bus[i]!);
      picked.canId.push(frames.canId[i]!);
      picked.flags.push(frames.flags[i]!);
      const start = starts[i]!;
      const length = Math.max(0, Math.min(frames.length[i]!, frames.data.length - start));
      picked.length.push(length);
      picked.chunks.push(frames.data.subarray(start, start + length));
    }
    for (const [label, count] of counts) {
      const [message = '', reason = ''] = label.split('\u0000');
      this.events.frameErrors(modelId, message, reason, count);
    }
    const value = TelemetryBatch.encode({
      vin: batch.vin,
      seq: batch.seq,
      catalogVersion: batch.catalogVersion,
      baseTimeMsEpoch: batch.baseTimeMsEpoch,
      backfill: batch.backfill,
      deviceId: batch.deviceId,
      frames: {
        timeOffsetUs: picked.timeOffsetUs,
        bus: picked.bus,
        canId: picked.canId,
        flags: picked.flags,
        length: picked.length,
        data: Buffer.concat(picked.chunks),
      },
    }).finish();
    return {
      key: batch.vin,
      value: Buffer.from(value),
      headers: {
        [RECORD_HEADER.reason]: 'UNDECODABLE_FRAMES',
        [RECORD_HEADER.frameReasons]: reasons.join(','),
        [RECORD_HEADER.sourceOffset]: record.offset,
        ...passThrough(record),
      },
    };
  }
}

function passThrough(record: UplinkRecord): Record<string, string> {
  return { [RECORD_HEADER.receivedMs]: record.receivedMsHeader ?? record.timestamp };
}
