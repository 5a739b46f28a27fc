/**
 * Alert subscriptions and their webhook delivery log in PostgreSQL (0006_notifier.sql). The API writes
 * subscriptions; `telltale notifier` reads them (a trigger bumps their version) and writes the deliveries.
 */
import { createCipheriv, createHash, randomBytes, randomUUID } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Pool } from '@telltale/platform/db';
import { TelltaleError } from '@telltale/platform/errors';
import type { AlertFilter, AlertSeverity, AlertStateName } from '@telltale/rules/alerts';

/** The filter (see @telltale/core/alerts) and the channels; the webhook secret travels separately (write-only). */
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
    /** Seals webhook secrets before they are stored; from SECRETS_KEY (see webhookSecretSealerFromEnv). */
    private readonly secrets: WebhookSecretSealer = webhookSecretSealerFromEnv(process.env),
  ) {}

  async create(
    fields: SubscriptionFields,
    webhookSecret: string | null,
    createdBy: string,
  ): Promise<SubscriptionRecord> {
    const subscriptionId = randomUUID();
    const sealed = webhookSecret === null ? null : this.secrets.seal(subscriptionId, webhookSecret);
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
      webhookSecret === undefined || webhookSecret === null ? null : this.secrets.seal(subscriptionId, webhookSecret);
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

/**
 * Webhook secrets at rest: AES-256-GCM under SECRETS_KEY, `iv (12) ‖ tag (16) ‖ ciphertext` with the subscription
 * id as authenticated data, stored beside the id of the sealing key; `telltale notifier` opens them to sign. The
 * format and the key rules must match services/notifier/src/domain/secret-box.ts and
 * adapters/secrets-key-file.ts (a service cannot import another: both belong in @telltale/platform).
 */
export interface WebhookSecretSealer {
  seal(subscriptionId: string, secret: string): { keyId: string; sealed: Buffer };
}

/**
 * SECRETS_KEY: 32 bytes as hex or base64. Without it the API refuses to start, except where NODE_ENV is
 * `development` or `test`: then it shares the key the services generate in .telltale/secrets.key (mode 0600).
 */
export function webhookSecretSealerFromEnv(source: NodeJS.ProcessEnv, cwd = process.cwd()): WebhookSecretSealer {
  const raw = source.SECRETS_KEY?.trim() ?? '';
  const nodeEnv = source.NODE_ENV ?? 'production';
  let key: Buffer | undefined;
  if (raw !== '' && raw !== '-') {
    key = secretsKeyOf(raw);
    if (!key) throw secretsConfigError('SECRETS_KEY must be 32 bytes as 64 hex digits or base64');
  } else if (nodeEnv === 'development' || nodeEnv === 'test') {
    key = developmentSecretsKey(join(cwd, '.telltale', 'secrets.key'));
  } else {
    throw secretsConfigError(
      'SECRETS_KEY is required: 32 bytes, hex or base64, that encrypt webhook secrets at rest ' +
        '(make one with `openssl rand -base64 32`; the API and the notifier need the same key). ' +
        'For local development only, NODE_ENV=development uses a key generated into .telltale/secrets.key',
    );
  }
  const current = key;
  const keyId = createHash('sha256').update('telltale-secrets-key-id\0').update(current).digest('hex').slice(0, 16);
  return {
    seal: (subscriptionId, secret) => {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', current, iv);
      cipher.setAAD(Buffer.from(`telltale:webhook-secret:v1:${subscriptionId}`, 'utf8'));
      const ciphertext = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
      return { keyId, sealed: Buffer.concat([iv, cipher.getAuthTag(), ciphertext]) };
    },
  };
}

function secretsKeyOf(text: string): Buffer | undefined {
  const t = text.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(t)
    ? Buffer.from(t, 'hex')
    : /^[A-Za-z0-9+/_-]{43}={0,1}$/.test(t)
      ? Buffer.from(t, 'base64')
      : undefined;
  return key?.length === 32 ? key : undefined;
}

function secretsConfigError(problem: string): TelltaleError {
  return new TelltaleError('CONFIG_INVALID', `Invalid configuration: ${problem}.`, {
    details: { problems: [problem] },
  });
}

/** Made once, atomically (a private temporary file linked into place), so processes starting together agree. */
function developmentSecretsKey(path: string): Buffer {
  mkdirSync(join(path, '..'), { recursive: true, mode: 0o700 });
  try {
    statSync(path);
  } catch {
    const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}`;
    writeFileSync(temporary, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
    try {
      linkSync(temporary, path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    } finally {
      unlinkSync(temporary);
    }
  }
  if ((statSync(path).mode & 0o077) !== 0)
    throw secretsConfigError(`the development key file ${path} is readable by others; chmod 600 it or set SECRETS_KEY`);
  const key = secretsKeyOf(readFileSync(path, 'utf8'));
  if (!key) throw secretsConfigError(`the development key file ${path} does not hold a 32-byte key; set SECRETS_KEY`);
  return key;
}
