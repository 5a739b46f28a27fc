/**
 * Gateway throughput benchmark: the sustained rate of QoS 1 uplink batches the gateway takes from the broker and
 * writes to Kafka (inspect, dedupe in Redis, one Kafka produce per flush, acknowledgement).
 *
 *   npx tsx bench/gateway.ts [--seconds 20] [--connections 64] [--inflight 64] [--frames 10]
 *                            [--gateway-connections 64] [--linger-ms 2] [--partitions 6] [--warmup 5] [--gateways 1]
 *
 * Set-up, all in unique names (schema, topics, MQTT topic prefix, Redis prefix, removed afterwards): `--connections`
 * simulated vehicles are provisioned in the registry; the gateway runs as a child process
 * (`node services/cli/bin/telltale.js gateway`, its own event loop, configured by environment only:
 * MQTT_CONNECTIONS = --gateway-connections, FLUSH_LINGER_MS = --linger-ms; `--gateways N` starts N instances in
 * one shared-subscription group, as a scaled-out deployment would) against the system Mosquitto on
 * 127.0.0.1:1883 (anonymous), Redis and Kafka; this process floods it (`telltale simulate --flood` machinery) over
 * one MQTT connection per vehicle with `--inflight` publishes in flight each.
 *
 * The broker acknowledges a publish when it has it; the gateway's rate is read from its own counter
 * (gateway_batches_total{outcome="accepted"} on /metrics, polled every 100 ms), and the flood is throttled when the
 * broker holds more than --backlog acknowledged-but-unwritten messages (Mosquitto drops QoS 1 messages past a
 * subscriber's max_queued_messages). The figure is the accepted rate between the end of the warm-up and the end of
 * the flood. At the end every acknowledged batch must be in Kafka: the topic's record count (sum of high watermarks)
 * is compared with the broker's acknowledgements.
 *
 * The batches/s figure depends on what else runs on the machine (flood, Mosquitto and the gateway share its cores);
 * the gateway's CPU per batch (µs of CPU time per accepted batch) is the figure to compare variants by.
 * GATEWAY_NODE_FLAGS (e.g. `--max-semi-space-size=64`) passes V8/Node flags to the gateway processes only.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { createLogger } from '@telltale/platform';
import { createPgPool } from '@telltale/platform/db';
import { createKafkaClient } from '@telltale/platform/kafka';
import { uniqueName } from '@telltale/platform/testing';
import { floodSeqStart, loadSimModel, provisionFleet, runFlood, simulatedIdentities } from '@telltale/simulator';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '20' },
    warmup: { type: 'string', default: '5' },
    connections: { type: 'string', default: '64' },
    inflight: { type: 'string', default: '64' },
    frames: { type: 'string', default: '10' },
    'gateway-connections': { type: 'string', default: process.env.MQTT_CONNECTIONS ?? '64' },
    'linger-ms': { type: 'string', default: process.env.FLUSH_LINGER_MS ?? '2' },
    partitions: { type: 'string', default: '6' },
    gateways: { type: 'string', default: '1' },
    backlog: { type: 'string', default: '20000' },
    model: { type: 'string', default: 'aurora-ev-2026' },
    /** Write a V8 CPU profile of the gateway into this directory. */
    profile: { type: 'string' },
  },
});
const seconds = Number(values.seconds);
const warmupS = Number(values.warmup);
const connections = Number(values.connections);
const inflight = Number(values.inflight);
const framesPerBatch = Number(values.frames);
const gatewayConnections = Number(values['gateway-connections']);
const lingerMs = Number(values['linger-ms']);
const partitions = Number(values.partitions);
const gatewayCount = Number(values.gateways);
const backlogLimit = Number(values.backlog);
const command = [
  `npx tsx bench/gateway.ts --seconds ${seconds} --warmup ${warmupS} --connections ${connections}`,
  `--inflight ${inflight} --frames ${framesPerBatch} --gateway-connections ${gatewayConnections}`,
  `--linger-ms ${lingerMs} --partitions ${partitions}`,
  ...(gatewayCount > 1 ? [`--gateways ${gatewayCount}`] : []),
  ...(backlogLimit !== 20000 ? [`--backlog ${backlogLimit}`] : []),
].join(' ');

const MQTT_URL = 'mqtt://127.0.0.1:1883';
const KAFKA_BROKERS = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const run = uniqueName('benchgw');
const log = createLogger({ service: 'bench', level: 'warn', destination: 2 });
const say = (line: string): void => void process.stderr.write(`${line}\n`);

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** CPU seconds (user + system) a process has used, from /proc (Linux). */
function cpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return NaN;
  }
}

/** CPU seconds of every process with this command name (the infrastructure beside the gateway). */
function cpuSecondsOf(name: string): number {
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === name) total += cpuSeconds(Number(entry));
    } catch {
      // the process ended meanwhile
    }
  }
  return total;
}

const INFRASTRUCTURE = ['mosquitto', 'java', 'redis-server'] as const;
const infraCpu = (): number[] => INFRASTRUCTURE.map(cpuSecondsOf);

/** Whole-machine busy fraction between two /proc/stat samples. */
function machineTicks(): { busy: number; total: number } {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const idle = (cpu[3] ?? 0) + (cpu[4] ?? 0);
  const total = cpu.reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

async function metric(opsUrl: string, pattern: RegExp): Promise<number> {
  const text = await (await fetch(`${opsUrl}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    const m = pattern.exec(line);
    if (m) sum += Number(m[1]);
  }
  return sum;
}
const ACCEPTED = /^telltale_gateway_batches_total\{outcome="accepted"[^}]*\} (\d+(?:\.\d+)?(?:e\+\d+)?)$/;
const FLUSH_SUM = /^telltale_gateway_flush_messages_sum\{[^}]*\} (\S+)$/;
const FLUSH_COUNT = /^telltale_gateway_flush_messages_count\{[^}]*\} (\S+)$/;
const FLUSH_SECONDS_SUM = /^telltale_gateway_flush_seconds_sum\{[^}]*\} (\S+)$/;
const FLUSH_SECONDS_COUNT = /^telltale_gateway_flush_seconds_count\{[^}]*\} (\S+)$/;

async function main(): Promise<void> {
  say(
    `gateway benchmark ${run}: ${connections} publishers × ${inflight} in flight, ${framesPerBatch} frames/batch, ` +
      `gateway MQTT_CONNECTIONS=${gatewayConnections} FLUSH_LINGER_MS=${lingerMs}, ${partitions} partitions`,
  );
  const model = await loadSimModel(values.model, root);
  const identities = simulatedIdentities(run, model.catalog.modelId, connections);
  const env = { ...process.env, DATABASE_URL, DATABASE_SCHEMA: run };
  await provisionFleet({
    env,
    identities,
    fleetId: 'bench',
    modelId: model.catalog.modelId,
    catalogVersion: model.catalog.catalogVersion,
    brokerSync: false,
  });

  const profile = values.profile === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${path.resolve(values.profile)}`];
  const nodeFlags = (process.env.GATEWAY_NODE_FLAGS ?? '').split(' ').filter((f) => f !== '');
  const gateways: { process: ChildProcess; opsUrl: string; exited: Promise<number | null> }[] = [];
  for (let g = 0; g < gatewayCount; g++) {
    const opsPort = await freePort();
    const gatewayEnv = {
      ...env,
      KAFKA_BROKERS: KAFKA_BROKERS.join(','),
      KAFKA_TOPIC_PREFIX: `${run}.`,
      KAFKA_PARTITIONS: String(partitions),
      MQTT_URL,
      GATEWAY_ALLOW_ANONYMOUS: 'true', // the bench floods the development broker
      MQTT_UPLINK_TOPIC: `${run}/tbox/+/telemetry`,
      MQTT_SHARE_GROUP: run,
      MQTT_CONNECTIONS: String(gatewayConnections),
      MQTT_CLIENT_ID_PREFIX: `${run}-g${g}`,
      FLUSH_LINGER_MS: String(lingerMs),
      REDIS_URL,
      REDIS_KEY_PREFIX: `${run}:`,
      LOG_LEVEL: 'warn',
      OPS_HOST: '127.0.0.1',
      OPS_PORT: String(opsPort),
    };
    const child = spawn(
      process.execPath,
      [...profile, ...nodeFlags, path.join(root, 'services/cli/bin/telltale.js'), 'gateway'],
      { env: gatewayEnv, stdio: ['ignore', 'inherit', 'inherit'] },
    );
    gateways.push({
      process: child,
      opsUrl: `http://127.0.0.1:${opsPort}`,
      exited: new Promise((resolve) => child.once('exit', resolve)),
    });
  }
  const sumMetric = async (pattern: RegExp): Promise<number> =>
    (await Promise.all(gateways.map((g) => metric(g.opsUrl, pattern)))).reduce((a, b) => a + b, 0);
  const gatewayCpuSeconds = (): number => gateways.reduce((sum, g) => sum + cpuSeconds(g.process.pid!), 0);
  const kafka = createKafkaClient({ brokers: KAFKA_BROKERS, clientId: run, log });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const deadline = Date.now() + 60_000;
    for (const g of gateways) {
      for (;;) {
        const ok = await fetch(`${g.opsUrl}/healthz`).then(
          (r) => r.ok,
          () => false,
        );
        if (ok) break;
        if (Date.now() > deadline || g.process.exitCode !== null)
          throw new Error('the gateway did not become healthy within 60 s');
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
    say(`gateway${gatewayCount > 1 ? 's' : ''} up (pid ${gateways.map((g) => g.process.pid).join(', ')})`);

    // Poll the gateway's accepted counter: the throttle's input and the measurement.
    let accepted = await sumMetric(ACCEPTED);
    const samples: { at: number; accepted: number }[] = [];
    let polling = true;
    const poller = (async () => {
      while (polling) {
        accepted = await sumMetric(ACCEPTED).catch(() => accepted);
        samples.push({ at: performance.now(), accepted });
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();

    const startedAt = performance.now();
    const measureFrom = startedAt + warmupS * 1000;
    let cpuAtWarmup:
      { gateway: number; self: number; infra: number[]; machine: ReturnType<typeof machineTicks> } | undefined;
    const cpuTimer = setTimeout(() => {
      cpuAtWarmup = {
        gateway: gatewayCpuSeconds(),
        self: process.cpuUsage().user / 1e6 + process.cpuUsage().system / 1e6,
        infra: infraCpu(),
        machine: machineTicks(),
      };
    }, warmupS * 1000);
    const flood = await runFlood({
      model,
      identities,
      seed: run,
      mqttUrl: MQTT_URL,
      topicPrefix: `${run}/`,
      anonymous: true,
      durationS: warmupS + seconds,
      framesPerBatch,
      maxInflight: inflight,
      seqStart: floodSeqStart(),
      clientIdPrefix: `${run}-`,
      log,
      backlog: (acked) => acked - accepted,
      backlogLimit,
      onProgress: (p) =>
        say(
          `  ${p.elapsedS.toFixed(0).padStart(3)} s: ` +
            `broker acks ${Math.round(p.ackedPerS).toLocaleString('en-US')}/s, ` +
            `gateway accepted ${accepted.toLocaleString('en-US')}, ` +
            `backlog ${(p.acked - accepted).toLocaleString('en-US')}${p.throttled ? ' (throttled)' : ''}`,
        ),
    });
    const endedAt = performance.now();
    clearTimeout(cpuTimer);
    const cpuAtEnd = {
      gateway: gatewayCpuSeconds(),
      self: process.cpuUsage().user / 1e6 + process.cpuUsage().system / 1e6,
      infra: infraCpu(),
      machine: machineTicks(),
    };

    // Drain: everything the broker acknowledged reaches Kafka.
    const drainDeadline = Date.now() + 120_000;
    while (accepted < flood.acked && Date.now() < drainDeadline)
      await new Promise((resolve) => setTimeout(resolve, 100));
    polling = false;
    await poller;

    const at = (t: number): number => {
      let value = samples[0]?.accepted ?? 0;
      for (const s of samples) if (s.at <= t) value = s.accepted;
      return value;
    };
    const windowS = (endedAt - measureFrom) / 1000;
    const sustained = (at(endedAt) - at(measureFrom)) / windowS;
    const perSecond: number[] = [];
    for (let t = measureFrom + 1000; t <= endedAt; t += 1000) perSecond.push(at(t) - at(t - 1000));
    perSecond.sort((a, b) => a - b);

    const topic = `${run}.tbox.frames.v1`;
    const dlq = `${run}.tbox.frames.dlq.v1`;
    const count = async (name: string): Promise<number> =>
      (await admin.fetchTopicOffsets(name)).reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
    const inKafka = await count(topic);
    const deadLetters = await count(dlq);
    const flushCount = Math.max(1, await sumMetric(FLUSH_COUNT));
    const flushAvg = (await sumMetric(FLUSH_SUM)) / flushCount;
    const flushSeconds = (await sumMetric(FLUSH_SECONDS_SUM)) / Math.max(1, await sumMetric(FLUSH_SECONDS_COUNT));
    const machine = cpuAtWarmup
      ? (cpuAtEnd.machine.busy - cpuAtWarmup.machine.busy) / (cpuAtEnd.machine.total - cpuAtWarmup.machine.total)
      : NaN;
    const gatewayCpu = cpuAtWarmup ? (cpuAtEnd.gateway - cpuAtWarmup.gateway) / windowS : NaN;
    const floodCpu = cpuAtWarmup ? (cpuAtEnd.self - cpuAtWarmup.self) / windowS : NaN;
    const infra = INFRASTRUCTURE.map(
      (name, i) =>
        `${name === 'java' ? 'kafka' : name} ` +
        `${cpuAtWarmup ? (((cpuAtEnd.infra[i]! - cpuAtWarmup.infra[i]!) / windowS) * 100).toFixed(0) : '?'} %`,
    ).join(', ');

    const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
    const verdict = inKafka === flood.acked && deadLetters === 0 ? 'OK' : 'MISMATCH';
    process.stdout.write(
      [
        '',
        `Gateway throughput (QoS 1, ack after the Kafka write), ${windowS.toFixed(1)} s after a ${warmupS} s ` +
          `warm-up, node ${process.version}:`,
        `  sustained        ${fmt(sustained)} batches/s, ${fmt(sustained * flood.framesPerBatch)} frames/s ` +
          `(${flood.framesPerBatch} frames, ${flood.payloadBytes} bytes per batch)`,
        `  per second       min ${fmt(perSecond[0] ?? NaN)}, ` +
          `median ${fmt(perSecond[Math.floor(perSecond.length / 2)] ?? NaN)}, ` +
          `max ${fmt(perSecond.at(-1) ?? NaN)} batches/s`,
        `  gateway flushes  ${flushAvg.toFixed(1)} messages per Kafka write, ${(flushSeconds * 1000).toFixed(1)} ms ` +
          'per flush (inspect, dedupe, produce, ack) on average',
        `  publish → PUBACK (broker) p50 ${flood.latencyMs.p50.toFixed(2)} ms, ` +
          `p99 ${flood.latencyMs.p99.toFixed(2)} ms`,
        `  CPU              gateway${gatewayCount > 1 ? `s (${gatewayCount})` : ''} ` +
          `${(gatewayCpu * 100).toFixed(0)} % of a core ` +
          `(${((gatewayCpu / sustained) * 1e6).toFixed(1)} µs per batch), ` +
          `flood ${(floodCpu * 100).toFixed(0)} %, ${infra}; machine ${(machine * 100).toFixed(0)} % of ` +
          `${cpus().length} cores busy`,
        `  Kafka check      ${fmt(flood.acked)} batches acknowledged by the broker, ${fmt(inKafka)} records in ` +
          `${topic}, ${deadLetters} dead letters: ${verdict}`,
        `  reproduce        ${command}`,
        '',
      ].join('\n'),
    );
    process.exitCode = verdict === 'OK' ? 0 : 1;
  } finally {
    for (const g of gateways) g.process.kill('SIGTERM');
    await Promise.race([
      Promise.all(gateways.map((g) => g.exited)),
      new Promise((resolve) => setTimeout(resolve, 15_000)),
    ]);
    for (const g of gateways) if (g.process.exitCode === null) g.process.kill('SIGKILL');
    await admin.deleteTopics({ topics: [`${run}.tbox.frames.v1`, `${run}.tbox.frames.dlq.v1`] }).catch(() => undefined);
    await admin.disconnect();
    const pool = createPgPool({ url: DATABASE_URL, schema: run, max: 1 });
    await pool.query(`DROP SCHEMA IF EXISTS ${run} CASCADE`).catch(() => undefined);
    await pool.end();
    const redis = new Redis(REDIS_URL);
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${run}:*`, 'COUNT', 1000);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
    redis.disconnect();
  }
}

await main();
