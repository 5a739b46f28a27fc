import { describe, expect, it } from 'vitest';
import { bitGrid, signalBits } from './bit-layout.js';

describe('signalBits', () => {
  it('counts Intel signals up from their least significant bit across bytes', () => {
    expect(signalBits({ name: 'a', startBit: 6, length: 4, byteOrder: 'little_endian' })).toEqual([6, 7, 8, 9]);
  });

  it('walks Motorola signals down within a byte, then to bit 7 of the next (the DBC sawtooth)', () => {
    // A 12-bit Motorola signal with its MSB at bit 7 of byte 0 (start bit 7) fills byte 0 and the top of byte 1.
    expect(signalBits({ name: 'm', startBit: 7, length: 12, byteOrder: 'big_endian' })).toEqual([
      7, 6, 5, 4, 3, 2, 1, 0, 15, 14, 13, 12,
    ]);
    expect(signalBits({ name: 'm', startBit: 1, length: 4, byteOrder: 'big_endian' })).toEqual([1, 0, 15, 14]);
  });
});

describe('bitGrid', () => {
  it('draws bytes as rows, bit 7 first, with owners, MSB/LSB marks and overlaps', () => {
    const grid = bitGrid(2, [
      { name: 'lo', startBit: 0, length: 4, byteOrder: 'little_endian' },
      { name: 'be', startBit: 7, length: 6, byteOrder: 'big_endian' },
    ]);
    expect(grid).toHaveLength(2);
    const byte0 = grid[0]!;
    // bit 7 … bit 0 of byte 0: "be" holds 7..2 (MSB at 7), "lo" holds 3..0 (LSB at 0); bits 3 and 2 overlap.
    expect(byte0.map((c) => c.owners)).toEqual([[1], [1], [1], [1], [0, 1], [0, 1], [0], [0]]);
    expect(byte0[0]!.mark).toBe('msb');
    expect(byte0[7]!.mark).toBe('lsb');
    expect(grid[1]!.every((c) => c.owners.length === 0)).toBe(true);
  });
});
