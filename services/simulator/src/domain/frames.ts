/** CAN frames as growable columns: what a T-Box records between two uploads, without an object per frame. */

export interface FrameColumns {
  readonly count: number;
  /** Receive time of each frame, µs on the recording's own clock (the caller knows its epoch). */
  readonly timeUs: Float64Array;
  readonly bus: Uint8Array;
  readonly canId: Uint32Array;
  readonly flags: Uint8Array;
  readonly length: Uint8Array;
  /** Every frame's bytes, concatenated. */
  readonly data: Uint8Array;
}

export class FrameBuffer {
  count = 0;
  timeUs: Float64Array;
  bus: Uint8Array;
  canId: Uint32Array;
  flags: Uint8Array;
  length: Uint8Array;
  data: Uint8Array;
  dataLength = 0;

  constructor(frames = 1024) {
    this.timeUs = new Float64Array(frames);
    this.bus = new Uint8Array(frames);
    this.canId = new Uint32Array(frames);
    this.flags = new Uint8Array(frames);
    this.length = new Uint8Array(frames);
    this.data = new Uint8Array(frames * 8);
  }

  /** Appends a frame header and returns where its `length` data bytes go in `data` (the caller writes them). */
  append(timeUs: number, bus: number, canId: number, flags: number, length: number): number {
    if (this.count === this.timeUs.length) this.growFrames();
    if (this.dataLength + length > this.data.length) this.growData(this.dataLength + length);
    const i = this.count++;
    this.timeUs[i] = timeUs;
    this.bus[i] = bus;
    this.canId[i] = canId;
    this.flags[i] = flags;
    this.length[i] = length;
    const at = this.dataLength;
    this.dataLength += length;
    return at;
  }

  /** The frames so far as right-sized columns; the buffer is emptied. */
  take(): FrameColumns {
    const n = this.count;
    const columns: FrameColumns = {
      count: n,
      timeUs: this.timeUs.slice(0, n),
      bus: this.bus.slice(0, n),
      canId: this.canId.slice(0, n),
      flags: this.flags.slice(0, n),
      length: this.length.slice(0, n),
      data: this.data.slice(0, this.dataLength),
    };
    this.count = 0;
    this.dataLength = 0;
    return columns;
  }

  private growFrames(): void {
    const size = this.timeUs.length * 2;
    const grow = <T extends Float64Array | Uint8Array | Uint32Array>(a: T, make: (n: number) => T): T => {
      const b = make(size);
      b.set(a);
      return b;
    };
    this.timeUs = grow(this.timeUs, (n) => new Float64Array(n));
    this.bus = grow(this.bus, (n) => new Uint8Array(n));
    this.canId = grow(this.canId, (n) => new Uint32Array(n));
    this.flags = grow(this.flags, (n) => new Uint8Array(n));
    this.length = grow(this.length, (n) => new Uint8Array(n));
  }

  private growData(needed: number): void {
    const b = new Uint8Array(Math.max(needed, this.data.length * 2));
    b.set(this.data.subarray(0, this.dataLength));
    this.data = b;
  }
}
