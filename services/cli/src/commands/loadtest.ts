import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { parseArgs } from 'node:util';
import { createLogger, kafkaConfig, loadConfig } from '@telltale/platform';
import { createPgPool, migrate, postgresConfig } from '@telltale/platform/db';
import { createKafkaClient, topicName } from '@telltale/platform/kafka';
import { CliUsageError, type CliIo, type Command } from '../command.js';
import { repoRoot } from '../lib/repo.js';
import { AURORA } from '../all-in-one/simulated-fleet.js';
import { opsPort, SERVICES, startSettings } from '../all-in-one/settings.js';
import { KafkaOffsets } from '../loadtest/adapters/kafka-offsets.js';
import { ensureProbeRule, Probe } from '../loadtest/adapters/probe.js';
import { freePortRange, spawnPipeline, type SpawnedPipeline } from '../loadtest/adapters/spawned-pipeline.js';
import { parseSteps, stepsSeconds, type LoadPlan } from '../loadtest/domain/plan.js';
import { renderHtml } from '../loadtest/domain/report-html.js';
import { summaryText } from '../loadtest/domain/summary.js';
import { runLoadTest, type LoadTestTarget } from '../loadtest/run-loadtest.js';
import { clockSeqStart } from '../all-in-one/simulated-fleet.js';

const usage = `Usage: telltale loadtest [options]

Drives a running pipeline with simulated vehicles at increasing rates (one step per fleet size, each vehicle
sending its model's full CAN traffic), measures each stage's throughput (the services' /metrics), consumer lag per
group (Kafka offsets), publish → decoded / → stored / → alert latency (a probe vehicle) and CPU and memory per
process, finds the highest rate the pipeline holds (publish → stored p99 ≤ --budget-ms and no consumer group
falling behind) and writes <out>/loadtest.json and a self-contained <out>/loadtest.html. Progress on stderr; a
summary on stdout. Exit code 0 when the first step held, 3 when none did.

Target (default: the pipeline \`npm start\` runs, on its fixed ports):
  --start               start the pipeline under test: \`telltale start --no-simulator\` as an isolated instance
                        (own schema, topics, Redis keys, MQTT topics, free API and ops ports) in a child process,
                        stopped at the end; its data stays (schema telltale_<instance>)
  --instance NAME       the instance to test, as \`npm start -- --instance NAME\` (with --start: its name,
                        default loadtest_<time>)
  --mqtt-url URL        the broker the gateway reads (default MQTT_URL or mqtt://127.0.0.1:1883)
  --mqtt-topic-prefix P prefix of <P>tbox/<vin>/telemetry (default: the instance's)
  --ops LIST            service=url of each /metrics, comma-separated (default: 127.0.0.1, TELLTALE_OPS_PORT_BASE
                        (9100) + 1 gateway … 6 api, as \`telltale start\` and each service alone use)
  Kafka, PostgreSQL: KAFKA_BROKERS, KAFKA_TOPIC_PREFIX, DATABASE_URL, DATABASE_SCHEMA and the *_GROUP variables,
  as the services read them. Devices connect anonymously: the gateway must allow it (GATEWAY_ALLOW_ANONYMOUS).

Load:
  --steps LIST          vehicles per step, increasing (default 1,2,4,8)
  --model ID            vehicle model of the simulated fleet (default ${AURORA})
  --step-seconds S      length of each step (default 30)
  --warmup-seconds S    not measured at the start of each step (default 8)
  --rate R              batches per vehicle per second (default 1)
  --budget-ms MS        publish → stored p99 a step must hold (default 500)
  --continue            keep stepping up after a step that did not hold
  --max-seconds S       hard bound on the whole run, start-up and drain included
                        (default steps × step-seconds + 150)
  --probe-interval-ms N pause between probes (default 200)
  --probe-timeout-ms N  a probe not stored by then is lost and fails its step (default 5000)
  --out DIR             where the report goes (default loadtest-report)`;

const options = {
  start: { type: 'boolean' },
  instance: { type: 'string' },
  'mqtt-url': { type: 'string' },
  'mqtt-topic-prefix': { type: 'string' },
  ops: { type: 'string' },
  steps: { type: 'string' },
  model: { type: 'string' },
  'step-seconds': { type: 'string' },
  'warmup-seconds': { type: 'string' },
  rate: { type: 'string' },
  'budget-ms': { type: 'string' },
  continue: { type: 'boolean' },
  'max-seconds': { type: 'string' },
  'probe-interval-ms': { type: 'string' },
  'probe-timeout-ms': { type: 'string' },
  out: { type: 'string' },
} as const;

function number(value: string | undefined, name: string, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < min || n > max)
    throw new CliUsageError(`${name} must be a number in ${min}..${max}, got "${value}"`);
  return n;
}

function parseOps(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of text.split(',')) {
    const [name, url] = part.split('=', 2).map((s) => s.trim());
    if (!name || !url || !/^https?:\/\//.test(url))
      throw new CliUsageError(`--ops entry "${part}" must be service=http://host:port/metrics`);
    out[name] = url;
  }
  return out;
}

const GROUP_VARIABLES = [
  ['decoder', 'DECODER_GROUP', 'frames'],
  ['store', 'STORE_GROUP', 'signals'],
  ['diagnostics', 'DIAGNOSTICS_GROUP', 'signals'],
  ['archive', 'ARCHIVE_GROUP', 'signals'],
  ['notifier', 'NOTIFIER_GROUP', 'alerts'],
] as const;

async function runLoadtestCommand(args: readonly string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: [...args], options, allowPositionals: false, strict: true });
  } catch (error) {
    throw new CliUsageError((error as Error).message);
  }
  const v = parsed.values;
  const t0 = Date.now();
  const steps = parseSteps(v.steps ?? '1,2,4,8');
  if (typeof steps === 'string') throw new CliUsageError(`--steps: ${steps}`);
  const stepSeconds = number(v['step-seconds'], '--step-seconds', 30, 3, 3600);
  const plan: LoadPlan = {
    modelId: v.model ?? AURORA,
    steps,
    stepSeconds,
    warmupSeconds: number(
      v['warmup-seconds'],
      '--warmup-seconds',
      Math.min(8, Math.round(stepSeconds / 3)),
      0,
      stepSeconds - 1,
    ),
    rateHz: number(v.rate, '--rate', 1, 0.1, 10),
    maxSeconds: number(v['max-seconds'], '--max-seconds', stepsSeconds({ steps, stepSeconds }) + 150, 10, 86400),
    budgetMs: number(v['budget-ms'], '--budget-ms', 500, 1, 60_000),
    continueAfterFailure: v.continue === true,
  };
  const bound = { deadlineMs: t0 + plan.maxSeconds * 1000 };
  const probeIntervalMs = number(v['probe-interval-ms'], '--probe-interval-ms', 200, 0, 60_000);
  const probeTimeoutMs = number(v['probe-timeout-ms'], '--probe-timeout-ms', 5000, 100, 60_000);
  const outDir = resolve(io.cwd, v.out ?? 'loadtest-report');
  const log = createLogger({ service: 'telltale-loadtest', level: io.env.LOG_LEVEL === 'debug' ? 'debug' : 'warn' });
  const tty = (io.stderr as { isTTY?: boolean }).isTTY === true;
  let lastPrinted = 0;
  const progress = (line: string): void => {
    if (tty) io.stderr.write(`\r\x1b[2K${line}`);
    else if (Date.now() - lastPrinted > 5000) {
      lastPrinted = Date.now();
      io.stderr.write(`${line}\n`);
    }
  };
  const say = (line: string): void => void io.stderr.write(`${tty ? '\r\x1b[2K' : ''}${line}\n`);

  const instance = v.instance ?? (v.start ? `loadtest_${Date.now().toString(36)}` : undefined);
  let apiPort: number | undefined;
  let env = io.env;
  if (v.start) {
    const base = await freePortRange(SERVICES.length + 1);
    apiPort = base + SERVICES.length + 1;
    env = { ...io.env, TELLTALE_OPS_PORT_BASE: String(base) };
  }
  const mqttUrl = v['mqtt-url'] ?? (env.MQTT_URL?.trim() || 'mqtt://127.0.0.1:1883');
  const settings = startSettings(env, {
    instance,
    apiPort: apiPort === undefined ? undefined : String(apiPort),
    mqttUrl,
    embeddedBroker: false,
  });
  const kafkaSettings = loadConfig(kafkaConfig, settings.env);
  const db = loadConfig(postgresConfig, settings.env);
  const ops =
    v.ops !== undefined
      ? parseOps(v.ops)
      : Object.fromEntries(SERVICES.map((s) => [s, `http://127.0.0.1:${opsPort(settings, s)}/metrics`]));
  const topics = {
    frames: topicName('frames', kafkaSettings.kafkaTopicPrefix),
    signals: topicName('signals', kafkaSettings.kafkaTopicPrefix),
    alerts: topicName('alerts', kafkaSettings.kafkaTopicPrefix),
  };
  const target: LoadTestTarget = {
    description: v.start
      ? `telltale start (all-in-one, instance ${instance}) started by the load test`
      : instance
        ? `the running pipeline of instance ${instance}`
        : 'the running pipeline (npm start / telltale services)',
    mqttUrl,
    uplinkTopicPrefix: v['mqtt-topic-prefix'] ?? settings.mqttTopicPrefix,
    kafkaBrokers: kafkaSettings.kafkaBrokers,
    topicPrefix: kafkaSettings.kafkaTopicPrefix,
    topics,
    databaseSchema: settings.databaseSchema,
    ops,
    // Each service prefixes its group with the topic prefix, as here.
    groups: GROUP_VARIABLES.map(([service, variable, topic]) => {
      const group = settings.env[variable]?.trim() || `telltale-${service}`;
      const prefix = kafkaSettings.kafkaTopicPrefix;
      return { group: prefix === '-' ? group : `${prefix}${group}`, topic: topics[topic] };
    }),
  };

  const sim = await import('@telltale/simulator');
  const model = await sim.loadSimModel(plan.modelId, repoRoot(), settings.env);
  const probeModel = await sim.loadSimModel(AURORA, repoRoot(), settings.env);
  const maxVehicles = steps[steps.length - 1]!;
  const identities = sim.simulatedIdentities('loadtest', model.catalog.modelId, maxVehicles);
  const [probeIdentity] = sim.simulatedIdentities('loadtest-probe', AURORA, 1);
  const fleetId = sim.simulatedFleetId('loadtest');
  const pool = createPgPool({ url: db.databaseUrl, schema: settings.databaseSchema, max: 3 });
  let pipeline: SpawnedPipeline | undefined;
  let probe: Probe | undefined;
  const kafka = createKafkaClient({ brokers: kafkaSettings.kafkaBrokers, clientId: 'telltale-loadtest', log });
  const admin = kafka.admin();
  const groupId = `telltale-loadtest-${Date.now().toString(36)}`;
  // Ctrl-C ends the run early (the step in progress is cut, the report written, a started pipeline stopped);
  // a second one exits at once.
  let interrupted = false;
  const onSignal = (): void => {
    if (interrupted) process.exit(130);
    interrupted = true;
    bound.deadlineMs = Date.now();
    say('Interrupted: finishing the report (again to exit at once).');
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    say(`Registering ${maxVehicles} × ${plan.modelId} and a probe vehicle in schema ${settings.databaseSchema}.`);
    await migrate(pool, { schema: settings.databaseSchema });
    for (const [m, ids] of [
      [model, identities],
      [probeModel, [probeIdentity!]],
    ] as const)
      await sim.provisionFleet({
        env: settings.env,
        identities: ids,
        fleetId,
        modelId: m.catalog.modelId,
        catalogVersion: m.catalog.catalogVersion,
        brokerSync: false,
      });
    await ensureProbeRule(pool, probeIdentity!.vin);
    if (v.start) {
      say(`Starting telltale start --no-simulator --instance ${instance} (API ${apiPort}) ...`);
      pipeline = await spawnPipeline({
        instance: instance!,
        apiPort: apiPort!,
        opsPortBase: settings.opsPortBase,
        dataDir: join(tmpdir(), `telltale-${instance}`),
        env,
        timeoutMs: Math.min(180_000, Math.max(10_000, bound.deadlineMs - Date.now() - stepSeconds * 1000)),
      });
      say(`Pipeline ready (process ${pipeline.pid}).`);
    }
    await admin.connect();
    const offsets = new KafkaOffsets(admin);
    const partitions = (await offsets.endOffsets(topics.signals)).size;
    probe = await Probe.start({
      kafka,
      pool,
      catalog: probeModel.catalog,
      vin: probeIdentity!.vin,
      deviceId: probeIdentity!.deviceId,
      mqttUrl,
      uplinkTopic: sim.uplinkTopic(target.uplinkTopicPrefix, probeIdentity!.vin),
      signalsTopic: topics.signals,
      alertsTopic: topics.alerts,
      partitions,
      groupId,
      seqStart: clockSeqStart(),
      log,
    });
    const command = ['npx telltale loadtest', ...args].join(' ');
    const report = await runLoadTest({
      plan,
      target,
      model,
      identities,
      probe,
      offsets,
      pool,
      partitions,
      runName: `loadtest-${settings.instance ?? 'default'}`,
      command,
      get deadlineMs() {
        return bound.deadlineMs;
      },
      probeIntervalMs,
      probeTimeoutMs,
      log,
      progress,
      say,
    });
    await mkdir(outDir, { recursive: true });
    await writeFile(join(outDir, 'loadtest.json'), `${JSON.stringify(report, null, 2)}\n`);
    await writeFile(join(outDir, 'loadtest.html'), renderHtml(report));
    say('');
    io.stdout.write(`${summaryText(report)}\nReport: ${join(outDir, 'loadtest.html')} (and loadtest.json)\n`);
    return report.highest ? 0 : 3;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await probe?.stop();
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
    if (pipeline) {
      say('Stopping the pipeline under test ...');
      const code = await pipeline.stop();
      if (code !== 0) say(`telltale start exited with ${code}:\n${pipeline.output()}`);
    }
    await pool.end();
  }
}

export const loadtestCommands: readonly Command[] = [
  {
    path: ['loadtest'],
    summary: 'Load-test a pipeline at increasing rates; report throughput, lag, latency, CPU (HTML + JSON)',
    usage,
    run: runLoadtestCommand,
  },
];
