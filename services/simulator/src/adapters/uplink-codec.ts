/** UplinkBatch (domain) ↔ TelemetryBatch protobuf bytes: the only place the simulator touches the wire type. */
import { TelemetryBatch } from '@telltale/platform/proto';
import type { UplinkBatch } from '../domain/batch.js';

export function encodeUplink(batch: UplinkBatch): Uint8Array {
  return TelemetryBatch.encode({
    vin: batch.vin,
    seq: batch.seq,
    catalogVersion: batch.catalogVersion,
    baseTimeMsEpoch: batch.baseTimeMsEpoch,
    backfill: batch.backfill,
    deviceId: batch.deviceId,
    firmwareVersion: batch.firmwareVersion,
    // protobufjs writes packed repeated fields from anything indexable with a length: typed arrays, no copies.
    frames: {
      timeOffsetUs: batch.frames.timeOffsetUs as unknown as number[],
      bus: batch.frames.bus as unknown as number[],
      canId: batch.frames.canId as unknown as number[],
      flags: batch.frames.flags as unknown as number[],
      length: batch.frames.length as unknown as number[],
      data: batch.frames.data,
    },
  }).finish();
}

/** The byte offset of the 5-byte seq varint in a batch encoded with a seq in [2^28, 2^32) (vin first, then seq). */
export function seqVarintOffset(payload: Uint8Array, vin: string): number {
  const offset = 2 + Buffer.byteLength(vin);
  if (payload[offset] !== 0x10) throw new Error('unexpected TelemetryBatch layout: seq does not follow vin');
  return offset + 1;
}

/** Writes seq (2^28 ≤ seq < 2^32) as a 5-byte varint at `offset`, in place. */
export function patchSeq(payload: Uint8Array, offset: number, seq: number): void {
  payload[offset] = (seq & 0x7f) | 0x80;
  payload[offset + 1] = ((seq >>> 7) & 0x7f) | 0x80;
  payload[offset + 2] = ((seq >>> 14) & 0x7f) | 0x80;
  payload[offset + 3] = ((seq >>> 21) & 0x7f) | 0x80;
  payload[offset + 4] = (seq >>> 28) & 0x0f;
}
