/**
 * History write throughput into PostgreSQL, paired in one run: one row per sample (the layout before migration 0018,
 * INSERT … unnest … ON CONFLICT DO NOTHING) vs blocks of 128 signals per time bucket (signal_history_block), merged
 * in the writer's memory (PgSignalStore.write, the store's path) or merged by PostgreSQL (ON CONFLICT DO UPDATE with
 * the merge in SQL: the alternative the in-memory merge was chosen over).
 *
 *   npx tsx bench/history-blocks.ts [--vehicles 10] [--signals 8400] [--seconds 6] [--polls 4]
 *
 * Each simulated second every signal of every vehicle has one sample (what HISTORY_RESOLUTION_MS=1000 coalesces a
 * premium EV to), delivered in `--polls` polls, so each 1 s bucket is written by several polls (the realistic case:
 * the store polls more often than once a second). The three variants take turns poll by poll, so machine load hits
 * them alike. PostgreSQL CPU is the writing backend's own (utime + stime from /proc/<pid>/stat; background writers
 * and WAL flushes not included). Uses a unique schema on 127.0.0.1:5432, dropped afterwards.
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { PgSignalStore, emptyHistoryRows, emptyLatestRows } from '@telltale/store';
import { createPgPool, migrate, type Pool } from '@telltale/platform/db';
import { LOCAL, uniqueName } from '@telltale/platform/testing';

const { values } = parseArgs({
  options: {
    vehicles: { type: 'string', default: '10' },
    signals: { type: 'string', default: '8400' },
    seconds: { type: 'string', default: '6' },
    polls: { type: 'string', default: '4' },
  },
});
const VEHICLES = Number(values.vehicles);
const SIGNALS = Number(values.signals);
const SECONDS = Number(values.seconds);
const POLLS = Number(values.polls);
const schema = uniqueName('benchhist');
const DAY_MS = 86_400_000;
const base = Math.floor(Date.now() / 1000) * 1000 - (SECONDS + 5) * 1000;

type Variant = 'rows' | 'memory' | 'sql';
const VARIANTS: Variant[] = ['rows', 'memory', 'sql'];
const pools = new Map<Variant, Pool>();
for (const v of VARIANTS) pools.set(v, createPgPool({ url: LOCAL.postgresUrl, schema, max: 1 }));
await migrate(pools.get('rows')!, { schema });
const day = Math.floor(base / DAY_MS);
const setup = pools.get('rows')!;
for (const d of [day, day + 1]) await setup.query('SELECT signal_history_block_ensure_day($1)', [d]);
// The layout before 0018: migrations 0002 + 0013.
await setup.query(`CREATE TABLE legacy_history (
  vin text NOT NULL, signal_id integer NOT NULL, event_time_ms bigint NOT NULL, value double precision NOT NULL,
  receive_time_ms bigint NOT NULL, catalog_version text NOT NULL, event_time_sub_ms_us smallint NOT NULL DEFAULT 0,
  PRIMARY KEY (vin, signal_id, event_time_ms, event_time_sub_ms_us)) PARTITION BY RANGE (event_time_ms)`);
await setup.query(
  `CREATE TABLE legacy_history_d PARTITION OF legacy_history ` +
    `FOR VALUES FROM (${day * DAY_MS}) TO (${(day + 2) * DAY_MS})`,
);

const LEGACY_INSERT = `
INSERT INTO legacy_history
  (vin, signal_id, event_time_ms, event_time_sub_ms_us, value, receive_time_ms, catalog_version)
SELECT ($1::text[])[vi], s, e, u, x, r, ($2::text[])[ci]
FROM unnest($3::int[], $4::int[], $5::int8[], $6::float8[], $7::int8[], $8::int[], $9::int2[])
  AS t(vi, s, e, x, r, ci, u)
ON CONFLICT DO NOTHING`;

// Blocks merged by PostgreSQL: the poll's samples of a bucket as a partial row, merged slot by slot with the stored
// row on conflict (newer event time wins). Catalog versions are one per row here (the bench writes one version).
const SQL_MERGE_INSERT = `
INSERT INTO signal_history_block AS h
  (vin, block, bucket_us, value, offset_us, receive_time_ms, catalog_version_index, catalog_versions, version)
SELECT ($1::text[])[t.vi], t.b, t.bu, ($2::float8[])[(t.n - 1) * 128 + 1 : t.n * 128],
  ($3::int4[])[(t.n - 1) * 128 + 1 : t.n * 128], ($4::int8[])[(t.n - 1) * 128 + 1 : t.n * 128],
  ($5::int2[])[(t.n - 1) * 128 + 1 : t.n * 128], '{1.0.0}', 1
FROM unnest($6::int[], $7::int[], $8::int8[]) WITH ORDINALITY AS t(vi, b, bu, n)
ON CONFLICT (vin, block, bucket_us) DO UPDATE
  SET (value, offset_us, receive_time_ms, catalog_version_index, version) =
  (SELECT array_agg(CASE WHEN w THEN nv ELSE ov END ORDER BY i),
     array_agg(CASE WHEN w THEN no ELSE oo END ORDER BY i),
     array_agg(CASE WHEN w THEN nr ELSE orr END ORDER BY i), array_agg(CASE WHEN w THEN nc ELSE oc END ORDER BY i),
     h.version + 1
   FROM (SELECT *, no IS NOT NULL AND (oo IS NULL OR no > oo OR (no = oo AND nv > ov)) AS w
         FROM unnest(h.value, h.offset_us, h.receive_time_ms, h.catalog_version_index, excluded.value,
           excluded.offset_us, excluded.receive_time_ms, excluded.catalog_version_index) WITH ORDINALITY
           AS u(ov, oo, orr, oc, nv, no, nr, nc, i)) m)`;

interface Poll {
  vin: string[];
  signalId: number[];
  eventTimeMs: number[];
  eventTimeSubMsUs: number[];
  value: number[];
  receiveTimeMs: number[];
  catalogVersion: string[];
}

/** Poll p of second `second`: the samples whose ms within the second falls in the poll's share. */
function poll(vins: readonly string[], second: number, p: number): Poll {
  const out: Poll = emptyHistoryRows(0);
  for (const vin of vins) {
    for (let s = 0; s < SIGNALS; s++) {
      const ms = (s * 7) % 1000;
      if (Math.floor((ms * POLLS) / 1000) !== p) continue;
      out.vin.push(vin);
      out.signalId.push(s);
      out.eventTimeMs.push(base + second * 1000 + ms);
      out.eventTimeSubMsUs.push((s * 13) % 1000);
      out.value.push(Math.sin(second + s));
      out.receiveTimeMs.push(base + second * 1000 + 1100);
      out.catalogVersion.push('1.0.0');
    }
  }
  return out;
}

const EMPTY_LATEST = emptyLatestRows();

async function writeLegacy(pool: Pool, rows: Poll): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    for (let from = 0; from < rows.vin.length; from += 20_000) {
      const to = Math.min(rows.vin.length, from + 20_000);
      const vins = [...new Set(rows.vin.slice(from, to))];
      await client.query(LEGACY_INSERT, [
        vins,
        ['1.0.0'],
        rows.vin.slice(from, to).map((v) => vins.indexOf(v) + 1),
        rows.signalId.slice(from, to),
        rows.eventTimeMs.slice(from, to),
        rows.value.slice(from, to),
        rows.receiveTimeMs.slice(from, to),
        new Array<number>(to - from).fill(1),
        rows.eventTimeSubMsUs.slice(from, to),
      ]);
    }
    await client.query('COMMIT');
  } finally {
    client.release();
  }
}

/** The poll's samples as partial 128-slot rows, the merge left to PostgreSQL. */
async function writeSqlMerge(pool: Pool, rows: Poll): Promise<void> {
  const byKey = new Map<string, { vin: string; block: number; bucketUs: number; slots: Map<number, number> }>();
  for (let i = 0; i < rows.vin.length; i++) {
    const block = Math.floor(rows.signalId[i]! / 128);
    const bucketUs = Math.floor(rows.eventTimeMs[i]! / 1000) * 1_000_000;
    const k = `${rows.vin[i]}/${block}/${bucketUs}`;
    let b = byKey.get(k);
    if (!b) byKey.set(k, (b = { vin: rows.vin[i]!, block, bucketUs, slots: new Map() }));
    b.slots.set(rows.signalId[i]! % 128, i);
  }
  const blocks = [...byKey.values()];
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    for (let from = 0; from < blocks.length; from += 100) {
      const part = blocks.slice(from, from + 100);
      const vins = [...new Set(part.map((b) => b.vin))];
      const value: (number | null)[] = [];
      const offset: (number | null)[] = [];
      const receive: (number | null)[] = [];
      const ci: (number | null)[] = [];
      for (const b of part) {
        for (let slot = 0; slot < 128; slot++) {
          const i = b.slots.get(slot);
          value.push(i === undefined ? null : rows.value[i]!);
          offset.push(i === undefined ? null : rows.eventTimeMs[i]! * 1000 + rows.eventTimeSubMsUs[i]! - b.bucketUs);
          receive.push(i === undefined ? null : rows.receiveTimeMs[i]!);
          ci.push(i === undefined ? null : 1);
        }
      }
      await client.query(SQL_MERGE_INSERT, [
        vins,
        value,
        offset,
        receive,
        ci,
        part.map((b) => vins.indexOf(b.vin) + 1),
        part.map((b) => b.block),
        part.map((b) => b.bucketUs),
      ]);
    }
    await client.query('COMMIT');
  } finally {
    client.release();
  }
}

async function backendPid(pool: Pool): Promise<number> {
  return (await pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
}

/** utime + stime of a process in seconds (clock ticks of 10 ms). */
function cpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN; // the backend went away
  }
}

const store = new PgSignalStore(pools.get('memory')!, { latestCacheBlocks: 1000 });
const vinsOf = (v: Variant) =>
  Array.from({ length: VEHICLES }, (_, i) => `LRW3E7FS1RC${String(VARIANTS.indexOf(v))}${String(i).padStart(5, '0')}`);
const totals = new Map(VARIANTS.map((v) => [v, { samples: 0, wall: 0, nodeCpu: 0, pgCpu: 0, pgLost: 0 }]));
const load0 = loadavg();

console.log(
  `history write: ${VEHICLES} vehicles × ${SIGNALS} signals × ${SECONDS} s at 1 s buckets, ${POLLS} polls per second`,
);
for (let second = 0; second < SECONDS; second++) {
  for (let p = 0; p < POLLS; p++) {
    for (const v of VARIANTS) {
      const rows = poll(vinsOf(v), second, p);
      const pid = await backendPid(pools.get(v)!); // the pool may have reconnected
      const pg0 = cpuSeconds(pid);
      const cpu0 = process.cpuUsage();
      const t0 = process.hrtime.bigint();
      if (v === 'rows') await writeLegacy(pools.get(v)!, rows);
      else if (v === 'memory') await store.write(EMPTY_LATEST, { resolutionMs: 1000, ...rows }, Date.now());
      else await writeSqlMerge(pools.get(v)!, rows);
      const t = totals.get(v)!;
      t.wall += Number(process.hrtime.bigint() - t0) / 1e9;
      const cpu = process.cpuUsage(cpu0);
      t.nodeCpu += (cpu.user + cpu.system) / 1e6;
      const pg1 = cpuSeconds(pid);
      if (Number.isNaN(pg1)) t.pgLost += 1;
      else t.pgCpu += pg1 - pg0;
      t.samples += rows.vin.length;
    }
  }
  process.stderr.write(`\rsecond ${second + 1}/${SECONDS}`);
}
process.stderr.write('\n');
for (const v of VARIANTS) {
  const lost = totals.get(v)!.pgLost;
  if (lost > 0) console.log(`warning: ${v}: PostgreSQL CPU of ${lost} polls not measured (backend changed)`);
}
const { rows: sizes } = await setup.query<{ rel: string; rows: string; bytes: string }>(
  `SELECT 'rows' AS rel, (SELECT count(*) FROM legacy_history) AS rows,
     pg_total_relation_size('legacy_history_d') AS bytes
   UNION ALL SELECT 'blocks', (SELECT count(*) FROM signal_history_block),
     (SELECT sum(pg_total_relation_size(c.oid)) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
      WHERE i.inhparent = 'signal_history_block'::regclass)`,
);
const label: Record<Variant, string> = {
  rows: 'one row per sample (before 0018)',
  memory: 'blocks, merged in memory (chosen)',
  sql: 'blocks, merged in SQL on conflict',
};
for (const v of VARIANTS) {
  const t = totals.get(v)!;
  console.log(
    `${label[v].padEnd(36)} ${t.samples} samples in ${t.wall.toFixed(2)} s = ${Math.round(t.samples / t.wall)} ` +
      `samples/s; PostgreSQL backend CPU ${((t.pgCpu / t.samples) * 1e9).toFixed(0)} ns/sample ` +
      `(${t.pgCpu.toFixed(2)} s); store process CPU ${((t.nodeCpu / t.samples) * 1e9).toFixed(0)} ns/sample`,
  );
}
for (const s of sizes) {
  const perSample =
    Number(s.bytes) / (s.rel === 'rows' ? totals.get('rows')!.samples : 2 * totals.get('memory')!.samples);
  const mb = (Number(s.bytes) / 1e6).toFixed(1);
  console.log(`${s.rel.padEnd(6)} table: ${s.rows} rows, ${mb} MB, ${perSample.toFixed(1)} bytes/sample`);
}
const loads = (l: number[]) => l.map((x) => x.toFixed(1)).join(' ');
console.log(`load average ${loads(load0)} → ${loads(loadavg())}`);
console.log(
  'command: npx tsx bench/history-blocks.ts ' +
    `--vehicles ${VEHICLES} --signals ${SIGNALS} --seconds ${SECONDS} --polls ${POLLS}`,
);
await setup.query(`DROP SCHEMA ${schema} CASCADE`);
for (const pool of pools.values()) await pool.end();
