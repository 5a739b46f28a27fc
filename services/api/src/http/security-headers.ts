/**
 * Security headers on every response (an onSend hook; @fastify/helmet would add a dependency for five constant
 * headers, and its default CSP needs overriding for both kinds of route anyway). JSON routes get a CSP that allows
 * nothing; the Swagger UI under /docs gets one that allows its own scripts, styles and images only. HSTS is the TLS
 * terminator's job: this server speaks plain HTTP behind it, where browsers ignore the header.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';

/** For JSON, SSE and errors: no content of any kind may load, and no page may frame the response. */
export const API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/** For the Swagger UI: its bundle, stylesheet (and the inline styles it sets), images and the spec from here. */
export const DOCS_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Headers every response carries besides the CSP. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

const isDocs = (url: string): boolean => url === '/docs' || url.startsWith('/docs/') || url.startsWith('/docs?');

/** The headers for a response to `url`, for responses written outside fastify's reply (SSE). */
export function securityHeaders(url: string): Record<string, string> {
  return { ...SECURITY_HEADERS, 'content-security-policy': isDocs(url) ? DOCS_CSP : API_CSP };
}

/** An onSend hook. */
export function addSecurityHeaders(
  request: FastifyRequest,
  reply: FastifyReply,
  payload: unknown,
  done: (err: null, payload: unknown) => void,
): void {
  reply.headers(securityHeaders(request.url));
  reply.removeHeader('x-powered-by');
  // API answers depend on the key: no shared cache may keep them (routes may set their own policy).
  if (request.url.startsWith('/v1/') && !reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
  done(null, payload);
}
