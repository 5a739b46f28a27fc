/**
 * Seeded pseudo-random numbers, so a simulation is reproducible from `--seed`: every vehicle, fault pick and signal
 * walk draws from its own stream derived from the seed and a label, and adding a stream never shifts another.
 */

/** 32-bit FNV-1a of a string: turns labels into stream seeds. */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export class Rng {
  private state: number;
  private spareNormal: number | undefined;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A stream for `labels` under `seed`, independent of every other label. */
  static derive(seed: number | string, ...labels: readonly (string | number)[]): Rng {
    return new Rng(hash32(`${seed}/${labels.join('/')}`));
  }

  /** Uniform in [0, 1) (mulberry32). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Uniform in [low, high). */
  range(low: number, high: number): number {
    return low + (high - low) * this.next();
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Standard normal (Box–Muller, the second value kept for the next call). */
  normal(): number {
    if (this.spareNormal !== undefined) {
      const value = this.spareNormal;
      this.spareNormal = undefined;
      return value;
    }
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('pick from an empty list');
    return items[this.int(items.length)]!;
  }

  /** `count` distinct indexes of [0, n), in increasing order. */
  sample(n: number, count: number): number[] {
    const all = Array.from({ length: n }, (_, i) => i);
    for (let i = 0; i < Math.min(count, n); i++) {
      const j = i + this.int(n - i);
      [all[i], all[j]] = [all[j]!, all[i]!];
    }
    return all.slice(0, Math.min(count, n)).sort((a, b) => a - b);
  }
}
