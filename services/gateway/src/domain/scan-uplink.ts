/**
 * Reads what the gateway checks from a TelemetryBatch without decoding its frames: the header fields, and for the
 * frame columns only their element counts, the sum and maximum of the frame lengths and the data size. Decoding the
 * frame columns into arrays (what the decoder needs) was a large part of the gateway's CPU per batch.
 * Strict: truncated or malformed wire data throws.
 */
import { WireReader, strictBytes } from '@telltale/platform/proto';

export interface UplinkHeader {
  readonly vin: string;
  readonly seq: number;
  readonly deviceId: string;
  readonly baseTimeMsEpoch: number;
  readonly backfill: boolean;
  /** Elements per column: time_offset_us, bus, can_id, flags, length. */
  readonly columnCounts: readonly [number, number, number, number, number];
  readonly lengthSum: number;
  readonly maxLength: number;
  readonly dataLength: number;
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/** Counts varints in a packed field (each ends with a byte whose top bit is clear). */
function countPacked(buf: Uint8Array, start: number, end: number): number {
  let n = 0;
  for (let i = start; i < end; i++) if ((buf[i]! & 0x80) === 0) n++;
  if (end > start && (buf[end - 1]! & 0x80) !== 0) throw new Error('truncated packed varint');
  return n;
}

export function scanUplink(payload: Uint8Array): UplinkHeader {
  const buf = strictBytes(payload);
  const r = new WireReader(buf, 0, buf.length);
  let vin = '';
  let seq = 0;
  let deviceId = '';
  let baseTimeMsEpoch = 0;
  let backfill = false;
  const counts: [number, number, number, number, number] = [0, 0, 0, 0, 0];
  let lengthSum = 0;
  let maxLength = 0;
  let dataLength = 0;
  while (r.pos < r.end) {
    const tag = r.varint();
    const field = tag >>> 3;
    const wire = tag & 7;
    if (field === 1 && wire === 2) {
      const { start, end } = r.lengthDelimited();
      vin = decoder.decode(buf.subarray(start, end));
    } else if (field === 2 && wire === 0) seq = r.varint();
    else if (field === 4 && wire === 0) baseTimeMsEpoch = r.varint53();
    else if (field === 5 && wire === 0) backfill = r.varint() !== 0;
    else if (field === 7 && wire === 2) {
      const { start, end } = r.lengthDelimited();
      deviceId = decoder.decode(buf.subarray(start, end));
    } else if (field === 6 && wire === 2) {
      const { start, end } = r.lengthDelimited();
      const f = new WireReader(buf, start, end);
      while (f.pos < f.end) {
        const ftag = f.varint();
        const column = ftag >>> 3;
        const fwire = ftag & 7;
        if (column >= 1 && column <= 5 && (fwire === 0 || fwire === 2)) {
          if (column === 5) {
            // Frame lengths: their sum must match the data size, each at most 64. (Inline, not a closure: this runs
            // for every uplink.)
            if (fwire === 0) {
              const length = f.varint();
              lengthSum += length;
              if (length > maxLength) maxLength = length;
              counts[4] += 1;
            } else {
              const packed = f.lengthDelimited();
              const p = new WireReader(buf, packed.start, packed.end);
              while (p.pos < p.end) {
                const length = p.varint();
                lengthSum += length;
                if (length > maxLength) maxLength = length;
                counts[4] += 1;
              }
            }
          } else if (fwire === 0) {
            f.varint();
            counts[column - 1]! += 1;
          } else {
            const packed = f.lengthDelimited();
            counts[column - 1]! += countPacked(buf, packed.start, packed.end);
          }
        } else if (column === 6 && fwire === 2) {
          const data = f.lengthDelimited();
          dataLength += data.end - data.start;
        } else f.skipField(fwire);
      }
    } else r.skipField(wire);
  }
  return { vin, seq, deviceId, baseTimeMsEpoch, backfill, columnCounts: counts, lengthSum, maxLength, dataLength };
}
