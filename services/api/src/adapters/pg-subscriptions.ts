/**
 * Alert subscriptions and their webhook delivery log in PostgreSQL (0006_notifier.sql). The API writes
 * subscriptions; `telltale notifier` reads them (a trigger bumps their version) and writes the deliveries.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Pool } from '@telltale/platform/db';
import { sealSecret, type Keyring } from '@telltale/platform/secrets';
import type { AlertFilter, AlertSeverity, AlertStateName } from '@telltale/rules/alerts';

/** The filter (see @telltale/rules/alerts) and the channels; the webhook secret travels separately (write-only). */
export interface SubscriptionFields extends AlertFilter {
  readonly name: string;
  readonly webhookUrl: string | null;
  readonly stream: boolean;
  readonly enabled: boolean;
}

export interface SubscriptionRecord extends SubscriptionFields {
  readonly subscriptionId: string;
  readonly createdBy: string;
  /** The creating API key was revoked: the subscription no longer delivers (0008). */
  readonly creatorRevoked: boolean;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface DeliveryRecord {
  readonly deliveryId: string;
  readonly kind: string;
  readonly alertId: string | null;
  readonly transitionSeq: number | null;
  readonly vin: string | null;
  readonly status: string;
  readonly attempts: number;
  readonly createdMs: number;
  readonly nextAttemptMs: number;
  readonly deliveredMs: number | null;
  readonly lastStatusCode: number | null;
  readonly lastError: string | null;
  readonly log: readonly {
    attempt: number;
    startedMs: number;
    durationMs: number;
    outcome: string;
    statusCode: number | null;
    error: string | null;
  }[];
}

interface Row {
  subscription_id: string;
  name: string;
  fleet_ids: string[];
  model_ids: string[];
  vins: string[];
  rule_ids: string[];
  min_severity: AlertSeverity;
  states: AlertStateName[];
  include_backfill: boolean;
  webhook_url: string | null;
  stream: boolean;
  enabled: boolean;
  created_by: string;
  created_at: Date;
  updated_at: Date;
  creator_revoked: boolean;
}

const COLUMNS =
  'subscription_id, name, fleet_ids, model_ids, vins, rule_ids, min_severity, states, include_backfill, ' +
  'webhook_url, stream, enabled, created_by, created_at, updated_at, ' +
  'EXISTS (SELECT 1 FROM api_keys k WHERE k.key_id = alert_subscriptions.created_by AND k.revoked_at IS NOT NULL)' +
  ' AS creator_revoked';

const record = (r: Row): SubscriptionRecord => ({
  subscriptionId: r.subscription_id,
  name: r.name,
  fleets: r.fleet_ids,
  models: r.model_ids,
  vins: r.vins,
  rules: r.rule_ids,
  minSeverity: r.min_severity,
  states: r.states,
  includeBackfill: r.include_backfill,
  webhookUrl: r.webhook_url,
  stream: r.stream,
  enabled: r.enabled,
  createdBy: r.created_by,
  creatorRevoked: r.creator_revoked,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

/** A webhook secret: 32 random bytes, hex, with a prefix that makes a leaked one easy to recognise. */
export const generateWebhookSecret = (): string => `whsec_${randomBytes(32).toString('hex')}`;

export class PgSubscriptionStore {
  constructor(
    private readonly pool: Pool,
    /** Seals webhook secrets before they are stored (SECRETS_KEY; the notifier opens them with the same keyring). */
    private readonly keyring: Keyring,
  ) {}

  async create(
    fields: SubscriptionFields,
    webhookSecret: string | null,
    createdBy: string,
  ): Promise<SubscriptionRecord> {
    const subscriptionId = randomUUID();
    const sealed = webhookSecret === null ? null : sealSecret(this.keyring, subscriptionId, webhookSecret);
    const { rows } = await this.pool.query<Row>(
      `INSERT INTO alert_subscriptions (subscription_id, name, fleet_ids, model_ids, vins, rule_ids, min_severity,
         states, include_backfill, webhook_url, webhook_secret_key_id, webhook_secret_sealed, stream, enabled,
         created_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING ${COLUMNS}`,
      [
        subscriptionId,
        fields.name,
        fields.fleets,
        fields.models,
        fields.vins,
        fields.rules,
        fields.minSeverity,
        fields.states,
        fields.includeBackfill,
        fields.webhookUrl,
        sealed?.keyId ?? null,
        sealed?.sealed ?? null,
        fields.stream,
        fields.enabled,
        createdBy,
      ],
    );
    return record(rows[0]!);
  }

  async list(): Promise<SubscriptionRecord[]> {
    const { rows } = await this.pool.query<Row>(
      `SELECT ${COLUMNS} FROM alert_subscriptions ORDER BY created_at, subscription_id`,
    );
    return rows.map(record);
  }

  async get(subscriptionId: string): Promise<SubscriptionRecord | undefined> {
    const { rows } = await this.pool.query<Row>(
      `SELECT ${COLUMNS} FROM alert_subscriptions WHERE subscription_id = $1`,
      [subscriptionId],
    );
    return rows[0] === undefined ? undefined : record(rows[0]);
  }

  /** Replaces the fields; `webhookSecret` undefined keeps the stored one (null removes it with the URL). */
  async update(
    subscriptionId: string,
    fields: SubscriptionFields,
    webhookSecret: string | null | undefined,
  ): Promise<SubscriptionRecord | undefined> {
    const sealed =
      webhookSecret === undefined || webhookSecret === null
        ? null
        : sealSecret(this.keyring, subscriptionId, webhookSecret);
    const { rows } = await this.pool.query<Row>(
      `UPDATE alert_subscriptions SET name = $2, fleet_ids = $3, model_ids = $4, vins = $5, rule_ids = $6,
         min_severity = $7, states = $8, include_backfill = $9, webhook_url = $10,
         webhook_secret = CASE WHEN $13 THEN NULL ELSE webhook_secret END,
         webhook_secret_key_id = CASE WHEN $13 THEN $11 ELSE webhook_secret_key_id END,
         webhook_secret_sealed = CASE WHEN $13 THEN $12::bytea ELSE webhook_secret_sealed END,
         stream = $14, enabled = $15, updated_at = now()
       WHERE subscription_id = $1 RETURNING ${COLUMNS}`,
      [
        subscriptionId,
        fields.name,
        fields.fleets,
        fields.models,
        fields.vins,
        fields.rules,
        fields.minSeverity,
        fields.states,
        fields.includeBackfill,
        fields.webhookUrl,
        sealed?.keyId ?? null,
        sealed?.sealed ?? null,
        webhookSecret !== undefined,
        fields.stream,
        fields.enabled,
      ],
    );
    return rows[0] === undefined ? undefined : record(rows[0]);
  }

  async delete(subscriptionId: string): Promise<boolean> {
    const result = await this.pool.query('DELETE FROM alert_subscriptions WHERE subscription_id = $1', [
      subscriptionId,
    ]);
    return (result.rowCount ?? 0) > 0;
  }

  /** Newest first; `beforeMs` pages back. */
  async deliveries(
    subscriptionId: string,
    options: { status?: string; limit: number; beforeMs?: number },
  ): Promise<DeliveryRecord[]> {
    const { rows } = await this.pool.query<{
      delivery_id: string;
      kind: string;
      alert_id: string | null;
      transition_seq: number | null;
      vin: string | null;
      status: string;
      attempts: number;
      created_ms: string;
      next_attempt_ms: string;
      delivered_ms: string | null;
      last_status_code: number | null;
      last_error: string | null;
      log: {
        attempt: number;
        started_ms: number;
        duration_ms: number;
        outcome: string;
        status_code: number | null;
        error: string | null;
      }[];
    }>(
      `SELECT d.delivery_id, d.kind, d.alert_id, d.transition_seq, d.vin, d.status, d.attempts, d.created_ms,
              d.next_attempt_ms, d.delivered_ms, d.last_status_code, d.last_error,
              coalesce((SELECT json_agg(json_build_object('attempt', a.attempt, 'started_ms', a.started_ms,
                          'duration_ms', a.duration_ms, 'outcome', a.outcome, 'status_code', a.status_code,
                          'error', a.error) ORDER BY a.attempt)
                        FROM webhook_delivery_attempts a WHERE a.delivery_id = d.delivery_id), '[]') AS log
       FROM webhook_deliveries d
       WHERE d.subscription_id = $1 AND ($2::text IS NULL OR d.status = $2)
         AND ($3::bigint IS NULL OR d.created_ms < $3)
       ORDER BY d.created_ms DESC, d.delivery_id LIMIT $4`,
      [subscriptionId, options.status ?? null, options.beforeMs ?? null, options.limit],
    );
    return rows.map((r) => ({
      deliveryId: r.delivery_id,
      kind: r.kind,
      alertId: r.alert_id,
      transitionSeq: r.transition_seq,
      vin: r.vin,
      status: r.status,
      attempts: r.attempts,
      createdMs: Number(r.created_ms),
      nextAttemptMs: Number(r.next_attempt_ms),
      deliveredMs: r.delivered_ms === null ? null : Number(r.delivered_ms),
      lastStatusCode: r.last_status_code,
      lastError: r.last_error,
      log: r.log.map((a) => ({
        attempt: a.attempt,
        startedMs: Number(a.started_ms),
        durationMs: a.duration_ms,
        outcome: a.outcome,
        statusCode: a.status_code,
        error: a.error,
      })),
    }));
  }

  /** Queues a signed test request to the subscription's webhook; the notifier sends it like an alert. */
  async ping(subscription: SubscriptionRecord, nowMs: number): Promise<string> {
    if (subscription.webhookUrl === null) throw new Error('subscription has no webhook');
    const deliveryId = randomBytes(16).toString('hex');
    const body = JSON.stringify({
      type: 'ping',
      deliveryId,
      subscriptionId: subscription.subscriptionId,
      timeMs: nowMs,
    });
    await this.pool.query(
      `INSERT INTO webhook_deliveries (delivery_id, subscription_id, kind, body, target_host, status, next_attempt_ms,
         created_ms)
       VALUES ($1, $2, 'ping', $3, $4, 'pending', $5, $5)`,
      [deliveryId, subscription.subscriptionId, body, new URL(subscription.webhookUrl).host.toLowerCase(), nowMs],
    );
    return deliveryId;
  }
}
