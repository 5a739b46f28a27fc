/** A private authenticating Mosquitto (deploy/local/mosquitto/mosquitto.sh) on a free port with its own directory. */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

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
