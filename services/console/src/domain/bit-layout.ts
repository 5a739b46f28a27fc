/**
 * A CAN message's bit layout as cabana draws it: a grid of bytes × bits (bit 7 on the left), each cell naming the
 * signal that occupies it. DBC numbering: Intel (little endian) signals start at their least significant bit and
 * count up through the bytes; Motorola (big endian) signals start at their most significant bit and walk the
 * "sawtooth": down within a byte, then to bit 7 of the next byte.
 */
export interface LayoutSignal {
  readonly name: string;
  readonly startBit: number;
  readonly length: number;
  readonly byteOrder: 'little_endian' | 'big_endian';
}

/** The DBC bit numbers (byte * 8 + bit) a signal occupies, most significant first for Motorola, LSB first for Intel. */
export function signalBits(signal: LayoutSignal): number[] {
  const bits: number[] = [];
  let pos = signal.startBit;
  for (let i = 0; i < signal.length; i++) {
    bits.push(pos);
    if (signal.byteOrder === 'little_endian') pos += 1;
    else pos = pos % 8 === 0 ? pos + 15 : pos - 1;
  }
  return bits;
}

export interface LayoutCell {
  /** Index into the signals given, or -1 for an unused bit; several for an overlap (multiplexed signals). */
  readonly owners: number[];
  /** Position of this bit inside its owner: 'msb', 'lsb' or ''. */
  readonly mark: '' | 'msb' | 'lsb';
}

/** Rows of 8 cells per byte, bit 7 first. */
export function bitGrid(lengthBytes: number, signals: readonly LayoutSignal[]): LayoutCell[][] {
  const cells: { owners: number[]; mark: '' | 'msb' | 'lsb' }[] = Array.from({ length: lengthBytes * 8 }, () => ({
    owners: [],
    mark: '',
  }));
  signals.forEach((s, index) => {
    const bits = signalBits(s);
    bits.forEach((bit, i) => {
      const cell = cells[bit];
      if (cell === undefined) return;
      cell.owners.push(index);
      const msb = s.byteOrder === 'big_endian' ? i === 0 : i === bits.length - 1;
      const lsb = s.byteOrder === 'big_endian' ? i === bits.length - 1 : i === 0;
      if (msb) cell.mark = 'msb';
      else if (lsb) cell.mark = 'lsb';
    });
  });
  const rows: LayoutCell[][] = [];
  for (let byte = 0; byte < lengthBytes; byte++) {
    const row: LayoutCell[] = [];
    for (let bit = 7; bit >= 0; bit--) row.push(cells[byte * 8 + bit]!);
    rows.push(row);
  }
  return rows;
}
