/**
 * API keys as bearer tokens: `tt_<key id>_<secret>`. The key id (12 hex digits) finds the record; the secret
 * (48 hex digits, 192 random bits) proves possession and is stored only as its SHA-256. A fast hash is right here:
 * the secret's strength is its entropy, and a slow hash would cost every request.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export const API_KEY_PREFIX = 'tt';
const KEY_ID = /^[0-9a-f]{12}$/;
const SECRET = /^[0-9a-f]{48}$/;

export interface GeneratedApiKey {
  readonly keyId: string;
  /** The whole bearer token, shown to its owner once. */
  readonly token: string;
  readonly secretSha256: string;
}

export type ParsedApiKey =
  | { readonly ok: true; readonly keyId: string; readonly secret: string }
  | { readonly ok: false; readonly reason: string };

export function generateApiKey(random: (size: number) => Buffer = randomBytes): GeneratedApiKey {
  const keyId = random(6).toString('hex');
  const secret = random(24).toString('hex');
  return { keyId, token: `${API_KEY_PREFIX}_${keyId}_${secret}`, secretSha256: hashApiKeySecret(secret) };
}

export function hashApiKeySecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** Constant-time comparison of a presented secret with the stored hash. */
export function apiKeySecretMatches(secret: string, secretSha256: string): boolean {
  const expected = Buffer.from(secretSha256, 'hex');
  const actual = createHash('sha256').update(secret, 'utf8').digest();
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

export function parseApiKey(token: string): ParsedApiKey {
  const parts = token.split('_');
  if (parts.length !== 3 || parts[0] !== API_KEY_PREFIX) {
    return { ok: false, reason: `an API key looks like ${API_KEY_PREFIX}_<12 hex digits>_<48 hex digits>` };
  }
  const [, keyId = '', secret = ''] = parts;
  if (!KEY_ID.test(keyId) || !SECRET.test(secret)) {
    return { ok: false, reason: `an API key looks like ${API_KEY_PREFIX}_<12 hex digits>_<48 hex digits>` };
  }
  return { ok: true, keyId, secret };
}

export type BearerToken =
  { readonly ok: true; readonly token: string } | { readonly ok: false; readonly reason: 'missing' | 'malformed' };

/** The token of an `Authorization: Bearer <token>` header (scheme case-insensitive, RFC 6750). */
export function bearerToken(header: string | undefined): BearerToken {
  if (header === undefined || header.trim() === '') return { ok: false, reason: 'missing' };
  const match = /^Bearer[ ]+(\S+)[ ]*$/i.exec(header);
  return match?.[1] === undefined ? { ok: false, reason: 'malformed' } : { ok: true, token: match[1] };
}
