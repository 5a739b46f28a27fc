/**
 * Private Mosquitto brokers for tests: the authenticating one (deploy/local/mosquitto/mosquitto.sh) and an anonymous
 * one with persistence that a test restarts.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import mqtt from 'mqtt';
import { waitFor } from '@telltale/platform/testing';

const run = promisify(execFile);
const script = join(dirname(fileURLToPath(import.meta.url)), '../deploy/local/mosquitto/mosquitto.sh');

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface PrivateMosquitto {
  readonly port: number;
  readonly dir: string;
  readonly url: string;
  readonly env: NodeJS.ProcessEnv;
  start(): Promise<void>;
  destroy(): Promise<void>;
}

/** The authenticating Mosquitto (deploy/local/mosquitto/mosquitto.sh) on a free port with its own directory. */
export async function privateMosquitto(): Promise<PrivateMosquitto> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'telltale-mosquitto-'));
  const env = { ...process.env, MQTT_AUTH_PORT: String(port), MOSQUITTO_DIR: dir };
  const call = (command: string) => run('bash', [script, command], { env, timeout: 60_000 }).then(() => undefined);
  return {
    port,
    dir,
    url: `mqtt://127.0.0.1:${port}`,
    env,
    start: () => call('start'),
    destroy: async () => {
      await call('stop').catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface RestartableMosquitto {
  readonly url: string;
  /** Stops the broker with SIGTERM (it writes its persistence file) and starts it again on the same port. */
  restart(): Promise<void>;
  destroy(): Promise<void>;
}

/**
 * An anonymous Mosquitto with persistence on a free port, run in the foreground so a test can restart it: what it
 * acknowledged and the persistent sessions survive the restart (the chaos run's broker, bench/chaos/infra.ts).
 */
export async function restartableMosquitto(): Promise<RestartableMosquitto> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'telltale-mosquitto-'));
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(
    conf,
    [
      `listener ${port} 127.0.0.1`,
      'allow_anonymous true',
      'persistence true',
      `persistence_location ${dir}/`,
      'autosave_interval 1',
      'max_queued_messages 1000000',
      'log_dest none',
      ...(process.getuid?.() === 0 ? ['user root'] : []),
      '',
    ].join('\n'),
  );
  let broker: ChildProcess | undefined;
  const start = async (): Promise<void> => {
    broker = spawn('mosquitto', ['-c', conf], { stdio: 'ignore' });
    // Up once it answers a CONNECT (a clean session of a probe client id, so no session is left behind).
    await waitFor(
      `mosquitto answering on 127.0.0.1:${port}`,
      () =>
        mqtt
          .connectAsync(`mqtt://127.0.0.1:${port}`, {
            clientId: `probe-${port}`,
            reconnectPeriod: 0,
            connectTimeout: 1000,
          })
          .then((probe) => probe.endAsync().then(() => true))
          .catch(() => undefined),
      15_000,
      50,
    );
  };
  const stop = async (): Promise<void> => {
    const child = broker;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  };
  await start();
  return {
    url: `mqtt://127.0.0.1:${port}`,
    restart: async () => {
      await stop();
      await start();
    },
    destroy: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
