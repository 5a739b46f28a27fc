/**
 * Alert subscriptions: what a fleet operator wants to hear about (fleets, models, vehicles, rules, least severity,
 * states) and how (a signed webhook, the live stream, or both). `telltale notifier` delivers them. A key manages
 * only subscriptions within its fleets and never subscribes beyond them; anything else is "not found". The webhook
 * secret is write-only: it is returned when it is set or rotated, never read back.
 */
import { Type, type Static } from 'typebox';
import { ALERT_SEVERITIES, ALERT_STATES } from '@telltale/rules/alerts';
import { fleetScope, keyFleetProblems, scopeCovers, describeFleets, type Principal } from '../../domain/access.js';
import {
  generateWebhookSecret,
  type SubscriptionFields,
  type SubscriptionRecord,
} from '../../adapters/pg-subscriptions.js';
import { iso, principalOf, type ApiDeps, type App } from '../context.js';
import { ApiError, invalidRequest } from '../errors.js';
import { errorResponses, ids } from '../schemas.js';

const SUBSCRIPTION_ID = Type.String({ format: 'uuid', description: 'subscription id' });
const list = <T extends Parameters<typeof Type.Array>[0]>(item: T, description: string) =>
  Type.Array(item, { maxItems: 1000, description });
const Severity = Type.Enum([...ALERT_SEVERITIES]);
const State = Type.Enum([...ALERT_STATES]);
const WebhookInput = Type.Object(
  {
    url: Type.String({
      minLength: 8,
      maxLength: 2000,
      description: 'http(s) URL; the notifier refuses private and loopback addresses unless its allow list names them',
    }),
    secret: Type.Optional(
      Type.String({
        minLength: 16,
        maxLength: 200,
        description: 'HMAC secret; generated (and returned once) when omitted',
      }),
    ),
  },
  { additionalProperties: false },
);

const filterProperties = {
  fleets: list(
    Type.String({ minLength: 1, maxLength: 64 }),
    'fleets whose alerts match ("*": every fleet, for keys that see every fleet); at least one',
  ),
  models: Type.Optional(list(ids.MODEL_ID, 'vehicle models; empty: any')),
  vins: Type.Optional(list(ids.VIN, 'vehicles; empty: any')),
  rules: Type.Optional(list(Type.String({ minLength: 1, maxLength: 200 }), 'rule ids; empty: any')),
  minSeverity: Type.Optional(Type.Union([Severity], { description: 'least severity (default info)' })),
  states: Type.Optional(list(State, 'transitions: raised, escalated, deescalated, cleared, acknowledged; empty: any')),
  includeBackfill: Type.Optional(
    Type.Boolean({ description: 'also alerts made by store-and-forward data (default false)' }),
  ),
};

const CreateBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    ...filterProperties,
    webhook: Type.Optional(Type.Union([WebhookInput, Type.Null()])),
    stream: Type.Optional(
      Type.Boolean({ description: 'live stream channel: GET /v1/alerts/stream?subscription=<id>' }),
    ),
    enabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

const UpdateBody = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    ...filterProperties,
    fleets: Type.Optional(filterProperties.fleets),
    webhook: Type.Optional(
      Type.Union([WebhookInput, Type.Null()], { description: 'null removes the webhook channel' }),
    ),
    rotateSecret: Type.Optional(Type.Boolean({ description: 'generate a new webhook secret (returned once)' })),
    stream: Type.Optional(Type.Boolean()),
    enabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

export const Subscription = Type.Object({
  subscriptionId: Type.String(),
  name: Type.String(),
  fleets: Type.Array(Type.String()),
  models: Type.Array(Type.String()),
  vins: Type.Array(Type.String()),
  rules: Type.Array(Type.String()),
  minSeverity: Type.String(),
  states: Type.Array(Type.String()),
  includeBackfill: Type.Boolean(),
  webhook: Type.Union([Type.Object({ url: Type.String() }), Type.Null()]),
  stream: Type.Boolean(),
  enabled: Type.Boolean(),
  active: Type.Boolean({
    description: 'enabled, and the creating key is not revoked: a subscription delivers only while active',
  }),
  createdBy: Type.String({ description: 'key id of the creating key' }),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});

const WithSecret = Type.Object({
  subscription: Subscription,
  webhookSecret: Type.Union([Type.String(), Type.Null()], {
    description: 'the webhook secret when it was set or rotated by this request; never shown again',
  }),
});

const MS = Type.Integer({ description: 'milliseconds since the Unix epoch' });
const Delivery = Type.Object({
  deliveryId: Type.String({ description: 'also sent as Telltale-Delivery-Id and Idempotency-Key' }),
  kind: Type.String({ description: 'alert or ping' }),
  alertId: Type.Union([Type.String(), Type.Null()]),
  transitionSeq: Type.Union([Type.Integer(), Type.Null()]),
  vin: Type.Union([Type.String(), Type.Null()]),
  status: Type.String({ description: 'pending, delivered, or dead (attempts exhausted or target refused)' }),
  attempts: Type.Integer(),
  createdMs: MS,
  nextAttemptMs: Type.Union([MS, Type.Null()], { description: 'when the next attempt is due (pending only)' }),
  deliveredMs: Type.Union([MS, Type.Null()]),
  lastStatusCode: Type.Union([Type.Integer(), Type.Null()]),
  lastError: Type.Union([Type.String(), Type.Null()]),
  log: Type.Array(
    Type.Object({
      attempt: Type.Integer(),
      startedMs: MS,
      durationMs: Type.Integer(),
      outcome: Type.String({
        description: 'delivered, rejected (non-2xx answer), failed (no usable answer), refused (target not allowed)',
      }),
      statusCode: Type.Union([Type.Integer(), Type.Null()]),
      error: Type.Union([Type.String(), Type.Null()]),
    }),
  ),
});

export const subscriptionJson = (s: SubscriptionRecord): Static<typeof Subscription> => ({
  subscriptionId: s.subscriptionId,
  name: s.name,
  fleets: [...s.fleets],
  models: [...s.models],
  vins: [...s.vins],
  rules: [...s.rules],
  minSeverity: s.minSeverity,
  states: [...s.states],
  includeBackfill: s.includeBackfill,
  webhook: s.webhookUrl === null ? null : { url: s.webhookUrl },
  stream: s.stream,
  enabled: s.enabled,
  active: s.enabled && !s.creatorRevoked,
  createdBy: s.createdBy,
  createdAt: iso(s.createdAt),
  updatedAt: iso(s.updatedAt),
});

/** A subscription the key may see: all its fleets within the key's. */
export const canManageSubscription = (principal: Principal, s: SubscriptionRecord): boolean =>
  scopeCovers(fleetScope(principal.fleets), s.fleets);

export const subscriptionNotFound = (subscriptionId: string): ApiError =>
  new ApiError(404, 'SUBSCRIPTION_NOT_FOUND', `Subscription ${subscriptionId} not found.`, {
    details: { subscriptionId },
  });

export async function visibleSubscription(
  deps: ApiDeps,
  principal: Principal,
  subscriptionId: string,
): Promise<SubscriptionRecord> {
  const found = await deps.subscriptions.get(subscriptionId);
  if (!found || !canManageSubscription(principal, found)) throw subscriptionNotFound(subscriptionId);
  return found;
}

function checkFields(principal: Principal, fields: SubscriptionFields): void {
  if (fields.fleets.length === 0)
    throw invalidRequest([{ path: '/body/fleets', message: 'must list at least one fleet' }]);
  const problems = keyFleetProblems('admin', fields.fleets);
  if (problems.length > 0)
    throw invalidRequest(problems.map((p) => ({ path: `/body/fleets/${p.index}`, message: p.message })));
  if (!scopeCovers(fleetScope(principal.fleets), fields.fleets)) {
    throw new ApiError(
      403,
      'FORBIDDEN',
      `API key ${principal.keyId} cannot subscribe to ${describeFleets(fields.fleets)}: ` +
        `its fleets are ${describeFleets(principal.fleets)}.`,
    );
  }
  if (fields.webhookUrl !== null) {
    let url: URL | undefined;
    try {
      url = new URL(fields.webhookUrl);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:'))
      throw invalidRequest([{ path: '/body/webhook/url', message: 'must be an http or https URL' }]);
    if (url.username !== '' || url.password !== '')
      throw invalidRequest([{ path: '/body/webhook/url', message: 'must not contain credentials' }]);
  }
  if (fields.webhookUrl === null && !fields.stream)
    throw invalidRequest([{ path: '/body', message: 'needs a channel: a webhook, stream: true, or both' }]);
}

const SubscriptionParams = Type.Object({ subscriptionId: SUBSCRIPTION_ID });

export function subscriptionRoutes(app: App, deps: ApiDeps): void {
  app.get(
    '/subscriptions',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['subscriptions'],
        summary: "Alert subscriptions within the key's fleets",
        response: { 200: Type.Object({ subscriptions: Type.Array(Subscription) }), ...errorResponses },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const all = await deps.subscriptions.list();
      return { subscriptions: all.filter((s) => canManageSubscription(principal, s)).map(subscriptionJson) };
    },
  );

  app.post(
    '/subscriptions',
    {
      config: { role: 'engineer' },
      schema: {
        tags: ['subscriptions'],
        summary: 'Subscribe to alerts; the webhook secret is in this response only',
        description:
          "Filters: empty lists match anything; `fleets` must be within the key's fleets. " +
          'Channels: `webhook` (signed POSTs, see the notifier README) and/or `stream`.',
        body: CreateBody,
        response: { 201: WithSecret, ...errorResponses },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const b = request.body;
      const secret = b.webhook ? (b.webhook.secret ?? generateWebhookSecret()) : null;
      const fields: SubscriptionFields = {
        name: b.name,
        fleets: b.fleets,
        models: b.models ?? [],
        vins: (b.vins ?? []).map((v) => v.toUpperCase()),
        rules: b.rules ?? [],
        minSeverity: b.minSeverity ?? 'info',
        states: b.states ?? [],
        includeBackfill: b.includeBackfill ?? false,
        webhookUrl: b.webhook?.url ?? null,
        stream: b.stream ?? false,
        enabled: b.enabled ?? true,
      };
      checkFields(principal, fields);
      const created = await deps.subscriptions.create(fields, secret, principal.keyId);
      deps.events.changed('subscription.create', principal.keyId, {
        subscriptionId: created.subscriptionId,
        fleets: fields.fleets,
      });
      reply.header('cache-control', 'no-store');
      return reply.status(201).send({ subscription: subscriptionJson(created), webhookSecret: secret });
    },
  );

  app.get(
    '/subscriptions/:subscriptionId',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['subscriptions'],
        summary: 'One subscription (never its secret)',
        params: SubscriptionParams,
        response: { 200: Subscription, ...errorResponses },
      },
    },
    async (request) =>
      subscriptionJson(await visibleSubscription(deps, principalOf(request), request.params.subscriptionId)),
  );

  app.patch(
    '/subscriptions/:subscriptionId',
    {
      config: { role: 'engineer' },
      schema: {
        tags: ['subscriptions'],
        summary: 'Change filters or channels; rotate the webhook secret',
        description:
          'Fields left out keep their value. A new webhook without `secret`, or `rotateSecret: true`, ' +
          'generates a secret, returned in this response only.',
        params: SubscriptionParams,
        body: UpdateBody,
        response: { 200: WithSecret, ...errorResponses },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const current = await visibleSubscription(deps, principal, request.params.subscriptionId);
      const b = request.body;
      const webhookUrl = b.webhook === undefined ? current.webhookUrl : (b.webhook?.url ?? null);
      let secret: string | null | undefined;
      if (webhookUrl === null) secret = null;
      else if (b.webhook?.secret !== undefined) secret = b.webhook.secret;
      else if (b.rotateSecret === true || current.webhookUrl === null) secret = generateWebhookSecret();
      const fields: SubscriptionFields = {
        name: b.name ?? current.name,
        fleets: b.fleets ?? current.fleets,
        models: b.models ?? current.models,
        vins: b.vins?.map((v) => v.toUpperCase()) ?? current.vins,
        rules: b.rules ?? current.rules,
        minSeverity: b.minSeverity ?? current.minSeverity,
        states: b.states ?? current.states,
        includeBackfill: b.includeBackfill ?? current.includeBackfill,
        webhookUrl,
        stream: b.stream ?? current.stream,
        enabled: b.enabled ?? current.enabled,
      };
      checkFields(principal, fields);
      const updated = await deps.subscriptions.update(current.subscriptionId, fields, secret);
      if (!updated) throw subscriptionNotFound(current.subscriptionId);
      deps.events.changed('subscription.update', principal.keyId, {
        subscriptionId: updated.subscriptionId,
        secretChanged: secret !== undefined && secret !== null,
      });
      return { subscription: subscriptionJson(updated), webhookSecret: secret ?? null };
    },
  );

  app.delete(
    '/subscriptions/:subscriptionId',
    {
      config: { role: 'engineer' },
      schema: {
        tags: ['subscriptions'],
        summary: 'Delete a subscription with its pending deliveries and delivery log',
        params: SubscriptionParams,
        response: { 200: Subscription, ...errorResponses },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const current = await visibleSubscription(deps, principal, request.params.subscriptionId);
      if (!(await deps.subscriptions.delete(current.subscriptionId)))
        throw subscriptionNotFound(current.subscriptionId);
      deps.events.changed('subscription.delete', principal.keyId, { subscriptionId: current.subscriptionId });
      return subscriptionJson(current);
    },
  );

  app.get(
    '/subscriptions/:subscriptionId/deliveries',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['subscriptions'],
        summary: 'Webhook delivery log of a subscription, newest first, with every attempt',
        params: SubscriptionParams,
        querystring: Type.Object(
          {
            status: Type.Optional(Type.Enum(['pending', 'delivered', 'dead'])),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
            beforeMs: Type.Optional(
              Type.Integer({
                minimum: 0,
                description: 'only deliveries created before this (paging: the last createdMs of a page)',
              }),
            ),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ deliveries: Type.Array(Delivery) }), ...errorResponses },
      },
    },
    async (request) => {
      const current = await visibleSubscription(deps, principalOf(request), request.params.subscriptionId);
      const q = request.query;
      const deliveries = await deps.subscriptions.deliveries(current.subscriptionId, {
        status: q.status,
        limit: q.limit ?? 100,
        beforeMs: q.beforeMs,
      });
      return {
        deliveries: deliveries.map((d) => ({
          ...d,
          nextAttemptMs: d.status === 'pending' ? d.nextAttemptMs : null,
          log: [...d.log],
        })),
      };
    },
  );

  app.post(
    '/subscriptions/:subscriptionId/ping',
    {
      config: { role: 'engineer' },
      schema: {
        tags: ['subscriptions'],
        summary:
          'Queue a signed test request (Telltale-Event: ping) to the webhook; its outcome appears in the delivery log',
        params: SubscriptionParams,
        response: { 202: Type.Object({ deliveryId: Type.String() }), ...errorResponses },
      },
    },
    async (request, reply) => {
      const current = await visibleSubscription(deps, principalOf(request), request.params.subscriptionId);
      if (current.webhookUrl === null)
        throw new ApiError(
          409,
          'SUBSCRIPTION_HAS_NO_WEBHOOK',
          `Subscription ${current.subscriptionId} has no webhook to ping.`,
        );
      const deliveryId = await deps.subscriptions.ping(current, deps.now());
      return reply.status(202).send({ deliveryId });
    },
  );
}
