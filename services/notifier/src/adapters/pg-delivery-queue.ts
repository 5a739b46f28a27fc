/**
 * The durable webhook queue in PostgreSQL (0006_notifier.sql). Inserts are idempotent (delivery id primary key);
 * claiming leases rows with a conditional UPDATE, so concurrent instances never send the same row at once, and a
 * crashed instance's rows come back when their lease runs out.
 */
import type { Pool } from '@telltale/platform/db';
import type { DeadLetter, DeliveryInbox, NewDelivery } from '../pipeline/alert-intake.js';
import type {
  AttemptRecord,
  ClaimRequest,
  ClaimedDelivery,
  DeliveryQueue,
  DeliveryState,
  StoredSecret,
} from '../pipeline/delivery-worker.js';

interface PendingResult {
  readonly deliveryId: string;
  readonly attempt: number;
  readonly record: AttemptRecord;
  readonly next: DeliveryState;
  resolve(): void;
  reject(error: unknown): void;
}

interface ClaimedRow {
  delivery_id: string;
  subscription_id: string;
  kind: 'alert' | 'ping';
  body: string;
  attempts: number;
  target_host: string;
  emit_time_ms: string | null;
  webhook_url: string | null;
  webhook_secret: string | null;
  webhook_secret_key_id: string | null;
  webhook_secret_sealed: Buffer | null;
  enabled: boolean;
  created_by: string;
  creator_revoked: boolean;
}

/**
 * Due rows, ranked per target host after what is already in flight there, leased and counted in one statement.
 * The subscription's state is read in the same statement: a delivery of a disabled subscription, or of one whose
 * creating API key was revoked (0008), comes back marked inactive and is settled without a request.
 */
const CLAIM = `
WITH due AS (
  SELECT delivery_id, target_host, next_attempt_ms FROM webhook_deliveries
  WHERE status = 'pending' AND next_attempt_ms <= $1 AND lease_until_ms <= $1
  ORDER BY next_attempt_ms LIMIT 2000
), ranked AS (
  SELECT d.delivery_id,
         row_number() OVER (PARTITION BY d.target_host ORDER BY d.next_attempt_ms, d.delivery_id)
           + coalesce(b.busy, 0) AS slot
  FROM due d LEFT JOIN unnest($4::text[], $5::int[]) AS b(host, busy) ON b.host = d.target_host
), picked AS (
  SELECT delivery_id FROM ranked WHERE slot <= $6 ORDER BY slot LIMIT $3
)
UPDATE webhook_deliveries w SET lease_until_ms = $2, attempts = w.attempts + 1
FROM picked, alert_subscriptions s LEFT JOIN api_keys k ON k.key_id = s.created_by
WHERE w.delivery_id = picked.delivery_id AND w.status = 'pending' AND w.lease_until_ms <= $1
  AND s.subscription_id = w.subscription_id
RETURNING w.delivery_id, w.subscription_id, w.kind, w.body, w.attempts, w.target_host, w.emit_time_ms,
  s.webhook_url, s.webhook_secret, s.webhook_secret_key_id, s.webhook_secret_sealed, s.enabled, s.created_by,
  k.revoked_at IS NOT NULL AS creator_revoked`;

/** Results written by one statement at most (a round's worth at the default concurrency, and then some). */
const MAX_RESULTS_PER_WRITE = 500;

export class PgDeliveryQueue implements DeliveryInbox, DeliveryQueue {
  constructor(private readonly pool: Pool) {}

  /** The queue as an operator sees it: deliveries waiting (pending), those due now, and the oldest due time. */
  async depth(nowMs: number): Promise<{ pending: number; due: number; oldestDueMs: number | undefined }> {
    const { rows } = await this.pool.query<{ pending: string; due: string; oldest: string | null }>(
      `SELECT count(*) AS pending, count(*) FILTER (WHERE next_attempt_ms <= $1) AS due,
              min(next_attempt_ms) FILTER (WHERE next_attempt_ms <= $1) AS oldest
       FROM webhook_deliveries WHERE status = 'pending'`,
      [nowMs],
    );
    const row = rows[0];
    return {
      pending: Number(row?.pending ?? 0),
      due: Number(row?.due ?? 0),
      oldestDueMs: row?.oldest == null ? undefined : Number(row.oldest),
    };
  }

  /** Inserts new deliveries (due now); returns how many were new (replays insert nothing). */
  async enqueue(deliveries: readonly NewDelivery[], nowMs: number): Promise<number> {
    if (deliveries.length === 0) return 0;
    const col = <K extends keyof NewDelivery>(k: K) => deliveries.map((d) => d[k]);
    const result = await this.pool.query(
      `INSERT INTO webhook_deliveries (delivery_id, subscription_id, kind, alert_id, transition_seq, fleet_id, vin,
         body, target_host,
         status, next_attempt_ms, emit_time_ms, created_ms)
       SELECT d.id, d.sub, 'alert', d.alert, d.seq, d.fleet, d.vin, d.body, d.host, 'pending', $10, d.emit, $10
       FROM unnest($1::text[], $2::uuid[], $3::text[], $4::int[], $5::text[], $6::text[], $7::text[], $8::text[],
                   $9::bigint[])
         AS d(id, sub, alert, seq, fleet, vin, body, host, emit)
       WHERE EXISTS (SELECT 1 FROM alert_subscriptions s WHERE s.subscription_id = d.sub)
       ON CONFLICT (delivery_id) DO NOTHING`,
      [
        col('deliveryId'),
        col('subscriptionId'),
        col('alertId'),
        col('transitionSeq'),
        col('fleetId'),
        col('vin'),
        col('body'),
        col('targetHost'),
        col('emitTimeMs'),
        nowMs,
      ],
    );
    return result.rowCount ?? 0;
  }

  async deadLetter(records: readonly DeadLetter[], nowMs: number): Promise<void> {
    for (const r of records) {
      await this.pool.query(
        `INSERT INTO notifier_dead_letters (topic, partition, record_offset, record_key, reason, detail, payload,
           created_ms)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (topic, partition, record_offset) DO NOTHING`,
        [r.topic, r.partition, r.offset, r.key, r.reason, r.detail, r.payload, nowMs],
      );
    }
  }

  /**
   * Leases up to `limit` due deliveries, at most `perTarget − busy` per target host (so a slow receiver holds a
   * bounded number of slots and never blocks the others), fairly across hosts. Counts the attempt on claim.
   */
  async claim(options: ClaimRequest): Promise<ClaimedDelivery[]> {
    const hosts = [...options.busy.keys()];
    const { rows } = await this.pool.query<ClaimedRow>(CLAIM, [
      options.nowMs,
      options.nowMs + options.leaseMs,
      options.limit,
      hosts,
      hosts.map((h) => options.busy.get(h) ?? 0),
      options.perTarget,
    ]);
    return rows.map((r) => {
      const inactive = r.creator_revoked
        ? `the API key ${r.created_by} that created the subscription was revoked`
        : !r.enabled
          ? 'the subscription is disabled'
          : r.webhook_url === null
            ? 'the subscription has no webhook'
            : null;
      const secret: StoredSecret | null =
        r.webhook_secret_key_id !== null && r.webhook_secret_sealed !== null
          ? { keyId: r.webhook_secret_key_id, sealed: r.webhook_secret_sealed }
          : r.webhook_secret !== null
            ? { plain: r.webhook_secret }
            : null;
      return {
        deliveryId: r.delivery_id,
        subscriptionId: r.subscription_id,
        kind: r.kind,
        body: r.body,
        attempt: r.attempts,
        targetHost: r.target_host,
        emitTimeMs: r.emit_time_ms === null ? null : Number(r.emit_time_ms),
        inactive: inactive ?? (secret === null ? 'the subscription has no webhook secret' : null),
        webhook: inactive === null && r.webhook_url !== null && secret !== null ? { url: r.webhook_url, secret } : null,
      };
    });
  }

  /**
   * Records an attempt and the delivery's next state. Results arriving together (a busy receiver answers many
   * requests per millisecond) are written by one statement; each call resolves once its row is committed.
   */
  finish(deliveryId: string, attempt: number, record: AttemptRecord, next: DeliveryState): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.results.push({ deliveryId, attempt, record, next, resolve, reject });
      if (this.results.length >= MAX_RESULTS_PER_WRITE) this.writeResults();
      else if (!this.resultsScheduled) {
        this.resultsScheduled = true;
        setImmediate(() => this.writeResults());
      }
    });
  }

  private readonly results: PendingResult[] = [];
  private resultsScheduled = false;

  private writeResults(): void {
    this.resultsScheduled = false;
    const batch = this.results.splice(0, this.results.length);
    if (batch.length === 0) return;
    const col = <T>(f: (r: PendingResult) => T): T[] => batch.map(f);
    this.pool
      .query(
        `WITH r AS (
           SELECT * FROM unnest($1::text[], $2::int[], $3::bigint[], $4::int[], $5::text[], $6::int[], $7::text[],
                                $8::text[], $9::bigint[], $10::bigint[])
             AS r(id, attempt, started, duration, outcome, code, error, status, next_ms, delivered)
         ), logged AS (
           INSERT INTO webhook_delivery_attempts
             (delivery_id, attempt, started_ms, duration_ms, outcome, status_code, error)
           SELECT id, attempt, started, duration, outcome, code, error FROM r
           ON CONFLICT (delivery_id, attempt) DO NOTHING
         )
         UPDATE webhook_deliveries w SET status = r.status, next_attempt_ms = r.next_ms, lease_until_ms = 0,
           delivered_ms = r.delivered, last_status_code = r.code, last_error = r.error
         FROM r WHERE w.delivery_id = r.id`,
        [
          col((r) => r.deliveryId),
          col((r) => r.attempt),
          col((r) => r.record.startedMs),
          col((r) => Math.round(r.record.durationMs)),
          col((r) => r.record.outcome),
          col((r) => r.record.statusCode),
          col((r) => r.record.error),
          col((r) => r.next.status),
          col((r) => r.next.nextAttemptMs),
          col((r) => r.next.deliveredMs),
        ],
      )
      .then(
        () => {
          for (const r of batch) r.resolve();
        },
        (error: unknown) => {
          for (const r of batch) r.reject(error);
        },
      );
  }
}
