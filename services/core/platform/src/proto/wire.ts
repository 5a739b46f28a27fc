/**
 * A minimal protobuf wire-format reader for hand-written fast paths: varints (up to 32 bits kept), skipping, bounds
 * checked (malformed input throws).
 */
export class WireReader {
  pos: number;
  constructor(
    readonly buf: Uint8Array,
    start: number,
    readonly end: number,
  ) {
    this.pos = start;
  }

  varint(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      if (this.pos >= this.end) throw new Error('truncated varint');
      const byte = this.buf[this.pos++]!;
      if (shift < 28) result |= (byte & 0x7f) << shift;
      else if (shift < 35) result += (byte & 0x7f) * 2 ** shift; // bits above 32 of a uint32 are discarded below
      if ((byte & 0x80) === 0) break;
      shift += 7;
      if (shift > 63) throw new Error('varint longer than 10 bytes');
    }
    return result >>> 0;
  }

  /** An unsigned varint up to 2^53 (e.g. ms timestamps); larger values lose precision, as JS numbers do. */
  varint53(): number {
    let result = 0;
    let factor = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new Error('truncated varint');
      const byte = this.buf[this.pos++]!;
      result += (byte & 0x7f) * factor;
      if ((byte & 0x80) === 0) return result;
      factor *= 128;
    }
    throw new Error('varint longer than 10 bytes');
  }

  /** A length-delimited field's bounds, checked against the end. */
  lengthDelimited(): { start: number; end: number } {
    const length = this.varint();
    const start = this.pos;
    const end = start + length;
    if (end > this.end) throw new Error('field runs past the end');
    this.pos = end;
    return { start, end };
  }

  skipField(wireType: number): void {
    switch (wireType) {
      case 0:
        this.varint();
        return;
      case 1:
        this.pos += 8;
        break;
      case 2: {
        const length = this.varint(); // read before adding: `pos += varint()` would add to the old position
        this.pos += length;
        break;
      }
      case 5:
        this.pos += 4;
        break;
      default:
        throw new Error(`unsupported wire type ${wireType}`);
    }
    if (this.pos > this.end) throw new Error('field runs past the end');
  }
}
