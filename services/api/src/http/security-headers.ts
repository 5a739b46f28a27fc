/**
 * Security headers on every response (an onSend hook; @fastify/helmet would add a dependency for five constant
 * headers, and its default CSP needs overriding for both kinds of route anyway). JSON routes get a CSP that allows
 * nothing; the Swagger UI under /docs and the console under /console/ get ones that allow their own scripts, styles
 * and images only. HSTS is the TLS terminator's job: this server speaks plain HTTP behind it, where browsers ignore
 * the header.
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

/**
 * For the web console under /console/: its own scripts only (no inline script, no eval), its stylesheet plus the
 * styles CodeMirror and uPlot set at run time, and requests to this origin only (/v1, the SSE stream).
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
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
const isConsole = (url: string): boolean => url.startsWith('/console/');

/** The headers for a response to `url`, for responses written outside fastify's reply (SSE). */
export function securityHeaders(url: string): Record<string, string> {
  const csp = isDocs(url) ? DOCS_CSP : isConsole(url) ? CONSOLE_CSP : API_CSP;
  return { ...SECURITY_HEADERS, 'content-security-policy': csp };
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
