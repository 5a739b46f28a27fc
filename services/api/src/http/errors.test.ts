import { describe, expect, it } from 'vitest';
import { TelltaleError } from '@telltale/platform';
import { ApiError, fastifyClientErrorCode, invalidRequest, statusOf, validationProblems } from './errors.js';

describe('API errors', () => {
  it('names the bad path of each validation error', () => {
    expect(
      validationProblems('querystring', [
        {
          keyword: 'maximum',
          instancePath: '/limit',
          schemaPath: '#/properties/limit/maximum',
          params: { limit: 1000 },
          message: 'must be <= 1000',
        },
        {
          keyword: 'required',
          instancePath: '',
          schemaPath: '#/required',
          params: { missingProperty: 'name' },
          message: "must have required property 'name'",
        },
        {
          keyword: 'additionalProperties',
          instancePath: '',
          schemaPath: '#/additionalProperties',
          params: { additionalProperty: 'form' },
          message: 'must NOT have additional properties',
        },
        { keyword: 'pattern', instancePath: '/fleets/2', schemaPath: '#/x', params: {} },
        {
          keyword: 'enum',
          instancePath: '/order',
          schemaPath: '#/x',
          params: { allowedValues: ['asc', 'desc'] },
          message: 'must be equal to one of the allowed values',
        },
        {
          keyword: 'anyOf',
          instancePath: '/order',
          schemaPath: '#/x',
          params: {},
          message: 'must match a schema in anyOf',
        },
      ]),
    ).toEqual([
      { path: '/querystring/limit', message: 'must be <= 1000' },
      { path: '/querystring/name', message: 'is required' },
      { path: '/querystring/form', message: 'is not allowed' },
      { path: '/querystring/fleets/2', message: 'fails pattern' },
      { path: '/querystring/order', message: 'must be one of asc, desc' },
    ]);
  });

  it('makes a 400 whose message lists every problem', () => {
    const error = invalidRequest([{ path: '/params/vin', message: 'must match pattern' }]);
    expect(error.statusCode).toBe(400);
    expect(error.code).toBe('INVALID_REQUEST');
    expect(error.message).toBe('Invalid request: /params/vin must match pattern.');
    expect(error.details).toEqual({ problems: [{ path: '/params/vin', message: 'must match pattern' }] });
  });

  it('maps error codes to statuses', () => {
    expect(statusOf(new ApiError(403, 'FORBIDDEN', 'no'))).toBe(403);
    expect(statusOf(new TelltaleError('VEHICLE_EXISTS', 'x'))).toBe(409);
    expect(statusOf(new TelltaleError('DATABASE_UNAVAILABLE', 'x', { retryable: true }))).toBe(503);
    expect(statusOf(new TelltaleError('SOMETHING_ELSE', 'x'))).toBe(500);
    expect(
      [
        'RULE_NOT_FOUND',
        'RULE_EXISTS',
        'RULE_VERSION_CONFLICT',
        'RULE_INVALID',
        'RULE_ID_MISMATCH',
        'RULE_STORE_UNAVAILABLE',
      ].map((code) => statusOf(new TelltaleError(code, 'x'))),
    ).toEqual([404, 409, 409, 400, 400, 503]);
    expect(fastifyClientErrorCode('FST_ERR_CTP_INVALID_MEDIA_TYPE', 415)).toBe('UNSUPPORTED_MEDIA_TYPE');
    expect(fastifyClientErrorCode(undefined, 400)).toBe('INVALID_REQUEST');
    expect(fastifyClientErrorCode('FST_X', 405)).toBe('HTTP_405');
  });
});
