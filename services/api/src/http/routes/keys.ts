/**
 * API keys (admin role). A key never grants more than its creator has: the new key's role and fleets must be within
 * the caller's. An admin sees and revokes only keys it could have created.
 */
import { Type } from 'typebox';
import { checkKeyGrant, keyFleetProblems, type Principal } from '../../domain/access.js';
import type { ApiKeyRecord } from '../../adapters/pg-api-keys.js';
import { iso, isoOrNull, principalOf, type ApiDeps, type App } from '../context.js';
import type { LiveStreams } from '../live-streams.js';
import { ApiError, invalidRequest } from '../errors.js';
import { ApiKey, errorResponses, ids, Notice, RoleSchema } from '../schemas.js';

export const apiKeyJson = (k: ApiKeyRecord) => ({
  keyId: k.keyId,
  name: k.name,
  role: k.role,
  fleets: [...k.fleets],
  createdBy: k.createdBy,
  createdAt: iso(k.createdAt),
  revokedAt: isoOrNull(k.revokedAt),
  lastUsedAt: isoOrNull(k.lastUsedAt),
});

const manageable = (principal: Principal, key: ApiKeyRecord): boolean => checkKeyGrant(principal, key).ok;

export function keyRoutes(app: App, deps: ApiDeps, streams: LiveStreams): void {
  app.get(
    '/keys',
    {
      config: { role: 'admin' },
      schema: {
        tags: ['keys'],
        summary: 'API keys this key can manage (never their secrets)',
        querystring: Type.Object(
          { includeRevoked: Type.Optional(Type.Boolean({ default: false })) },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ keys: Type.Array(ApiKey) }), ...errorResponses },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const keys = await deps.keys.list({ includeRevoked: request.query.includeRevoked ?? false });
      return { keys: keys.filter((k) => manageable(principal, k)).map(apiKeyJson) };
    },
  );

  app.post(
    '/keys',
    {
      config: { role: 'admin' },
      schema: {
        tags: ['keys'],
        summary: 'Create an API key; the token is in this response only',
        description:
          '`fleets` lists fleet ids, or `["*"]` for every fleet (admin keys only). ' +
          'A key with no fleets sees no vehicle.',
        body: Type.Object(
          {
            name: Type.String({ minLength: 1, maxLength: 100 }),
            role: RoleSchema,
            fleets: Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 1000 }),
          },
          { additionalProperties: false },
        ),
        response: {
          201: Type.Object({
            key: ApiKey,
            token: Type.String({ description: 'the bearer token; shown once' }),
            notice: Notice,
          }),
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const { name, role, fleets } = request.body;
      const problems = keyFleetProblems(role, fleets);
      if (problems.length > 0)
        throw invalidRequest(problems.map((p) => ({ path: `/body/fleets/${p.index}`, message: p.message })));
      const grant = checkKeyGrant(principal, { role, fleets });
      if (!grant.ok)
        throw new ApiError(403, 'FORBIDDEN', `API key ${principal.keyId} cannot create this key: ${grant.reason}.`);
      const created = await deps.keys.create({ name, role, fleets, createdBy: principal.keyId });
      deps.events.changed('key.create', principal.keyId, { createdKeyId: created.key.keyId, role, fleets });
      reply.header('cache-control', 'no-store');
      return reply.status(201).send({
        key: apiKeyJson(created.key),
        token: created.token,
        notice: 'Store the token now: it is not shown again.',
      });
    },
  );

  app.delete(
    '/keys/:keyId',
    {
      config: { role: 'admin' },
      schema: {
        tags: ['keys'],
        summary: 'Revoke an API key (it stops working at once)',
        description:
          'Requests with the key are refused at once on this instance and within API_AUTH_CACHE_MS (1 s by default) ' +
          "on the others; the key's live alert streams end at once on this instance, and within " +
          'ALERT_STREAM_KEY_RECHECK_MS (3 s by default) on the others.',
        params: Type.Object({ keyId: ids.KEY_ID }),
        response: { 200: ApiKey, ...errorResponses },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const { keyId } = request.params;
      const existing = await deps.keys.find(keyId);
      if (!existing || !manageable(principal, existing))
        throw new ApiError(404, 'API_KEY_NOT_FOUND', `API key ${keyId} not found.`, { details: { keyId } });
      const revoked = await deps.keys.revoke(keyId);
      if (!revoked) throw new ApiError(404, 'API_KEY_NOT_FOUND', `API key ${keyId} not found.`, { details: { keyId } });
      deps.events.changed('key.revoke', principal.keyId, { revokedKeyId: keyId });
      const ended = streams.endKey(keyId, 'API_KEY_REVOKED');
      if (ended > 0) deps.events.streamLimited(keyId, 'revoked', ended);
      return apiKeyJson(revoked);
    },
  );
}
