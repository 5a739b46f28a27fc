/**
 * GET /v1/alerts/stream: live alerts of the caller's fleets as Server-Sent Events, or as a WebSocket on the same
 * path (an Upgrade request). Fan-out goes through Redis (one stream per fleet, written by `telltale notifier`),
 * so any API instance serves any client. Resumable: each event's id is a cursor (see domain/alert-stream.ts);
 * send it back as `Last-Event-ID` (EventSource does so by itself) or `?lastEventId=`. Heartbeats keep idle
 * connections open through proxies. A key holds at most ALERT_STREAM_MAX_PER_KEY streams (429 beyond), and its
 * streams end when it is revoked (see live-streams.ts): SSE with an `error` event, WebSocket with close code 1008.
 */
import type { FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import { Type, type Static } from 'typebox';
import {
  ALERT_SEVERITIES,
  ALERT_STATES,
  ANY_FLEET,
  alertMatches,
  type AlertEvent,
  type AlertFilter,
} from '@telltale/rules/alerts';
import { formatCursor, parseCursor, streamFleets } from '../../domain/alert-stream.js';
import type { AlertStreamReader } from '../../adapters/redis-alert-stream-reader.js';
import { principalOf, type ApiDeps, type App } from '../context.js';
import { ApiError, invalidRequest } from '../errors.js';
import type { LiveStreams, StreamEndReason } from '../live-streams.js';
import { securityHeaders } from '../security-headers.js';
import { errorResponses, ids } from '../schemas.js';
import { visibleSubscription } from './subscriptions.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route also accepts the API key as ?token= (browsers' EventSource and WebSocket cannot set headers). */
    queryToken?: boolean;
  }
}

const StreamQuery = Type.Object(
  {
    fleet: Type.Optional(
      Type.Array(ids.FLEET_ID, {
        maxItems: 100,
        description: "read only these fleets (within the key's); default: all of the key's",
      }),
    ),
    vin: Type.Optional(Type.Array(ids.VIN, { maxItems: 1000 })),
    model: Type.Optional(Type.Array(ids.MODEL_ID, { maxItems: 100 })),
    rule: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { maxItems: 1000 })),
    minSeverity: Type.Optional(Type.Enum([...ALERT_SEVERITIES])),
    state: Type.Optional(Type.Array(Type.Enum([...ALERT_STATES]), { maxItems: 5 })),
    includeBackfill: Type.Optional(Type.Boolean({ default: false })),
    subscription: Type.Optional(
      Type.String({
        format: 'uuid',
        description: 'apply the filters of this subscription (it must have stream: true)',
      }),
    ),
    lastEventId: Type.Optional(
      Type.String({ maxLength: 4000, description: 'resume after this event id (instead of the Last-Event-ID header)' }),
    ),
    token: Type.Optional(
      Type.String({
        maxLength: 200,
        description: 'the API key, for clients that cannot send Authorization (browsers); prefer the header',
      }),
    ),
  },
  { additionalProperties: false },
);
type StreamQuery = Static<typeof StreamQuery>;

interface StreamPlan {
  readonly positions: Map<string, string>;
  readonly filters: readonly AlertFilter[];
}

export interface AlertStreamOptions {
  readonly heartbeatMs: number;
  readonly streams: LiveStreams;
}

const STREAM_RETRY_AFTER_SECONDS = 5;

function tooManyStreams(deps: ApiDeps, keyId: string, maxPerKey: number): ApiError {
  deps.events.streamLimited(keyId, 'refused', 1);
  return new ApiError(
    429,
    'ALERT_STREAM_KEY_LIMIT',
    `API key ${keyId} already holds ${maxPerKey} live streams on this instance, its most; close one first.`,
    { retryable: true, details: { maxPerKey } },
  );
}

/** What a client is told when its stream is ended from this side. */
const END_MESSAGES: Readonly<Record<StreamEndReason, string>> = {
  API_KEY_REVOKED: 'The API key of this stream was revoked.',
  SERVER_CLOSING: 'This API instance is shutting down; reconnect with the last id.',
};

/** Validates the request and resolves where to start; throws ApiError before anything is streamed. */
async function plan(deps: ApiDeps, request: FastifyRequest, reader: AlertStreamReader): Promise<StreamPlan> {
  const principal = principalOf(request);
  // Validated against StreamQuery by the route's schema.
  const q = request.query as StreamQuery;
  const filters: AlertFilter[] = [];
  let requested = q.fleet ?? [];
  if (q.subscription !== undefined) {
    const s = await visibleSubscription(deps, principal, q.subscription);
    if (!s.stream)
      throw new ApiError(
        409,
        'SUBSCRIPTION_HAS_NO_STREAM',
        `Subscription ${s.subscriptionId} has no stream channel; set stream: true.`,
      );
    filters.push({
      fleets: s.fleets,
      models: s.models,
      vins: s.vins,
      rules: s.rules,
      minSeverity: s.minSeverity,
      states: s.states,
      includeBackfill: s.includeBackfill,
    });
    if (requested.length === 0) requested = s.fleets.includes(ANY_FLEET) ? [] : [...s.fleets];
  }
  const fleets = streamFleets(principal, requested);
  if (!fleets.ok)
    throw new ApiError(403, 'FORBIDDEN', `API key ${principal.keyId} does not see fleet ${fleets.fleet}.`, {
      details: { fleet: fleets.fleet },
    });
  filters.push({
    fleets: [ANY_FLEET],
    models: q.model ?? [],
    vins: (q.vin ?? []).map((v) => v.toUpperCase()),
    rules: q.rule ?? [],
    minSeverity: q.minSeverity ?? 'info',
    states: q.state ?? [],
    includeBackfill: q.includeBackfill ?? false,
  });
  const header = request.headers['last-event-id'];
  const cursor = q.lastEventId ?? (typeof header === 'string' && header !== '' ? header : undefined);
  const positions = await reader.heads(fleets.fleets);
  if (cursor !== undefined) {
    const parsed = parseCursor(cursor, fleets.fleets);
    if (!parsed.ok) throw invalidRequest([{ path: '/headers/last-event-id', message: parsed.reason }]);
    for (const [fleet, id] of parsed.positions) positions.set(fleet, id);
  }
  return { positions, filters };
}

/**
 * Reads the streams until `isOpen` turns false: matching alerts go to `send` with the cursor after them, idle
 * periods of heartbeatMs to `heartbeat`. Resolves when the client left; rejects when Redis fails.
 */
async function pump(
  reader: AlertStreamReader,
  streamPlan: StreamPlan,
  heartbeatMs: number,
  isOpen: () => boolean,
  send: (id: string, alert: AlertEvent) => Promise<void>,
  heartbeat: () => void,
): Promise<void> {
  const { positions, filters } = streamPlan;
  while (isOpen()) {
    const entries = await reader.read(positions, heartbeatMs, 200);
    if (!isOpen()) return;
    if (entries.length === 0) {
      heartbeat();
      continue;
    }
    for (const entry of entries) {
      positions.set(entry.fleet, entry.id);
      if (filters.every((f) => alertMatches(f, entry.alert))) await send(formatCursor(positions), entry.alert);
    }
  }
}

async function openReader(deps: ApiDeps): Promise<AlertStreamReader> {
  let reader: AlertStreamReader | undefined;
  try {
    reader = await deps.alertStreams.openReader();
  } catch (cause) {
    throw new ApiError(
      503,
      'ALERT_STREAM_UNAVAILABLE',
      'The live alert stream is unavailable (Redis); retry shortly.',
      { retryable: true, cause },
    );
  }
  if (!reader)
    throw new ApiError(
      503,
      'ALERT_STREAM_CAPACITY',
      'This API instance serves the most live streams it may; retry shortly or use another instance.',
      { retryable: true },
    );
  return reader;
}

export function alertStreamRoutes(app: App, deps: ApiDeps, options: AlertStreamOptions): void {
  const { streams } = options;
  // Open SSE responses are hijacked: the server's close would wait for them, so they are ended first.
  app.addHook('preClose', (done) => {
    streams.endAll('SERVER_CLOSING');
    done();
  });
  app.route({
    method: 'GET',
    url: '/alerts/stream',
    config: { role: 'viewer', queryToken: true },
    schema: {
      tags: ['alerts'],
      summary: "Live alerts of the key's fleets: Server-Sent Events, or a WebSocket with Upgrade",
      description:
        'SSE events: `ready` (the stream is positioned; its id is the cursor), `alert` (data: the alert JSON), ' +
        '`error` (data: `{code, message}`, then the stream ends: `API_KEY_REVOKED`, `SERVER_CLOSING`) and ' +
        '`: heartbeat` comments. WebSocket messages: JSON `{type: "ready"|"alert"|"heartbeat"|"error", id?, ' +
        'alert?, error?}`. Resume with `Last-Event-ID` or `?lastEventId=`. Browsers, which cannot set ' +
        'Authorization on EventSource or WebSocket, may pass the key as `?token=` (it may then appear in proxy ' +
        'logs). A key holds at most ALERT_STREAM_MAX_PER_KEY streams per instance (429 `ALERT_STREAM_KEY_LIMIT` ' +
        'beyond); its streams end within seconds of its revocation.',
      querystring: StreamQuery,
      produces: ['text/event-stream'],
      response: { 200: Type.String({ description: 'text/event-stream' }), ...errorResponses },
    },
    // Before the WebSocket upgrade too: a key at its cap gets a plain 429.
    preHandler: async (request, reply) => {
      const { keyId } = principalOf(request);
      if (streams.hasRoom(keyId)) return;
      reply.header('retry-after', String(STREAM_RETRY_AFTER_SECONDS));
      throw tooManyStreams(deps, keyId, streams.maxPerKey);
    },
    handler: async (request, reply) => {
      const { keyId } = principalOf(request);
      const reader = await openReader(deps);
      let streamPlan: StreamPlan;
      let open = true;
      let release: (() => void) | undefined;
      const end = (): void => {
        open = false;
        reader.close();
        release?.();
      };
      try {
        streamPlan = await plan(deps, request, reader);
        release = streams.open(keyId, (reason) => endWith(reason));
        if (release === undefined) {
          reply.header('retry-after', String(STREAM_RETRY_AFTER_SECONDS));
          throw tooManyStreams(deps, keyId, streams.maxPerKey);
        }
      } catch (error) {
        reader.close();
        throw error;
      }
      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, {
        ...securityHeaders(request.url),
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
        'x-request-id': request.id,
      });
      request.raw.on('close', end);
      const write = async (chunk: string): Promise<void> => {
        if (!raw.write(chunk)) await new Promise<void>((resolve) => raw.once('drain', resolve).once('close', resolve));
      };
      const endWith = (reason: StreamEndReason): void => {
        if (!open) return;
        if (reason !== 'SERVER_CLOSING')
          raw.write(`event: error\ndata: ${JSON.stringify({ code: reason, message: END_MESSAGES[reason] })}\n\n`);
        end();
      };
      await write(`retry: 2000\nid: ${formatCursor(streamPlan.positions)}\nevent: ready\ndata: {}\n\n`);
      try {
        await pump(
          reader,
          streamPlan,
          options.heartbeatMs,
          () => open,
          (id, alert) => write(`id: ${id}\nevent: alert\ndata: ${JSON.stringify(alert)}\n\n`),
          () => void write(': heartbeat\n\n'),
        );
      } catch (err) {
        if (open) request.log.warn({ err }, 'Live alert stream failed; the client will reconnect.');
      } finally {
        end();
        raw.end();
      }
    },
    wsHandler: (socket: WebSocket, request) => {
      void serveWebSocket(deps, options, socket, request);
    },
  });
}

async function serveWebSocket(
  deps: ApiDeps,
  options: AlertStreamOptions,
  socket: WebSocket,
  request: FastifyRequest,
): Promise<void> {
  let reader: AlertStreamReader | undefined;
  let open = true;
  let release: (() => void) | undefined;
  socket.on('close', () => {
    open = false;
    reader?.close();
    release?.();
  });
  socket.on('error', () => undefined);
  const sendJson = async (message: unknown): Promise<void> => {
    socket.send(JSON.stringify(message));
    // A client that does not read is disconnected rather than buffered without bound.
    if (socket.bufferedAmount > 4 * 1024 * 1024) socket.close(1013, 'client too slow');
    await Promise.resolve();
  };
  const { streams } = options;
  const { keyId } = principalOf(request);
  try {
    reader = await openReader(deps);
    if (!open) return reader.close();
    const streamPlan = await plan(deps, request, reader);
    if (!open) return reader.close();
    release = streams.open(keyId, (reason) => {
      if (!open) return;
      socket.send(JSON.stringify({ type: 'error', error: { code: reason, message: END_MESSAGES[reason] } }));
      socket.close(reason === 'SERVER_CLOSING' ? 1001 : 1008, reason);
    });
    if (release === undefined) throw tooManyStreams(deps, keyId, streams.maxPerKey);
    await sendJson({ type: 'ready', id: formatCursor(streamPlan.positions) });
    await pump(
      reader,
      streamPlan,
      options.heartbeatMs,
      () => open && socket.readyState === socket.OPEN,
      (id, alert) => sendJson({ type: 'alert', id, alert }),
      () => void sendJson({ type: 'heartbeat', timeMs: Date.now() }),
    );
  } catch (error) {
    if (open) {
      const known = error instanceof ApiError ? error : undefined;
      if (!known) request.log.warn({ err: error }, 'Live alert WebSocket failed; the client will reconnect.');
      socket.send(
        JSON.stringify({
          type: 'error',
          error: {
            code: known?.code ?? 'ALERT_STREAM_UNAVAILABLE',
            message: known?.message ?? 'The live alert stream failed; reconnect with the last id.',
          },
        }),
      );
      const code = known?.statusCode === 429 ? 1013 : known ? 1008 : 1011;
      socket.close(code, known?.code ?? 'stream failed');
    }
  } finally {
    reader?.close();
  }
}
