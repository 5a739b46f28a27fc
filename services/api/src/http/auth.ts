/**
 * Authentication and authorisation of /v1: the bearer API key is checked on every request (its secret hash, its
 * revocation), against a key read from PostgreSQL at most API_AUTH_CACHE_MS (1 s) ago: a key revoked through this
 * instance stops working at once, one revoked elsewhere within that time. Then the key's role against the route's.
 * Fleet scope is checked by the routes, which answer 404 for what the key may not see. Then the key's rate limit
 * (domain/rate-limit.ts): this runs in onRequest, before the body is read or parsed, so a key over its limit costs
 * next to nothing.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { apiKeySecretMatches, bearerToken, parseApiKey } from '../domain/api-key.js';
import { roleAtLeast } from '../domain/access.js';
import type { RateLimiter } from '../domain/rate-limit.js';
import type { AuthFailure } from '../metrics.js';
import type { ApiDeps } from './context.js';
import { ApiError } from './errors.js';

const BEARER_HINT = 'send Authorization: Bearer tt_<key id>_<secret> (create one with `telltale keys create`)';

function refuse(
  deps: ApiDeps,
  reply: FastifyReply,
  reason: AuthFailure,
  keyId: string | undefined,
  error: ApiError,
): ApiError {
  deps.events.authFailed(reason, keyId);
  reply.header(
    'www-authenticate',
    reason === 'missing' ? 'Bearer realm="telltale"' : 'Bearer realm="telltale", error="invalid_token"',
  );
  return error;
}

/** `?token=` as a bearer token, on routes that accept it (live streams: browsers cannot set headers there). */
function queryToken(request: FastifyRequest): string | undefined {
  if (request.routeOptions.config.queryToken !== true) return undefined;
  const token = (request.query as { token?: unknown } | undefined)?.token;
  return typeof token === 'string' ? `Bearer ${token}` : undefined;
}

export function authenticate(
  deps: ApiDeps,
  limiter: RateLimiter,
): (request: FastifyRequest, reply: FastifyReply) => Promise<void> {
  return async (request, reply) => {
    const bearer = bearerToken(request.headers.authorization ?? queryToken(request));
    if (!bearer.ok) {
      const message =
        bearer.reason === 'missing'
          ? `Missing API key: ${BEARER_HINT}.`
          : `Malformed Authorization header: ${BEARER_HINT}.`;
      throw refuse(
        deps,
        reply,
        bearer.reason,
        undefined,
        new ApiError(401, bearer.reason === 'missing' ? 'UNAUTHENTICATED' : 'API_KEY_INVALID', message),
      );
    }
    const parsed = parseApiKey(bearer.token);
    if (!parsed.ok)
      throw refuse(
        deps,
        reply,
        'malformed',
        undefined,
        new ApiError(401, 'API_KEY_INVALID', `Malformed API key: ${parsed.reason}.`),
      );
    const key = await deps.keys.find(parsed.keyId);
    // Unknown id and wrong secret get the same answer: nothing to learn about which key ids exist.
    if (!key)
      throw refuse(deps, reply, 'unknown_key', parsed.keyId, new ApiError(401, 'API_KEY_INVALID', 'Invalid API key.'));
    if (!apiKeySecretMatches(parsed.secret, key.secretSha256)) {
      throw refuse(deps, reply, 'wrong_secret', parsed.keyId, new ApiError(401, 'API_KEY_INVALID', 'Invalid API key.'));
    }
    if (key.revokedAt !== undefined) {
      throw refuse(
        deps,
        reply,
        'revoked',
        key.keyId,
        new ApiError(401, 'API_KEY_REVOKED', `API key ${key.keyId} was revoked at ${key.revokedAt.toISOString()}.`, {
          details: { keyId: key.keyId },
        }),
      );
    }
    request.principal = { keyId: key.keyId, name: key.name, role: key.role, fleets: key.fleets };
    const route = request.routeOptions.url ?? 'unmatched';
    const rate = limiter.take(key.keyId, request.routeOptions.config.rateCost ?? 1, deps.now());
    if (!rate.ok) {
      deps.events.rateLimited(key.keyId, route);
      reply.header('retry-after', String(rate.retryAfterSeconds));
      throw new ApiError(
        429,
        'RATE_LIMITED',
        `API key ${key.keyId} sends requests faster than its limit; retry in ${rate.retryAfterSeconds} s.`,
        { retryable: true, details: { retryAfterSeconds: rate.retryAfterSeconds } },
      );
    }
    const required = request.routeOptions.config.role ?? 'admin';
    if (!roleAtLeast(key.role, required)) {
      deps.events.forbidden(key.keyId, request.routeOptions.url ?? request.url);
      throw new ApiError(
        403,
        'FORBIDDEN',
        `This request needs the ${required} role; API key ${key.keyId} has the ${key.role} role.`,
        {
          details: { requiredRole: required, role: key.role },
        },
      );
    }
    deps.keys
      .touch(key.keyId)
      .catch((err: unknown) => request.log.warn({ err, keyId: key.keyId }, "Could not record the API key's last use."));
  };
}
