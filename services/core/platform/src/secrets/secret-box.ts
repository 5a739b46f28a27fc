/**
 * Webhook secrets at rest: AES-256-GCM (node:crypto) under a 32-byte key from SECRETS_KEY. A sealed secret is
 * `iv (12 bytes) ‖ tag (16) ‖ ciphertext`, stored next to the id of the key that sealed it, so keys can rotate:
 * the keyring opens with the current key or any previous one, and always seals with the current one. The
 * subscription id is authenticated data: a sealed secret copied onto another subscription does not open.
 *
 * The key id is the first 8 bytes of SHA-256 over a fixed label and the key: derived, so it can never disagree
 * with the key, and it tells an operator which key a row needs without revealing anything usable.
 *
 * The API seals and the notifier opens (and re-seals on rotation) through this one module.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { TelltaleError } from '@telltale/platform/errors';

const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;

export interface SecretsKey {
  readonly id: string;
  readonly key: Buffer;
}

export interface Keyring {
  /** Seals new secrets. */
  readonly current: SecretsKey;
  /** Opens secrets sealed by any of these (the current key included). */
  readonly byId: ReadonlyMap<string, Buffer>;
}

export interface SealedSecret {
  readonly keyId: string;
  readonly sealed: Buffer;
}

/** A key as configured: 32 bytes, written as 64 hex digits or base64 / base64url (with or without padding). */
export function parseSecretsKey(raw: string): { ok: true; value: SecretsKey } | { ok: false; reason: string } {
  const text = raw.trim();
  let key: Buffer | undefined;
  if (/^[0-9a-fA-F]{64}$/.test(text)) key = Buffer.from(text, 'hex');
  else if (/^[A-Za-z0-9+/_-]{43}={0,1}$/.test(text)) key = Buffer.from(text, 'base64');
  if (key?.length !== KEY_BYTES) {
    return { ok: false, reason: 'must be 32 bytes as 64 hex digits or base64 (e.g. `openssl rand -base64 32`)' };
  }
  return { ok: true, value: { id: secretsKeyId(key), key } };
}

export function secretsKeyId(key: Buffer): string {
  return createHash('sha256').update('telltale-secrets-key-id\0').update(key).digest('hex').slice(0, 16);
}

export function keyringOf(current: SecretsKey, previous: readonly SecretsKey[] = []): Keyring {
  const byId = new Map<string, Buffer>();
  for (const k of [current, ...previous]) byId.set(k.id, k.key);
  return { current, byId };
}

const aad = (subscriptionId: string): Buffer => Buffer.from(`telltale:webhook-secret:v1:${subscriptionId}`, 'utf8');

export function sealSecret(keyring: Keyring, subscriptionId: string, secret: string): SealedSecret {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', keyring.current.key, iv);
  cipher.setAAD(aad(subscriptionId));
  const ciphertext = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
  return { keyId: keyring.current.id, sealed: Buffer.concat([iv, cipher.getAuthTag(), ciphertext]) };
}

/**
 * The plain secret, or a TelltaleError: SECRETS_KEY_UNKNOWN when the row was sealed by a key the keyring lacks
 * (SECRETS_KEY wrong, or the old key dropped from SECRETS_PREVIOUS_KEYS too early), SECRET_UNREADABLE when the key
 * is known but authentication fails (the row was altered or moved).
 */
export function openSecret(keyring: Keyring, subscriptionId: string, secret: SealedSecret): string {
  const key = keyring.byId.get(secret.keyId);
  if (key === undefined) {
    throw new TelltaleError(
      'SECRETS_KEY_UNKNOWN',
      `Webhook secret of subscription ${subscriptionId} is sealed with key ${secret.keyId}, which is neither ` +
        `SECRETS_KEY (key ${keyring.current.id}) nor in SECRETS_PREVIOUS_KEYS.`,
      { details: { subscriptionId, keyId: secret.keyId, currentKeyId: keyring.current.id } },
    );
  }
  try {
    if (secret.sealed.length < IV_BYTES + TAG_BYTES) throw new Error('sealed secret too short');
    const decipher = createDecipheriv('aes-256-gcm', key, secret.sealed.subarray(0, IV_BYTES));
    decipher.setAAD(aad(subscriptionId));
    decipher.setAuthTag(secret.sealed.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    const plain = Buffer.concat([decipher.update(secret.sealed.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
    return plain.toString('utf8');
  } catch (cause) {
    throw new TelltaleError(
      'SECRET_UNREADABLE',
      `Webhook secret of subscription ${subscriptionId} does not authenticate under key ${secret.keyId}.`,
      { cause, details: { subscriptionId, keyId: secret.keyId } },
    );
  }
}
