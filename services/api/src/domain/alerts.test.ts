import { describe, expect, it } from 'vitest';
import { admittedSeverities, decodeAlertCursor, encodeAlertCursor } from './alerts.js';

describe('alert cursor', () => {
  const cursor = { raisedMs: 1_763_700_000_123, alertId: '0b9c6f1e-3a52-5d1f-8f7a-2c4e6b8d0a1f' };

  it('round-trips and is URL-safe', () => {
    const text = encodeAlertCursor(cursor);
    expect(text).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeAlertCursor(text)).toEqual(cursor);
  });

  it('refuses anything it did not make', () => {
    const b64 = (s: string): string => Buffer.from(s).toString('base64url');
    for (const bad of [
      '',
      'not a cursor!',
      b64('123'),
      b64('abc.0b9c6f1e-3a52-5d1f-8f7a-2c4e6b8d0a1f'),
      b64('1.not-a-uuid'),
      b64(`1.${cursor.alertId}.x`),
      b64(`99999999999999999.${cursor.alertId}`),
    ]) {
      expect(decodeAlertCursor(bad), bad).toBeUndefined();
    }
  });
});

describe('severity filter', () => {
  it('admits the listed severities, at least the minimum', () => {
    expect(admittedSeverities(undefined, 'major')).toEqual(['major', 'critical']);
    expect(admittedSeverities(['info', 'critical'], undefined)).toEqual(['info', 'critical']);
    expect(admittedSeverities(['info', 'major'], 'warning')).toEqual(['major']);
    expect(admittedSeverities(['info'], 'critical')).toEqual([]);
    expect(admittedSeverities([], undefined)).toEqual(['info', 'warning', 'major', 'critical']);
  });
});
