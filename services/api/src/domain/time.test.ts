import { describe, expect, it } from 'vitest';
import { isoTime, parseTimeParam } from './time.js';

describe('time parameters', () => {
  it('takes milliseconds since the epoch', () => {
    expect(parseTimeParam('1763700000123')).toEqual({ ok: true, ms: 1763700000123 });
    expect(parseTimeParam('0')).toEqual({ ok: true, ms: 0 });
    expect(parseTimeParam('9999999999999999').ok).toBe(false);
  });

  it('takes ISO 8601 with Z or an offset, with or without seconds and fractions', () => {
    expect(parseTimeParam('2025-11-21T08:00:00Z')).toEqual({ ok: true, ms: Date.UTC(2025, 10, 21, 8) });
    expect(parseTimeParam('2025-11-21T08:00Z')).toEqual({ ok: true, ms: Date.UTC(2025, 10, 21, 8) });
    expect(parseTimeParam('2025-11-21T09:00:00.25+01:00')).toEqual({
      ok: true,
      ms: Date.UTC(2025, 10, 21, 8, 0, 0, 250),
    });
    expect(parseTimeParam('2025-11-21T09:00:00.123456789+0100')).toEqual({
      ok: true,
      ms: Date.UTC(2025, 10, 21, 8, 0, 0, 123),
    });
    expect(parseTimeParam('2025-11-21 03:00:00-05:00')).toEqual({ ok: true, ms: Date.UTC(2025, 10, 21, 8) });
  });

  it('reads a date alone as 00:00 UTC', () => {
    expect(parseTimeParam('2025-11-21')).toEqual({ ok: true, ms: Date.UTC(2025, 10, 21) });
  });

  it.each([
    '2025-11-21T08:00:00',
    'yesterday',
    '2025-02-30',
    '2025-13-01T00:00:00Z',
    '2025-11-21T24:00:00Z',
    '-5',
    '1e12',
    '',
  ])('rejects %j', (raw) => {
    const parsed = parseTimeParam(raw);
    expect(parsed.ok).toBe(false);
  });

  it('explains the accepted forms', () => {
    expect(parseTimeParam('yesterday')).toMatchObject({
      ok: false,
      reason: expect.stringContaining('ISO 8601') as string,
    });
  });

  it('formats as ISO in UTC', () => {
    expect(isoTime(Date.UTC(2025, 10, 21, 8))).toBe('2025-11-21T08:00:00.000Z');
  });
});
