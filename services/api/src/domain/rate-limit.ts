/**
 * Per-API-key rate limits: a token bucket per key, in memory, per API instance. A key holds up to `burst` tokens,
 * regains `perSecond` a second, and each request takes its route's cost (1, more for rule checks that compile
 * against every catalog). Behind N instances a key may get up to N times the rate: the limit keeps one key from
 * monopolising an instance, it is not a quota. Pure: the clock is passed in.
 */
export interface RateLimitOptions {
  /** Tokens regained per second. */
  readonly perSecond: number;
  /** Most tokens a key holds: the burst it may send after being idle. */
  readonly burst: number;
  /** Buckets kept before full (idle) ones are dropped; full buckets carry no state worth keeping. */
  readonly maxTrackedKeys?: number;
}

export type RateDecision =
  { readonly ok: true; readonly remaining: number } | { readonly ok: false; readonly retryAfterSeconds: number };

interface Bucket {
  tokens: number;
  atMs: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly maxTracked: number;

  constructor(private readonly options: RateLimitOptions) {
    if (!(options.perSecond > 0) || !(options.burst >= 1))
      throw new RangeError('rate limit needs perSecond > 0 and burst >= 1');
    this.maxTracked = options.maxTrackedKeys ?? 10_000;
  }

  /** Takes `cost` tokens from the key's bucket, or says how long until it could. */
  take(key: string, cost: number, nowMs: number): RateDecision {
    const { perSecond, burst } = this.options;
    const price = Math.min(Math.max(cost, 0), burst);
    const bucket = this.buckets.get(key) ?? { tokens: burst, atMs: nowMs };
    bucket.tokens = Math.min(burst, bucket.tokens + (Math.max(0, nowMs - bucket.atMs) / 1000) * perSecond);
    bucket.atMs = nowMs;
    if (!this.buckets.has(key)) {
      if (this.buckets.size >= this.maxTracked) this.sweep(nowMs);
      this.buckets.set(key, bucket);
    }
    if (bucket.tokens >= price) {
      bucket.tokens -= price;
      return { ok: true, remaining: Math.floor(bucket.tokens) };
    }
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((price - bucket.tokens) / perSecond)) };
  }

  get trackedKeys(): number {
    return this.buckets.size;
  }

  /** Drops buckets that have refilled (they equal a new one); if none, the stalest. */
  private sweep(nowMs: number): void {
    const fullAfterMs = (this.options.burst / this.options.perSecond) * 1000;
    for (const [key, bucket] of this.buckets) if (nowMs - bucket.atMs >= fullAfterMs) this.buckets.delete(key);
    if (this.buckets.size >= this.maxTracked) {
      const stalest = this.buckets.keys().next();
      if (!stalest.done) this.buckets.delete(stalest.value);
    }
  }
}
