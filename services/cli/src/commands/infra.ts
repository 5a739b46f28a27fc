import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { CliUsageError, type CliIo, type Command } from '../command.js';
import { repoRoot } from '../lib/repo.js';

function runScript(script: string, args: readonly string[], io: CliIo): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [join(repoRoot(), script), ...args], {
      env: io.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.pipe(io.stdout, { end: false });
    child.stderr.pipe(io.stderr, { end: false });
    child.on('error', reject);
    child.on('close', (code) => resolve(code ?? 1));
  });
}

const noArgs = (args: readonly string[]): void => {
  if (args.length > 0) throw new CliUsageError(`unexpected argument "${args[0]}"`);
};

export const infraCommands: readonly Command[] = [
  {
    path: ['infra', 'up'],
    summary: 'Start the local infrastructure: Kafka (from Maven Central), PostgreSQL, Redis, Mosquitto',
    usage: `Usage: telltale infra up

Makes sure PostgreSQL, Redis and Mosquitto answer on 127.0.0.1 (starting installed but stopped servers) and runs
Apache Kafka in KRaft mode on 127.0.0.1:9092 from jars resolved from Maven Central. Idempotent.
Environment: KAFKA_PORT, KAFKA_HEAP_OPTS, TELLTALE_LOCAL_DIR (jars, data and logs; default ~/.cache/telltale).`,
    run: (args, io) => {
      noArgs(args);
      return runScript('deploy/local/up.sh', [], io);
    },
  },
  {
    path: ['infra', 'down'],
    summary: 'Stop the Kafka broker started by `telltale infra up`',
    usage: `Usage: telltale infra down

Stops the local Kafka broker gracefully. System services (PostgreSQL, Redis, Mosquitto) keep running.`,
    run: (args, io) => {
      noArgs(args);
      return runScript('deploy/local/down.sh', [], io);
    },
  },
  {
    path: ['infra', 'status'],
    summary: 'Say which of Kafka, PostgreSQL, Redis and Mosquitto answer',
    usage: `Usage: telltale infra status

Exit code 0 when all four answer on 127.0.0.1, 1 otherwise.`,
    run: async (args, io) => {
      noArgs(args);
      const { connect } = await import('node:net');
      const targets = [
        ['Kafka', Number(io.env.KAFKA_PORT ?? 9092)],
        ['PostgreSQL', Number(io.env.PGPORT ?? 5432)],
        ['Redis', Number(io.env.REDIS_PORT ?? 6379)],
        ['Mosquitto', Number(io.env.MQTT_PORT ?? 1883)],
      ] as const;
      const results = await Promise.all(
        targets.map(([name, port]) =>
          new Promise<boolean>((resolve) => {
            const socket = connect({ host: '127.0.0.1', port, timeout: 1000 });
            socket.once('connect', () => {
              socket.destroy();
              resolve(true);
            });
            socket.once('error', () => resolve(false));
            socket.once('timeout', () => {
              socket.destroy();
              resolve(false);
            });
          }).then((ok) => {
            io.stdout.write(`${name.padEnd(10)} 127.0.0.1:${port}  ${ok ? 'up' : 'down'}\n`);
            return ok;
          }),
        ),
      );
      return results.every(Boolean) ? 0 : 1;
    },
  },
];
