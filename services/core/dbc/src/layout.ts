/**
 * Where a signal's bits sit in the frame. DBC numbers bits per byte, LSB = 0, so bit b of byte k is `8k + b`
 * ("physical" numbering). Intel (@1) signals start at their LSB and count up. Motorola (@0) signals start at their
 * MSB and walk the "sawtooth": down within a byte, then to bit 7 of the next byte. In big-endian linear numbering
 * (`8k + 7 - b`) a Motorola signal is the contiguous run [msb, msb + length).
 */
import type { ByteOrder } from './model.js';

export interface SignalGeometry {
  readonly startBit: number;
  readonly length: number;
  readonly byteOrder: ByteOrder;
}

/** Big-endian linear position of a Motorola signal's MSB. */
export function motorolaMsbPosition(startBit: number): number {
  return (startBit >> 3) * 8 + 7 - (startBit & 7);
}

/** Index of the last byte the signal touches (its first byte is never before byte 0). */
export function lastByteIndex(signal: SignalGeometry): number {
  const end =
    signal.byteOrder === 'little_endian'
      ? signal.startBit + signal.length - 1
      : motorolaMsbPosition(signal.startBit) + signal.length - 1;
  return Math.floor(end / 8);
}

/** Whether every bit of the signal lies in a frame of `lengthBytes` bytes. */
export function fitsInLength(signal: SignalGeometry, lengthBytes: number): boolean {
  return signal.length > 0 && lastByteIndex(signal) < lengthBytes;
}

/**
 * One bit mask per byte (bit b of entry k = physical bit 8k + b), for overlap checks. Bits past 64 bytes are dropped.
 */
export function byteMasks(signal: SignalGeometry): Uint8Array {
  const masks = new Uint8Array(64);
  for (let i = 0; i < signal.length; i++) {
    let byte: number;
    let bit: number;
    if (signal.byteOrder === 'little_endian') {
      const p = signal.startBit + i;
      byte = p >> 3;
      bit = p & 7;
    } else {
      const p = motorolaMsbPosition(signal.startBit) + i;
      byte = p >> 3;
      bit = 7 - (p & 7);
    }
    if (byte < 64) masks[byte]! |= 1 << bit;
  }
  return masks;
}
