/** Samples of one vehicle as three growable columns (signal id, event time, value), reused across batches. */
export class SampleBuffer {
  ids: Uint32Array;
  times: Float64Array;
  values: Float64Array;
  length = 0;

  constructor(capacity = 4096) {
    this.ids = new Uint32Array(capacity);
    this.times = new Float64Array(capacity);
    this.values = new Float64Array(capacity);
  }

  get full(): boolean {
    return this.length === this.ids.length;
  }

  push(signalId: number, eventTimeMs: number, value: number): void {
    if (this.full) this.grow();
    const at = this.length++;
    this.ids[at] = signalId;
    this.times[at] = eventTimeMs;
    this.values[at] = value;
  }

  /** Appends rows start..end-1 of these columns (whole typed-array copies). */
  append(ids: Uint32Array, times: Float64Array, values: Float64Array, start: number, end: number): void {
    const count = end - start;
    if (count <= 0) return;
    this.reserve(this.length + count);
    this.ids.set(ids.subarray(start, end), this.length);
    this.times.set(times.subarray(start, end), this.length);
    this.values.set(values.subarray(start, end), this.length);
    this.length += count;
  }

  /** Makes room for `rows` rows in all. */
  reserve(rows: number): void {
    while (this.ids.length < rows) this.grow();
  }

  /** Drops the first `count` rows, keeping the rest at the start. */
  shift(count: number): void {
    if (count < this.length) {
      this.ids.copyWithin(0, count, this.length);
      this.times.copyWithin(0, count, this.length);
      this.values.copyWithin(0, count, this.length);
    }
    this.length = Math.max(0, this.length - count);
  }

  /** Doubles the capacity. */
  grow(): void {
    const size = this.ids.length * 2;
    const ids = new Uint32Array(size);
    const times = new Float64Array(size);
    const values = new Float64Array(size);
    ids.set(this.ids);
    times.set(this.times);
    values.set(this.values);
    this.ids = ids;
    this.times = times;
    this.values = values;
  }
}
