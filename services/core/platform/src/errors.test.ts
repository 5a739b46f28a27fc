import { describe, expect, it } from 'vitest';
import { TelltaleError, isTelltaleError, toTelltaleError } from './errors.js';

describe('TelltaleError', () => {
  it('carries a stable code, a retry verdict, details and its cause', () => {
    const cause = new Error('ECONNREFUSED');
    const error = new TelltaleError('RULE_STORE_UNAVAILABLE', 'Rule store is unreachable.', {
      retryable: true,
      cause,
      details: { host: 'db' },
    });
    expect(error.code).toBe('RULE_STORE_UNAVAILABLE');
    expect(error.retryable).toBe(true);
    expect(error.cause).toBe(cause);
    expect(error.toJSON()).toEqual({
      code: 'RULE_STORE_UNAVAILABLE',
      message: 'Rule store is unreachable.',
      retryable: true,
      details: { host: 'db' },
    });
    expect(isTelltaleError(error, 'RULE_STORE_UNAVAILABLE')).toBe(true);
    expect(isTelltaleError(error, 'OTHER')).toBe(false);
  });

  it('defaults to not retryable and wraps foreign errors', () => {
    expect(new TelltaleError('X', 'x').retryable).toBe(false);
    const wrapped = toTelltaleError(new TypeError('boom'), 'DECODE_FAILED');
    expect(wrapped.code).toBe('DECODE_FAILED');
    expect(wrapped.message).toBe('boom');
    expect(wrapped.cause).toBeInstanceOf(TypeError);
    const same = new TelltaleError('Y', 'y');
    expect(toTelltaleError(same)).toBe(same);
  });
});
