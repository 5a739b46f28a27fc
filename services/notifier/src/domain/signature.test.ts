import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signatureHeader, verifySignature } from './signature.js';

const secret = 'whsec_test_secret_0123456789';
const body = '{"type":"alert.transition"}';

describe('webhook signature', () => {
  it('is t=<ms>,v1=HMAC-SHA256(secret, t + "." + body) in hex', () => {
    const expected = createHmac('sha256', secret).update(`1763712000000.${body}`).digest('hex');
    expect(signatureHeader(secret, 1_763_712_000_000, body)).toBe(`t=1763712000000,v1=${expected}`);
  });

  it('verifies within the tolerance and refuses stale, tampered or malformed headers', () => {
    const header = signatureHeader(secret, 1_000_000, body);
    expect(verifySignature(secret, header, body, 1_000_000 + 299_000)).toEqual({ ok: true, timestampMs: 1_000_000 });
    expect(verifySignature(secret, header, body, 1_000_000 + 301_000)).toEqual({ ok: false, reason: 'stale' });
    expect(verifySignature(secret, header, `${body} `, 1_000_000)).toEqual({ ok: false, reason: 'mismatch' });
    expect(verifySignature('other-secret-000000', header, body, 1_000_000)).toEqual({ ok: false, reason: 'mismatch' });
    expect(verifySignature(secret, 'v1=abc', body, 1_000_000)).toEqual({ ok: false, reason: 'malformed' });
    expect(verifySignature(secret, undefined, body, 1_000_000)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('accepts any matching v1 entry (secret rotation)', () => {
    const good = signatureHeader(secret, 5, body).split(',v1=')[1];
    expect(verifySignature(secret, `t=5,v1=${'0'.repeat(64)},v1=${good}`, body, 5).ok).toBe(true);
  });
});
