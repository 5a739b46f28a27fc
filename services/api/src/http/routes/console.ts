/**
 * The web console at /console/ (same origin as /v1, so the browser sends its API key only to this server), and `/`
 * redirecting there. Files are served from memory (adapters/fs-console-files.ts). Caching: Vite names every asset
 * after its content hash, so `/console/assets/*` is immutable for a year; `index.html` (and every unknown path under
 * /console/, which is a client-side route answered with index.html) must be revalidated on each load so a new
 * release is picked up at once (ETag → 304). Text files go gzipped to clients that accept it (compressed once, at
 * start). The console's CSP is in security-headers.ts.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ConsoleFile } from '../../adapters/fs-console-files.js';
import type { App } from '../context.js';
import { ApiError } from '../errors.js';

export const CONSOLE_PREFIX = '/console/';
const IMMUTABLE = 'public, max-age=31536000, immutable';
const REVALIDATE = 'no-cache';

/** The file a path under /console/ names: an asset by its name, anything else (a client route) index.html. */
export function consoleFileFor(
  files: ReadonlyMap<string, ConsoleFile>,
  path: string,
): { file: ConsoleFile; cache: string } | undefined {
  const asset = files.get(path);
  if (asset !== undefined && path !== 'index.html')
    return { file: asset, cache: path.startsWith('assets/') ? IMMUTABLE : REVALIDATE };
  // A missing asset is a 404, not the page: a stale index.html asking for an old chunk must see the failure.
  if (path.startsWith('assets/')) return undefined;
  const index = files.get('index.html');
  return index === undefined ? undefined : { file: index, cache: REVALIDATE };
}

/** Whether an Accept-Encoding header allows gzip (`gzip;q=0` refuses it). */
export function acceptsGzip(header: string | undefined): boolean {
  if (header === undefined) return false;
  return header.split(',').some((part) => {
    const [coding, ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((p) => /^\s*q=([\d.]+)/.exec(p)?.[1]).find((v) => v !== undefined);
    return (coding === 'gzip' || coding === '*') && (q === undefined || Number(q) > 0);
  });
}

export function consoleRoutes(app: App, files: ReadonlyMap<string, ConsoleFile>): void {
  const send = (request: FastifyRequest, reply: FastifyReply, path: string) => {
    if (files.size === 0)
      throw new ApiError(
        503,
        'CONSOLE_NOT_BUILT',
        'The web console is not built on this server: run `npm run console:build` ' +
          '(telltale start and telltale api build it when it is missing or stale), or set CONSOLE_DIR.',
      );
    const found = consoleFileFor(files, path);
    if (found === undefined)
      throw new ApiError(404, 'ROUTE_NOT_FOUND', `No console file ${CONSOLE_PREFIX}${path}.`, { details: { path } });
    const { file } = found;
    reply.header('cache-control', found.cache).header('etag', file.etag).header('vary', 'accept-encoding');
    if (request.headers['if-none-match'] === file.etag) return reply.status(304).send();
    reply.type(file.contentType);
    if (file.gzip !== undefined && acceptsGzip(request.headers['accept-encoding']))
      return reply.header('content-encoding', 'gzip').send(file.gzip);
    return reply.send(file.body);
  };
  app.get('/', { schema: { hide: true } }, (_request, reply) => reply.redirect(CONSOLE_PREFIX, 302));
  app.get('/console', { schema: { hide: true } }, (_request, reply) => reply.redirect(CONSOLE_PREFIX, 301));
  app.get('/console/', { schema: { hide: true } }, (request, reply) => send(request, reply, 'index.html'));
  app.get<{ Params: { '*': string } }>('/console/*', { schema: { hide: true } }, (request, reply) =>
    send(request, reply, request.params['*']),
  );
}
