/**
 * Bit extraction plans: how to read a signal's raw value from frame bytes with 32-bit integer arithmetic only.
 *
 * A signal is cut into chunks that each fit one 32-bit window (at most 4 bytes, `bitOffset + bits <= 32`). A chunk
 * is read by assembling its bytes into an int32 word, shifting its bits to the top and shifting them back down with
 * `>>>` (unsigned) or `>>` (sign-extending, for the most significant chunk of a signed signal). Chunks combine with
 * exact double arithmetic while the total stays within 53 bits. Signals of 54..64 bits are read as `hi * 2^32 + lo`
 * with both halves exact, so the double result is rounded once, i.e. correctly (what Python does for float(int));
 * the per-frame API reads the same halves as BigInt when it needs the exact integer.
 *
 * The same plan drives both the code generator (compile.ts emits it as JS source) and the interpreter below (used by
 * the per-frame API), so the two cannot disagree about bit positions.
 */
import { motorolaMsbPosition } from './layout.js';
import type { ByteOrder, Signal } from './model.js';

/** Bits [bitOffset, bitOffset + bits) of a word made of `byteCount` bytes starting at `firstByte`. */
export interface Chunk {
  readonly firstByte: number;
  readonly byteCount: number;
  readonly byteOrder: ByteOrder;
  /**
   * For little_endian: offset of the chunk's LSB from the word's LSB. For big_endian: offset of its MSB from the
   * word's MSB.
   */
  readonly bitOffset: number;
  readonly bits: number;
  readonly signed: boolean;
  /** The chunk's weight in the field: value = Σ chunk × 2^shift. */
  readonly shift: number;
}

/** An integer field of at most 53 bits, exact as a double. */
export interface Field {
  readonly chunks: readonly Chunk[];
}

export type ExtractionPlan =
  | { readonly kind: 'int'; readonly field: Field }
  /** 54..64-bit integers: hi × 2^32 + lo, lo unsigned. */
  | { readonly kind: 'wide'; readonly hi: Field; readonly lo: Field }
  | { readonly kind: 'float32'; readonly bits: Field }
  | { readonly kind: 'float64'; readonly hi: Field; readonly lo: Field };

/**
 * A field of `bits` bits (≤ 53). For little_endian `position` is the LSB's physical bit number (8·byte + bit) and
 * the field grows upwards; for big_endian it is the MSB's big-endian linear position (8·byte + 7 − bit) and the
 * field continues into later bytes.
 */
export function makeField(byteOrder: ByteOrder, position: number, bits: number, signed: boolean): Field {
  const chunks: Chunk[] = [];
  let done = 0;
  while (done < bits) {
    const p = position + done;
    const bitOffset = p & 7;
    const n = Math.min(bits - done, 32 - bitOffset);
    const byteCount = Math.ceil((bitOffset + n) / 8);
    const last = done + n === bits;
    chunks.push({
      firstByte: p >> 3,
      byteCount,
      byteOrder,
      bitOffset,
      bits: n,
      // The most significant chunk carries the sign: the last one for Intel, the first one for Motorola.
      signed: signed && (byteOrder === 'little_endian' ? last : done === 0),
      shift: byteOrder === 'little_endian' ? done : bits - done - n,
    });
    done += n;
  }
  return { chunks };
}

export function extractionPlan(signal: Signal): ExtractionPlan {
  const order = signal.byteOrder;
  const length = signal.length;
  // Intel fields are addressed by their LSB, Motorola ones by their MSB (in big-endian linear numbering).
  const start = order === 'little_endian' ? signal.startBit : motorolaMsbPosition(signal.startBit);
  /** The half of a 64-bit-or-less field holding its low 32 bits and the one holding the rest. */
  const halves = (signedHi: boolean): { hi: Field; lo: Field } =>
    order === 'little_endian'
      ? { lo: makeField(order, start, 32, false), hi: makeField(order, start + 32, length - 32, signedHi) }
      : { hi: makeField(order, start, length - 32, signedHi), lo: makeField(order, start + length - 32, 32, false) };
  switch (signal.valueType) {
    case 'float32':
      return { kind: 'float32', bits: makeField(order, start, 32, false) };
    case 'float64':
      return { kind: 'float64', ...halves(false) };
    case 'integer':
      if (length <= 53) return { kind: 'int', field: makeField(order, start, length, signal.isSigned) };
      return { kind: 'wide', ...halves(signal.isSigned) };
  }
}

// ---- interpreter ----

function readChunk(chunk: Chunk, data: Uint8Array, base: number): number {
  let word = 0;
  const first = base + chunk.firstByte;
  if (chunk.byteOrder === 'little_endian') {
    for (let k = 0; k < chunk.byteCount; k++) word |= data[first + k]! << (8 * k);
    const shifted = word << (32 - chunk.bitOffset - chunk.bits);
    return chunk.signed ? shifted >> (32 - chunk.bits) : shifted >>> (32 - chunk.bits);
  }
  for (let k = 0; k < chunk.byteCount; k++) word = (word << 8) | data[first + k]!;
  const shifted = word << (32 - 8 * chunk.byteCount + chunk.bitOffset);
  return chunk.signed ? shifted >> (32 - chunk.bits) : shifted >>> (32 - chunk.bits);
}

export function readField(field: Field, data: Uint8Array, base: number): number {
  let value = 0;
  for (const chunk of field.chunks) value += readChunk(chunk, data, base) * 2 ** chunk.shift;
  return value;
}

const scratch = new DataView(new ArrayBuffer(8));

/**
 * The raw value: a number for floats and integers up to 53 bits; for wider integers a number (correctly rounded)
 * or, with `exact`, a bigint.
 */
export function readRaw(plan: ExtractionPlan, data: Uint8Array, base: number, exact: boolean): number | bigint {
  switch (plan.kind) {
    case 'int':
      return readField(plan.field, data, base);
    case 'wide': {
      const hi = readField(plan.hi, data, base);
      const lo = readField(plan.lo, data, base);
      return exact ? (BigInt(hi) << 32n) + BigInt(lo) : hi * 4294967296 + lo;
    }
    case 'float32':
      scratch.setUint32(0, readField(plan.bits, data, base));
      return scratch.getFloat32(0);
    case 'float64':
      scratch.setUint32(0, readField(plan.hi, data, base));
      scratch.setUint32(4, readField(plan.lo, data, base));
      return scratch.getFloat64(0);
  }
}
