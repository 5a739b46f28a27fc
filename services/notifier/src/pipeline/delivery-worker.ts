/**
 * Sends due webhook deliveries from the durable queue. Each round claims as many rows as there are free slots
 * (NOTIFIER_CONCURRENCY), at most NOTIFIER_PER_TARGET_CONCURRENCY per target host counting what is already in
 * flight, and sends them concurrently: a slow or failing receiver occupies its own slots only. A round runs when
 * the intake queued something, when a send finished, and every NOTIFIER_POLL_MS for due retries.
 *
 * Declares the ports it needs below (PgDeliveryQueue and HttpWebhookSender implement them; the unit tests use
 * in-memory fakes).
 */
import { signatureHeader } from '../domain/signature.js';
import { nextStep, type AttemptOutcome, type NextStep, type RetryPolicy } from '../domain/backoff.js';

/** A webhook secret as stored: sealed (see @telltale/platform/secrets), or plain in a row written before 0008. */
export type StoredSecret = { readonly keyId: string; readonly sealed: Buffer } | { readonly plain: string };

export interface ClaimedDelivery {
  readonly deliveryId: string;
  readonly subscriptionId: string;
  readonly kind: 'alert' | 'ping';
  readonly body: string;
  /** This attempt's number (1-based). */
  readonly attempt: number;
  readonly targetHost: string;
  readonly emitTimeMs: number | null;
  /** Why the subscription cannot deliver any more (disabled, no webhook, creating key revoked), or null. */
  readonly inactive: string | null;
  /** Set when `inactive` is null. */
  readonly webhook: { readonly url: string; readonly secret: StoredSecret } | null;
}

/** Opens a stored secret for signing; throws a TelltaleError (SECRETS_KEY_UNKNOWN, SECRET_UNREADABLE) if it cannot. */
export interface SecretOpener {
  open(subscriptionId: string, secret: StoredSecret): string;
}

export interface ClaimRequest {
  readonly nowMs: number;
  readonly leaseMs: number;
  readonly limit: number;
  readonly perTarget: number;
  /** Requests in flight per target host on this instance. */
  readonly busy: ReadonlyMap<string, number>;
}

export interface AttemptRecord {
  readonly startedMs: number;
  readonly durationMs: number;
  readonly outcome: string;
  readonly statusCode: number | null;
  readonly error: string | null;
}

export interface DeliveryState {
  readonly status: 'pending' | 'delivered' | 'dead';
  readonly nextAttemptMs: number;
  readonly deliveredMs: number | null;
}

export interface DeliveryQueue {
  /**
   * Leases up to `limit` due deliveries, at most `perTarget − busy` per target host; counts the attempt on claim.
   * A lease that runs out makes the row due again (crash recovery).
   */
  claim(request: ClaimRequest): Promise<ClaimedDelivery[]>;
  /** Records an attempt and the delivery's next state, ending the lease. */
  finish(deliveryId: string, attempt: number, record: AttemptRecord, next: DeliveryState): Promise<void>;
}

export interface WebhookRequest {
  readonly url: string;
  readonly body: string;
  readonly headers: Readonly<Record<string, string>>;
}

export interface WebhookTransport {
  send(request: WebhookRequest): Promise<AttemptOutcome>;
}

export interface WorkerEvents {
  attempted(outcome: AttemptOutcome, seconds: number, deliveryId: string, attempt: number): void;
  settled(next: NextStep, deliveryId: string, attempt: number): void;
  /** Alert emitted by diagnostics → the receiver's 2xx. */
  deliveredLatency(ms: number): void;
  workerFailed(err: unknown): void;
  /** A secret could not be opened: the attempt fails (and is retried: a key may be added to the keyring). */
  secretUnreadable(err: unknown, deliveryId: string, subscriptionId: string): void;
}

export interface WorkerOptions {
  readonly concurrency: number;
  readonly perTargetConcurrency: number;
  readonly pollMs: number;
  readonly leaseMs: number;
  readonly retry: RetryPolicy;
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
    private readonly queue: DeliveryQueue,
    private readonly transport: WebhookTransport,
    private readonly secrets: SecretOpener,
    private readonly events: WorkerEvents,
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
    const outcome = await this.attempt(delivery);
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

  private async attempt(delivery: ClaimedDelivery): Promise<AttemptOutcome> {
    if (delivery.inactive !== null) return { kind: 'refused', error: delivery.inactive };
    if (delivery.webhook === null) return { kind: 'refused', error: 'the subscription has no webhook' };
    let secret: string;
    try {
      secret = this.secrets.open(delivery.subscriptionId, delivery.webhook.secret);
    } catch (err) {
      this.events.secretUnreadable(err, delivery.deliveryId, delivery.subscriptionId);
      return { kind: 'failed', error: (err as Error).message };
    }
    const timestampMs = this.now();
    return this.transport.send({
      url: delivery.webhook.url,
      body: delivery.body,
      headers: {
        'telltale-signature': signatureHeader(secret, timestampMs, delivery.body),
        'telltale-delivery-id': delivery.deliveryId,
        'idempotency-key': delivery.deliveryId,
        'telltale-event': delivery.kind === 'ping' ? 'ping' : 'alert.transition',
        'telltale-attempt': String(delivery.attempt),
      },
    });
  }
}
