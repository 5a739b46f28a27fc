/**
 * Fixed ops ports (/metrics, /healthz) for `telltale <service>` run alone, the same as `telltale start` gives each
 * service (TELLTALE_OPS_PORT_BASE, default 9100, + the service's offset), so a dashboard or `telltale loadtest`
 * finds a service on the same port however it runs. OPS_PORT set explicitly wins (0 picks a free port, as the
 * services' start functions do by default when embedded, e.g. in tests).
 */
import { DEFAULT_OPS_PORT_BASE, OPS_PORT_OFFSET, type ServiceName } from '../all-in-one/settings.js';

export function standaloneOpsPort(service: ServiceName, env: NodeJS.ProcessEnv): number {
  const base = Number(env.TELLTALE_OPS_PORT_BASE?.trim() || DEFAULT_OPS_PORT_BASE);
  return (Number.isInteger(base) ? base : DEFAULT_OPS_PORT_BASE) + OPS_PORT_OFFSET[service];
}

/** Sets OPS_PORT to the service's fixed port unless it is set. */
export function useFixedOpsPort(service: ServiceName, env: NodeJS.ProcessEnv = process.env): void {
  if (env.OPS_PORT === undefined || env.OPS_PORT.trim() === '') env.OPS_PORT = String(standaloneOpsPort(service, env));
}
