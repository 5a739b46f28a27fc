/**
 * Write throughput of the real-time store into PostgreSQL: signal values/s into the latest values (newest event time
 * wins per signal; one row per signal before migration 0016, blocks of 128 signals merged in memory since), with and
 * without the history append, in the store's own write path (PgSignalStore.write, one transaction per poll).
 * A "row" below is one (vin, signal) value offered to the latest store.
 *
 *   npx tsx bench/store-upsert.ts [--vehicles 50] [--signals 8400] [--rounds 10]
 *
 * Each round writes one newer sample of every signal of every vehicle (what one second of the fleet coalesces to),
 * in polls of 10 vehicles. Uses a unique schema on 127.0.0.1:5432, dropped afterwards.
 */
import { parseArgs } from 'node:util';
import { PgSignalStore, emptyHistoryRows } from '@telltale/store';
import { createPgPool, migrate } from '@telltale/platform/db';
import { LOCAL, uniqueName } from '@telltale/platform/testing';

const { values } = parseArgs({
  options: {
    vehicles: { type: 'string', default: '50' },
    signals: { type: 'string', default: '8400' },
    rounds: { type: 'string', default: '10' },
  },
});
const VEHICLES = Number(values.vehicles);
const SIGNALS = Number(values.signals);
const ROUNDS = Number(values.rounds);
const PER_POLL = 10;
const schema = uniqueName('benchstore');
const pool = createPgPool({ url: LOCAL.postgresUrl, schema, max: 4 });
await migrate(pool, { schema });
const store = new PgSignalStore(pool);
const vins = Array.from({ length: VEHICLES }, (_, i) => `LRW3E7FS1RC3${String(i).padStart(5, '0')}`);
const base = Date.now() - ROUNDS * 2 * 1000;

function rows(round: number, vehicles: string[], withHistory: boolean) {
  const n = vehicles.length * SIGNALS;
  const latest = {
    vin: new Array<string>(n),
    signalId: new Array<number>(n),
    value: new Array<number>(n),
    eventTimeMs: new Array<number>(n),
    eventTimeSubMsUs: new Array<number>(n).fill(0),
    receiveTimeMs: new Array<number>(n),
    modelId: new Array<string>(n).fill('aurora-ev-2026'),
    catalogVersion: new Array<string>(n).fill('1.0.0'),
  };
  let k = 0;
  for (const vin of vehicles) {
    for (let s = 0; s < SIGNALS; s++, k++) {
      latest.vin[k] = vin;
      latest.signalId[k] = s;
      latest.value[k] = Math.sin(round + s);
      latest.eventTimeMs[k] = base + round * 1000 + (s % 1000);
      latest.receiveTimeMs[k] = base + round * 1000 + 1000;
    }
  }
  const history = withHistory
    ? {
        vin: latest.vin,
        signalId: latest.signalId,
        eventTimeMs: latest.eventTimeMs,
        eventTimeSubMsUs: latest.eventTimeSubMsUs,
        value: latest.value,
        receiveTimeMs: latest.receiveTimeMs,
        catalogVersion: latest.catalogVersion,
      }
    : emptyHistoryRows(0);
  return { latest, history };
}

async function measure(label: string, withHistory: boolean, roundOffset: number): Promise<number> {
  let written = 0;
  let seconds = 0;
  let cpuMicros = 0;
  for (let round = 0; round < ROUNDS; round++) {
    for (let v = 0; v < VEHICLES; v += PER_POLL) {
      const { latest, history } = rows(round + roundOffset, vins.slice(v, v + PER_POLL), withHistory);
      const t0 = process.hrtime.bigint();
      const cpu0 = process.cpuUsage();
      await store.write(latest, history, Date.now());
      const cpu = process.cpuUsage(cpu0);
      cpuMicros += cpu.user + cpu.system;
      seconds += Number(process.hrtime.bigint() - t0) / 1e9;
      written += latest.vin.length;
    }
    process.stderr.write(`\r${label}: round ${round + 1}/${ROUNDS}`);
  }
  const rate = written / seconds;
  process.stderr.write('\n');
  console.log(
    `${label}: ${written} rows in ${seconds.toFixed(2)} s = ${Math.round(rate)} rows/s; ` +
      `store process CPU ${((cpuMicros / written) * 1000).toFixed(0)} ns per row`,
  );
  return rate;
}

console.log(
  `store UPSERT: ${VEHICLES} vehicles × ${SIGNALS} signals, ${ROUNDS} rounds, ` +
    `polls of ${PER_POLL} vehicles (${PER_POLL * SIGNALS} rows)`,
);
// Warm-up round creates the rows (INSERT path); the measured rounds update them (the steady state).
await measure('first write (insert)', false, 0);
const upsert = await measure('latest UPSERT (update, newer event time)', false, 1);
await measure('latest UPSERT + history append', true, 1 + ROUNDS);
console.log(`command: npx tsx bench/store-upsert.ts --vehicles ${VEHICLES} --signals ${SIGNALS} --rounds ${ROUNDS}`);
console.log(`${Math.round(upsert)} signal values/s into the latest values (rows/s before migration 0016)`);
await pool.query(`DROP SCHEMA ${schema} CASCADE`);
await pool.end();
