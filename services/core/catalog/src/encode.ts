/**
 * Physical values → frame bytes for one message: the inverse of decoding, for the simulator and for tests that
 * round-trip values through the compiled decoders. Not a hot path (BigInt per signal), and strict: a value that
 * does not fit its signal, or a page signal whose switch selects another page, throws.
 */
import { motorolaMsbPosition } from '@telltale/dbc';
import type { Message, Signal } from '@telltale/dbc';

export interface EncodeOptions {
  /** Clamp out-of-range values to the raw range instead of throwing (a simulator driving values past limits). */
  readonly clamp?: boolean;
}

/** Physical bit (byte × 8 + bit) for each bit of the signal, least significant bit first. */
function bitPositions(signal: Signal): number[] {
  const positions: number[] = [];
  if (signal.byteOrder === 'little_endian') {
    for (let i = 0; i < signal.length; i++) positions.push(signal.startBit + i);
    return positions;
  }
  const msb = motorolaMsbPosition(signal.startBit);
  for (let i = signal.length - 1; i >= 0; i--) {
    const linear = msb + i;
    positions.push((linear >> 3) * 8 + 7 - (linear & 7));
  }
  return positions;
}

function rawBits(signal: Signal, physical: number, clamp: boolean): bigint {
  if (signal.valueType === 'float32') {
    const view = new DataView(new ArrayBuffer(4));
    view.setFloat32(0, (physical - signal.offset) / signal.scale, true);
    return BigInt(view.getUint32(0, true));
  }
  if (signal.valueType === 'float64') {
    const view = new DataView(new ArrayBuffer(8));
    view.setFloat64(0, (physical - signal.offset) / signal.scale, true);
    return view.getBigUint64(0, true);
  }
  const length = BigInt(signal.length);
  const low = signal.isSigned ? -(1n << (length - 1n)) : 0n;
  const high = signal.isSigned ? (1n << (length - 1n)) - 1n : (1n << length) - 1n;
  let raw = BigInt(Math.round((physical - signal.offset) / signal.scale));
  if (raw < low || raw > high) {
    if (!clamp) throw new RangeError(`${signal.name}: ${physical} does not fit (raw ${raw} outside ${low}..${high})`);
    raw = raw < low ? low : high;
  }
  return raw < 0n ? raw + (1n << length) : raw;
}

function writeBits(data: Uint8Array, signal: Signal, raw: bigint): void {
  bitPositions(signal).forEach((position, i) => {
    const mask = 1 << (position & 7);
    const byte = position >> 3;
    if ((raw >> BigInt(i)) & 1n) data[byte]! |= mask;
    else data[byte]! &= ~mask;
  });
}

/**
 * Encodes `values` (signal name → physical value) into a frame of `message.length` bytes. Signals always present
 * default to their GenSigStartValue (else raw 0); a multiplexed signal is written only when given, and only if the
 * given switch value selects its page.
 */
export function encodeMessage(
  message: Message,
  values: Readonly<Record<string, number>>,
  options: EncodeOptions = {},
): Uint8Array {
  const data = new Uint8Array(message.length);
  const known = new Set(message.signals.map((s) => s.name));
  for (const name of Object.keys(values)) {
    if (!known.has(name)) throw new Error(`${message.name} has no signal ${name}`);
  }
  const byName = new Map(message.signals.map((s) => [s.name, s]));
  const depth = (signal: Signal): number => {
    let d = 0;
    for (let p = signal.multiplexing.parent; p && d <= byName.size; p = byName.get(p.multiplexer)?.multiplexing.parent)
      d++;
    return d;
  };
  // Switches before the signals they select, whatever the file order.
  const ordered = [...message.signals].sort((a, b) => depth(a) - depth(b));
  const switchRaw = new Map<string, number>();
  for (const signal of ordered) {
    const given = values[signal.name];
    const parent = signal.multiplexing.parent;
    if (parent) {
      if (given === undefined) continue;
      const selector = switchRaw.get(parent.multiplexer);
      if (selector === undefined || !parent.ranges.some(([lo, hi]) => selector >= lo && selector <= hi)) {
        throw new Error(
          `${message.name}.${signal.name} is not on the page ${parent.multiplexer} = ${selector ?? '(unset)'} selects`,
        );
      }
    }
    const raw =
      given === undefined ? BigInt(signal.initialRawValue ?? 0) : rawBits(signal, given, options.clamp ?? false);
    if (signal.multiplexing.isMultiplexer) switchRaw.set(signal.name, Number(raw));
    writeBits(data, signal, given === undefined && raw < 0n ? raw + (1n << BigInt(signal.length)) : raw);
  }
  return data;
}
