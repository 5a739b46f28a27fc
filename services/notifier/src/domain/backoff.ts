/**
 * Retry schedule of a webhook delivery: exponential backoff with full jitter (a uniformly random delay between 0
 * and min(cap, base × 2^(attempt−1))), so receivers coming back from an outage are not hit by synchronised waves.
 */
export interface RetryPolicy {
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

/** The ceiling of the delay after failed attempt number `attempt` (1-based). */
export function retryCeilingMs(policy: RetryPolicy, attempt: number): number {
  const exponent = Math.min(Math.max(attempt - 1, 0), 40);
  return Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** exponent);
}

/** Full jitter: `random` returns [0, 1) (Math.random in production, fixed in tests). */
export function retryDelayMs(policy: RetryPolicy, attempt: number, random: () => number): number {
  return Math.floor(random() * retryCeilingMs(policy, attempt));
}

export type AttemptOutcome =
  | { readonly kind: 'delivered'; readonly statusCode: number }
  /** The receiver answered, but not 2xx (3xx counts: redirects are not followed). */
  | { readonly kind: 'rejected'; readonly statusCode: number }
  /** No usable answer: connection refused, timeout, response too large, DNS failure. */
  | { readonly kind: 'failed'; readonly error: string }
  /** The target is not allowed (policy): retrying cannot help until someone changes the URL or the lists. */
  | { readonly kind: 'refused'; readonly error: string };

export type NextStep =
  | { readonly status: 'delivered' }
  | { readonly status: 'pending'; readonly nextAttemptMs: number }
  | { readonly status: 'dead'; readonly reason: 'max_attempts' | 'target_refused' };

/** What happens to a delivery after its `attempts`-th attempt ended with `outcome`. */
export function nextStep(
  policy: RetryPolicy,
  attempts: number,
  outcome: AttemptOutcome,
  nowMs: number,
  random: () => number,
): NextStep {
  if (outcome.kind === 'delivered') return { status: 'delivered' };
  if (outcome.kind === 'refused') return { status: 'dead', reason: 'target_refused' };
  if (attempts >= policy.maxAttempts) return { status: 'dead', reason: 'max_attempts' };
  return { status: 'pending', nextAttemptMs: nowMs + retryDelayMs(policy, attempts, random) };
}

/** Classifies an HTTP status: only 2xx is delivered. */
export function outcomeOfStatus(statusCode: number): AttemptOutcome {
  return statusCode >= 200 && statusCode < 300 ? { kind: 'delivered', statusCode } : { kind: 'rejected', statusCode };
}
