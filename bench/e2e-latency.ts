/**
 * Publish → visible latency under simulator load: gateway, decoder and store run as separate processes (as
 * deployed), the simulator drives N premium-EV T-Boxes through Mosquitto, and a probe T-Box publishes a unique
 * vehicle-speed value every 250 ms and polls the API (`telltale api`, GET /v1/vehicles/{vin}/signals) until that
 * value is the latest. Prints p50/p95/p99 of publish → row committed (the store's write_time_ms) and publish → seen
 * through the API, CPU per process (PostgreSQL, Kafka and Mosquitto included), and the consumer groups' lag at the
 * start and the end of the measured window (growing lag = the pipeline does not keep up).
 *
 *   npx tsx bench/e2e-latency.ts [--vehicles 4] [--seconds 30] [--archive] [--history-hot-hours 24]
 *     [--history-resolution-ms 1000]
 *
 * --archive also runs `telltale archive` (full-resolution Parquet history in a temporary directory);
 * --history-hot-hours 0 switches PostgreSQL history off (the archive is then the only history);
 * --history-resolution-ms sets the store's HISTORY_RESOLUTION_MS (0: every sample).
 *
 * Needs the local infrastructure (npm run infra:up). Unique schema, topic prefix and MQTT topic prefix per run.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  CLI,
  PROBE_VIN,
  consumerGroupLag,
  cpuSeconds,
  freePort,
  histogramQuantiles,
  infraCpuSeconds,
  percentile,
  histogramOf,
  metricValue,
  scrapeMetrics,
  startPipeline,
  summary,
} from './pipeline.js';

const { values } = parseArgs({
  options: {
    vehicles: { type: 'string', default: '4' },
    seconds: { type: 'string', default: '30' },
    archive: { type: 'boolean', default: false },
    'history-hot-hours': { type: 'string' },
    'history-resolution-ms': { type: 'string' },
  },
});
const VEHICLES = Number(values.vehicles);
const SECONDS = Number(values.seconds);
const ARCHIVE = values.archive;
const HOT_HOURS = values['history-hot-hours'];
const RESOLUTION_MS = values['history-resolution-ms'];

const pipeline = await startPipeline('e2e');
const { env, pool, speedId } = pipeline;
const apiPort = await freePort();
Object.assign(env, { API_PORT: String(apiPort) });
if (HOT_HOURS !== undefined) env.STORE_HISTORY_HOT_HOURS = HOT_HOURS;
if (RESOLUTION_MS !== undefined) env.HISTORY_RESOLUTION_MS = RESOLUTION_MS;
const archiveDir = ARCHIVE ? mkdtempSync(join(tmpdir(), 'telltale-e2e-archive-')) : undefined;
if (archiveDir) env.ARCHIVE_DIR = archiveDir;
pipeline.service('gateway');
pipeline.service('decoder');
// The store on a known ops port: its per-stage histogram (telltale_store_stage_seconds) is read at the start and the
// end of the measured window.
const storeOpsPort = await freePort();
env.OPS_PORT = String(storeOpsPort);
pipeline.service('store');
env.OPS_PORT = '0';
const storeMetrics = (): Promise<string> => scrapeMetrics(`http://127.0.0.1:${storeOpsPort}/metrics`);
pipeline.service('api');
if (ARCHIVE) pipeline.service('archive');
const token = execFileSync(
  process.execPath,
  [CLI, 'keys', 'create', '--name', 'bench', '--role', 'viewer', '--fleet', 'probe'],
  { env, encoding: 'utf8' },
).trim();
const probeSignal = 'powertrain/VCU_VehicleStatus/VCU_VehicleSpeed';
const apiUrl = `http://127.0.0.1:${apiPort}/v1/vehicles/${PROBE_VIN}/signals?names=${probeSignal}`;
const publishProbe = (speed: number): Promise<number> => pipeline.publishSpeed(speed);
const latestSpeed = async (): Promise<{ value: number; writeTime: number } | undefined> => {
  const { rows } = await pool.query<{ value: number; write_time_ms: string }>(
    'SELECT value, write_time_ms FROM signal_latest WHERE vin = $1 AND signal_id = $2',
    [PROBE_VIN, speedId],
  );
  return rows[0] ? { value: rows[0].value, writeTime: Number(rows[0].write_time_ms) } : undefined;
};
interface SignalsResponse {
  signals?: { qualifiedName?: string; value?: number }[];
}
async function apiSpeed(): Promise<number | undefined> {
  const response = await fetch(apiUrl, { headers: { authorization: `Bearer ${token}` } }).catch(() => undefined);
  if (!response?.ok) return undefined;
  const body = (await response.json()) as SignalsResponse;
  return body.signals?.find((x) => x.qualifiedName === 'powertrain/VCU_VehicleStatus/VCU_VehicleSpeed')?.value;
}
async function waitVisible(speed: number, timeoutMs: number): Promise<{ seen: number; writeTime: number } | undefined> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await apiSpeed();
    if (value !== undefined && Math.abs(value - speed) < 0.005) {
      const seen = Date.now();
      const row = await latestSpeed();
      return { seen, writeTime: row?.writeTime ?? seen };
    }
    await new Promise((resolve) => setTimeout(resolve, 20)); // the poll itself is load on the API and PostgreSQL
  }
  return undefined;
}

// Warm up: the pipeline is ready when a probe value comes through.
process.stderr.write('Waiting for gateway, decoder, store and API ...\n');
for (let attempt = 0; ; attempt++) {
  await publishProbe(1 + attempt / 100);
  if (await waitVisible(1 + attempt / 100, 2000)) break;
  if (attempt > 60) throw new Error('the pipeline did not come up within 2 minutes');
}

await pipeline.simulate(VEHICLES, SECONDS + 20);

const processes = ['simulate', 'gateway', 'decoder', 'store', 'api', ...(ARCHIVE ? ['archive'] : [])];
const infra = ['postgres', 'java', 'mosquitto'] as const; // PostgreSQL (every backend), Kafka, the MQTT broker
const cpuAt = (): (number | undefined)[] => [
  ...processes.map((p) => cpuSeconds(pipeline.children.get(p)?.pid)),
  ...infra.map((name) => infraCpuSeconds(name)),
];
const lagBefore = await consumerGroupLag(pipeline.prefix);
const cpuBefore = cpuAt();
const storeBefore = await storeMetrics();
const measureStart = Date.now();
const writeLatency: number[] = [];
const seenLatency: number[] = [];
let lost = 0;
const end = Date.now() + SECONDS * 1000;
let marker = 10;
while (Date.now() < end) {
  marker = marker >= 250 ? 10 : marker + 0.37;
  const speed = Math.round(marker * 100) / 100;
  const sent = await publishProbe(speed);
  const visible = await waitVisible(speed, 5000);
  if (!visible) lost += 1;
  else {
    writeLatency.push(visible.writeTime - sent);
    seenLatency.push(visible.seen - sent);
  }
  await new Promise((resolve) => setTimeout(resolve, 250));
}

const cpuAfter = cpuAt();
const storeAfter = await storeMetrics();
const lagAfter = await consumerGroupLag(pipeline.prefix);
const elapsedS = (Date.now() - measureStart) / 1000;
const load = loadavg().map((x) => x.toFixed(2));
const { rows } = await pool.query<{ rows: string; vehicles: string }>(
  'SELECT count(*) AS rows, count(DISTINCT vin) AS vehicles FROM signal_latest',
);
console.log(
  `load: ${VEHICLES} simulated premium EVs (aurora-ev-2026, full traffic) + 1 probe; ` +
    `${rows[0]?.vehicles} vehicles, ${rows[0]?.rows} latest rows in the store`,
);
console.log(`probes: ${writeLatency.length} measured, ${lost} not visible within 5 s`);
console.log(`publish → committed in PostgreSQL: ${summary(writeLatency)}`);
console.log(`publish → seen through the API:   ${summary(seenLatency)}`);
const cpu = [...processes, ...infra.map((p) => (p === 'java' ? 'kafka' : p))].map((p, i) => {
  const [a, b] = [cpuBefore[i], cpuAfter[i]];
  return `${p} ${a === undefined || b === undefined ? '?' : Math.round((100 * (b - a)) / elapsedS)}%`;
});
console.log(`CPU per process (100% = one core) over the ${elapsedS.toFixed(0)} s measured: ${cpu.join(', ')}`);
// Where the time goes, per record of every vehicle (not only the probe): the store's stage histogram, interpolated.
const stageText = ['decoder', 'queue', 'latest', 'history'].map((stage) => {
  const [before, after] = [storeBefore, storeAfter].map((t) => histogramOf(t, 'telltale_store_stage_seconds', 'stage'));
  const { ms } = histogramQuantiles(before!, after!, stage, [0.5, 0.95, 0.99]);
  const [p50, p95, p99] = ms.map((x) => (Number.isNaN(x) ? '–' : x.toFixed(0)));
  return `${stage} p50 ${p50} / p95 ${p95} / p99 ${p99}`;
});
console.log(`store stages per record (ms, from telltale_store_stage_seconds): ${stageText.join('; ')}`);
// The store's own CPU per sample it wrote in the window: comparable between runs on a loaded machine.
const storeIndex = processes.indexOf('store');
const storeCpuS = (cpuAfter[storeIndex] ?? NaN) - (cpuBefore[storeIndex] ?? NaN);
const storeSamples =
  metricValue(storeAfter, 'telltale_store_samples_total') - metricValue(storeBefore, 'telltale_store_samples_total');
console.log(
  `store: ${storeSamples} samples written in the window, ` +
    `${((storeCpuS * 1e9) / storeSamples).toFixed(0)} ns CPU per sample`,
);
// Lag: records not yet processed per consumer group, at the start and the end of the measured window. The archive
// commits after each Parquet flush, so it may hold up to one flush of input without falling behind.
const groups = [...new Set([...lagBefore.keys(), ...lagAfter.keys()])].sort();
const lagText = groups.map(
  (g) => `${g.slice(pipeline.prefix.length)} ${lagBefore.get(g) ?? 0} → ${lagAfter.get(g) ?? 0}`,
);
const growing = groups.filter((g) => {
  const [a, b] = [lagBefore.get(g) ?? 0, lagAfter.get(g) ?? 0];
  const slack = g.endsWith('archive') ? 200_000 : 2_000;
  return b > a + slack;
});
console.log(`consumer lag (records, start → end): ${lagText.join(', ')}`);
console.log(
  `growing lag: ${growing.length === 0 ? 'none' : growing.map((g) => g.slice(pipeline.prefix.length)).join(', ')}`,
);
console.log(`load average (1, 5, 15 min) at the end: ${load.join(', ')}`);
const options = [
  ARCHIVE ? ' --archive' : '',
  HOT_HOURS === undefined ? '' : ` --history-hot-hours ${HOT_HOURS}`,
  RESOLUTION_MS === undefined ? '' : ` --history-resolution-ms ${RESOLUTION_MS}`,
].join('');
console.log(`command: npx tsx bench/e2e-latency.ts --vehicles ${VEHICLES} --seconds ${SECONDS}${options}`);
const ms = (xs: number[], p: number): string => (xs.length === 0 ? '–' : String(percentile(xs, p)));
const held = lost === 0 && growing.length === 0 && seenLatency.length > 0 && percentile(seenLatency, 99) <= 500;
console.log(
  '| EVs | options | probes seen | not visible in 5 s | p50 ms | p95 ms | p99 ms | lag | held | load avg (1 min) |',
);
console.log(
  `| ${VEHICLES} | ${options.trim() || '–'} | ${seenLatency.length} | ${lost} | ${ms(seenLatency, 50)} | ` +
    `${ms(seenLatency, 95)} | ${ms(seenLatency, 99)} | ${growing.length === 0 ? 'steady' : 'growing'} | ` +
    `${held ? 'yes' : 'no'} | ${load[0]} |`,
);

await pipeline.close();
if (archiveDir) rmSync(archiveDir, { recursive: true, force: true });
