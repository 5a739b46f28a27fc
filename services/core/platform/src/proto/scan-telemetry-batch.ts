/**
 * The one strict reading of an uplink TelemetryBatch: the gateway judges a payload by it, and the decoder accepts
 * a record only if it passes, so both see exactly the same message. It returns what the gateway checks (header
 * fields; for the frame columns only their element counts, the sum and maximum of the frame lengths and the data
 * size) without decoding the frames into arrays, which was a large part of the gateway's CPU per batch.
 *
 * Why strict: protobuf lets one byte string be read several ways, and protobufjs' generated decoder ignores wire
 * types (a `seq` sent length-delimited is read as a varint, its contents then parsed as top-level fields), keeps the
 * last of duplicate singular fields, replaces a repeated sub-message instead of merging it, and skips 5 bytes after
 * an over-long 32-bit varint whatever they hold. A payload only passes if every reader must agree on it:
 *
 *   - every field has its declared wire type (packed or unpacked for the repeated columns);
 *   - singular fields (and `frames`, and `data`) appear at most once; unknown field numbers are rejected (the
 *     gateway is upgraded before devices send a new field: nothing unjudged reaches Kafka);
 *   - 32-bit varints are at most 5 bytes and fit 32 bits, the int64 base time is below 2^53 and not negative;
 *   - strings are valid UTF-8; nothing is truncated, packed runs end exactly at their boundary.
 *
 * Throws an Error whose message says what is wrong.
 */
export interface TelemetryBatchHeader {
  readonly vin: string;
  readonly seq: number;
  readonly deviceId: string;
  readonly baseTimeMsEpoch: number;
  readonly backfill: boolean;
  /** 0 when the device does not declare one (see the proto). */
  readonly bootId: number;
  /** Elements per column: time_offset_us, bus, can_id, flags, length. */
  readonly columnCounts: readonly [number, number, number, number, number];
  readonly lengthSum: number;
  readonly maxLength: number;
  readonly dataLength: number;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Field numbers of TelemetryBatch and their wire types (0 varint, 2 length-delimited). */
const TOP_WIRE: readonly (number | undefined)[] = [undefined, 2, 0, 2, 0, 0, 2, 2, 2, 0];
const TOP_NAMES = [
  '',
  'vin',
  'seq',
  'catalog_version',
  'base_time_ms_epoch',
  'backfill',
  'frames',
  'device_id',
  'firmware_version',
  'boot_id',
];
const COLUMN_NAMES = ['', 'time_offset_us', 'bus', 'can_id', 'flags', 'length', 'data'];

class StrictReader {
  pos: number;
  constructor(
    readonly buf: Uint8Array,
    start: number,
    public end: number,
  ) {
    this.pos = start;
  }

  /** A uint32 varint: at most 5 bytes, value below 2^32. */
  uint32(): number {
    const buf = this.buf;
    let result = 0;
    for (let i = 0; i < 5; i++) {
      if (this.pos >= this.end) throw new Error(`truncated varint at byte ${this.pos}`);
      const byte = buf[this.pos++]!;
      if (i < 4) result |= (byte & 0x7f) << (7 * i);
      else {
        if (byte > 0x0f) throw new Error(`32-bit varint longer than 32 bits at byte ${this.pos - 1}`);
        result = (result >>> 0) + byte * 2 ** 28;
      }
      if ((byte & 0x80) === 0) return result >>> 0;
    }
    return result >>> 0; // not reached: the 5th byte is ≤ 0x0f
  }

  /** A non-negative int64 below 2^53 (ms timestamps). */
  uint53(): number {
    let result = 0;
    let factor = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new Error(`truncated varint at byte ${this.pos}`);
      const byte = this.buf[this.pos++]!;
      result += (byte & 0x7f) * factor;
      if ((byte & 0x80) === 0) {
        if (result >= 2 ** 53) throw new Error('int64 outside 0..2^53');
        return result;
      }
      factor *= 128;
    }
    throw new Error('varint longer than 10 bytes');
  }

  /** A length-delimited field's bounds, checked against the end; moves past it. */
  bytes(): { start: number; end: number } {
    const length = this.uint32();
    const start = this.pos;
    const end = start + length;
    if (end > this.end) throw new Error(`field of ${length} bytes runs past the end`);
    this.pos = end;
    return { start, end };
  }
}

export function scanTelemetryBatch(payload: Uint8Array): TelemetryBatchHeader {
  const buf = payload;
  const r = new StrictReader(buf, 0, buf.length);
  let vin = '';
  let seq = 0;
  let deviceId = '';
  let baseTimeMsEpoch = 0;
  let backfill = false;
  let bootId = 0;
  const counts: [number, number, number, number, number] = [0, 0, 0, 0, 0];
  let lengthSum = 0;
  let maxLength = 0;
  let dataLength = 0;
  let seen = 0; // bit per top-level field number already read
  while (r.pos < r.end) {
    const tag = r.uint32();
    const field = tag >>> 3;
    const wire = tag & 7;
    const expected = TOP_WIRE[field];
    if (expected === undefined) throw new Error(`unknown field ${field} (wire type ${wire})`);
    if (wire !== expected) throw new Error(`field ${TOP_NAMES[field]} has wire type ${wire}, not ${expected}`);
    if ((seen & (1 << field)) !== 0) throw new Error(`field ${TOP_NAMES[field]} appears twice`);
    seen |= 1 << field;
    switch (field) {
      case 1: {
        const { start, end } = r.bytes();
        vin = utf8.decode(buf.subarray(start, end));
        break;
      }
      case 2:
        seq = r.uint32();
        break;
      case 4:
        baseTimeMsEpoch = r.uint53();
        break;
      case 5:
        backfill = r.uint32() !== 0;
        break;
      case 7: {
        const { start, end } = r.bytes();
        deviceId = utf8.decode(buf.subarray(start, end));
        break;
      }
      case 9:
        bootId = r.uint32();
        break;
      case 6: {
        const { start, end } = r.bytes();
        const f = new StrictReader(buf, start, end);
        let dataSeen = false;
        while (f.pos < f.end) {
          const ftag = f.uint32();
          const column = ftag >>> 3;
          const fwire = ftag & 7;
          if (column >= 1 && column <= 5) {
            // Frame lengths: their sum must match the data size, each at most 64. (Inline, not a closure: this
            // runs for every uplink.)
            if (fwire === 0) {
              const value = f.uint32();
              counts[column - 1]! += 1;
              if (column === 5) {
                lengthSum += value;
                if (value > maxLength) maxLength = value;
              }
            } else if (fwire === 2) {
              const packed = f.bytes();
              const p = new StrictReader(buf, packed.start, packed.end);
              let n = 0;
              while (p.pos < p.end) {
                const value = p.uint32();
                n++;
                if (column === 5) {
                  lengthSum += value;
                  if (value > maxLength) maxLength = value;
                }
              }
              counts[column - 1]! += n;
            } else throw new Error(`frames.${COLUMN_NAMES[column]} has wire type ${fwire}, not 0 or 2`);
          } else if (column === 6) {
            if (fwire !== 2) throw new Error(`frames.data has wire type ${fwire}, not 2`);
            if (dataSeen) throw new Error('field frames.data appears twice');
            dataSeen = true;
            const data = f.bytes();
            dataLength = data.end - data.start;
          } else throw new Error(`unknown field frames.${column} (wire type ${fwire})`);
        }
        break;
      }
      default: {
        // catalog_version (3), firmware_version (8): informational strings, still checked.
        const { start, end } = r.bytes();
        utf8.decode(buf.subarray(start, end));
      }
    }
  }
  return {
    vin,
    seq,
    deviceId,
    baseTimeMsEpoch,
    backfill,
    bootId,
    columnCounts: counts,
    lengthSum,
    maxLength,
    dataLength,
  };
}
