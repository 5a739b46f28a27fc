// Subscription hardening on the real services: a subscription stops delivering when its creator's API key is
// revoked (queued retries end as dead, new alerts queue nothing), and webhook secrets are encrypted at rest (the
// API writes them sealed, plain secrets from before 0008 are sealed when the notifier starts, deliveries still
// verify with the original secret, and a notifier with the wrong SECRETS_KEY refuses to start).
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgApiKeyStore } from '@telltale/api';
import { waitFor } from '@telltale/platform/testing';
import type { AlertEvent } from '@telltale/rules/alerts';
import { alertOf, startRun, verifyAsReceiver, VIN_A, type Run } from './harness.js';

interface Created {
  subscription: { subscriptionId: string; active: boolean };
  webhookSecret: string | null;
}
interface SecretColumns {
  webhook_secret: string | null;
  webhook_secret_key_id: string | null;
  webhook_secret_sealed: Buffer | null;
}

const alertIdOf = (body: string): string => (JSON.parse(body) as { alert: AlertEvent }).alert.alertId;
const keyIdOf = (token: string): string => token.split('_')[1]!;
const LEGACY_SECRET = `legacy_${randomBytes(16).toString('hex')}`;

describe('notifier: revoked creators and encrypted secrets', () => {
  let t: Run;
  let doomed: string;
  let keeper: string;
  let legacyId: string;

  const subscribe = async (token: string, path: string, secret?: string): Promise<Created> => {
    const reply = await t.call<Created>('POST', '/v1/subscriptions', token, {
      name: path,
      fleets: ['fleet-a'],
      webhook: { url: t.receiver.url(path), ...(secret === undefined ? {} : { secret }) },
    });
    expect(reply.status).toBe(201);
    return reply.body;
  };
  const secretColumns = async (subscriptionId: string): Promise<SecretColumns> =>
    (
      await t.pool.query<SecretColumns>(
        `SELECT webhook_secret, webhook_secret_key_id, webhook_secret_sealed FROM alert_subscriptions
         WHERE subscription_id = $1`,
        [subscriptionId],
      )
    ).rows[0]!;

  beforeAll(async () => {
    // Retries far enough apart that a delivery is still pending when its creator's key is revoked.
    t = await startRun({
      NOTIFIER_WEBHOOK_MAX_ATTEMPTS: '5',
      NOTIFIER_RETRY_BASE_MS: '1500',
      NOTIFIER_RETRY_MAX_MS: '1500',
    });
    doomed = await t.key('engineer', ['fleet-a']);
    keeper = await t.key('engineer', ['fleet-a']);
    // A subscription as written before migration 0008: its secret in plain text.
    legacyId = randomUUID();
    await t.pool.query(
      `INSERT INTO alert_subscriptions (subscription_id, name, fleet_ids, webhook_url, webhook_secret, created_by)
       VALUES ($1, 'legacy', '{fleet-a}', $2, $3, $4)`,
      [legacyId, t.receiver.url('/legacy'), LEGACY_SECRET, keyIdOf(keeper)],
    );
    await t.startNotifier();
  }, 120_000);

  afterAll(async () => {
    await t?.close();
  });

  it('stores webhook secrets sealed, never in plain text, and deliveries verify with the original secret', async () => {
    const secret = `whsec_${randomBytes(32).toString('hex')}`;
    const created = await subscribe(keeper, '/sealed', secret);
    expect(created.webhookSecret).toBe(secret);

    const columns = await secretColumns(created.subscription.subscriptionId);
    expect(columns.webhook_secret).toBeNull();
    expect(columns.webhook_secret_key_id).toMatch(/^[0-9a-f]{16}$/);
    expect(columns.webhook_secret_sealed!.includes(Buffer.from(secret))).toBe(false);
    expect(columns.webhook_secret_sealed!.includes(Buffer.from(secret.slice(6), 'hex'))).toBe(false);
    const { rows } = await t.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM alert_subscriptions
       WHERE webhook_secret IS NOT NULL OR position(convert_to($1, 'UTF8') IN webhook_secret_sealed) > 0`,
      [secret],
    );
    expect(rows[0]!.n).toBe(0);

    const alert = alertOf(VIN_A);
    await t.produce(alert);
    const request = await waitFor(
      'the alert at /sealed',
      () => t.receiver.at('/sealed').find((r) => alertIdOf(r.body) === alert.alertId),
      30_000,
    );
    expect(verifyAsReceiver(secret, request.headers['telltale-signature'] as string, request.body)).toBe(true);
  });

  it('seals plain secrets from before 0008 at start, and the subscription keeps delivering', async () => {
    const columns = await secretColumns(legacyId);
    expect(columns.webhook_secret).toBeNull();
    expect(columns.webhook_secret_sealed!.includes(Buffer.from(LEGACY_SECRET))).toBe(false);

    const alert = alertOf(VIN_A);
    await t.produce(alert);
    const request = await waitFor(
      'the alert at /legacy',
      () => t.receiver.at('/legacy').find((r) => alertIdOf(r.body) === alert.alertId),
      30_000,
    );
    expect(verifyAsReceiver(LEGACY_SECRET, request.headers['telltale-signature'] as string, request.body)).toBe(true);
  });

  it('stops delivering once the creating key is revoked: queued retries end dead, new alerts queue none', async () => {
    const mine = await subscribe(doomed, '/doomed');
    const control = await subscribe(keeper, '/control');
    t.receiver.on('/doomed', () => 500);

    const before = alertOf(VIN_A);
    await t.produce(before);
    await waitFor('the first attempt at /doomed', () => (t.receiver.at('/doomed').length >= 1 ? true : undefined));
    await new PgApiKeyStore(t.pool).revoke(keyIdOf(doomed));

    const deliveryOf = async (alertId: string) =>
      (
        await t.pool.query<{ status: string; last_error: string | null }>(
          'SELECT status, last_error FROM webhook_deliveries WHERE subscription_id = $1 AND alert_id = $2',
          [mine.subscription.subscriptionId, alertId],
        )
      ).rows[0];
    const dead = await waitFor(
      'the queued retry to end dead',
      async () => {
        const d = await deliveryOf(before.alertId!);
        return d?.status === 'dead' ? d : undefined;
      },
      30_000,
    );
    expect(dead.last_error).toContain('revoked');
    const requestsAfterRevocation = t.receiver.at('/doomed').length;

    const after = alertOf(VIN_A);
    await t.produce(after);
    await waitFor('the control subscription to receive the new alert', () =>
      t.receiver.at('/control').some((r) => alertIdOf(r.body) === after.alertId) ? true : undefined,
    );
    expect(await deliveryOf(after.alertId!)).toBeUndefined();
    expect(t.receiver.at('/doomed').length).toBe(requestsAfterRevocation);
    expect(t.receiver.at('/doomed').some((r) => alertIdOf(r.body) === after.alertId)).toBe(false);

    const shown = await t.call<{ active: boolean; enabled: boolean }>(
      'GET',
      `/v1/subscriptions/${mine.subscription.subscriptionId}`,
      keeper,
    );
    expect(shown.body).toMatchObject({ active: false, enabled: true });
    expect(control.subscription.active).toBe(true);
  });

  it('refuses to start with a SECRETS_KEY that did not seal the stored secrets, naming the variable', async () => {
    const wrong = randomBytes(32).toString('base64');
    const { code, stderr } = await t.runNotifierUntilItStops({ SECRETS_KEY: wrong });
    expect(code).toBe(1);
    expect(stderr).toContain('SECRETS_KEY_UNKNOWN');
    expect(stderr).toContain('SECRETS_KEY');
    expect(stderr).not.toContain(wrong);
    // Nothing was re-sealed with the wrong key: the running notifier still signs with the right secret.
    const columns = await secretColumns(legacyId);
    expect(columns.webhook_secret_key_id).not.toBe(null);
    const alert = alertOf(VIN_A);
    await t.produce(alert);
    const request = await waitFor('a later alert at /legacy', () =>
      t.receiver.at('/legacy').find((r) => alertIdOf(r.body) === alert.alertId),
    );
    expect(verifyAsReceiver(LEGACY_SECRET, request.headers['telltale-signature'] as string, request.body)).toBe(true);
  });

  it('refuses to start outside development without SECRETS_KEY, naming the variable', async () => {
    const { code, stderr } = await t.runNotifierUntilItStops({ NODE_ENV: 'production', SECRETS_KEY: '' });
    expect(code).toBe(1);
    expect(stderr).toContain('SECRETS_KEY is required');
  });
});
