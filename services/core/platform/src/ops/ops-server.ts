/**
 * The ops endpoint every service exposes: GET /metrics (Prometheus text) and GET /healthz (JSON, 200 or 503).
 * Plain node:http keeps it independent of the service's own HTTP stack and cheap to start.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export interface HealthCheck {
  readonly name: string;
  /** Resolves true when healthy; a rejection or false marks the service unhealthy. */
  readonly check: () => boolean | Promise<boolean>;
}

export interface OpsServer {
  readonly port: number;
  readonly url: string;
  close(): Promise<void>;
}

export async function startOpsServer(options: {
  registry: Registry;
  host: string;
  port: number;
  checks?: readonly HealthCheck[];
}): Promise<OpsServer> {
  const checks = options.checks ?? [];
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET') {
      res.writeHead(405, { allow: 'GET' }).end();
      return;
    }
    if (path === '/metrics') {
      options.registry
        .metrics()
        .then((text) => res.writeHead(200, { 'content-type': options.registry.contentType }).end(text))
        .catch((error: unknown) => res.writeHead(500).end(String(error)));
      return;
    }
    if (path === '/healthz') {
      runChecks(checks)
        .then((result) =>
          res
            .writeHead(result.healthy ? 200 : 503, { 'content-type': 'application/json' })
            .end(JSON.stringify({ status: result.healthy ? 'ok' : 'unhealthy', checks: result.checks })),
        )
        .catch((error: unknown) => res.writeHead(500).end(String(error)));
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    port,
    url: `http://${options.host}:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function runChecks(
  checks: readonly HealthCheck[],
): Promise<{ healthy: boolean; checks: Record<string, boolean> }> {
  const results = await Promise.all(
    checks.map(async (c) => {
      try {
        return [c.name, (await c.check()) === true] as const;
      } catch {
        return [c.name, false] as const;
      }
    }),
  );
  return { healthy: results.every(([, ok]) => ok), checks: Object.fromEntries(results) };
}
