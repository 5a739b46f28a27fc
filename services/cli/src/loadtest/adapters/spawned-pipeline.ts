/**
 * `--start`: the pipeline under test is `telltale start --no-simulator` in a child process (the all-in-one mode of
 * `npm start`), as an isolated instance with its own schema, topics, key prefixes, API and ops ports, so it measures
 * what `npm start` runs without touching anyone's data. The load generator stays in this process: the two do not
 * share an event loop, and the child's CPU is the pipeline's.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { TelltaleError } from '@telltale/platform';
import { repoRoot } from '../../lib/repo.js';

export interface SpawnedPipeline {
  readonly pid: number;
  /** Last lines of its output, for an error message. */
  output(): string;
  /** SIGINT, then waits for a clean exit (SIGKILL after `timeoutMs`); resolves with the exit code. */
  stop(timeoutMs?: number): Promise<number | null>;
}

export function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer()
      .once('error', () => resolve(false))
      .listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A base port with `count` free ports above it (base + 1 .. base + count), in 20000..40000. */
export async function freePortRange(count: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20000 + Math.floor(Math.random() * 2000) * 10;
    const checks = await Promise.all(Array.from({ length: count }, (_, i) => portFree(base + 1 + i)));
    if (checks.every(Boolean)) return base;
  }
  throw new TelltaleError('PORT_IN_USE', `No ${count} free ports in a row between 20000 and 40000.`);
}

export async function spawnPipeline(options: {
  readonly instance: string;
  readonly apiPort: number;
  readonly opsPortBase: number;
  readonly dataDir: string;
  readonly env: NodeJS.ProcessEnv;
  readonly timeoutMs: number;
  readonly onLine?: (line: string) => void;
}): Promise<SpawnedPipeline> {
  const cli = join(repoRoot(), 'services/cli/bin/telltale.js');
  const args = ['start', '--no-simulator', '--instance', options.instance, '--api-port', String(options.apiPort)];
  const child: ChildProcess = spawn(process.execPath, [cli, ...args], {
    env: {
      ...options.env,
      TELLTALE_OPS_PORT_BASE: String(options.opsPortBase),
      TELLTALE_DATA_DIR: options.dataDir,
      // A throwaway pipeline: its gateway's MQTT session must not outlive it at the broker.
      MQTT_CLEAN_SESSION: options.env.MQTT_CLEAN_SESSION ?? 'true',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let exited: number | null | undefined;
  const exit = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      exited = code;
      resolve(code);
    }),
  );
  const ready = new Promise<void>((resolve) => {
    const onData = (chunk: Buffer): void => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.trim() === '') continue;
        lines.push(line);
        if (lines.length > 60) lines.shift();
        options.onLine?.(line);
        if (/\] Ready in /.test(line)) resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
  });
  const stop = async (timeoutMs = 15_000): Promise<number | null> => {
    if (exited !== undefined) return exited;
    child.kill('SIGINT');
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    try {
      return await exit;
    } finally {
      clearTimeout(timer);
    }
  };
  const output = (): string => lines.slice(-20).join('\n');
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    ready.then(() => 'ready' as const),
    exit.then(() => 'exited' as const),
    new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), options.timeoutMs))),
  ]);
  clearTimeout(timer);
  if (outcome !== 'ready') {
    await stop(5000);
    throw new TelltaleError(
      'START_FAILED',
      `telltale start (instance ${options.instance}) ${outcome === 'exited' ? 'exited' : 'was not ready in time'}:\n` +
        output(),
      { retryable: outcome === 'timeout' },
    );
  }
  return { pid: child.pid ?? -1, output, stop };
}
