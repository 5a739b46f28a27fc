/**
 * Physical values → CAN frame bytes: the inverse of DBC decoding, compiled once per message for the simulator's hot
 * path. Each signal becomes a list of byte segments (byte, bit shift, mask, source word, word shift), so writing a
 * value is a handful of 32-bit integer operations whatever the byte order or start bit: no BigInt, no per-bit loop.
 *
 * - Intel (@1) signals occupy physical bits start..start+length-1 (bit b of byte k is 8k+b), LSB first.
 * - Motorola (@0) signals are contiguous in big-endian linear numbering (8k + 7 − b) from their MSB (the DBC start
 *   bit), which is where dbc/layout.ts places them too.
 * - Integers are scaled (raw = round((physical − offset) / scale)), clamped to what the bits can carry (a simulator
 *   driving a value past its range saturates instead of wrapping) and written in two's complement when signed.
 *   Values up to 53 bits are exact; wider ones are as exact as a double (53 significant bits).
 * - IEEE float32/float64 signals carry (physical − offset) / scale as the float's bit pattern.
 * - Multiplexed messages are encoded one page at a time: `pages` lists every reachable combination of multiplexer
 *   values (nested multiplexers included); a caller cycles through them as an ECU does.
 */
import type { Message, Signal } from '../core-api.js';

const TWO_32 = 4294967296;
/** A message with more reachable multiplexer combinations than this cycles through the first ones only. */
export const MAX_PAGES = 4096;

export const ValueKind = { Integer: 0, Float32: 1, Float64: 2 } as const;
export type ValueKind = (typeof ValueKind)[keyof typeof ValueKind];

/** How one signal is written. */
export interface SignalPlan {
  readonly signal: Signal;
  readonly kind: ValueKind;
  /** Flattened segments: [byte, bitShift, mask, word (0 = low 32 bits, 1 = high), wordShift] per byte touched. */
  readonly segments: Int32Array;
  readonly scale: number;
  readonly offset: number;
  /** Raw range the bits can carry (integers only). */
  readonly rawMin: number;
  readonly rawMax: number;
}

/** One combination of multiplexer values and the signals it makes present. */
export interface MultiplexPage {
  /** Signal index of each multiplexer switch on the page → its raw value. */
  readonly switches: ReadonlyMap<number, number>;
  /** Indexes (message order) of the signals written on this page, switches included. */
  readonly signals: Uint16Array;
}

/** Bit segments of a signal, least significant bits first. */
export function signalSegments(signal: Pick<Signal, 'startBit' | 'length' | 'byteOrder'>): Int32Array {
  const out: number[] = [];
  const length = signal.length;
  const intel = signal.byteOrder === 'little_endian';
  const msb = intel ? 0 : (signal.startBit >> 3) * 8 + 7 - (signal.startBit & 7);
  let byte = -1;
  let shift = 0;
  let width = 0;
  let word = 0;
  let wordShift = 0;
  const flush = (): void => {
    if (width > 0) out.push(byte, shift, (1 << width) - 1, word, wordShift);
  };
  for (let i = 0; i < length; i++) {
    let b: number;
    let bit: number;
    if (intel) {
      const p = signal.startBit + i;
      b = p >> 3;
      bit = p & 7;
    } else {
      const linear = msb + (length - 1 - i);
      b = linear >> 3;
      bit = 7 - (linear & 7);
    }
    const w = i >= 32 ? 1 : 0;
    if (width > 0 && b === byte && w === word && bit === shift + width) {
      width += 1;
      continue;
    }
    flush();
    byte = b;
    shift = bit;
    width = 1;
    word = w;
    wordShift = i & 31;
  }
  flush();
  return Int32Array.from(out);
}

export function planSignal(signal: Signal): SignalPlan {
  const kind =
    signal.valueType === 'float32'
      ? ValueKind.Float32
      : signal.valueType === 'float64'
        ? ValueKind.Float64
        : ValueKind.Integer;
  const length = kind === ValueKind.Float32 ? 32 : kind === ValueKind.Float64 ? 64 : signal.length;
  const segments = signalSegments({ startBit: signal.startBit, length, byteOrder: signal.byteOrder });
  let rawMin = 0;
  let rawMax = 0;
  if (kind === ValueKind.Integer) {
    // The largest double below 2^bits: 2^bits − 1 itself rounds up to 2^bits past 53 bits.
    const below = (bits: number): number => (bits <= 53 ? 2 ** bits - 1 : 2 ** bits - 2 ** (bits - 53));
    rawMin = signal.isSigned ? -(2 ** (signal.length - 1)) : 0;
    rawMax = signal.isSigned ? below(signal.length - 1) : below(signal.length);
  }
  return {
    signal,
    kind,
    segments,
    scale: signal.scale === 0 ? 1 : signal.scale,
    offset: signal.offset,
    rawMin,
    rawMax,
  };
}

const f32 = new Float32Array(1);
const f32Bits = new Uint32Array(f32.buffer);
const f64View = new DataView(new ArrayBuffer(8));

function writeWords(segments: Int32Array, hi: number, lo: number, out: Uint8Array, offset: number): void {
  for (let k = 0; k < segments.length; k += 5) {
    const at = offset + segments[k]!;
    const shift = segments[k + 1]!;
    const mask = segments[k + 2]!;
    const value = ((segments[k + 3] === 1 ? hi : lo) >>> segments[k + 4]!) & mask;
    out[at] = (out[at]! & ~(mask << shift)) | (value << shift);
  }
}

/** Writes an integer raw value (already in range) in two's complement. */
function writeInteger(segments: Int32Array, raw: number, out: Uint8Array, offset: number): void {
  if (raw >= 0 && raw < TWO_32) {
    writeWords(segments, 0, raw, out, offset);
    return;
  }
  const hiSigned = Math.floor(raw / TWO_32);
  writeWords(segments, hiSigned >>> 0, raw - hiSigned * TWO_32, out, offset);
}

/** The raw integer for a physical value, rounded and clamped to the signal's bits; NaN becomes 0 (clamped). */
export function rawInteger(plan: SignalPlan, physical: number): number {
  let raw = Math.round((physical - plan.offset) / plan.scale);
  if (!(raw >= plan.rawMin)) raw = Number.isNaN(raw) ? Math.min(Math.max(0, plan.rawMin), plan.rawMax) : plan.rawMin;
  else if (raw > plan.rawMax) raw = plan.rawMax;
  return raw;
}

/** Writes one signal's physical value into a frame at `offset`. */
export function writeSignal(plan: SignalPlan, physical: number, out: Uint8Array, offset: number): void {
  switch (plan.kind) {
    case ValueKind.Integer:
      writeInteger(plan.segments, rawInteger(plan, physical), out, offset);
      return;
    case ValueKind.Float32:
      f32[0] = (physical - plan.offset) / plan.scale;
      writeWords(plan.segments, 0, f32Bits[0]!, out, offset);
      return;
    case ValueKind.Float64:
      f64View.setFloat64(0, (physical - plan.offset) / plan.scale);
      writeWords(plan.segments, f64View.getUint32(0), f64View.getUint32(4), out, offset);
      return;
  }
}

/** Writes a raw value as is (multiplexer switches, counters). */
export function writeRaw(plan: SignalPlan, raw: number, out: Uint8Array, offset: number): void {
  if (plan.kind === ValueKind.Integer)
    writeInteger(plan.segments, Math.min(Math.max(raw, plan.rawMin), plan.rawMax), out, offset);
  else writeSignal(plan, raw * plan.scale + plan.offset, out, offset);
}

/** Every reachable combination of multiplexer values of a message (one empty-switch page when it has none). */
export function multiplexPages(message: Message): MultiplexPage[] {
  const signals = message.signals;
  const byName = new Map(signals.map((s, i) => [s.name, i]));
  const parentOf = signals.map((s) =>
    s.multiplexing.parent ? (byName.get(s.multiplexing.parent.multiplexer) ?? -1) : undefined,
  );
  const depth = (i: number): number => {
    let d = 0;
    for (let p = parentOf[i]; p !== undefined && p >= 0 && d <= signals.length; p = parentOf[p]) d++;
    return d;
  };
  const present = (i: number, assignment: ReadonlyMap<number, number>, guard = 0): boolean => {
    const parent = parentOf[i];
    if (parent === undefined) return true;
    if (parent < 0 || guard > signals.length) return false;
    const value = assignment.get(parent);
    if (value === undefined || !present(parent, assignment, guard + 1)) return false;
    return signals[i]!.multiplexing.parent!.ranges.some(([low, high]) => value >= low && value <= high);
  };
  const switchValues = (sw: number): number[] => {
    const values = new Set<number>();
    signals.forEach((s, i) => {
      if (parentOf[i] !== sw) return;
      for (const [low, high] of s.multiplexing.parent!.ranges) {
        if (high - low <= 255) for (let v = low; v <= high; v++) values.add(v);
        else values.add(low).add(high);
      }
    });
    if (values.size === 0) {
      // A switch nothing depends on: a labelled value decodes (an empty page), else its start value.
      const labelled = [...signals[sw]!.choices.keys()].map(Number).filter(Number.isSafeInteger);
      values.add(labelled[0] ?? signals[sw]!.initialRawValue ?? 0);
    }
    return [...values].sort((a, b) => a - b);
  };

  const switches = signals.map((s, i) => (s.multiplexing.isMultiplexer ? i : -1)).filter((i) => i >= 0);
  switches.sort((a, b) => depth(a) - depth(b));
  let assignments: Map<number, number>[] = [new Map<number, number>()];
  for (const sw of switches) {
    const next: Map<number, number>[] = [];
    const values = switchValues(sw);
    for (const assignment of assignments) {
      if (!present(sw, assignment)) {
        next.push(assignment);
        continue;
      }
      for (const value of values) {
        if (next.length >= MAX_PAGES) break;
        next.push(new Map(assignment).set(sw, value));
      }
    }
    assignments = next;
  }
  return assignments.map((assignment) => ({
    switches: assignment,
    signals: Uint16Array.from(signals.map((_, i) => i).filter((i) => present(i, assignment))),
  }));
}

/** A message compiled for encoding. Values are indexed like `message.signals`. */
export class MessageEncoder {
  readonly plans: readonly SignalPlan[];
  readonly pages: readonly MultiplexPage[];
  readonly length: number;

  constructor(readonly message: Message) {
    this.plans = message.signals.map(planSignal);
    this.pages = multiplexPages(message);
    this.length = message.length;
  }

  /**
   * Writes a whole frame for `page` (index into `pages`) at `out[offset..offset+length)`: unused bits are zero,
   * switches carry the page's values, every present signal its physical value from `values`.
   */
  encode(values: ArrayLike<number>, page: number, out: Uint8Array, offset = 0): void {
    out.fill(0, offset, offset + this.length);
    const p = this.pages[page] ?? this.pages[0]!;
    const { signals, switches } = p;
    for (let k = 0; k < signals.length; k++) {
      const i = signals[k]!;
      const switchValue = switches.size > 0 ? switches.get(i) : undefined;
      if (switchValue !== undefined) writeRaw(this.plans[i]!, switchValue, out, offset);
      else writeSignal(this.plans[i]!, values[i] ?? 0, out, offset);
    }
  }

  /** Convenience for tools and tests: a new frame from signal name → physical value (others 0). */
  encodeNamed(values: Readonly<Record<string, number>>, page = 0): Uint8Array {
    const array = new Float64Array(this.plans.length);
    this.message.signals.forEach((s, i) => {
      array[i] = values[s.name] ?? 0;
    });
    const out = new Uint8Array(this.length);
    this.encode(array, page, out, 0);
    return out;
  }

  /** The page whose switches carry the given raw values (name → raw), or -1. */
  findPage(switches: Readonly<Record<string, number>>): number {
    const wanted = Object.entries(switches).map(
      ([name, value]) => [this.message.signals.findIndex((s) => s.name === name), value] as const,
    );
    return this.pages.findIndex((p) => wanted.every(([i, v]) => p.switches.get(i) === v));
  }
}
