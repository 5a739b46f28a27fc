import { describe, expect, it } from 'vitest';
import { keyringOf, openSecret, parseSecretsKey, sealSecret, type SecretsKey } from './secret-box.js';

const key = (raw: string): SecretsKey => {
  const parsed = parseSecretsKey(raw);
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.value;
};
const A = key('aa'.repeat(32));
const B = key(Buffer.alloc(32, 0xbb).toString('base64'));

describe('secret box', () => {
  it('accepts 32 bytes as hex, base64 or base64url, and nothing else', () => {
    expect(key(Buffer.alloc(32, 7).toString('base64url')).key).toEqual(Buffer.alloc(32, 7));
    expect(key('aa'.repeat(32)).id).toBe(A.id);
    expect(A.id).toMatch(/^[0-9a-f]{16}$/);
    for (const bad of ['', 'aa'.repeat(31), Buffer.alloc(16).toString('base64'), 'not a key at all', 'zz'.repeat(32)])
      expect(parseSecretsKey(bad)).toEqual({ ok: false, reason: expect.stringContaining('32 bytes') as string });
  });

  it('round-trips a secret, never storing it in the clear, with a fresh IV each time', () => {
    const ring = keyringOf(A);
    const one = sealSecret(ring, 'sub-1', 'whsec_0123456789abcdef');
    const two = sealSecret(ring, 'sub-1', 'whsec_0123456789abcdef');
    expect(one.keyId).toBe(A.id);
    expect(one.sealed.includes(Buffer.from('whsec_0123456789abcdef'))).toBe(false);
    expect(one.sealed.equals(two.sealed)).toBe(false);
    expect(openSecret(ring, 'sub-1', one)).toBe('whsec_0123456789abcdef');
  });

  it('opens with a previous key after rotation and seals with the current one', () => {
    const old = sealSecret(keyringOf(A), 'sub-1', 's3cret-s3cret-s3cret');
    const rotated = keyringOf(B, [A]);
    expect(openSecret(rotated, 'sub-1', old)).toBe('s3cret-s3cret-s3cret');
    expect(sealSecret(rotated, 'sub-1', 'x').keyId).toBe(B.id);
  });

  it('fails clearly with a wrong key, a moved row or altered bytes', () => {
    const sealed = sealSecret(keyringOf(A), 'sub-1', 's3cret-s3cret-s3cret');
    const unknown = thrown(() => openSecret(keyringOf(B), 'sub-1', sealed));
    expect(unknown.code).toBe('SECRETS_KEY_UNKNOWN');
    expect(unknown.message).toContain(`sealed with key ${A.id}, which is neither SECRETS_KEY (key ${B.id})`);
    // A wrong key that claims the right id (e.g. a hand-edited row) fails authentication.
    const impostor = { current: { id: A.id, key: B.key }, byId: new Map([[A.id, B.key]]) };
    expect(thrown(() => openSecret(impostor, 'sub-1', sealed)).code).toBe('SECRET_UNREADABLE');
    expect(thrown(() => openSecret(keyringOf(A), 'sub-2', sealed)).code).toBe('SECRET_UNREADABLE');
    const flipped = Buffer.from(sealed.sealed);
    flipped[flipped.length - 1]! ^= 1;
    expect(thrown(() => openSecret(keyringOf(A), 'sub-1', { ...sealed, sealed: flipped })).code).toBe(
      'SECRET_UNREADABLE',
    );
  });
});

/** What `attempt` throws, as code and message (fails the test if it does not throw). */
function thrown(attempt: () => unknown): { code: string; message: string } {
  try {
    attempt();
  } catch (error) {
    return { code: (error as { code: string }).code, message: (error as Error).message };
  }
  throw new Error('expected a throw');
}
