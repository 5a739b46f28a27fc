/**
 * Brings up what `telltale start` needs through deploy/local (the same scripts as `telltale infra up`): PostgreSQL
 * and Redis must answer (started when installed but stopped); an MQTT broker is used when one answers or Mosquitto
 * is installed, otherwise the caller embeds one; Kafka runs from Maven Central's jars. What cannot be brought up is
 * reported once, naming every missing piece and the command that installs it.
 */
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { join } from 'node:path';
import { TelltaleError } from '@telltale/platform';
import { repoRoot } from '../lib/repo.js';

export type Progress = (line: string) => void;

export function portOpen(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: timeoutMs });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });
}

/** host and port of a URL such as postgres://u@127.0.0.1:5432/db or mqtt://127.0.0.1:1883. */
export function endpointOf(url: string, defaultPort: number): { host: string; port: number } {
  const parsed = new URL(url);
  return { host: parsed.hostname.replace(/^\[|\]$/g, ''), port: Number(parsed.port || defaultPort) };
}

const isLocal = (host: string): boolean => host === '127.0.0.1' || host === 'localhost' || host === '::1';

/** Runs a deploy/local script; its lines go to `progress`; resolves with its exit code and output. */
function runScript(
  script: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  progress: Progress,
): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [join(repoRoot(), script), ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let partial = '';
    const onData = (chunk: Buffer): void => {
      const text = partial + chunk.toString('utf8');
      const lines = text.split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        output += `${line}\n`;
        const shown = line.replace(/^\[telltale-local\] /, '').trim();
        if (shown !== '' && !shown.startsWith('ERROR:')) progress(shown);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, output: output + partial }));
  });
}

interface Requirement {
  readonly name: string;
  readonly target: 'postgres' | 'redis';
  readonly url: string;
  readonly defaultPort: number;
  readonly install: string;
}

export interface Infrastructure {
  /** The MQTT URL to use, or undefined when no broker answers and none is installed (embed one). */
  readonly mqttUrl: string | undefined;
  /** True when this run started Kafka (so stopping it is this run's job). */
  readonly startedKafka: boolean;
}

export async function bringUpInfrastructure(env: NodeJS.ProcessEnv, progress: Progress): Promise<Infrastructure> {
  const requirements: Requirement[] = [
    {
      name: 'PostgreSQL',
      target: 'postgres',
      url: env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres',
      defaultPort: 5432,
      install: 'postgresql',
    },
    {
      name: 'Redis',
      target: 'redis',
      url: env.REDIS_URL || 'redis://127.0.0.1:6379',
      defaultPort: 6379,
      install: 'redis-server',
    },
  ];
  const missing: { name: string; install: string; detail: string }[] = [];
  for (const r of requirements) {
    const { host, port } = endpointOf(r.url, r.defaultPort);
    if (await portOpen(host, port)) {
      progress(`${r.name} answers on ${host}:${port}.`);
      continue;
    }
    if (!isLocal(host)) {
      missing.push({ name: r.name, install: r.install, detail: `nothing answers on ${host}:${port}` });
      continue;
    }
    const result = await runScript('deploy/local/services.sh', [r.target], { ...env }, progress);
    if (result.code !== 0) {
      const error = /ERROR: (.*)/.exec(result.output)?.[1] ?? `${r.name} did not start`;
      missing.push({ name: r.name, install: r.install, detail: error });
    }
  }
  if (missing.length > 0) {
    const notInstalled = missing.filter((m) => /not installed/.test(m.detail));
    const install =
      notInstalled.length > 0
        ? ` Install with: sudo apt-get install ${notInstalled.map((m) => m.install).join(' ')} (Debian/Ubuntu; on ` +
          `macOS: brew install ${notInstalled.map((m) => m.install.replace('-server', '')).join(' ')}), ` +
          'then run npm start again.'
        : '';
    throw new TelltaleError(
      'INFRASTRUCTURE_MISSING',
      `Cannot start: ${missing.map((m) => `${m.name} (${m.detail})`).join('; ')}.${install}`,
    );
  }

  const mqttUrl = await findMqttBroker(env, progress);

  const kafkaPort = Number(env.KAFKA_PORT || 9092);
  const kafkaUp = await portOpen('127.0.0.1', kafkaPort);
  if (kafkaUp) {
    progress(`Kafka answers on 127.0.0.1:${kafkaPort}.`);
    return { mqttUrl, startedKafka: false };
  }
  if (env.KAFKA_BROKERS && !env.KAFKA_BROKERS.split(',').some((b) => isLocal(b.trim().replace(/:\d+$/, '')))) {
    return { mqttUrl, startedKafka: false }; // a remote cluster: the services report it if it does not answer
  }
  progress('Starting Kafka (KRaft) from Maven Central jars; the first run downloads them (about 30 s).');
  const result = await runScript('deploy/local/kafka/kafka.sh', ['start'], { ...env }, progress);
  if (result.code !== 0) {
    const error = /ERROR: (.*)/.exec(result.output)?.[1] ?? 'see the output above';
    throw new TelltaleError('INFRASTRUCTURE_MISSING', `Cannot start Kafka: ${error}`);
  }
  return { mqttUrl, startedKafka: true };
}

/** An answering broker, or Mosquitto started when installed; undefined means: embed one. */
async function findMqttBroker(env: NodeJS.ProcessEnv, progress: Progress): Promise<string | undefined> {
  const url = env.MQTT_URL || 'mqtt://127.0.0.1:1883';
  const { host, port } = endpointOf(url, 1883);
  if (await portOpen(host, port)) {
    progress(`MQTT broker answers on ${host}:${port}.`);
    return url;
  }
  if (!isLocal(host)) return undefined;
  const result = await runScript('deploy/local/services.sh', ['mosquitto'], { ...env, MQTT_PORT: String(port) }, () => {
    // Mosquitto missing is not an error here: the embedded broker takes over.
  });
  if (result.code === 0 && (await portOpen(host, port))) {
    progress(`Mosquitto started on ${host}:${port}.`);
    return url;
  }
  return undefined;
}

export async function stopKafka(env: NodeJS.ProcessEnv, progress: Progress): Promise<void> {
  await runScript('deploy/local/kafka/kafka.sh', ['stop'], { ...env }, progress);
}
