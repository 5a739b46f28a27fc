/**
 * The fastify application: public /healthz, /openapi.json and /docs; everything else under /v1 behind API keys.
 * Every route has schemas, which validate requests (400 naming the bad path), shape responses (nothing leaves that
 * the schema does not list) and make the OpenAPI document. Every response carries the security headers
 * (security-headers.ts); every body has a per-route size limit (limits.ts); every key a rate limit (auth.ts).
 * A 5xx answer never carries what failed inside (a PostgreSQL message, a host name): the log has it, under the
 * request id the answer gives.
 */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyError } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import websocket from '@fastify/websocket';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { TelltaleError } from '@telltale/platform';
import { RateLimiter, type RateLimitOptions } from '../domain/rate-limit.js';
import { authenticate } from './auth.js';
import { bodyLimitOf } from './limits.js';
import { LiveStreams } from './live-streams.js';
import { addSecurityHeaders } from './security-headers.js';
import type { ApiDeps, App } from './context.js';
import {
  ApiError,
  fastifyClientErrorCode,
  invalidRequest,
  routeNotFound,
  statusOf,
  validationProblems,
  type ErrorBody,
} from './errors.js';
import type { ConsoleFile } from '../adapters/fs-console-files.js';
import { alertRoutes } from './routes/alerts.js';
import { catalogRoutes } from './routes/catalog.js';
import { consoleRoutes } from './routes/console.js';
import { overviewRoutes } from './routes/overview.js';
import { keyRoutes } from './routes/keys.js';
import { alertStreamRoutes } from './routes/alert-stream.js';
import { subscriptionRoutes } from './routes/subscriptions.js';
import { registryRoutes } from './routes/registry.js';
import { ruleRoutes } from './routes/rules.js';
import { backtestRoutes } from './routes/backtests.js';
import { ruleShadowRoutes } from './routes/rule-shadow.js';
import { vehicleReadRoutes } from './routes/vehicles.js';
import { featureRoutes } from './routes/features.js';

export interface ApiServerOptions {
  readonly logger: FastifyBaseLogger;
  /** Package version shown in the OpenAPI document. */
  readonly version?: string;
  /** Idle time after which live alert streams send a heartbeat (default 15 s). */
  readonly streamHeartbeatMs?: number;
  /** Live streams one key may hold open at once (default 5). */
  readonly streamMaxPerKey?: number;
  /** How often open live streams re-check their key (default 3 s). */
  readonly streamKeyRecheckMs?: number;
  /** Per-key rate limit (default 20 per second, bursts of 100). */
  readonly rateLimit?: RateLimitOptions;
  /** The built web console, served at /console/ (empty or absent: /console/ answers 503 CONSOLE_NOT_BUILT). */
  readonly consoleFiles?: ReadonlyMap<string, ConsoleFile>;
}

/** What a 5xx answer says instead of the failure's own message, which may quote PostgreSQL or Redis. */
export function genericServerMessage(code: string, requestId: string): string {
  const what = code.endsWith('_UNAVAILABLE') ? 'A backing service is unavailable; retry shortly' : 'Internal error';
  return `${what}. The server log has the details under request id ${requestId}.`;
}

const API_PREFIX = '/v1';

export async function buildApiServer(deps: ApiDeps, options: ApiServerOptions): Promise<App> {
  const app: App = Fastify({
    loggerInstance: options.logger,
    // Requests are counted (and 5xx logged) by our hooks; one info line per request would drown the log.
    logController: new LogController({ disableRequestLogging: true }),
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true, allErrors: false } },
    routerOptions: { maxParamLength: 300 },
    bodyLimit: 16 * 1024,
  }).withTypeProvider<TypeBoxTypeProvider>();
  const limiter = new RateLimiter(options.rateLimit ?? { perSecond: 20, burst: 100 });
  const streams = new LiveStreams(options.streamMaxPerKey ?? 5, {
    error: (err, keyId) =>
      app.log.warn({ err, keyId }, 'Could not re-check the API key of live streams; checking again shortly.'),
    revoked: (keyId, count) => deps.events.streamLimited(keyId, 'revoked', count),
  });

  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  app.addHook('onSend', addSecurityHeaders);
  app.addHook('onResponse', async (request, reply) => {
    deps.events.requestDone(
      request.method,
      request.routeOptions.url ?? 'unmatched',
      reply.statusCode,
      reply.elapsedTime / 1000,
    );
  });

  // Fail closed at start-up: a /v1 route that forgets its role would otherwise be admin-only at best.
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) route.bodyLimit ??= bodyLimitOf(method, route.url);
    if (!route.url.startsWith(API_PREFIX) || route.method === 'HEAD') return;
    const role = route.config?.role;
    if (role === undefined) throw new Error(`route ${String(route.method)} ${route.url} declares no role`);
    if (route.schema)
      route.schema.description =
        `${route.schema.description ?? ''}${route.schema.description ? '\n\n' : ''}` +
        `Requires an API key with the **${role}** role or higher.`;
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    let failure: TelltaleError;
    let status: number;
    if (error.validation) {
      failure = invalidRequest(validationProblems(error.validationContext ?? 'request', error.validation));
      status = 400;
    } else if (error instanceof TelltaleError) {
      failure = error;
      status = statusOf(error);
    } else if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
      status = error.statusCode;
      failure = new ApiError(status, fastifyClientErrorCode(error.code, status), error.message);
    } else {
      status = 500;
      failure = new TelltaleError('INTERNAL', 'Internal error.');
    }
    // A route's own 5xx (ApiError) is written for the client; anything else may quote PostgreSQL, Redis, a host.
    const internal = status >= 500 && !(failure instanceof ApiError);
    if (status >= 500) {
      if (failure.retryable)
        request.log.warn({ err: error, route: request.routeOptions.url }, 'Request failed; a retry may succeed.');
      else deps.events.failed(error, request.routeOptions.url ?? 'unmatched');
    }
    const details = !internal && Object.keys(failure.details).length > 0 ? { details: failure.details } : {};
    const body: ErrorBody = {
      error: {
        code: failure.code,
        message: internal ? genericServerMessage(failure.code, request.id) : failure.message,
        retryable: failure.retryable,
        requestId: request.id,
        ...details,
      },
    };
    if (status === 503) reply.header('retry-after', '1');
    // A running backtest takes seconds to minutes: ask to come back later than a rate limit would.
    else if (failure.code === 'BACKTEST_BUSY') reply.header('retry-after', '10');
    return reply.status(status).send(body);
  });

  app.setNotFoundHandler((request, reply) => {
    const error = routeNotFound(request.method, request.url);
    const body: ErrorBody = {
      error: { code: error.code, message: error.message, retryable: false, requestId: request.id },
    };
    return reply.status(404).send(body);
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Telltale API',
        version: options.version ?? '0.1.0',
        description:
          'Vehicles, their live signal state and history, fault rules, alerts, and registry administration. ' +
          'Every /v1 route needs an API key (`Authorization: Bearer tt_<key id>_<secret>`); its role ' +
          '(viewer < engineer < admin) limits what it may do and its fleets what it sees. Vehicles outside the ' +
          'key\'s fleets answer 404. Errors are `{ "error": { code, message, retryable, requestId, details } }`. ' +
          'Each key has a rate limit per API instance (429 `RATE_LIMITED` with `Retry-After`); request bodies ' +
          'have a size limit per route (413 `BODY_TOO_LARGE`); 5xx answers carry a request id, never the cause.',
      },
      components: {
        securitySchemes: {
          apiKey: {
            type: 'http',
            scheme: 'bearer',
            bearerFormat: 'tt_<key id>_<secret>',
            description: 'API key from `telltale keys create`',
          },
        },
      },
      security: [{ apiKey: [] }],
      tags: [
        { name: 'vehicles', description: "Vehicles of the key's fleets" },
        { name: 'signals', description: 'Latest values and history from the real-time store' },
        { name: 'fleets', description: 'Fleets' },
        { name: 'devices', description: 'T-Box devices and their MQTT credentials' },
        { name: 'keys', description: 'API keys' },
        { name: 'subscriptions', description: 'Alert subscriptions: signed webhooks and live streams, delivery log' },
        {
          name: 'rules',
          description: "Fault rules: versions, audit trail, validation against the vehicle models' catalogs",
        },
        { name: 'alerts', description: 'Alerts raised by the rules, and their acknowledgement' },
        { name: 'features', description: 'Online feature store: latest feature vector and fault probability' },
        { name: 'catalog', description: 'Vehicle models: buses, messages, signals, bit layouts, staleness' },
        { name: 'service', description: 'Health and documentation' },
      ],
    },
  });
  await app.register(websocket, { options: { maxPayload: 64 * 1024 } });
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { persistAuthorization: false, deepLinking: true } });

  app.get(
    '/healthz',
    {
      schema: {
        tags: ['service'],
        summary: 'Health of the API server and its database',
        security: [],
        response: {
          200: Type.Object({ status: Type.String(), checks: Type.Record(Type.String(), Type.Boolean()) }),
          503: Type.Object({ status: Type.String(), checks: Type.Record(Type.String(), Type.Boolean()) }),
        },
      },
    },
    async (_request, reply) => {
      const health = await deps.health();
      return reply
        .status(health.healthy ? 200 : 503)
        .send({ status: health.healthy ? 'ok' : 'unhealthy', checks: { ...health.checks } });
    },
  );
  app.get('/openapi.json', { schema: { hide: true } }, () => app.swagger());
  consoleRoutes(app, options.consoleFiles ?? new Map());

  await app.register(
    (v1, _options, done) => {
      v1.addHook('onRequest', authenticate(deps, limiter));
      const typed = v1.withTypeProvider<TypeBoxTypeProvider>();
      overviewRoutes(typed, deps);
      vehicleReadRoutes(typed, deps);
      featureRoutes(typed, deps);
      registryRoutes(typed, deps);
      subscriptionRoutes(typed, deps);
      alertStreamRoutes(typed, deps, { heartbeatMs: options.streamHeartbeatMs ?? 15_000, streams });
      keyRoutes(typed, deps, streams);
      ruleRoutes(typed, deps);
      backtestRoutes(typed, deps);
      ruleShadowRoutes(typed, deps);
      alertRoutes(typed, deps);
      catalogRoutes(typed, deps);
      done();
    },
    { prefix: API_PREFIX },
  );
  streams.startRechecking(deps.keys, options.streamKeyRecheckMs ?? 3_000);
  app.addHook('onClose', (_instance, done) => {
    streams.stop();
    done();
  });
  await app.ready();
  return app;
}
