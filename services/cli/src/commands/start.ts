import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { createLogger, isTelltaleError, kafkaConfig, loadConfig, TelltaleError } from '@telltale/platform';
import { createPgPool, migrate, postgresConfig, type Pool } from '@telltale/platform/db';
import { createKafkaClient, ensureTopics, platformTopicSpecs } from '@telltale/platform/kafka';
import { CliUsageError, type CliIo, type Command } from '../command.js';
import { repoRoot } from '../lib/repo.js';
import { ADMIN_KEY_FILE, ensureAdminKey } from '../all-in-one/admin-key.js';
import { applyExampleFeatureSets } from '../all-in-one/feature-sets.js';
import { startEmbeddedBroker, type EmbeddedBroker } from '../all-in-one/embedded-broker.js';
import { bringUpInfrastructure, endpointOf, portOpen, stopKafka } from '../all-in-one/infrastructure.js';
import { startServices, stopServices, type StartedService } from '../all-in-one/run-services.js';
import { opsPort, SERVICES, startSettings, type StartSettings } from '../all-in-one/settings.js';
import {
  planFleet,
  prepareSimulatedFleet,
  type PreparedFleet,
  type RunningFleet,
} from '../all-in-one/simulated-fleet.js';
import { rulesCommands } from './rules.js';

const usage = `Usage: telltale start [options]     (npm start -- [options])

Runs the whole pipeline in this process: brings the local infrastructure up (deploy/local: PostgreSQL, Redis and
Mosquitto when installed, Kafka from Maven Central), applies the migrations, topics and example rules, creates an
admin API key on the first start (<data dir>/${ADMIN_KEY_FILE}, mode 0600), starts gateway, decoder, store,
diagnostics, notifier and API (the same code as \`telltale <service>\`) and a small simulated fleet with scheduled
faults, then prints where to look. When no MQTT broker answers, an embedded one (aedes) serves 127.0.0.1.
Ctrl-C stops everything; the data stays for the next start.

Options:
  --no-simulator      no simulated fleet (real T-Boxes publish to the broker)
  --vehicles N        simulated vehicles, split between the two bundled models (default 3)
  --fault-after S     seconds until the first scheduled fault (default 20)
  --instance NAME     a second, isolated pipeline on the same servers: schema telltale_NAME, topics NAME.*,
                      Redis keys telltale:NAME:*, MQTT topics NAME/tbox/+/telemetry (env TELLTALE_INSTANCE)
  --api-port P        HTTP API port (default 8080, env API_PORT)
  --embedded-broker   serve MQTT in-process even when a broker answers (port MQTT_EMBEDDED_PORT, default 1883)
  --keep-kafka        leave a Kafka broker this command started running after Ctrl-C

Ports (fixed): API 8080; ops endpoints (/metrics, /healthz) TELLTALE_OPS_PORT_BASE (9100) + 1 gateway, 2 decoder,
3 store, 4 diagnostics, 5 notifier, 6 api. Environment: every service's variables (their READMEs); LOG_LEVEL
(default warn here), TELLTALE_DATA_DIR (default .telltale in the repository).`;

const options = {
  'no-simulator': { type: 'boolean' },
  vehicles: { type: 'string' },
  'fault-after': { type: 'string' },
  instance: { type: 'string' },
  'api-port': { type: 'string' },
  'embedded-broker': { type: 'boolean' },
  'keep-kafka': { type: 'boolean' },
} as const;

function integer(value: string | undefined, name: string, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < min || n > max)
    throw new CliUsageError(`${name} must be an integer in ${min}..${max}, got "${value}"`);
  return n;
}

/** Ctrl-C must end the process within 15 s: the services get most of it, the simulator and Kafka the rest. */
const SERVICE_STOP_BUDGET_MS = 10_000;

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

/** Resolves on the first SIGINT/SIGTERM; a second one exits at once. */
function firstSignal(io: CliIo): { promise: Promise<string>; dispose(): void } {
  let receivedAt: number | undefined;
  let resolveSignal: (signal: string) => void = () => undefined;
  const promise = new Promise<string>((r) => (resolveSignal = r));
  const handler = (signal: NodeJS.Signals): void => {
    if (receivedAt !== undefined) {
      // Ctrl-C reaches every process of the terminal's group; a copy relayed by a parent (npm) is not a second press.
      if (Date.now() - receivedAt < 1000) return;
      io.stderr.write(`\n${signal} again: exiting now.\n`);
      process.exit(1);
    }
    receivedAt = Date.now();
    resolveSignal(signal);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    promise,
    dispose: () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}

async function applyExampleRules(settings: StartSettings, io: CliIo): Promise<string> {
  let out = '';
  let err = '';
  const sink = (append: (s: string) => void): Writable =>
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        append(chunk.toString('utf8'));
        done();
      },
    });
  const apply = rulesCommands.find((c) => c.path.join(' ') === 'rules apply')!;
  const code = await apply.run(['services/diagnostics/rules/examples'], {
    ...io,
    env: settings.env,
    cwd: repoRoot(),
    stdout: sink((s) => (out += s)),
    stderr: sink((s) => (err += s)),
  });
  if (code !== 0) throw new TelltaleError('RULES_INVALID', `The example rules were not applied:\n${err}`);
  const lines = out.trim().split('\n');
  const created = lines.filter((l) => l.startsWith('created')).length;
  const updated = lines.filter((l) => l.startsWith('updated')).length;
  const unchanged = lines.length - created - updated;
  return `${lines.length} example rules (${created} created, ${updated} updated, ${unchanged} unchanged)`;
}

/** <data dir>/start.pid: the running start command's process id (scripts send it SIGINT); one start per data dir. */
const PID_FILE = 'start.pid';

async function claimPidFile(file: string): Promise<void> {
  const previous = Number((await readFile(file, 'utf8').catch(() => '')).trim());
  if (Number.isInteger(previous) && previous > 0 && previous !== process.pid) {
    let alive = true;
    try {
      process.kill(previous, 0);
    } catch {
      alive = false;
    }
    if (alive)
      throw new TelltaleError(
        'ALREADY_RUNNING',
        `telltale start already runs as process ${previous} with this data directory (${file}); stop it first.`,
      );
  }
  await writeFile(file, `${process.pid}\n`, { mode: 0o600 });
}

/** Promise.all that waits for every step before failing, so what did start can be stopped. */
async function settledAll<T extends readonly unknown[]>(
  steps: readonly [...{ [K in keyof T]: Promise<T[K]> }],
): Promise<T> {
  const results = await Promise.allSettled(steps as readonly Promise<unknown>[]);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return results.map((r) => (r as PromiseFulfilledResult<unknown>).value) as unknown as T;
}

async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new TelltaleError('START_TIMEOUT', `Not ready: ${what} after ${seconds(timeoutMs)}.`, { retryable: true });
    await new Promise((r) => setTimeout(r, 250));
  }
}

interface AlertJson {
  readonly vin: string;
  readonly ruleId: string;
  readonly severity: string;
  readonly message: string;
}

function whereToLook(settings: StartSettings, keyFile: string, vins: readonly string[], apiUrl: string): string {
  const vin = vins[0] ?? '<VIN>';
  const auth = `-H "Authorization: Bearer $(cat ${keyFile})"`;
  const ops = SERVICES.map((s) => `${s} http://127.0.0.1:${opsPort(settings, s)}/metrics`);
  return [
    '',
    'Where to look:',
    `  web console   ${apiUrl}/console/ (sign in with the API key below)`,
    `  API docs      ${apiUrl}/docs`,
    `  API key       ${keyFile} (admin, every fleet; keep it private)`,
    `  metrics       ${ops.slice(0, 3).join(', ')}`,
    `                ${ops.slice(3).join(', ')}`,
    `  database      psql -h 127.0.0.1 -U postgres -c 'select vin, count(*) from ` +
      `${settings.databaseSchema}.signal_latest group by vin'`,
    '',
    'Try:',
    `  curl -s ${auth} ${apiUrl}/v1/vehicles`,
    `  curl -s ${auth} '${apiUrl}/v1/vehicles/${vin}/signals?names=vehicleSpeed,soc,cellTemperatureMax'`,
    `  curl -s ${auth} '${apiUrl}/v1/alerts?open=true'`,
    `  curl -sN ${auth} ${apiUrl}/v1/alerts/stream`,
    '',
    'Ctrl-C stops everything; the data stays for the next start.',
    '',
  ].join('\n');
}

async function runStart(args: readonly string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: [...args], options, allowPositionals: false, strict: true });
  } catch (error) {
    throw new CliUsageError((error as Error).message);
  }
  const v = parsed.values;
  const simulate = v['no-simulator'] !== true;
  const vehicles = integer(v.vehicles, '--vehicles', 3, 1, 200);
  const faultAfterS = integer(v['fault-after'], '--fault-after', 20, 0, 3600);
  const t0 = Date.now();
  const say = (line: string): void => void io.stdout.write(`${line}\n`);
  const step = (line: string): void => say(`[${seconds(Date.now() - t0).padStart(6)}] ${line}`);
  const detail = (line: string): void => say(`${' '.repeat(11)}${line}`);
  const signal = firstSignal(io);
  const log = createLogger({ service: 'telltale-start', level: 'warn', destination: 2 });

  let broker: EmbeddedBroker | undefined;
  let pool: Pool | undefined;
  let services: StartedService[] = [];
  let fleet: RunningFleet | undefined;
  let startedKafka = false;
  let alertWatch: NodeJS.Timeout | undefined;
  const dataDir = resolve(io.cwd, io.env.TELLTALE_DATA_DIR || join(repoRoot(), '.telltale'));
  const pidFile = join(dataDir, PID_FILE);
  let ownsPidFile = false;

  const shutdown = async (): Promise<boolean> => {
    const s0 = Date.now();
    let clean = true;
    if (alertWatch) clearInterval(alertWatch);
    if (fleet) {
      const summaries = await fleet.stop().catch(() => []);
      const acked = summaries.reduce((n, s) => n + s.batchesAcked, 0);
      step(`Simulator stopped (${acked} batches acknowledged).`);
    }
    if (services.length > 0) {
      const stopped = await stopServices(services, SERVICE_STOP_BUDGET_MS, (name, ms, error) =>
        detail(
          `${name.padEnd(11)} ${error ? `did not stop: ${(error as Error).message}` : 'stopped'} (${seconds(ms)})`,
        ),
      );
      clean = stopped && clean;
      step(`Services stopped${stopped ? '' : ' (not all cleanly)'}.`);
    }
    if (broker) await broker.close();
    if (pool) await pool.end().catch(() => undefined);
    if (startedKafka && v['keep-kafka'] !== true) {
      step('Stopping the Kafka broker this command started (--keep-kafka leaves it running).');
      await stopKafka(io.env, detail);
    }
    if (ownsPidFile) await rm(pidFile, { force: true });
    step(`Stopped in ${seconds(Date.now() - s0)}${clean ? '' : ' (with errors, above)'}.`);
    return clean;
  };

  try {
    say('Telltale: the whole pipeline in one process (Ctrl-C stops it).');
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
    await claimPidFile(pidFile);
    ownsPidFile = true;
    step('Infrastructure (deploy/local)');
    const infra = await bringUpInfrastructure(io.env, detail);
    startedKafka = infra.startedKafka;
    let mqttUrl = infra.mqttUrl;
    const instance = v.instance ?? (io.env.TELLTALE_INSTANCE?.trim() || undefined);
    if (mqttUrl === undefined || v['embedded-broker'] === true) {
      const port = integer(
        io.env.MQTT_EMBEDDED_PORT,
        'MQTT_EMBEDDED_PORT',
        endpointOf(io.env.MQTT_URL || 'mqtt://127.0.0.1:1883', 1883).port,
        1,
        65535,
      );
      const host = io.env.MQTT_EMBEDDED_HOST || '127.0.0.1';
      broker = await startEmbeddedBroker({ host, port, topicPrefix: instance ? `${instance}/` : '' });
      mqttUrl = broker.url;
      detail(
        `${infra.mqttUrl === undefined ? 'No MQTT broker answers' : '--embedded-broker'}: ` +
          `serving MQTT in this process (aedes) on ${host}:${port}.`,
      );
    }
    const settings = startSettings(io.env, {
      instance,
      apiPort: v['api-port'],
      mqttUrl,
      embeddedBroker: broker !== undefined,
      dataDir,
    });
    if (await portOpen('127.0.0.1', settings.apiPort, 300))
      throw new TelltaleError(
        'PORT_IN_USE',
        `Port ${settings.apiPort} is already in use (another npm start?); stop it or pass --api-port.`,
      );
    if (settings.instance)
      detail(`Instance ${settings.instance}: schema ${settings.databaseSchema}, topics ${settings.kafkaTopicPrefix}*.`);

    step(`Database schema ${settings.databaseSchema}: migrations`);
    const db = loadConfig(postgresConfig, settings.env);
    pool = createPgPool({
      url: db.databaseUrl,
      schema: settings.databaseSchema,
      max: 2,
      applicationName: 'telltale-start',
    });
    const { applied } = await migrate(pool, { schema: settings.databaseSchema });
    detail(applied.length === 0 ? 'up to date' : `applied ${applied.length}: ${applied.join(', ')}`);

    step('Kafka topics');
    const kafkaSettings = loadConfig(kafkaConfig, settings.env);
    const admin = createKafkaClient({
      brokers: kafkaSettings.kafkaBrokers,
      clientId: `${kafkaSettings.kafkaClientId}-start`,
      log,
    }).admin();
    await admin.connect();
    try {
      const specs = platformTopicSpecs(kafkaSettings);
      const { created } = await ensureTopics(admin, specs);
      detail(`${specs.length} topics (${created.length} created): ${specs.map((s) => s.topic).join(', ')}`);
    } finally {
      await admin.disconnect();
    }

    step('Rules and admin key');
    const [, key] = await settledAll([
      applyExampleRules(settings, io).then((line) => detail(line)),
      ensureAdminKey(pool, join(dataDir, ADMIN_KEY_FILE)),
      applyExampleFeatureSets(pool, io).then((line) => detail(line)),
    ]);
    if (key.created) {
      step(`Admin API key created, shown this once (also in ${key.file}, mode 0600):`);
      detail(key.token);
    } else step(`Admin API key: ${key.file}`);
    const apiUrl = `http://127.0.0.1:${settings.apiPort}`;

    let prepared: PreparedFleet | undefined;
    if (simulate) {
      step('Simulated fleet: models and registrations');
      prepared = await prepareSimulatedFleet({
        env: settings.env,
        cwd: repoRoot(),
        parts: planFleet(vehicles, faultAfterS),
        mqttUrl,
        topicPrefix: settings.mqttTopicPrefix,
        log,
      });
      for (const line of prepared.description) detail(line);
    }

    step('Services');
    services = await startServices(settings, (name, ms) =>
      detail(`${name.padEnd(11)} started in ${seconds(ms)}, ops http://127.0.0.1:${opsPort(settings, name)}/metrics`),
    );

    if (prepared) {
      step(`Simulated fleet → ${mqttUrl}`);
      fleet = prepared.start();
    }

    await waitFor('the API at /healthz', 30_000, async () =>
      (await fetch(`${apiUrl}/healthz`)).ok ? true : undefined,
    );
    if (prepared) {
      const vins = prepared.vins;
      const stored = await waitFor('a decoded signal of a simulated vehicle in the store', 60_000, async () => {
        const { rows } = await pool!.query<{ n: string }>(
          'SELECT count(*) AS n FROM signal_latest WHERE vin = ANY($1) AND receive_time_ms >= $2',
          [vins, t0],
        );
        const n = Number(rows[0]?.n ?? 0);
        return n > 0 ? n : undefined;
      });
      step(`Ready in ${seconds(Date.now() - t0)}: API answering, ${stored} signals received since the start stored.`);
      let seen = false;
      alertWatch = setInterval(() => {
        if (seen) return;
        fetch(`${apiUrl}/v1/alerts?limit=1&from=${t0}`, { headers: { authorization: `Bearer ${key.token}` } })
          .then(async (response) => {
            const body = (await response.json()) as { alerts?: AlertJson[] };
            const alert = body.alerts?.[0];
            if (alert && !seen) {
              seen = true;
              step(`First alert: ${alert.severity} ${alert.ruleId} on ${alert.vin}: ${alert.message}`);
            }
          })
          .catch(() => undefined);
      }, 2000);
      alertWatch.unref();
    } else {
      step(`Ready in ${seconds(Date.now() - t0)}: API answering; waiting for T-Boxes on ${mqttUrl}.`);
    }
    say(whereToLook(settings, key.file, prepared?.vins ?? [], apiUrl));

    const received = await signal.promise;
    say('');
    step(`${received}: stopping (again to exit at once).`);
    return (await shutdown()) ? 0 : 1;
  } catch (error) {
    const message = isTelltaleError(error) ? `[${error.code}] ${error.message}` : (error as Error).message;
    step(`Start failed: ${message}`);
    await shutdown();
    throw error;
  } finally {
    signal.dispose();
    // Whatever a library leaves behind (a timer, a socket) must not keep a stopped pipeline's process alive.
    setTimeout(() => process.exit(process.exitCode ?? 0), 2000).unref();
  }
}

export const startCommands: readonly Command[] = [
  {
    path: ['start'],
    summary: 'Run the whole pipeline in one process with a simulated fleet (what `npm start` runs)',
    usage,
    run: runStart,
  },
];
