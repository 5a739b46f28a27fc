/**
 * The shape every long-running service shares: its configuration validated once, its logger and its shutdown
 * sequence at start; what its start function returns; its `telltale <service>` entry point.
 */
import { loadConfig, type ConfigOf, type ConfigSpec, type commonConfig } from './config.js';
import { Lifecycle } from './lifecycle.js';
import { createLogger, type Logger } from './logging.js';

/** What a service's start function returns. */
export interface RunningService {
  /** The /metrics and /healthz endpoint. */
  readonly opsUrl: string;
  readonly lifecycle: Lifecycle;
  /** Runs the shutdown sequence (what SIGTERM does). */
  stop(): Promise<void>;
}

export interface ServiceBoot<S extends ConfigSpec> {
  readonly config: ConfigOf<S>;
  readonly log: Logger;
  readonly lifecycle: Lifecycle;
}

/**
 * Loads and validates the service's configuration (a bad value throws, naming the variable), then makes its logger
 * and lifecycle. `check` adds cross-field checks that run before anything is started.
 */
export function bootService<S extends ConfigSpec & typeof commonConfig>(
  service: string,
  spec: S,
  source: NodeJS.ProcessEnv,
  check?: (config: ConfigOf<S>) => void,
): ServiceBoot<S> {
  const config = loadConfig(spec, source);
  check?.(config);
  const common = config as unknown as ConfigOf<typeof commonConfig>;
  const log = createLogger({ service, level: common.logLevel });
  return { config, log, lifecycle: new Lifecycle(log, common.shutdownTimeoutMs) };
}

/** Entry point of `telltale <service>`: starts it; SIGTERM/SIGINT run its shutdown sequence. */
export async function runUntilSignalled(start: () => Promise<RunningService>): Promise<void> {
  const running = await start();
  running.lifecycle.installSignalHandlers();
}
