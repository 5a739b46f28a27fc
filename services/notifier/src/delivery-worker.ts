/**
 * Sends due webhook deliveries from the PostgreSQL queue. Each round claims as many rows as there are free slots
 * (NOTIFIER_CONCURRENCY), at most NOTIFIER_PER_TARGET_CONCURRENCY per target host counting what is already in
 * flight, and sends them concurrently: a slow or failing receiver occupies its own slots only. A round runs when
 * the intake queued something, when a send finished, and every NOTIFIER_POLL_MS for due retries.
 */
import { signatureHeader } from './domain/signature.js';
import { nextStep, type AttemptOutcome, type RetryPolicy } from './domain/backoff.js';
import type { ClaimedDelivery, PgDeliveryQueue } from './adapters/pg-delivery-queue.js';
import type { WebhookRequest } from './adapters/http-webhook-sender.js';
import type { NotifierEvents } from './metrics.js';

export interface WorkerOptions {
  readonly concurrency: number;
  readonly perTargetConcurrency: number;
  readonly pollMs: number;
  readonly leaseMs: number;
  readonly retry: RetryPolicy;
}

export interface WebhookTransport {
  send(request: WebhookRequest): Promise<AttemptOutcome>;
}

export class DeliveryWorker {
  private inFlight = 0;
  private readonly busy = new Map<string, number>();
  private readonly sends = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private round: Promise<void> | undefined;
  private again = false;
  private stopped = false;

  constructor(
    private readonly queue: PgDeliveryQueue,
    private readonly transport: WebhookTransport,
    private readonly events: NotifierEvents,
    private readonly options: WorkerOptions,
    private readonly now: () => number = Date.now,
    private readonly random: () => number = Math.random,
  ) {}

  start(): void {
    this.schedule(0);
  }

  /** Run a round soon (new deliveries are due). */
  nudge(): void {
    if (this.stopped) return;
    if (this.round) this.again = true;
    else this.schedule(0);
  }

  /** Stops claiming and waits for the sends in flight (their results are recorded). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.round;
    await Promise.allSettled([...this.sends]);
  }

  private schedule(delayMs: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.runRound(), delayMs);
  }

  private runRound(): void {
    if (this.stopped || this.round) return;
    this.round = this.claimAndSend()
      .catch((err: unknown) => this.events.workerFailed(err))
      .finally(() => {
        this.round = undefined;
        if (this.stopped) return;
        const again = this.again;
        this.again = false;
        this.schedule(again ? 0 : this.options.pollMs);
      });
  }

  private async claimAndSend(): Promise<void> {
    const free = this.options.concurrency - this.inFlight;
    if (free <= 0) return;
    const claimed = await this.queue.claim({
      nowMs: this.now(),
      leaseMs: this.options.leaseMs,
      limit: free,
      perTarget: this.options.perTargetConcurrency,
      busy: this.busy,
    });
    for (const delivery of claimed) {
      this.inFlight += 1;
      this.busy.set(delivery.targetHost, (this.busy.get(delivery.targetHost) ?? 0) + 1);
      const send = this.deliver(delivery)
        .catch((err: unknown) => this.events.workerFailed(err))
        .finally(() => {
          this.sends.delete(send);
          this.inFlight -= 1;
          const left = (this.busy.get(delivery.targetHost) ?? 1) - 1;
          if (left === 0) this.busy.delete(delivery.targetHost);
          else this.busy.set(delivery.targetHost, left);
          this.nudge();
        });
      this.sends.add(send);
    }
    // A full claim means more may be due right away.
    if (claimed.length === free) this.again = true;
  }

  private async deliver(delivery: ClaimedDelivery): Promise<void> {
    const startedMs = this.now();
    const started = performance.now();
    let outcome: AttemptOutcome;
    if (delivery.webhook === null) {
      outcome = { kind: 'refused', error: 'the subscription is disabled or has no webhook' };
    } else {
      const timestampMs = this.now();
      outcome = await this.transport.send({
        url: delivery.webhook.url,
        body: delivery.body,
        headers: {
          'telltale-signature': signatureHeader(delivery.webhook.secret, timestampMs, delivery.body),
          'telltale-delivery-id': delivery.deliveryId,
          'idempotency-key': delivery.deliveryId,
          'telltale-event': delivery.kind === 'ping' ? 'ping' : 'alert.transition',
          'telltale-attempt': String(delivery.attempt),
        },
      });
    }
    const durationMs = performance.now() - started;
    this.events.attempted(outcome, durationMs / 1000, delivery.deliveryId, delivery.attempt);
    const endMs = this.now();
    const next = nextStep(this.options.retry, delivery.attempt, outcome, endMs, this.random);
    if (next.status === 'delivered' && delivery.emitTimeMs !== null)
      this.events.deliveredLatency(endMs - delivery.emitTimeMs);
    await this.queue.finish(
      delivery.deliveryId,
      delivery.attempt,
      {
        startedMs,
        durationMs,
        outcome: outcome.kind,
        statusCode: outcome.kind === 'delivered' || outcome.kind === 'rejected' ? outcome.statusCode : null,
        error:
          outcome.kind === 'failed' || outcome.kind === 'refused'
            ? outcome.error
            : outcome.kind === 'rejected'
              ? `HTTP ${outcome.statusCode}`
              : null,
      },
      {
        status: next.status,
        nextAttemptMs: next.status === 'pending' ? next.nextAttemptMs : endMs,
        deliveredMs: next.status === 'delivered' ? endMs : null,
      },
    );
    this.events.settled(next, delivery.deliveryId, delivery.attempt);
  }
}
