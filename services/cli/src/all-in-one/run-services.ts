/**
 * Every service of the pipeline in this process: each one's own start function (the one `telltale <service>` runs)
 * with the shared environment and its fixed ops port. They stop in reverse start order, intake first.
 */
import type { RunningService } from '@telltale/platform';
import { buildConsole } from '../commands/api.js';
import { serviceEnv, SERVICES, type ServiceName, type StartSettings } from './settings.js';

export interface StartedService {
  readonly name: ServiceName;
  readonly running: RunningService;
}

const starters: Readonly<Record<ServiceName, (env: NodeJS.ProcessEnv) => Promise<RunningService>>> = {
  decoder: async (env) => (await import('@telltale/decoder')).startDecoder(env),
  store: async (env) => (await import('@telltale/store')).startStore(env),
  archive: async (env) => (await import('@telltale/archive')).startArchive(env),
  diagnostics: async (env) => (await import('@telltale/diagnostics')).startDiagnostics(env),
  features: async (env) => (await import('@telltale/features')).startFeatures(env),
  notifier: async (env) => (await import('@telltale/notifier')).startNotifier(env),
  api: async (env) => {
    await buildConsole({ stderr: process.stderr, env }); // the web console at /console/, when missing or stale
    return (await import('@telltale/api')).startApi(env);
  },
  gateway: async (env) => (await import('@telltale/gateway')).startGateway(env),
};

/**
 * Starts the services one after the other in SERVICES order, the gateway (the intake) last. One at a time on
 * purpose: they share one event loop, and a service compiling a large catalog would otherwise stall the others'
 * connection attempts past their timeouts. If one fails, the started ones are stopped and the error thrown.
 */
export async function startServices(
  settings: StartSettings,
  onStarted: (name: ServiceName, ms: number) => void,
): Promise<StartedService[]> {
  const started: StartedService[] = [];
  for (const name of SERVICES) {
    const t0 = Date.now();
    try {
      started.push({ name, running: await starters[name](serviceEnv(settings, name)) });
    } catch (error) {
      await stopServices(started, 10_000);
      throw error;
    }
    onStarted(name, Date.now() - t0);
  }
  return started;
}

/**
 * The gateway (intake) first, so nothing new arrives; then the others together: each drains its own in-flight work
 * and commits only what is durable, so their order does not matter. Bounded by `budgetMs`: a service still stopping
 * then is reported as failed (the process exits regardless).
 */
export async function stopServices(
  started: readonly StartedService[],
  budgetMs: number,
  onStopped?: (name: ServiceName, ms: number, error: unknown) => void,
): Promise<boolean> {
  const t0 = Date.now();
  const stopOne = async ({ name, running }: StartedService): Promise<boolean> => {
    let timer: NodeJS.Timeout | undefined;
    const left = Math.max(0, budgetMs - (Date.now() - t0));
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`still stopping after ${budgetMs} ms`)), left);
    });
    try {
      await Promise.race([running.stop(), timeout]);
      onStopped?.(name, Date.now() - t0, undefined);
      return true;
    } catch (error) {
      onStopped?.(name, Date.now() - t0, error);
      return false;
    } finally {
      clearTimeout(timer);
    }
  };
  const intake = started.filter((s) => s.name === 'gateway');
  const rest = started.filter((s) => s.name !== 'gateway');
  const first = await Promise.all(intake.map(stopOne));
  const second = await Promise.all(rest.map(stopOne));
  return [...first, ...second].every(Boolean);
}
