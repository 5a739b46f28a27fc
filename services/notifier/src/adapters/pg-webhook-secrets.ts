/**
 * Brings every stored webhook secret under the current key (run at start, before anything is sent): plain secrets
 * from before migration 0008 are sealed and cleared, secrets sealed by a previous key (SECRETS_PREVIOUS_KEYS) are
 * re-sealed. One transaction, rows locked, so an API writing meanwhile waits rather than racing.
 */
import type { Pool } from '@telltale/platform/db';
import { TelltaleError } from '@telltale/platform/errors';
import { openSecret, sealSecret, type Keyring } from '@telltale/platform/secrets';

export interface ResealReport {
  /** Plain secrets now sealed. */
  readonly sealed: number;
  /** Secrets moved from a previous key to the current one. */
  readonly resealed: number;
  /** Key id → subscriptions sealed by a key the keyring lacks; when any, nothing was changed. */
  readonly unknownKeys: ReadonlyMap<string, number>;
}

interface Row {
  subscription_id: string;
  webhook_secret: string | null;
  webhook_secret_key_id: string | null;
  webhook_secret_sealed: Buffer | null;
}

export class PgWebhookSecrets {
  constructor(private readonly pool: Pool) {}

  async resealAll(keyring: Keyring): Promise<ResealReport> {
    const client = await this.pool.connect();
    let sealed = 0;
    let resealed = 0;
    const unknownKeys = new Map<string, number>();
    try {
      await client.query('BEGIN');
      const { rows } = await client.query<Row>(
        `SELECT subscription_id, webhook_secret, webhook_secret_key_id, webhook_secret_sealed FROM alert_subscriptions
         WHERE webhook_secret IS NOT NULL OR webhook_secret_key_id <> $1
         ORDER BY subscription_id FOR UPDATE`,
        [keyring.current.id],
      );
      for (const r of rows) {
        const keyId = r.webhook_secret_key_id;
        if (r.webhook_secret === null && keyId !== null && !keyring.byId.has(keyId))
          unknownKeys.set(keyId, (unknownKeys.get(keyId) ?? 0) + 1);
      }
      // Some secrets need a key we lack: SECRETS_KEY is probably wrong, so seal nothing with it.
      if (unknownKeys.size > 0) {
        await client.query('ROLLBACK');
        return { sealed: 0, resealed: 0, unknownKeys };
      }
      for (const r of rows) {
        let plain: string;
        if (r.webhook_secret !== null) {
          plain = r.webhook_secret;
          sealed += 1;
        } else {
          plain = openSecret(keyring, r.subscription_id, {
            keyId: r.webhook_secret_key_id!,
            sealed: r.webhook_secret_sealed!,
          });
          resealed += 1;
        }
        const box = sealSecret(keyring, r.subscription_id, plain);
        await client.query(
          `UPDATE alert_subscriptions SET webhook_secret = NULL, webhook_secret_key_id = $2, webhook_secret_sealed = $3
           WHERE subscription_id = $1`,
          [r.subscription_id, box.keyId, box.sealed],
        );
      }
      await client.query('COMMIT');
    } catch (cause) {
      await client.query('ROLLBACK').catch(() => undefined);
      if (cause instanceof TelltaleError) throw cause;
      throw new TelltaleError('SECRETS_RESEAL_FAILED', `Sealing webhook secrets failed: ${(cause as Error).message}`, {
        retryable: true,
        cause,
      });
    } finally {
      client.release();
    }
    return { sealed, resealed, unknownKeys };
  }
}
