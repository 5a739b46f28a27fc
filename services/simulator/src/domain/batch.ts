/**
 * Recorded frames → the uplink batch a T-Box sends (plain data; the adapter encodes TelemetryBatch): sequence
 * number +1 per batch, base time = the first frame's time (ms since the epoch), each frame's offset from it in µs,
 * the catalog version and device id, and whether the batch was recorded while offline (backfill).
 */
import type { FrameColumns } from './frames.js';

export interface UplinkFrames {
  readonly timeOffsetUs: Uint32Array;
  readonly bus: Uint32Array;
  readonly canId: Uint32Array;
  readonly flags: Uint32Array;
  readonly length: Uint32Array;
  readonly data: Uint8Array;
}

export interface UplinkBatch {
  readonly vin: string;
  readonly deviceId: string;
  readonly catalogVersion: string;
  readonly firmwareVersion: string;
  readonly seq: number;
  readonly baseTimeMsEpoch: number;
  readonly backfill: boolean;
  readonly frames: UplinkFrames;
  readonly frameCount: number;
}

export interface DeviceHeader {
  readonly vin: string;
  readonly deviceId: string;
  readonly catalogVersion: string;
  readonly firmwareVersion: string;
}

export const MAX_SEQ = 0xffffffff;

/** Numbers a device's batches: seq starts at `firstSeq` (default 1) and grows by one per sealed batch. */
export class BatchSealer {
  private next: number;

  constructor(
    readonly header: DeviceHeader,
    firstSeq = 1,
  ) {
    if (!Number.isInteger(firstSeq) || firstSeq < 1 || firstSeq > MAX_SEQ)
      throw new RangeError(`seq must start in 1..${MAX_SEQ}, got ${firstSeq}`);
    this.next = firstSeq;
  }

  get nextSeq(): number {
    return this.next;
  }

  /**
   * Seals frames whose `timeUs` count from `epochUs` (µs since the Unix epoch of time 0) into the next batch.
   * Returns undefined for an empty window: a batch without frames is not worth a sequence number.
   */
  seal(frames: FrameColumns, epochUs: number, backfill: boolean): UplinkBatch | undefined {
    if (frames.count === 0) return undefined;
    const first = epochUs + frames.timeUs[0]!;
    const baseTimeMsEpoch = Math.floor(first / 1000);
    const baseUs = baseTimeMsEpoch * 1000;
    const n = frames.count;
    const timeOffsetUs = new Uint32Array(n);
    for (let i = 0; i < n; i++) timeOffsetUs[i] = Math.max(0, Math.round(epochUs + frames.timeUs[i]! - baseUs));
    const seq = this.next;
    this.next = seq >= MAX_SEQ ? 1 : seq + 1;
    return {
      ...this.header,
      seq,
      baseTimeMsEpoch,
      backfill,
      frameCount: n,
      frames: {
        timeOffsetUs,
        bus: Uint32Array.from(frames.bus),
        canId: Uint32Array.from(frames.canId),
        flags: Uint32Array.from(frames.flags),
        length: Uint32Array.from(frames.length),
        data: frames.data,
      },
    };
  }
}
