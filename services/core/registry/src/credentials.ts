/**
 * Device credentials in mosquitto's password-file format (`$7$<iterations>$<salt b64>$<PBKDF2-SHA512 b64>`), so
 * the broker verifies devices directly from a file generated out of the registry and no plaintext is ever stored.
 * Secrets are 128-bit random tokens: their strength comes from entropy, not from iteration count.
 */
import { pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';

export const DEFAULT_ITERATIONS = 101;

export function generateDeviceSecret(): string {
  return randomBytes(16).toString('base64url');
}

export function hashDeviceSecret(
  secret: string,
  iterations = DEFAULT_ITERATIONS,
  salt: Buffer = randomBytes(12),
): string {
  const hash = pbkdf2Sync(secret, salt, iterations, 64, 'sha512');
  return `$7$${iterations}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

export function verifyDeviceSecret(secret: string, credentialHash: string): boolean {
  const [, kind, iterations, salt, hash] = credentialHash.split('$');
  if (kind !== '7' || iterations === undefined || salt === undefined || hash === undefined) return false;
  const expected = Buffer.from(hash, 'base64');
  const actual = pbkdf2Sync(secret, Buffer.from(salt, 'base64'), Number(iterations), expected.length, 'sha512');
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
