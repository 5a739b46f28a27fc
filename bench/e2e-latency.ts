/**
 * Publish → visible latency under simulator load: gateway, decoder and store run as separate processes (as
 * deployed), the simulator drives N premium-EV T-Boxes through Mosquitto, and a probe T-Box publishes a unique
 * vehicle-speed value every 250 ms and polls the API (`telltale api`, GET /v1/vehicles/{vin}/signals) until that
 * value is the latest. Prints p50/p95/p99 of publish → row committed (the store's write_time_ms) and publish → seen
 * through the API.
 *
 *   npx tsx bench/e2e-latency.ts [--vehicles 4] [--seconds 30]
 *
 * Needs the local infrastructure (npm run infra:up). Unique schema, topic prefix and MQTT topic prefix per run.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import mqtt from 'mqtt';
import { TelemetryBatch } from '@telltale/core/proto';
import { encodeMessage, loadCatalog } from '@telltale/core/catalog';
import { createPgPool, migrate } from '@telltale/core/db';
import { PgRegistry } from '@telltale/core/registry';
import { LOCAL, uniqueName } from '@telltale/core/testing';

const { values } = parseArgs({ options: { vehicles: { type: 'string', default: '4' }, seconds: { type: 'string', default: '30' } } });
const VEHICLES = Number(values.vehicles);
const SECONDS = Number(values.seconds);
const root = join(import.meta.dirname, '..');
const run = uniqueName('e2e');
const prefix = `${run}.`;
const mqttPrefix = `${run}/`;
const PROBE_VIN = 'LRW3E7FS1RC900001';

const catalog = await loadCatalog(join(root, 'signal-catalog/aurora-ev-2026'));
const status = catalog.buses[0]!.database.messages.find((m) => m.name === 'VCU_VehicleStatus')!;
const speedId = catalog.byQualifiedName.get('powertrain/VCU_VehicleStatus/VCU_VehicleSpeed')!.id;
const pool = createPgPool({ url: LOCAL.postgresUrl, schema: run, max: 2 });
await migrate(pool, { schema: run });
await new PgRegistry(pool).importVehicles([{ line: 2, vin: PROBE_VIN, fleetId: 'probe', fleetName: undefined, modelId: catalog.modelId, catalogVersion: catalog.catalogVersion, deviceId: 'probe-tbox', deviceSecret: undefined }]);

const env = {
  ...process.env,
  DATABASE_SCHEMA: run,
  KAFKA_TOPIC_PREFIX: prefix,
  KAFKA_PARTITIONS: '6',
  LOG_LEVEL: 'warn',
  MQTT_URL: LOCAL.mqttUrl,
  MQTT_UPLINK_TOPIC: `${mqttPrefix}tbox/+/telemetry`,
  MQTT_SHARE_GROUP: run,
  MQTT_CLIENT_ID_PREFIX: run,
  REDIS_KEY_PREFIX: `${run}:`,
  DECODER_INSTANCE_ID: run,
  REGISTRY_REFRESH_MS: '500',
};
const children: ChildProcess[] = [];
const service = (name: string, extra: string[] = []): ChildProcess => {
  const child = spawn(process.execPath, [join(root, 'services/cli/bin/telltale.js'), name, ...extra], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  children.push(child);
  return child;
};
const cleanup = (): void => {
  for (const c of children) c.kill('SIGTERM');
};
process.on('exit', cleanup);

const apiPort = await new Promise<number>((resolve) => {
  const server = createServer().listen(0, '127.0.0.1', () => {
    const address = server.address();
    server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
  });
});
Object.assign(env, { API_PORT: String(apiPort) });
service('gateway');
service('decoder');
service('store');
service('api');
const token = execFileSync(process.execPath, [join(root, 'services/cli/bin/telltale.js'), 'keys', 'create', '--name', 'bench', '--role', 'viewer', '--fleet', 'probe'], { env, encoding: 'utf8' }).trim();
const apiUrl = `http://127.0.0.1:${apiPort}/v1/vehicles/${PROBE_VIN}/signals?names=powertrain/VCU_VehicleStatus/VCU_VehicleSpeed`;

const device = await mqtt.connectAsync(LOCAL.mqttUrl, { clientId: `${run}-probe` });
let seq = 0;
const publishProbe = async (speed: number): Promise<number> => {
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
};
const latestSpeed = async (): Promise<{ value: number; writeTime: number } | undefined> => {
  const { rows } = await pool.query<{ value: number; write_time_ms: string }>('SELECT value, write_time_ms FROM signal_latest WHERE vin = $1 AND signal_id = $2', [PROBE_VIN, speedId]);
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

let simulator: ChildProcess | undefined;
if (VEHICLES > 0) {
  process.stderr.write(`Starting the simulator with ${VEHICLES} vehicles ...\n`);
  simulator = spawn(
    process.execPath,
    [join(root, 'services/cli/bin/telltale.js'), 'simulate', '--vehicles', String(VEHICLES), '--model', 'aurora-ev-2026', '--provision', '--anonymous', '--topic-prefix', mqttPrefix, '--duration', String(SECONDS + 20), '--seq-start', 'clock'],
    { env, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  children.push(simulator);
  await new Promise((resolve) => setTimeout(resolve, 8000)); // vehicles connect and reach steady state
}

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

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};
const { rows } = await pool.query<{ rows: string; vehicles: string }>('SELECT count(*) AS rows, count(DISTINCT vin) AS vehicles FROM signal_latest');
console.log(`load: ${VEHICLES} simulated premium EVs (aurora-ev-2026, full traffic) + 1 probe; ${rows[0]?.vehicles} vehicles, ${rows[0]?.rows} latest rows in the store`);
console.log(`probes: ${writeLatency.length} measured, ${lost} not visible within 5 s`);
console.log(`publish → committed in PostgreSQL: p50 ${pct(writeLatency, 50)} ms, p95 ${pct(writeLatency, 95)} ms, p99 ${pct(writeLatency, 99)} ms, max ${Math.max(...writeLatency)} ms`);
console.log(`publish → seen through the API:   p50 ${pct(seenLatency, 50)} ms, p95 ${pct(seenLatency, 95)} ms, p99 ${pct(seenLatency, 99)} ms, max ${Math.max(...seenLatency)} ms`);
console.log(`command: npx tsx bench/e2e-latency.ts --vehicles ${VEHICLES} --seconds ${SECONDS}`);

await device.endAsync();
cleanup();
await new Promise((resolve) => setTimeout(resolve, 3000));
await pool.query(`DROP SCHEMA ${run} CASCADE`);
await pool.end();
process.exit(0);
