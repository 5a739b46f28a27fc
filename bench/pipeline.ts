/**
 * Shared by the end-to-end benchmarks: a private pipeline (unique schema, topic prefix, MQTT topic prefix) whose
 * services run as separate processes as deployed, a probe T-Box that publishes one VCU_VehicleStatus frame at a
 * time, and the simulator as background load.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { Kafka, logLevel } from 'kafkajs';
import { TelemetryBatch } from '@telltale/platform/proto';
import { encodeMessage, loadCatalog, type Catalog } from '@telltale/catalog';
import { createPgPool, migrate, type Pool } from '@telltale/platform/db';
import { ensureTopics, platformTopicSpecs } from '@telltale/platform/kafka';
import { PgRegistry } from '@telltale/registry';
import { LOCAL, uniqueName } from '@telltale/platform/testing';

export const ROOT = join(import.meta.dirname, '..');
export const CLI = join(ROOT, 'services/cli/bin/telltale.js');
export const PROBE_VIN = 'LRW3E7FS1RC900001';

export interface Pipeline {
  readonly run: string;
  readonly prefix: string;
  readonly env: NodeJS.ProcessEnv;
  readonly pool: Pool;
  readonly catalog: Catalog;
  /** Signal id of powertrain/VCU_VehicleStatus/VCU_VehicleSpeed. */
  readonly speedId: number;
  service(name: string, extra?: string[]): ChildProcess;
  /** The processes started by service(), by name (the simulator is "simulate"). */
  readonly children: ReadonlyMap<string, ChildProcess>;
  /** Publishes one probe batch with this vehicle speed (QoS 1); resolves with the time just before publishing. */
  publishSpeed(speed: number): Promise<number>;
  /** Starts the simulator (provisioned, anonymous) with N aurora-ev-2026 vehicles for S seconds; waits `settleMs`. */
  simulate(vehicles: number, seconds: number, extra?: string[], settleMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export async function startPipeline(name: string): Promise<Pipeline> {
  const run = uniqueName(name);
  const prefix = `${run}.`;
  const mqttPrefix = `${run}/`;
  const catalog = await loadCatalog(join(ROOT, 'signal-catalog/aurora-ev-2026'));
  const status = catalog.buses[0]!.database.messages.find((m) => m.name === 'VCU_VehicleStatus')!;
  const speedId = catalog.byQualifiedName.get('powertrain/VCU_VehicleStatus/VCU_VehicleSpeed')!.id;
  const pool = createPgPool({ url: LOCAL.postgresUrl, schema: run, max: 2 });
  await migrate(pool, { schema: run });
  await new PgRegistry(pool).importVehicles([
    {
      line: 2,
      vin: PROBE_VIN,
      fleetId: 'probe',
      fleetName: undefined,
      modelId: catalog.modelId,
      catalogVersion: catalog.catalogVersion,
      deviceId: 'probe-tbox',
      deviceSecret: undefined,
    },
  ]);

  // The topics exist, with leaders, before the services start: services creating them at once raced (one saw a topic
  // another had just created, before its partitions had a leader, and exited with KAFKA_TOPIC_SETUP_FAILED).
  const admin = new Kafka({ brokers: [...LOCAL.kafkaBrokers], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  await ensureTopics(
    admin,
    platformTopicSpecs({ kafkaTopicPrefix: prefix, kafkaPartitions: 6, kafkaReplicationFactor: 1 }),
  );
  await admin.disconnect();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_SCHEMA: run,
    KAFKA_TOPIC_PREFIX: prefix,
    KAFKA_PARTITIONS: '6',
    LOG_LEVEL: 'warn',
    OPS_PORT: '0', // several services, and perhaps `npm start` beside: no fixed ports
    MQTT_URL: LOCAL.mqttUrl,
    GATEWAY_ALLOW_ANONYMOUS: 'true', // the development broker on 1883
    MQTT_UPLINK_TOPIC: `${mqttPrefix}tbox/+/telemetry`,
    MQTT_SHARE_GROUP: run,
    MQTT_CLIENT_ID_PREFIX: run,
    REDIS_KEY_PREFIX: `${run}:`,
    DECODER_INSTANCE_ID: run,
    REGISTRY_REFRESH_MS: '500',
    SECRETS_KEY: process.env.SECRETS_KEY ?? randomBytes(32).toString('base64'), // the API refuses to start without
  };
  const children = new Map<string, ChildProcess>();
  const kill = (): void => {
    for (const c of children.values()) c.kill('SIGTERM');
  };
  process.on('exit', kill);
  // BENCH_CPU_PROFILE=decoder,store (and a directory in BENCH_CPU_PROFILE_DIR, default .telltale/profiles): those
  // services run with node --cpu-prof and write a .cpuprofile when they stop (open it in Chrome DevTools).
  const profiled = new Set((process.env.BENCH_CPU_PROFILE ?? '').split(',').filter(Boolean));
  const profileDir = process.env.BENCH_CPU_PROFILE_DIR ?? join(ROOT, '.telltale/profiles');
  const service = (serviceName: string, extra: string[] = []): ChildProcess => {
    const profile = profiled.has(serviceName) ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
    const child = spawn(process.execPath, [...profile, CLI, serviceName, ...extra], {
      env,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    children.set(serviceName, child);
    return child;
  };

  const device = await mqtt.connectAsync(LOCAL.mqttUrl, { clientId: `${run}-probe` });
  let seq = 0;
  return {
    run,
    prefix,
    env,
    pool,
    catalog,
    speedId,
    service,
    children,
    publishSpeed: async (speed) => {
      seq += 1;
      const data = encodeMessage(status, { VCU_VehicleSpeed: speed });
      const payload = TelemetryBatch.encode({
        vin: PROBE_VIN,
        seq,
        deviceId: 'probe-tbox',
        baseTimeMsEpoch: Date.now(),
        frames: { timeOffsetUs: [0], bus: [0], canId: [status.frameId], flags: [0], length: [data.length], data },
      }).finish();
      const sent = Date.now();
      await device.publishAsync(`${mqttPrefix}tbox/${PROBE_VIN}/telemetry`, Buffer.from(payload), { qos: 1 });
      return sent;
    },
    simulate: async (vehicles, seconds, extra = [], settleMs = 8000) => {
      if (vehicles <= 0) return;
      process.stderr.write(`Starting the simulator with ${vehicles} vehicles ...\n`);
      service('simulate', [
        '--vehicles',
        String(vehicles),
        '--model',
        'aurora-ev-2026',
        '--provision',
        '--anonymous',
        '--topic-prefix',
        mqttPrefix,
        '--duration',
        String(seconds),
        '--seq-start',
        'clock',
        ...extra,
      ]);
      await new Promise((resolve) => setTimeout(resolve, settleMs)); // vehicles connect and reach steady state
    },
    close: async () => {
      await device.endAsync();
      kill();
      await new Promise((resolve) => setTimeout(resolve, 3000));
      await pool.query(`DROP SCHEMA ${run} CASCADE`);
      await pool.end();
    },
  };
}

export function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
}

export function summary(xs: readonly number[]): string {
  const [p50, p95, p99] = [percentile(xs, 50), percentile(xs, 95), percentile(xs, 99)];
  return `p50 ${p50} ms, p95 ${p95} ms, p99 ${p99} ms, max ${Math.max(...xs)} ms (n=${xs.length})`;
}

/** A histogram's cumulative bucket counts per label value, as scraped: label → [upper bound s, count][]. */
export type HistogramScrape = Map<string, [number, number][]>;

/** A service's /metrics text; empty when it cannot be read. */
export async function scrapeMetrics(url: string): Promise<string> {
  return fetch(url)
    .then((r) => (r.ok ? r.text() : ''))
    .catch(() => '');
}

/** A counter or gauge with one series (any constant labels) from /metrics text; NaN when absent. */
export function metricValue(text: string, name: string): number {
  const row = text.split('\n').find((r) => r.startsWith(`${name} `) || r.startsWith(`${name}{`));
  return row === undefined ? NaN : Number(row.slice(row.lastIndexOf(' ') + 1));
}

/** One histogram (`name`, by its label `label`) from /metrics text. */
export function histogramOf(text: string, name: string, label: string): HistogramScrape {
  const out: HistogramScrape = new Map();
  const prefix = `${name}_bucket{`;
  for (const row of text.split('\n')) {
    if (!row.startsWith(prefix)) continue;
    const close = row.indexOf('}');
    const labels = new Map(
      [...row.slice(prefix.length, close).matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!] as const),
    );
    const key = labels.get(label);
    const le = labels.get('le');
    if (key === undefined || le === undefined) continue;
    const list = out.get(key) ?? [];
    list.push([le === '+Inf' ? Infinity : Number(le), Number(row.slice(close + 1).trim())]);
    out.set(key, list);
  }
  return out;
}

/**
 * Quantiles (ms) of the observations between two scrapes of one label value, interpolated within a bucket as
 * Prometheus' histogram_quantile does; the last finite bound when the quantile falls into +Inf.
 */
export function histogramQuantiles(
  before: HistogramScrape,
  after: HistogramScrape,
  key: string,
  quantiles: readonly number[],
): { count: number; ms: number[] } {
  const a = after.get(key) ?? [];
  const b = new Map(before.get(key) ?? []);
  const buckets = a.map(([le, n]) => [le, n - (b.get(le) ?? 0)] as const).sort((x, y) => x[0] - y[0]);
  const count = buckets.at(-1)?.[1] ?? 0;
  const ms = quantiles.map((q) => {
    const rank = q * count;
    let lower = 0;
    let below = 0;
    for (const [le, n] of buckets) {
      if (n >= rank && n > 0) {
        if (le === Infinity) return lower * 1000;
        return (lower + ((le - lower) * (rank - below)) / Math.max(1, n - below)) * 1000;
      }
      if (le !== Infinity) lower = le;
      below = n;
    }
    return NaN;
  });
  return { count, ms };
}

/** CPU seconds (user + system) a process has used so far, from /proc (Linux); undefined elsewhere. */
export function cpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    // Fields after the command name (which may contain spaces): utime and stime are the 12th and 13th.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}
const CLOCK_TICKS = 100;

/**
 * CPU seconds used so far by every process whose command name is `name` (e.g. all PostgreSQL backends), from /proc.
 * Processes that end in between are not counted: a figure for long-lived servers.
 */
export function infraCpuSeconds(name: string): number | undefined {
  let total = 0;
  let found = false;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')) !== name) continue;
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      total += (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
      found = true;
    } catch {
      // the process ended while we looked
    }
  }
  return found ? total : undefined;
}

/** Records not yet processed (end offset − committed offset) per consumer group whose id starts with `prefix`. */
export async function consumerGroupLag(
  prefix: string,
  kafka: Kafka = new Kafka({ brokers: [...LOCAL.kafkaBrokers], logLevel: logLevel.NOTHING }),
): Promise<Map<string, number>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { groups } = await admin.listGroups();
    const lag = new Map<string, number>();
    for (const { groupId } of groups.filter((g) => g.groupId.startsWith(prefix))) {
      let total = 0;
      for (const { topic, partitions } of await admin.fetchOffsets({ groupId })) {
        const ends = new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, Number(p.high)]));
        for (const p of partitions) total += Math.max(0, (ends.get(p.partition) ?? 0) - Math.max(0, Number(p.offset)));
      }
      lag.set(groupId, total);
    }
    return lag;
  } finally {
    await admin.disconnect();
  }
}
