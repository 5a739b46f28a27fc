/**
 * Every API event is counted, and the ones worth a line are logged by the same function. Labels: route templates,
 * never a VIN.
 */
import { counter, createMetricsRegistry, histogram, type Registry } from '@telltale/platform';
import type { Logger } from 'pino';

export type AuthFailure = 'missing' | 'malformed' | 'unknown_key' | 'wrong_secret' | 'revoked';

export interface ApiEvents {
  requestDone(method: string, route: string, statusCode: number, seconds: number): void;
  authFailed(reason: AuthFailure, keyId: string | undefined): void;
  forbidden(keyId: string, route: string): void;
  /** An administrative change: keys, fleets, vehicles, devices. Logged as the audit trail. */
  changed(action: string, keyId: string, target: Readonly<Record<string, unknown>>): void;
  failed(err: Error, route: string): void;
  /** A request refused with 429: its key is over its rate limit. */
  rateLimited(keyId: string, route: string): void;
  /** A live stream refused (429, the key holds its most streams) or ended (its key was revoked). */
  streamLimited(keyId: string, outcome: 'refused' | 'revoked', count: number): void;
}

export function apiMetrics(log: Logger): { registry: Registry; events: ApiEvents } {
  const registry = createMetricsRegistry('api');
  const requests = counter(registry, 'api_requests_total', 'HTTP requests by route template, method and status', [
    'route',
    'method',
    'status',
  ]);
  const seconds = histogram(registry, 'api_request_seconds', 'Request duration by route template', {
    labelNames: ['route'],
  });
  const authFailures = counter(registry, 'api_auth_failures_total', 'Requests refused with 401, by reason', ['reason']);
  const forbidden = counter(registry, 'api_forbidden_total', 'Requests refused with 403 (role too low)');
  const changes = counter(registry, 'api_admin_changes_total', 'Administrative changes by action', ['action']);
  const failures = counter(registry, 'api_internal_errors_total', 'Requests that failed with 500');
  const rateLimited = counter(registry, 'api_rate_limited_total', 'Requests refused with 429 by route', ['route']);
  const streams = counter(registry, 'api_alert_streams_limited_total', 'Live streams refused or ended by key', [
    'outcome',
  ]);
  const events: ApiEvents = {
    requestDone: (method, route, statusCode, s) => {
      requests.inc({ route, method, status: String(statusCode) });
      seconds.observe({ route }, s);
    },
    authFailed: (reason, keyId) => {
      authFailures.inc({ reason });
      log.info({ reason, keyId }, 'Refused a request without a valid API key.');
    },
    forbidden: (keyId, route) => {
      forbidden.inc();
      log.info({ keyId, route }, "Refused a request above the key's role.");
    },
    changed: (action, keyId, target) => {
      changes.inc({ action });
      log.info({ action, keyId, ...target }, 'Administrative change.');
    },
    failed: (err, route) => {
      failures.inc();
      log.error({ err, route }, 'Request failed.');
    },
    rateLimited: (keyId, route) => {
      rateLimited.inc({ route });
      log.info({ keyId, route }, 'Refused a request over its key rate limit.');
    },
    streamLimited: (keyId, outcome, count) => {
      streams.inc({ outcome }, count);
      log.info(
        { keyId, outcome, count },
        outcome === 'refused' ? 'Refused a live stream over its key cap.' : 'Ended the live streams of a revoked key.',
      );
    },
  };
  return { registry, events };
}
