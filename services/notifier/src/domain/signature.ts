/**
 * Webhook signatures: `Telltale-Signature: t=<unix ms>,v1=<hex HMAC-SHA256(secret, t + "." + body)>`. The
 * timestamp is inside the signed text, so a receiver that checks it against its clock refuses replays older than
 * its tolerance. Several v1= entries may appear while a secret is being rotated; one matching entry suffices.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'telltale-signature';

export function signatureOf(secret: string, timestampMs: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestampMs}.${body}`).digest('hex');
}

export function signatureHeader(secret: string, timestampMs: number, body: string): string {
  return `t=${timestampMs},v1=${signatureOf(secret, timestampMs, body)}`;
}

export type SignatureCheck =
  | { readonly ok: true; readonly timestampMs: number }
  | { readonly ok: false; readonly reason: 'malformed' | 'stale' | 'mismatch' };

/**
 * What a receiver does (README shows the same in plain Node): parse, check the time window, compare in constant
 * time.
 */
export function verifySignature(
  secret: string,
  header: string | undefined,
  body: string,
  nowMs: number,
  toleranceMs = 300_000,
): SignatureCheck {
  if (header === undefined) return { ok: false, reason: 'malformed' };
  let timestampMs: number | undefined;
  const candidates: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't' && /^\d{1,16}$/.test(value)) timestampMs = Number(value);
    else if (key === 'v1' && /^[0-9a-f]{64}$/.test(value)) candidates.push(value);
  }
  if (timestampMs === undefined || candidates.length === 0) return { ok: false, reason: 'malformed' };
  if (Math.abs(nowMs - timestampMs) > toleranceMs) return { ok: false, reason: 'stale' };
  const expected = Buffer.from(signatureOf(secret, timestampMs, body), 'hex');
  const ok = candidates.some((c) => timingSafeEqual(Buffer.from(c, 'hex'), expected));
  return ok ? { ok: true, timestampMs } : { ok: false, reason: 'mismatch' };
}
