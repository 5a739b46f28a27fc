import { describe, expect, it } from 'vitest';
import { RateLimiter } from './rate-limit.js';

describe('RateLimiter', () => {
  it('lets a burst through, then refuses with the seconds until the cost is regained', () => {
    const limiter = new RateLimiter({ perSecond: 2, burst: 3 });
    expect([1, 2, 3].map(() => limiter.take('k', 1, 0).ok)).toEqual([true, true, true]);
    expect(limiter.take('k', 1, 0)).toEqual({ ok: false, retryAfterSeconds: 1 });
    expect(limiter.take('k', 1, 500)).toEqual({ ok: true, remaining: 0 });
    expect(limiter.take('k', 3, 500)).toEqual({ ok: false, retryAfterSeconds: 2 });
  });

  it('keeps keys apart and charges costly routes more', () => {
    const limiter = new RateLimiter({ perSecond: 1, burst: 10 });
    expect(limiter.take('a', 10, 0).ok).toBe(true);
    expect(limiter.take('a', 1, 0).ok).toBe(false);
    expect(limiter.take('b', 1, 0)).toEqual({ ok: true, remaining: 9 });
  });

  it('never holds more than the burst, and a cost above it is charged as the whole burst', () => {
    const limiter = new RateLimiter({ perSecond: 1, burst: 5 });
    limiter.take('k', 1, 0);
    expect(limiter.take('k', 1, 3_600_000)).toEqual({ ok: true, remaining: 4 });
    expect(limiter.take('k', 50, 3_600_000)).toEqual({ ok: false, retryAfterSeconds: 1 });
    expect(limiter.take('k', 50, 3_601_000)).toEqual({ ok: true, remaining: 0 });
  });

  it('tracks a bounded number of keys, dropping refilled ones first', () => {
    const limiter = new RateLimiter({ perSecond: 1, burst: 2, maxTrackedKeys: 3 });
    for (const key of ['a', 'b', 'c']) limiter.take(key, 2, 0);
    limiter.take('d', 1, 1_000);
    expect(limiter.trackedKeys).toBe(3);
    expect(limiter.take('b', 1, 1_000).ok).toBe(true);
  });
});
