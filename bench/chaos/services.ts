/**
 * The platform's services as separate processes (`telltale <service>`), one or more instances each, against the chaos
 * run's private infrastructure. An instance keeps its identity across a kill and restart (ops port, MQTT client ids,
 * decoder and diagnostics instance ids): a restarted gateway resumes its broker sessions, a restarted decoder fences
 * the killed one's open transaction.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { freePort, stopChild } from './infra.js';

export const CLI = join(import.meta.dirname, '../../services/cli/bin/telltale.js');

export class ServiceInstance {
  private child: ChildProcess | undefined;
  private readonly log: WriteStream;
  restarts = 0;

  constructor(
    readonly service: string,
    readonly index: number,
    private readonly env: NodeJS.ProcessEnv,
    readonly opsPort: number,
    logDir: string,
  ) {
    this.log = createWriteStream(join(logDir, `${service}-${index}.log`), { flags: 'a' });
  }

  get name(): string {
    return `${this.service}#${this.index}`;
  }

  start(): void {
    this.child = spawn(process.execPath, [CLI, this.service], {
      env: { ...this.env, OPS_PORT: String(this.opsPort) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout?.pipe(this.log, { end: false });
    this.child.stderr?.pipe(this.log, { end: false });
  }

  async healthy(): Promise<boolean> {
    const response = await fetch(`http://127.0.0.1:${this.opsPort}/healthz`, {
      signal: AbortSignal.timeout(1000),
    }).catch(() => undefined);
    return response?.ok === true;
  }

  async waitHealthy(timeoutMs: number): Promise<number> {
    const started = Date.now();
    while (!(await this.healthy())) {
      if (this.child && (this.child.exitCode !== null || this.child.signalCode !== null)) {
        throw new Error(
          `${this.name} exited (${this.child.exitCode ?? this.child.signalCode}); log: ${String(this.log.path)}`,
        );
      }
      if (Date.now() - started > timeoutMs) throw new Error(`${this.name} not healthy within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return Date.now() - started;
  }

  /** kill -9: no shutdown hook runs, nothing is flushed or committed. */
  async kill(): Promise<void> {
    await stopChild(this.child, 'SIGKILL');
  }

  async stop(): Promise<void> {
    await stopChild(this.child, 'SIGTERM');
    this.log.end();
  }
}

/** Environment shared by every service of the run (each instance adds its identity). */
export function serviceEnv(base: {
  databaseUrl: string;
  kafkaBrokers: string;
  redisUrl: string;
  mqttUrl: string;
  archiveDir: string;
}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    NODE_ENV: 'development',
    DATABASE_URL: base.databaseUrl,
    DATABASE_SCHEMA: 'telltale',
    KAFKA_BROKERS: base.kafkaBrokers,
    KAFKA_PARTITIONS: '6',
    KAFKA_REPLICATION_FACTOR: '3',
    KAFKA_SESSION_TIMEOUT_MS: '10000',
    REDIS_URL: base.redisUrl,
    MQTT_URL: base.mqttUrl,
    GATEWAY_ALLOW_ANONYMOUS: 'true', // the run's private broker is anonymous, bound to 127.0.0.1
    MQTT_CONNECTIONS: '8',
    REGISTRY_REFRESH_MS: '1000',
    ARCHIVE_DIR: base.archiveDir,
    ARCHIVE_FLUSH_INTERVAL_MS: '3000',
    NOTIFIER_WEBHOOK_ALLOW: '127.0.0.1',
    NOTIFIER_POLL_MS: '100',
    LOG_LEVEL: 'warn',
  };
}

/** Per-instance identity: stable across restarts. */
export function instanceEnv(service: string, index: number): NodeJS.ProcessEnv {
  const id = `chaos-${service}-${index}`;
  return {
    MQTT_CLIENT_ID_PREFIX: id,
    DECODER_INSTANCE_ID: id,
    DIAGNOSTICS_INSTANCE_ID: id,
  };
}

export async function createInstances(
  services: readonly string[],
  instances: number,
  env: NodeJS.ProcessEnv,
  logDir: string,
): Promise<ServiceInstance[]> {
  const out: ServiceInstance[] = [];
  for (const service of services)
    for (let i = 1; i <= instances; i++)
      out.push(new ServiceInstance(service, i, { ...env, ...instanceEnv(service, i) }, await freePort(), logDir));
  return out;
}
