/**
 * The fastify application: public /healthz, /openapi.json and /docs; everything else under /v1 behind API keys.
 * Every route has schemas, which validate requests (400 naming the bad path), shape responses (nothing leaves that
 * the schema does not list) and make the OpenAPI document.
 */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyError } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import websocket from '@fastify/websocket';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { TelltaleError } from '@telltale/platform';
import { authenticate } from './auth.js';
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
import { alertRoutes } from './routes/alerts.js';
import { keyRoutes } from './routes/keys.js';
import { alertStreamRoutes } from './routes/alert-stream.js';
import { subscriptionRoutes } from './routes/subscriptions.js';
import { registryRoutes } from './routes/registry.js';
import { ruleRoutes } from './routes/rules.js';
import { vehicleReadRoutes } from './routes/vehicles.js';

export interface ApiServerOptions {
  readonly logger: FastifyBaseLogger;
  /** Package version shown in the OpenAPI document. */
  readonly version?: string;
  /** Idle time after which live alert streams send a heartbeat (default 15 s). */
  readonly streamHeartbeatMs?: number;
}

const API_PREFIX = '/v1';

export async function buildApiServer(deps: ApiDeps, options: ApiServerOptions): Promise<App> {
  const app: App = Fastify({
    loggerInstance: options.logger,
    // Requests are counted (and 5xx logged) by our hooks; one info line per request would drown the log.
    logController: new LogController({ disableRequestLogging: true }),
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true, allErrors: false } },
    routerOptions: { maxParamLength: 300 },
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
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
    if (!route.url.startsWith(API_PREFIX) || route.method === 'HEAD') return;
    const role = route.config?.role;
    if (role === undefined) throw new Error(`route ${String(route.method)} ${route.url} declares no role`);
    if (route.schema)
      route.schema.description = `${route.schema.description ?? ''}${route.schema.description ? '\n\n' : ''}Requires an API key with the **${role}** role or higher.`;
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
      failure = new TelltaleError(
        'INTERNAL',
        `Internal error; the server log has the details under request id ${request.id}.`,
      );
    }
    if (status >= 500) {
      if (failure.retryable)
        request.log.warn({ err: error, route: request.routeOptions.url }, 'Request failed; a retry may succeed.');
      else deps.events.failed(error, request.routeOptions.url ?? 'unmatched');
    }
    const details = Object.keys(failure.details).length > 0 ? { details: failure.details } : {};
    const body: ErrorBody = {
      error: {
        code: failure.code,
        message: failure.message,
        retryable: failure.retryable,
        requestId: request.id,
        ...details,
      },
    };
    if (status === 503) reply.header('retry-after', '1');
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
          'Vehicles, their live signal state and history, fault rules, alerts, and registry administration. Every /v1 route needs an API key ' +
          '(`Authorization: Bearer tt_<key id>_<secret>`); its role (viewer < engineer < admin) limits what it may do and its fleets what it ' +
          'sees. Vehicles outside the key\'s fleets answer 404. Errors are `{ "error": { code, message, retryable, requestId, details } }`.',
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

  await app.register(
    (v1, _options, done) => {
      v1.addHook('onRequest', authenticate(deps));
      const typed = v1.withTypeProvider<TypeBoxTypeProvider>();
      vehicleReadRoutes(typed, deps);
      registryRoutes(typed, deps);
      keyRoutes(typed, deps);
      subscriptionRoutes(typed, deps);
      alertStreamRoutes(typed, deps, { heartbeatMs: options.streamHeartbeatMs ?? 15_000 });
      ruleRoutes(typed, deps);
      alertRoutes(typed, deps);
      done();
    },
    { prefix: API_PREFIX },
  );
  await app.ready();
  return app;
}
