import { describe, expect, it } from 'vitest';
import { nextStep, outcomeOfStatus, retryCeilingMs, retryDelayMs, type RetryPolicy } from './backoff.js';

const policy: RetryPolicy = { maxAttempts: 5, baseDelayMs: 1000, maxDelayMs: 10_000 };

describe('retry schedule', () => {
  it('doubles the ceiling per attempt up to the cap', () => {
    expect([1, 2, 3, 4, 5, 6].map((a) => retryCeilingMs(policy, a))).toEqual([1000, 2000, 4000, 8000, 10_000, 10_000]);
  });

  it('draws the delay uniformly below the ceiling (full jitter)', () => {
    expect(retryDelayMs(policy, 3, () => 0)).toBe(0);
    expect(retryDelayMs(policy, 3, () => 0.5)).toBe(2000);
    expect(retryDelayMs(policy, 3, () => 0.999_999)).toBe(3999);
  });

  it('retries failures until the last attempt, then dead-letters', () => {
    const failed = { kind: 'failed', error: 'ECONNREFUSED' } as const;
    expect(nextStep(policy, 1, failed, 100, () => 0.5)).toEqual({ status: 'pending', nextAttemptMs: 600 });
    expect(nextStep(policy, 4, outcomeOfStatus(500), 100, () => 0.5)).toEqual({
      status: 'pending',
      nextAttemptMs: 4100,
    });
    expect(nextStep(policy, 5, outcomeOfStatus(500), 100, () => 0.5)).toEqual({
      status: 'dead',
      reason: 'max_attempts',
    });
    expect(nextStep(policy, 1, outcomeOfStatus(204), 100, () => 0.5)).toEqual({ status: 'delivered' });
    expect(nextStep(policy, 1, { kind: 'refused', error: 'private' }, 100, () => 0.5)).toEqual({
      status: 'dead',
      reason: 'target_refused',
    });
  });

  it('counts only 2xx as delivered; a redirect is a rejection', () => {
    expect(outcomeOfStatus(200).kind).toBe('delivered');
    expect(outcomeOfStatus(299).kind).toBe('delivered');
    expect(outcomeOfStatus(302).kind).toBe('rejected');
    expect(outcomeOfStatus(404).kind).toBe('rejected');
  });
});
