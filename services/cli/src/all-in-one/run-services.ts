/**
 * Every service of the pipeline in this process: each one's own start function (the one `telltale <service>` runs)
 * with the shared environment and its fixed ops port. They stop in reverse start order, intake first.
 */
import type { RunningService } from '@telltale/platform';
import { serviceEnv, SERVICES, type ServiceName, type StartSettings } from './settings.js';

export interface StartedService {
  readonly name: ServiceName;
  readonly running: RunningService;
}

const starters: Readonly<Record<ServiceName, (env: NodeJS.ProcessEnv) => Promise<RunningService>>> = {
  decoder: async (env) => (await import('@telltale/decoder')).startDecoder(env),
  store: async (env) => (await import('@telltale/store')).startStore(env),
  diagnostics: async (env) => (await import('@telltale/diagnostics')).startDiagnostics(env),
  notifier: async (env) => (await import('@telltale/notifier')).startNotifier(env),
  api: async (env) => (await import('@telltale/api')).startApi(env),
  gateway: async (env) => (await import('@telltale/gateway')).startGateway(env),
};

/**
 * Starts the services concurrently (each joins its consumer group while the others connect); the gateway, the
 * intake, last, once everything downstream runs. If one fails, the started ones are stopped and the error thrown.
 */
export async function startServices(
  settings: StartSettings,
  onStarted: (name: ServiceName, ms: number) => void,
): Promise<StartedService[]> {
  const t0 = Date.now();
  const started: StartedService[] = [];
  const start = async (name: ServiceName): Promise<void> => {
    const running = await starters[name](serviceEnv(settings, name));
    started.push({ name, running });
    onStarted(name, Date.now() - t0);
  };
  const downstream = SERVICES.filter((s) => s !== 'gateway');
  const results = await Promise.allSettled(downstream.map(start));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (!failed) {
    try {
      await start('gateway');
      return started;
    } catch (error) {
      await stopServices(started);
      throw error;
    }
  }
  await stopServices(started);
  throw failed.reason;
}

/** Upstream first: intake, then each stage before what consumes its output; the API last. */
const STOP_ORDER: readonly ServiceName[] = ['gateway', 'decoder', 'diagnostics', 'notifier', 'store', 'api'];

/** Stops in STOP_ORDER; a failing stop is reported and the others still stop. */
export async function stopServices(
  started: readonly StartedService[],
  onStopped?: (name: ServiceName, error: unknown) => void,
): Promise<boolean> {
  let clean = true;
  const ordered = [...started].sort((a, b) => STOP_ORDER.indexOf(a.name) - STOP_ORDER.indexOf(b.name));
  for (const { name, running } of ordered) {
    try {
      await running.stop();
      onStopped?.(name, undefined);
    } catch (error) {
      clean = false;
      onStopped?.(name, error);
    }
  }
  return clean;
}
