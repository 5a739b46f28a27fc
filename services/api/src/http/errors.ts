/**
 * The API's error contract: every error is `{ "error": { code, message, retryable, requestId, details? } }` with a
 * stable code and the HTTP status that fits it. Validation errors name the bad part of the request as a path
 * (`/querystring/limit must be <= 1000`).
 */
import { TelltaleError, type TelltaleErrorOptions } from '@telltale/platform';
import type { FastifySchemaValidationError } from 'fastify';

/** An error raised by a route with the HTTP status to answer. */
export class ApiError extends TelltaleError {
  constructor(
    readonly statusCode: number,
    code: string,
    message: string,
    options: TelltaleErrorOptions = {},
  ) {
    super(code, message, options);
  }
}

export interface ErrorBody {
  readonly error: {
    readonly code: string;
    readonly message: string;
    readonly retryable: boolean;
    readonly requestId: string;
    readonly details?: Readonly<Record<string, unknown>>;
  };
}

/** HTTP status of TelltaleError codes that reach the API from core and the adapters. */
const STATUS_BY_CODE: Readonly<Record<string, number>> = {
  DATABASE_UNAVAILABLE: 503,
  REGISTRY_UNAVAILABLE: 503,
  FLEET_EXISTS: 409,
  VEHICLE_EXISTS: 409,
  DEVICE_EXISTS: 409,
  FLEET_NOT_FOUND: 404,
  VEHICLE_NOT_FOUND: 404,
  DEVICE_NOT_FOUND: 404,
  REGISTRY_VALUE_INVALID: 400,
  RULE_NOT_FOUND: 404,
  RULE_EXISTS: 409,
  RULE_VERSION_CONFLICT: 409,
  RULE_INVALID: 400,
  RULE_ID_MISMATCH: 400,
  RULE_SHADOW_IS_ACTIVE: 409,
  RULE_SHADOW_NOT_FOUND: 409,
  RULE_STORE_UNAVAILABLE: 503,
  ARCHIVE_UNAVAILABLE: 503,
  BACKTEST_BUSY: 429,
  BACKTEST_ARCHIVE_UNAVAILABLE: 503,
  BACKTEST_ALERTS_UNAVAILABLE: 503,
};

export function statusOf(error: TelltaleError): number {
  if (error instanceof ApiError) return error.statusCode;
  return STATUS_BY_CODE[error.code] ?? 500;
}

export interface Problem {
  /** JSON pointer into the request: `/querystring/limit`, `/body/fleets/0`, `/params/vin`. */
  readonly path: string;
  readonly message: string;
}

/** ajv's errors for one part of the request → problems whose paths name the bad field (one per path). */
export function validationProblems(part: string, errors: readonly FastifySchemaValidationError[]): Problem[] {
  const problems = new Map<string, string>();
  for (const e of errors) {
    const base = `/${part}${e.instancePath}`;
    const { missingProperty, additionalProperty, allowedValues } = e.params;
    let problem: Problem;
    if (e.keyword === 'required' && typeof missingProperty === 'string')
      problem = { path: `${base}/${missingProperty}`, message: 'is required' };
    else if (e.keyword === 'additionalProperties' && typeof additionalProperty === 'string')
      problem = { path: `${base}/${additionalProperty}`, message: 'is not allowed' };
    else if (e.keyword === 'enum' && Array.isArray(allowedValues))
      problem = { path: base, message: `must be one of ${allowedValues.map(String).join(', ')}` };
    else problem = { path: base, message: e.message ?? `fails ${e.keyword}` };
    if (!problems.has(problem.path)) problems.set(problem.path, problem.message);
  }
  return [...problems].map(([path, message]) => ({ path, message }));
}

export function invalidRequest(problems: readonly Problem[]): ApiError {
  const text = problems.map((p) => `${p.path} ${p.message}`).join('; ');
  return new ApiError(400, 'INVALID_REQUEST', `Invalid request: ${text}.`, { details: { problems } });
}

/** Fastify's own 4xx errors (body parsing, content type, size) under stable codes. */
const FASTIFY_CODES: Readonly<Record<string, string>> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_BODY_TOO_LARGE: 'BODY_TOO_LARGE',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'INVALID_REQUEST',
  FST_ERR_CTP_INVALID_JSON_BODY: 'INVALID_REQUEST',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'INVALID_REQUEST',
};

export function fastifyClientErrorCode(code: string | undefined, statusCode: number): string {
  return (
    (code === undefined ? undefined : FASTIFY_CODES[code]) ??
    (statusCode === 400 ? 'INVALID_REQUEST' : `HTTP_${statusCode}`)
  );
}

export function routeNotFound(method: string, url: string): ApiError {
  return new ApiError(
    404,
    'ROUTE_NOT_FOUND',
    `No route ${method} ${url.split('?')[0] ?? ''}; the API is described at /openapi.json.`,
  );
}
