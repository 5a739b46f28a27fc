/**
 * The durable webhook queue in PostgreSQL (0006_notifier.sql). Inserts are idempotent (delivery id primary key);
 * claiming leases rows with a conditional UPDATE, so concurrent instances never send the same row at once, and a
 * crashed instance's rows come back when their lease runs out.
 */
import type { Pool } from '@telltale/core/db';

export interface NewDelivery {
  readonly deliveryId: string;
  readonly subscriptionId: string;
  readonly alertId: string;
  readonly transitionSeq: number;
  readonly fleetId: string;
  readonly vin: string;
  readonly body: string;
  readonly targetHost: string;
  readonly emitTimeMs: number;
}

export interface DeadLetter {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: string | null;
  readonly reason: string;
  readonly detail: string;
  readonly payload: Buffer | null;
}

export interface ClaimedDelivery {
  readonly deliveryId: string;
  readonly kind: 'alert' | 'ping';
  readonly body: string;
  /** This attempt's number (1-based). */
  readonly attempt: number;
  readonly targetHost: string;
  readonly emitTimeMs: number | null;
  /** null: the subscription no longer has a webhook or is disabled. */
  readonly webhook: { readonly url: string; readonly secret: string } | null;
}

export interface AttemptRecord {
  readonly startedMs: number;
  readonly durationMs: number;
  readonly outcome: string;
  readonly statusCode: number | null;
  readonly error: string | null;
}

export class PgDeliveryQueue {
  constructor(private readonly pool: Pool) {}

  /** Inserts new deliveries (due now); returns how many were new (replays insert nothing). */
  async enqueue(deliveries: readonly NewDelivery[], nowMs: number): Promise<number> {
    if (deliveries.length === 0) return 0;
    const col = <K extends keyof NewDelivery>(k: K) => deliveries.map((d) => d[k]);
    const result = await this.pool.query(
      `INSERT INTO webhook_deliveries (delivery_id, subscription_id, kind, alert_id, transition_seq, fleet_id, vin, body, target_host,
         status, next_attempt_ms, emit_time_ms, created_ms)
       SELECT d.id, d.sub, 'alert', d.alert, d.seq, d.fleet, d.vin, d.body, d.host, 'pending', $10, d.emit, $10
       FROM unnest($1::text[], $2::uuid[], $3::text[], $4::int[], $5::text[], $6::text[], $7::text[], $8::text[], $9::bigint[])
         AS d(id, sub, alert, seq, fleet, vin, body, host, emit)
       WHERE EXISTS (SELECT 1 FROM alert_subscriptions s WHERE s.subscription_id = d.sub)
       ON CONFLICT (delivery_id) DO NOTHING`,
      [col('deliveryId'), col('subscriptionId'), col('alertId'), col('transitionSeq'), col('fleetId'), col('vin'), col('body'), col('targetHost'), col('emitTimeMs'), nowMs],
    );
    return result.rowCount ?? 0;
  }

  async deadLetter(records: readonly DeadLetter[], nowMs: number): Promise<void> {
    for (const r of records) {
      await this.pool.query(
        `INSERT INTO notifier_dead_letters (topic, partition, record_offset, record_key, reason, detail, payload, created_ms)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (topic, partition, record_offset) DO NOTHING`,
        [r.topic, r.partition, r.offset, r.key, r.reason, r.detail, r.payload, nowMs],
      );
    }
  }

  /**
   * Leases up to `limit` due deliveries, at most `perTarget − busy` per target host (so a slow receiver holds a
   * bounded number of slots and never blocks the others), fairly across hosts. Counts the attempt on claim.
   */
  async claim(options: { nowMs: number; leaseMs: number; limit: number; perTarget: number; busy: ReadonlyMap<string, number> }): Promise<ClaimedDelivery[]> {
    const hosts = [...options.busy.keys()];
    const { rows } = await this.pool.query<{
      delivery_id: string; kind: 'alert' | 'ping'; body: string; attempts: number; target_host: string; emit_time_ms: string | null;
      webhook_url: string | null; webhook_secret: string | null; enabled: boolean;
    }>(
      `WITH due AS (
         SELECT delivery_id, target_host, next_attempt_ms FROM webhook_deliveries
         WHERE status = 'pending' AND next_attempt_ms <= $1 AND lease_until_ms <= $1
         ORDER BY next_attempt_ms LIMIT 2000
       ), ranked AS (
         SELECT d.delivery_id,
                row_number() OVER (PARTITION BY d.target_host ORDER BY d.next_attempt_ms, d.delivery_id) + coalesce(b.busy, 0) AS slot
         FROM due d LEFT JOIN unnest($4::text[], $5::int[]) AS b(host, busy) ON b.host = d.target_host
       ), picked AS (
         SELECT delivery_id FROM ranked WHERE slot <= $6 ORDER BY slot LIMIT $3
       )
       UPDATE webhook_deliveries w SET lease_until_ms = $2, attempts = w.attempts + 1
       FROM picked, alert_subscriptions s
       WHERE w.delivery_id = picked.delivery_id AND w.status = 'pending' AND w.lease_until_ms <= $1
         AND s.subscription_id = w.subscription_id
       RETURNING w.delivery_id, w.kind, w.body, w.attempts, w.target_host, w.emit_time_ms, s.webhook_url, s.webhook_secret, s.enabled`,
      [options.nowMs, options.nowMs + options.leaseMs, options.limit, hosts, hosts.map((h) => options.busy.get(h) ?? 0), options.perTarget],
    );
    return rows.map((r) => ({
      deliveryId: r.delivery_id,
      kind: r.kind,
      body: r.body,
      attempt: r.attempts,
      targetHost: r.target_host,
      emitTimeMs: r.emit_time_ms === null ? null : Number(r.emit_time_ms),
      webhook: r.enabled && r.webhook_url !== null && r.webhook_secret !== null ? { url: r.webhook_url, secret: r.webhook_secret } : null,
    }));
  }

  /** Records an attempt and the delivery's next state in one statement. */
  async finish(
    deliveryId: string,
    attempt: number,
    record: AttemptRecord,
    next: { status: 'pending' | 'delivered' | 'dead'; nextAttemptMs: number; deliveredMs: number | null },
  ): Promise<void> {
    await this.pool.query(
      `WITH logged AS (
         INSERT INTO webhook_delivery_attempts (delivery_id, attempt, started_ms, duration_ms, outcome, status_code, error)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (delivery_id, attempt) DO NOTHING
       )
       UPDATE webhook_deliveries SET status = $8, next_attempt_ms = $9, lease_until_ms = 0, delivered_ms = $10,
         last_status_code = $6, last_error = $7
       WHERE delivery_id = $1`,
      [deliveryId, attempt, record.startedMs, Math.round(record.durationMs), record.outcome, record.statusCode, record.error, next.status, next.nextAttemptMs, next.deliveredMs],
    );
  }
}
