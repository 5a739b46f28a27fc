import { describe, expect, it } from 'vitest';
import { apiKeySecretMatches, bearerToken, generateApiKey, hashApiKeySecret, parseApiKey } from './api-key.js';

describe('API keys', () => {
  it('generates tokens that parse back to their key id and a secret matching the stored hash', () => {
    const key = generateApiKey();
    expect(key.token).toMatch(/^tt_[0-9a-f]{12}_[0-9a-f]{48}$/);
    const parsed = parseApiKey(key.token);
    expect(parsed).toMatchObject({ ok: true, keyId: key.keyId });
    if (!parsed.ok) return;
    expect(key.secretSha256).toBe(hashApiKeySecret(parsed.secret));
    expect(key.secretSha256).not.toContain(parsed.secret);
    expect(apiKeySecretMatches(parsed.secret, key.secretSha256)).toBe(true);
    expect(
      apiKeySecretMatches(
        parsed.secret.replace(/.$/, (c) => (c === '0' ? '1' : '0')),
        key.secretSha256,
      ),
    ).toBe(false);
  });

  it('hashes with SHA-256 (hex)', () => {
    expect(hashApiKeySecret('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('is deterministic given the random source', () => {
    const random = (size: number): Buffer => Buffer.alloc(size, 0xab);
    expect(generateApiKey(random).token).toBe(`tt_${'ab'.repeat(6)}_${'ab'.repeat(24)}`);
  });

  it.each([
    ['', 'empty'],
    ['tt_abc_def', 'too short'],
    [`xx_${'a'.repeat(12)}_${'b'.repeat(48)}`, 'wrong prefix'],
    [`tt_${'A'.repeat(12)}_${'b'.repeat(48)}`, 'uppercase id'],
    [`tt_${'a'.repeat(12)}_${'b'.repeat(47)}`, 'short secret'],
    [`tt_${'a'.repeat(12)}_${'b'.repeat(48)}_x`, 'extra part'],
    [`tt_${'g'.repeat(12)}_${'b'.repeat(48)}`, 'not hex'],
  ])('rejects %j (%s) with the expected shape in the reason', (token) => {
    const parsed = parseApiKey(token);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.reason).toContain('tt_<12 hex digits>_<48 hex digits>');
  });

  it('reads bearer tokens from the Authorization header', () => {
    expect(bearerToken(undefined)).toEqual({ ok: false, reason: 'missing' });
    expect(bearerToken('  ')).toEqual({ ok: false, reason: 'missing' });
    expect(bearerToken('Bearer tt_x')).toEqual({ ok: true, token: 'tt_x' });
    expect(bearerToken('bearer   tt_x ')).toEqual({ ok: true, token: 'tt_x' });
    expect(bearerToken('Basic dXNlcjpwYXNz')).toEqual({ ok: false, reason: 'malformed' });
    expect(bearerToken('Bearer a b')).toEqual({ ok: false, reason: 'malformed' });
    expect(bearerToken('Bearer')).toEqual({ ok: false, reason: 'malformed' });
  });
});
