/**
 * Read latency of the real-time store's latest values with a registered fleet in place: one vehicle's latest values
 * (all of them, and three named ones, as GET /v1/vehicles/{vin}/signals reads them), its last-seen times (GET
 * /v1/vehicles/{vin}), and a fleet-wide latest-value query ("vehicles whose state of charge is below 10 %").
 *
 *   npx tsx bench/store-reads.ts [--vehicles 10000] [--signals 8400] [--reads 200]
 *
 * Fills a unique schema on 127.0.0.1:5432 through the store's own writer (PgSignalStore.write, 20 vehicles per
 * poll; every vehicle has a value for every signal, SoC uniform in 0–100 %), then times each query `--reads` times
 * on random vehicles. The SQL is the API's (services/api/src/adapters/pg-signals.ts). Runs on either layout:
 * per-signal rows (before migration 0016) or blocks (signal_latest_block, signal_latest_of()). Drops the schema.
 */
import { join } from 'node:path';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { PgSignalStore, emptyHistoryRows } from '@telltale/store';
import { loadCatalog } from '@telltale/catalog';
import { createPgPool, migrate } from '@telltale/platform/db';
import { LOCAL, uniqueName } from '@telltale/platform/testing';
import { ROOT, percentile } from './pipeline.js';

const { values } = parseArgs({
  options: {
    vehicles: { type: 'string', default: '10000' },
    signals: { type: 'string', default: '8400' },
    reads: { type: 'string', default: '200' },
  },
});
const VEHICLES = Number(values.vehicles);
const SIGNALS = Number(values.signals);
const READS = Number(values.reads);
const PER_POLL = 20;

const catalog = await loadCatalog(join(ROOT, 'signal-catalog/aurora-ev-2026'));
const id = (name: string): number => catalog.byQualifiedName.get(name)!.id;
const SOC = id('bms/BMS_Soc/BMS_SocDisplayed');
const NAMED = [SOC, id('powertrain/VCU_VehicleStatus/VCU_VehicleSpeed'), id('powertrain/VCU_Odometer/VCU_Odometer')];

const schema = uniqueName('benchreads');
const pool = createPgPool({ url: LOCAL.postgresUrl, schema, max: 4 });
await migrate(pool, { schema });
const blocks = (await pool.query<{ t: string | null }>("SELECT to_regclass('signal_latest_block') AS t")).rows[0]?.t;
const layout = blocks ? 'blocks (signal_latest_block)' : 'rows (signal_latest)';
const store = new PgSignalStore(pool);
const vins = Array.from({ length: VEHICLES }, (_, i) => `LRW3E7FS1RC${String(i).padStart(6, '0')}`);
const now = Date.now();
const empty = emptyHistoryRows(0);

const fillStart = performance.now();
for (let v = 0; v < VEHICLES; v += PER_POLL) {
  const part = vins.slice(v, v + PER_POLL);
  const n = part.length * SIGNALS;
  const latest = {
    vin: new Array<string>(n),
    signalId: new Array<number>(n),
    value: new Array<number>(n),
    eventTimeMs: new Array<number>(n),
    eventTimeSubMsUs: new Array<number>(n).fill(0),
    receiveTimeMs: new Array<number>(n),
    modelId: new Array<string>(n).fill(catalog.modelId),
    catalogVersion: new Array<string>(n).fill(catalog.catalogVersion),
  };
  let k = 0;
  for (const vin of part) {
    for (let s = 0; s < SIGNALS; s++, k++) {
      latest.vin[k] = vin;
      latest.signalId[k] = s;
      latest.value[k] = s === SOC ? Math.round(Math.random() * 1000) / 10 : Math.random();
      latest.eventTimeMs[k] = now - (s % 1000);
      latest.receiveTimeMs[k] = now;
    }
  }
  await store.write(latest, empty, Date.now());
  if ((v / PER_POLL) % 25 === 0) process.stderr.write(`\rfilled ${v + part.length}/${VEHICLES} vehicles`);
}
const fillSeconds = (performance.now() - fillStart) / 1000;
process.stderr.write('\n');
await pool.query('VACUUM ANALYZE');
const size = (
  await pool.query<{ size: string }>(
    `SELECT pg_size_pretty(sum(pg_total_relation_size(c.oid))) AS size FROM pg_class c
     JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind = 'r'
     AND c.relname IN ('signal_latest', 'signal_latest_block')`,
    [schema],
  )
).rows[0]?.size;

const NAMED_LATEST = blocks
  ? `SELECT signal_id, value, event_time_ms, receive_time_ms, model_id, catalog_version
     FROM signal_latest_for($1, $2::integer[]) ORDER BY signal_id`
  : `SELECT signal_id, value, event_time_ms, receive_time_ms, model_id, catalog_version FROM signal_latest
     WHERE vin = $1 AND signal_id = ANY ($2::integer[]) ORDER BY signal_id`;
const LATEST = `SELECT signal_id, value, event_time_ms, receive_time_ms, model_id, catalog_version FROM signal_latest
  WHERE vin = $1 ORDER BY signal_id`;
const LAST_SEEN = blocks
  ? 'SELECT max(max_event_time_ms), max(max_receive_time_ms) FROM signal_latest_block WHERE vin = $1'
  : 'SELECT max(event_time_ms), max(receive_time_ms) FROM signal_latest WHERE vin = $1';
const FLEET = blocks
  ? 'SELECT vin, value FROM signal_latest_of($1) WHERE value < 10'
  : 'SELECT vin, value FROM signal_latest WHERE signal_id = $1 AND value < 10';

const randomVin = (): string => vins[Math.floor(Math.random() * vins.length)]!;
async function time(label: string, reads: number, query: () => Promise<number>): Promise<string> {
  const ms: number[] = [];
  let rows = 0;
  for (let i = 0; i < reads; i++) {
    const t0 = performance.now();
    rows = await query();
    ms.push(performance.now() - t0);
  }
  const f = (p: number): string => percentile(ms, p).toFixed(1);
  return `| ${label} | ${rows} | ${f(50)} | ${f(95)} | ${f(99)} | ${reads} |`;
}

const table = [
  await time('one vehicle, all latest values', READS, async () => (await pool.query(LATEST, [randomVin()])).rowCount!),
  await time(
    'one vehicle, 3 named signals',
    READS,
    async () => (await pool.query(NAMED_LATEST, [randomVin(), NAMED])).rowCount!,
  ),
  await time('one vehicle, last seen', READS, async () => (await pool.query(LAST_SEEN, [randomVin()])).rowCount!),
  await time(
    'fleet: SoC < 10 %',
    Math.max(5, Math.round(READS / 10)),
    async () => (await pool.query(FLEET, [SOC])).rowCount!,
  ),
];
console.log(
  `store reads: ${VEHICLES} vehicles × ${SIGNALS} signals, layout ${layout}, ${size} on disk; ` +
    `filled in ${fillSeconds.toFixed(0)} s (${Math.round((VEHICLES * SIGNALS) / fillSeconds)} signal values/s)`,
);
console.log('| query | rows | p50 ms | p95 ms | p99 ms | reads |');
console.log('|---|---|---|---|---|---|');
for (const row of table) console.log(row);
console.log(`fleet query: ${FLEET}`);
console.log(
  `load average (1, 5, 15 min): ${loadavg()
    .map((x) => x.toFixed(2))
    .join(', ')}`,
);
console.log(`command: npx tsx bench/store-reads.ts --vehicles ${VEHICLES} --signals ${SIGNALS} --reads ${READS}`);
await pool.query(`DROP SCHEMA ${schema} CASCADE`);
await pool.end();
