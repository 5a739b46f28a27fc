/**
 * Fast path for SignalBatch's packed columns (signal_id = 6, value = 7, time_offset_ms = 8, time_sub_ms_us = 13).
 * protobufjs encodes and decodes packed arrays one element at a time through generic writer/reader calls, which
 * makes a decoded vehicle-second (~67,000 signals) cost ~20 ms to encode and ~10 ms to decode. Here the columns are
 * written and read directly as varints and little-endian doubles into typed arrays; the small header fields still go
 * through the generated code. The bytes are plain protobuf: any protobuf reader decodes them, and these functions
 * read any valid encoding (packed or not, fields in any order).
 */
import { SignalBatch, strictBytes, type ISignalBatch } from './index.js';
import { WireReader as Cursor } from './wire.js';

export interface SignalColumns {
  readonly signalId: Uint32Array;
  readonly value: Float64Array;
  readonly timeOffsetMs: Uint32Array;
  /**
   * Microseconds within the millisecond (0-999) of each event time. Optional when encoding (absent or all zero: the
   * column is left out); always present, full length, when decoding (zeros when the record has none).
   */
  readonly timeSubMsUs?: Uint32Array;
}

/** Decoded columns: the sub-millisecond column is always there. */
export interface DecodedSignalColumns extends SignalColumns {
  readonly timeSubMsUs: Uint32Array;
}

/** Event time of sample `i` in µs since the epoch (exact in a double until the year 2255). */
export function eventTimeUs(baseTimeMsEpoch: number, columns: DecodedSignalColumns, i: number): number {
  return (baseTimeMsEpoch + columns.timeOffsetMs[i]!) * 1000 + columns.timeSubMsUs[i]!;
}

const TAG_SIGNAL_ID = (6 << 3) | 2;
const TAG_VALUE = (7 << 3) | 2;
const TAG_TIME_OFFSET = (8 << 3) | 2;
const TAG_TIME_SUB_MS = (13 << 3) | 2;

function varintSize(v: number): number {
  return v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x200000 ? 3 : v < 0x10000000 ? 4 : 5;
}

function writeVarint(buf: Uint8Array, pos: number, v: number): number {
  while (v > 0x7f) {
    buf[pos++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  buf[pos++] = v;
  return pos;
}

/** Encodes header fields (columns in `header` are ignored) plus the columns. */
export function encodeSignalBatch(
  header: Omit<ISignalBatch, 'signalId' | 'value' | 'timeOffsetMs' | 'timeSubMsUs'>,
  columns: SignalColumns,
): Uint8Array {
  const head = SignalBatch.encode(header).finish();
  const n = columns.signalId.length;
  let idBytes = 0;
  let offsetBytes = 0;
  for (let i = 0; i < n; i++) {
    idBytes += varintSize(columns.signalId[i]!);
    offsetBytes += varintSize(columns.timeOffsetMs[i]!);
  }
  const sub = columns.timeSubMsUs;
  let subBytes = 0;
  let anySub = false;
  if (sub) {
    if (sub.length !== n) throw new Error(`time_sub_ms_us has ${sub.length} entries for ${n} samples`);
    for (let i = 0; i < n; i++) {
      subBytes += varintSize(sub[i]!);
      if (sub[i] !== 0) anySub = true;
    }
  }
  const valueBytes = n * 8;
  const total =
    head.length +
    (n === 0
      ? 0
      : 3 +
        varintSize(idBytes) +
        idBytes +
        varintSize(valueBytes) +
        valueBytes +
        varintSize(offsetBytes) +
        offsetBytes +
        (anySub ? 1 + varintSize(subBytes) + subBytes : 0));
  const out = new Uint8Array(total);
  out.set(head, 0);
  let pos = head.length;
  if (n === 0) return out;
  out[pos++] = TAG_SIGNAL_ID;
  pos = writeVarint(out, pos, idBytes);
  for (let i = 0; i < n; i++) pos = writeVarint(out, pos, columns.signalId[i]!);
  out[pos++] = TAG_VALUE;
  pos = writeVarint(out, pos, valueBytes);
  // Float64Array shares the platform's byte order; protobuf doubles are little-endian (every platform we run on).
  out.set(new Uint8Array(columns.value.buffer, columns.value.byteOffset, valueBytes), pos);
  pos += valueBytes;
  out[pos++] = TAG_TIME_OFFSET;
  pos = writeVarint(out, pos, offsetBytes);
  for (let i = 0; i < n; i++) pos = writeVarint(out, pos, columns.timeOffsetMs[i]!);
  if (anySub) {
    out[pos++] = TAG_TIME_SUB_MS;
    pos = writeVarint(out, pos, subBytes);
    for (let i = 0; i < n; i++) pos = writeVarint(out, pos, sub![i]!);
  }
  return out;
}

class GrowableU32 {
  data = new Uint32Array(256);
  length = 0;
  push(v: number): void {
    this.reserve(1);
    this.data[this.length++] = v;
  }
  /** Room for `more` values (grown once, not doubling per element). */
  reserve(more: number): void {
    if (this.length + more <= this.data.length) return;
    const next = new Uint32Array(Math.max(this.data.length * 2, this.length + more));
    next.set(this.data.subarray(0, this.length));
    this.data = next;
  }
  /**
   * A packed varint run [start, end): one and two byte varints (signal ids below 16,384, offsets below 16.4 s)
   * inline, longer ones through the checked reader. Each varint takes at least a byte, so `end - start` is room
   * enough.
   */
  pushPacked(buf: Uint8Array, start: number, end: number): void {
    this.reserve(end - start);
    const data = this.data;
    const reader = new Cursor(buf, start, end);
    let n = this.length;
    let pos = start;
    while (pos < end) {
      const b0 = buf[pos]!;
      if (b0 < 0x80) {
        data[n++] = b0;
        pos += 1;
        continue;
      }
      if (pos + 1 < end) {
        const b1 = buf[pos + 1]!;
        if (b1 < 0x80) {
          data[n++] = (b0 & 0x7f) | (b1 << 7);
          pos += 2;
          continue;
        }
      }
      reader.pos = pos;
      data[n++] = reader.varint();
      pos = reader.pos;
    }
    this.length = n;
  }
  done(): Uint32Array {
    return this.data.slice(0, this.length);
  }
}

/**
 * Decodes a SignalBatch: header fields through the generated decoder (with empty columns), columns into typed
 * arrays. Throws on malformed input (truncated fields, columns of different lengths).
 */
export function decodeSignalBatch(bytes: Uint8Array): { header: SignalBatch; columns: DecodedSignalColumns } {
  const buf = strictBytes(bytes);
  const ids = new GrowableU32();
  const offsets = new GrowableU32();
  const subs = new GrowableU32();
  const valueChunks: Float64Array[] = [];
  const headerParts: Uint8Array[] = [];
  const c = new Cursor(buf, 0, buf.length);
  while (c.pos < c.end) {
    const fieldStart = c.pos;
    const tag = c.varint();
    const field = tag >>> 3;
    const wire = tag & 7;
    if ((field === 6 || field === 8 || field === 13) && (wire === 2 || wire === 0)) {
      const target = field === 6 ? ids : field === 8 ? offsets : subs;
      if (wire === 0) target.push(c.varint());
      else {
        const len = c.varint();
        const end = c.pos + len;
        if (end > c.end) throw new Error('packed field runs past the end');
        target.pushPacked(buf, c.pos, end);
        c.pos = end;
      }
    } else if (field === 7 && (wire === 2 || wire === 1)) {
      const len = wire === 2 ? c.varint() : 8;
      if (len % 8 !== 0) throw new Error('packed double field length is not a multiple of 8');
      if (c.pos + len > c.end) throw new Error('packed field runs past the end');
      // slice() copies into a fresh, aligned buffer.
      valueChunks.push(new Float64Array(buf.slice(c.pos, c.pos + len).buffer));
      c.pos += len;
    } else {
      c.skipField(wire);
      headerParts.push(buf.subarray(fieldStart, c.pos));
    }
  }
  const headerBytes = new Uint8Array(headerParts.reduce((sum, p) => sum + p.length, 0));
  let at = 0;
  for (const part of headerParts) {
    headerBytes.set(part, at);
    at += part.length;
  }
  const header = SignalBatch.decode(headerBytes);
  let value: Float64Array;
  if (valueChunks.length === 1) value = valueChunks[0]!;
  else {
    value = new Float64Array(valueChunks.reduce((sum, v) => sum + v.length, 0));
    let v = 0;
    for (const chunk of valueChunks) {
      value.set(chunk, v);
      v += chunk.length;
    }
  }
  const n = value.length;
  const timeSubMsUs = subs.length === 0 ? new Uint32Array(n) : subs.done();
  const columns = { signalId: ids.done(), value, timeOffsetMs: offsets.done(), timeSubMsUs };
  if (columns.signalId.length !== n || columns.timeOffsetMs.length !== n || timeSubMsUs.length !== n) {
    throw new Error(
      `columns differ in length: ${columns.signalId.length} ids, ${n} values, ` +
        `${columns.timeOffsetMs.length} offsets, ${subs.length} sub-millisecond times`,
    );
  }
  for (let i = 0; i < subs.length; i++) {
    if (timeSubMsUs[i]! > 999) throw new Error(`time_sub_ms_us[${i}] is ${timeSubMsUs[i]}, not 0-999`);
  }
  return { header, columns };
}
