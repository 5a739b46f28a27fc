import { describe, expect, it } from 'vitest';
import { waitFor } from '@telltale/platform/testing';
import type { AttemptOutcome, NextStep } from '../domain/backoff.js';
import { verifySignature } from '../domain/signature.js';
import { keyringOf, openSecret, parseSecretsKey, sealSecret } from '@telltale/platform/secrets';
import {
  DeliveryWorker,
  type AttemptRecord,
  type ClaimRequest,
  type ClaimedDelivery,
  type DeliveryQueue,
  type DeliveryState,
  type SecretOpener,
  type WebhookRequest,
  type WorkerEvents,
} from './delivery-worker.js';

interface Row {
  readonly id: string;
  readonly host: string;
  status: DeliveryState['status'];
  attempts: number;
  nextAttemptMs: number;
  leaseUntilMs: number;
  readonly webhook: ClaimedDelivery['webhook'];
  readonly inactive: string | null;
}

/**
 * The queue in memory, with the claim contract of PgDeliveryQueue: due rows only, at most `perTarget − busy` per
 * host, at most `limit`. Its clock is virtual: when nothing is due, a claim jumps it to the next due row, so
 * backoff schedules run in milliseconds.
 */
class MemoryQueue implements DeliveryQueue {
  readonly rows = new Map<string, Row>();
  readonly attempts: { id: string; attempt: number; startedMs: number; record: AttemptRecord }[] = [];
  clock = 1_000_000;

  add(
    id: string,
    host: string,
    webhook: ClaimedDelivery['webhook'] = { url: `http://${host}/`, secret: { plain: 's' } },
    inactive: string | null = null,
  ) {
    this.rows.set(id, {
      id,
      host,
      status: 'pending',
      attempts: 0,
      nextAttemptMs: 0,
      leaseUntilMs: 0,
      webhook,
      inactive,
    });
  }

  claim(request: ClaimRequest): Promise<ClaimedDelivery[]> {
    const due = (r: Row) => r.status === 'pending' && r.nextAttemptMs <= this.clock && r.leaseUntilMs <= this.clock;
    const waiting = [...this.rows.values()].filter((r) => r.status === 'pending' && r.leaseUntilMs === 0);
    if (![...this.rows.values()].some(due) && waiting.length > 0)
      this.clock = Math.max(this.clock, Math.min(...waiting.map((r) => r.nextAttemptMs)));
    const taken = new Map<string, number>();
    const out: ClaimedDelivery[] = [];
    for (const r of [...this.rows.values()].filter(due).sort((a, b) => a.nextAttemptMs - b.nextAttemptMs)) {
      if (out.length >= request.limit) break;
      const used = (request.busy.get(r.host) ?? 0) + (taken.get(r.host) ?? 0);
      if (used >= request.perTarget) continue;
      taken.set(r.host, (taken.get(r.host) ?? 0) + 1);
      r.attempts += 1;
      r.leaseUntilMs = this.clock + request.leaseMs;
      out.push({
        deliveryId: r.id,
        subscriptionId: `sub-${r.id}`,
        kind: 'alert',
        body: `{"id":"${r.id}"}`,
        attempt: r.attempts,
        targetHost: r.host,
        emitTimeMs: null,
        inactive: r.inactive,
        webhook: r.webhook,
      });
    }
    return Promise.resolve(out);
  }

  finish(deliveryId: string, attempt: number, record: AttemptRecord, next: DeliveryState): Promise<void> {
    const r = this.rows.get(deliveryId)!;
    this.attempts.push({ id: deliveryId, attempt, startedMs: record.startedMs, record });
    r.status = next.status;
    r.nextAttemptMs = next.nextAttemptMs;
    r.leaseUntilMs = 0;
    return Promise.resolve();
  }
}

function recordingEvents() {
  const settled: { id: string; next: NextStep }[] = [];
  const failures: unknown[] = [];
  const unreadable: unknown[] = [];
  const events: WorkerEvents = {
    secretUnreadable: (err) => unreadable.push(err),
    attempted: () => undefined,
    settled: (next, id) => settled.push({ id, next }),
    deliveredLatency: () => undefined,
    workerFailed: (err) => failures.push(err),
  };
  return { events, settled, failures, unreadable };
}

const retry = { maxAttempts: 4, baseDelayMs: 1000, maxDelayMs: 3000 };
const KEYRING = keyringOf(parseSecretsKeyOrThrow('11'.repeat(32)));
const secrets: SecretOpener = {
  open: (subscriptionId, secret) => ('plain' in secret ? secret.plain : openSecret(KEYRING, subscriptionId, secret)),
};

function parseSecretsKeyOrThrow(raw: string) {
  const parsed = parseSecretsKey(raw);
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.value;
}

describe('DeliveryWorker', () => {
  it('retries a failing receiver with backoff, then dead-letters the delivery after max attempts', async () => {
    const queue = new MemoryQueue();
    queue.add('d1', 'down.example');
    const { events, settled, failures } = recordingEvents();
    const sent: WebhookRequest[] = [];
    const transport = {
      send: (request: WebhookRequest): Promise<AttemptOutcome> => {
        sent.push(request);
        return Promise.resolve({ kind: 'rejected', statusCode: 503 });
      },
    };
    const worker = new DeliveryWorker(
      queue,
      transport,
      secrets,
      events,
      { concurrency: 4, perTargetConcurrency: 2, pollMs: 1, leaseMs: 60_000, retry },
      () => queue.clock,
      () => 0.5,
    );
    worker.start();
    await waitFor('the delivery to be dead', () => (queue.rows.get('d1')!.status === 'dead' ? true : undefined));
    await worker.stop();

    expect(failures).toEqual([]);
    expect(sent).toHaveLength(4);
    expect(sent.map((r) => r.headers['telltale-attempt'])).toEqual(['1', '2', '3', '4']);
    // Full jitter at random 0.5: half of min(3000, 1000 × 2^(n−1)) after attempt n.
    const starts = queue.attempts.map((a) => a.startedMs);
    expect(starts.slice(1).map((s, i) => s - starts[i]!)).toEqual([500, 1000, 1500]);
    expect(settled.map((s) => s.next.status)).toEqual(['pending', 'pending', 'pending', 'dead']);
    expect(settled.at(-1)!.next).toEqual({ status: 'dead', reason: 'max_attempts' });
    expect(queue.attempts.map((a) => a.record.statusCode)).toEqual([503, 503, 503, 503]);
  });

  it('signs with the opened secret, refuses an inactive subscription, fails clearly on an unknown key', async () => {
    const queue = new MemoryQueue();
    const sealed = sealSecret(KEYRING, 'sub-signed', 'whsec_unit');
    queue.add('signed', 'ok.example', { url: 'http://ok.example/', secret: sealed });
    queue.add('revoked', 'ok.example', null, 'the API key 0123456789ab that created the subscription was revoked');
    const otherKey = keyringOf(parseSecretsKeyOrThrow('22'.repeat(32)));
    queue.add('unknown-key', 'ok.example', {
      url: 'http://ok.example/',
      secret: sealSecret(otherKey, 'sub-unknown-key', 'whsec_other'),
    });
    const { events, settled, unreadable } = recordingEvents();
    const sent: WebhookRequest[] = [];
    const worker = new DeliveryWorker(
      queue,
      { send: (r) => Promise.resolve(void sent.push(r)).then(() => ({ kind: 'delivered', statusCode: 204 })) },
      secrets,
      events,
      { concurrency: 4, perTargetConcurrency: 4, pollMs: 1, leaseMs: 60_000, retry: { ...retry, maxAttempts: 1 } },
      () => queue.clock,
    );
    worker.start();
    await waitFor('all settled', () => (settled.length === 3 ? true : undefined));
    await worker.stop();

    expect(sent).toHaveLength(1);
    const header = sent[0]!.headers['telltale-signature'];
    expect(verifySignature('whsec_unit', header, sent[0]!.body, queue.clock)).toMatchObject({ ok: true });
    const attemptOf = (id: string) => queue.attempts.find((a) => a.id === id)!.record;
    expect(queue.rows.get('revoked')!.status).toBe('dead');
    expect(attemptOf('revoked').outcome).toBe('refused');
    expect(attemptOf('revoked').error).toContain('that created the subscription was revoked');
    expect(attemptOf('unknown-key').outcome).toBe('failed');
    expect(attemptOf('unknown-key').error).toContain(`sealed with key ${otherKey.current.id}`);
    expect(unreadable).toHaveLength(1);
    expect(unreadable[0]).toMatchObject({ code: 'SECRETS_KEY_UNKNOWN' });
  });

  it('never has more than the per-target limit in flight to one host, nor more than the total', async () => {
    const queue = new MemoryQueue();
    for (let i = 0; i < 12; i++) queue.add(`slow${i}`, 'slow.example');
    for (let i = 0; i < 12; i++) queue.add(`fast${i}`, 'fast.example');
    const { events, settled } = recordingEvents();
    const inFlight = new Map<string, number>();
    const peak = new Map<string, number>();
    let total = 0;
    let peakTotal = 0;
    const transport = {
      send: async (request: WebhookRequest): Promise<AttemptOutcome> => {
        const host = new URL(request.url).host;
        inFlight.set(host, (inFlight.get(host) ?? 0) + 1);
        total += 1;
        peak.set(host, Math.max(peak.get(host) ?? 0, inFlight.get(host)!));
        peakTotal = Math.max(peakTotal, total);
        await new Promise((resolve) => setTimeout(resolve, host === 'slow.example' ? 20 : 2));
        inFlight.set(host, inFlight.get(host)! - 1);
        total -= 1;
        return { kind: 'delivered', statusCode: 200 };
      },
    };
    const worker = new DeliveryWorker(
      queue,
      transport,
      secrets,
      events,
      { concurrency: 5, perTargetConcurrency: 3, pollMs: 1, leaseMs: 60_000, retry },
      () => queue.clock,
    );
    worker.start();
    await waitFor('all delivered', () => (settled.length === 24 ? true : undefined));
    await worker.stop();

    expect(peak.get('slow.example')).toBe(3);
    expect(peak.get('fast.example')).toBeLessThanOrEqual(3);
    expect(peakTotal).toBeLessThanOrEqual(5);
    expect([...queue.rows.values()].every((r) => r.status === 'delivered')).toBe(true);
  });
});
