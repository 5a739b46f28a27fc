/**
 * Backtest throughput: one vehicle-day (by default) of archived history for a 3-signal rule, replayed through the
 * live rule engine exactly as `telltale rules backtest` does it (runBacktest: manifest → DuckDB reads only the rule's
 * signals and columns, hour by hour → RuleReplay → summary and live diff). One DuckDB thread, one Node thread.
 *
 *   npx tsx bench/backtest.ts [--hours 24] [--hz 10] [--other-signals 10] [--vehicles 1] [--runs 3] [--split]
 *
 * --split also times the two halves apart, in CPU time: reading (DuckDB → typed columns, per-signal runs merged in
 * event time: readHourGroup) and the engine alone (RuleReplay over those rows, held in memory).
 *
 * The archive is written first (not timed) in the archive's own layout and Parquet settings: one compacted file per
 * hour (model=aurora-ev-2026/date=…/hour=…), rows sorted by vin, signal id, event time, listed in archive_files of a
 * fresh PostgreSQL schema. Each vehicle has the rule's three signals at `hz` plus `other-signals` signals the rule
 * does not read (the reader must skip them). Values change at every sample (no shortcut for an unchanged value):
 * every sample is applied, and it makes the rule evaluate unless the rule is quiet (its last evaluation changed
 * nothing and did not read that signal: `… and …` false on its first term; see the rules README).
 *
 * Target (docs: performance budget): ≥ 5,000,000 rule-relevant samples/s per core.
 */
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { execSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { PARQUET_OPTIONS, hourPartition, openDuckDb, partitionDir } from '@telltale/archive';
import {
  MergeBuffers,
  RuleReplay,
  archivedFiles,
  compileBacktestRule,
  groupByHour,
  readHourGroup,
  runBacktest,
} from '@telltale/backtest';
import { BUNDLED_CATALOG_DIR, loadCatalog } from '@telltale/catalog';
import { createPgPool, migrate } from '@telltale/platform/db';
import { LOCAL, uniqueName } from '@telltale/platform/testing';

const { values: args } = parseArgs({
  options: {
    hours: { type: 'string', default: '24' },
    hz: { type: 'string', default: '10' },
    'other-signals': { type: 'string', default: '10' },
    vehicles: { type: 'string', default: '1' },
    runs: { type: 'string', default: '3' },
    split: { type: 'boolean', default: false },
  },
});
const hours = Number(args.hours);
const hz = Number(args.hz);
const otherSignals = Number(args['other-signals']);
const vehicleCount = Number(args.vehicles);
const runs = Number(args.runs);
const MODEL = 'aurora-ev-2026';
const START = Date.parse('2026-05-04T00:00:00Z');
const stepMs = 1000 / hz;

const catalog = await loadCatalog(join(BUNDLED_CATALOG_DIR, MODEL));
const ruleSignals = ['cellTemperatureMax', 'vehicleSpeed', 'packCurrent'].map((a) => catalog.aliases.get(a)!.id);
const others = catalog.signals
  .filter((s) => s !== undefined && !ruleSignals.includes(s.id))
  .slice(0, otherSignals)
  .map((s) => s!.id);
const rule = {
  id: 'bench.hot-under-load',
  condition: 'cellTemperatureMax > 56 and vehicleSpeed > 80 and packCurrent > 250',
  for: '5s',
  clear: { condition: 'cellTemperatureMax < 52', for: '30s' },
  severity: 'major',
  message: 'Cell {{ cellTemperatureMax | fixed(1) }} °C at {{ vehicleSpeed | int }} km/h',
};
const compiled = compileBacktestRule(rule, [catalog]);
if (!compiled.ok) throw new Error('bench rule does not compile');

const dir = mkdtempSync(join(tmpdir(), 'telltale-bench-backtest-'));
const schema = uniqueName('bench_backtest');
const pool = createPgPool({ url: LOCAL.postgresUrl, schema, max: 2 });
const duckdb = await openDuckDb({ threads: 1 });
const db = await duckdb.connect();
try {
  await migrate(pool, { schema });
  const vins = Array.from({ length: vehicleCount }, (_, v) => `LRW3E7FS1RC${String(800000 + v)}`);

  // 1. The archive (not timed).
  const perHour = Math.round(3_600_000 / stepMs);
  const signalRows = [...ruleSignals.map((id, k) => `(${id}, ${k})`), ...others.map((id, k) => `(${id}, ${k + 3})`)];
  let archivedRows = 0;
  let archivedBytes = 0;
  const built = performance.now();
  for (let h = 0; h < hours; h++) {
    const hourStart = START + h * 3_600_000;
    const partition = hourPartition(MODEL, Math.floor(hourStart / 3_600_000));
    const rel = `${partitionDir(partition)}/c-${h.toString(16).padStart(16, '0')}.parquet`;
    mkdirSync(join(dir, partitionDir(partition)), { recursive: true });
    // Slow waves (minutes) plus noise: values move at every sample; the rule holds now and then.
    await db.run(
      `COPY (
         SELECT v.vin, s.id::UINTEGER AS signal_id,
           (${hourStart} + floor(i * ${stepMs}) + s.k)::BIGINT AS event_time_ms,
           round(CASE s.k
             WHEN 0 THEN 50 + 7 * sin((i + ${h * perHour}) / 4000.0 + v.n) + random()
             WHEN 1 THEN 70 + 40 * sin((i + ${h * perHour}) / 2500.0 + v.n) + random()
             WHEN 2 THEN 200 + 120 * sin((i + ${h * perHour}) / 900.0 + v.n) + 10 * random()
             ELSE s.k * 10 + random() END, 2)::DOUBLE AS value,
           '1.0.0' AS catalog_version, (i // ${hz})::UINTEGER AS device_seq
         FROM range(${perHour}) r(i),
              (VALUES ${signalRows.join(', ')}) s(id, k),
              (SELECT unnest([${vins.map((x) => `'${x}'`).join(', ')}]) AS vin,
                      generate_subscripts([${vins.map((x) => `'${x}'`).join(', ')}], 1) AS n) v
         ORDER BY vin, signal_id, event_time_ms
       ) TO '${join(dir, rel)}' (${PARQUET_OPTIONS})`,
    );
    const rows = perHour * signalRows.length * vins.length;
    const bytes = statSync(join(dir, rel)).size;
    archivedRows += rows;
    archivedBytes += bytes;
    await pool.query(
      `INSERT INTO archive_files (path, model_id, date, hour, rows, bytes, min_event_time_ms, max_event_time_ms)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [rel, MODEL, partition.date, partition.hour, rows, bytes, hourStart, hourStart + 3_599_999],
    );
  }
  console.log(
    `archive: ${hours} h × ${vehicleCount} vehicle(s), ${(archivedRows / 1e6).toFixed(1)} M rows ` +
      `(${3} rule signals + ${others.length} others at ${hz} Hz), ${(archivedBytes / 1e6).toFixed(1)} MB, ` +
      `built in ${((performance.now() - built) / 1000).toFixed(1)} s`,
  );

  // 2. Timed: the backtest as the CLI runs it.
  const vehicles = vins.map((vin) => ({ vin, modelId: MODEL, fleetId: 'fleet-bench', catalogVersion: '1.0.0' }));
  const perCpuSecond: number[] = [];
  for (let run = 1; run <= runs; run++) {
    const cpu = process.cpuUsage();
    const t0 = performance.now();
    const result = await runBacktest({
      db,
      pool,
      archiveDir: dir,
      snapshot: compiled.snapshot,
      ruleId: rule.id,
      vehicles,
      fromMs: START,
      toMs: START + hours * 3_600_000,
    });
    const seconds = (performance.now() - t0) / 1000;
    const used = process.cpuUsage(cpu);
    const samples = result.summary.samples;
    const cpuSeconds = (used.user + used.system) / 1e6;
    perCpuSecond.push(samples / cpuSeconds);
    console.log(
      `run ${run}: ${samples.toLocaleString('en')} rule-relevant samples in ${seconds.toFixed(3)} s = ` +
        `${Math.round(samples / seconds).toLocaleString('en')} samples/s wall; ` +
        `process CPU (Node + DuckDB threads) ${cpuSeconds.toFixed(3)} s = ` +
        `${Math.round(samples / cpuSeconds).toLocaleString('en')} samples per CPU-second ` +
        `(${result.summary.transitions} transitions, ${result.summary.flapping.count} flaps, ${result.files} files)`,
    );
  }
  const sorted = [...perCpuSecond].sort((a, b) => a - b);
  const m = (x: number): string => `${(x / 1e6).toFixed(2)} M`;
  console.log(
    `samples per CPU-second over ${runs} run(s): first (cold) ${m(perCpuSecond[0]!)}; ` +
      `min ${m(sorted[0]!)} / median ${m(sorted[Math.floor((sorted.length - 1) / 2)]!)} / ` +
      `max ${m(sorted[sorted.length - 1]!)} (target ≥ 5 M per core)`,
  );
  if (args.split) await split(vins, vehicles);
} finally {
  db.closeSync();
  duckdb.closeSync();
  await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await pool.end();
  rmSync(dir, { recursive: true, force: true });
}
/** Reading and merging, then the engine alone over the rows read, each in CPU seconds. */
async function split(vins: string[], vehicles: { vin: string; modelId: string; fleetId: string }[]): Promise<void> {
  const toMs = START + hours * 3_600_000;
  const groups = groupByHour(await archivedFiles(pool, [MODEL], START, toMs));
  const selection = { modelId: MODEL, vins, signalIds: [...ruleSignals].sort((a, b) => a - b) };
  const runsRead: { vehicle: number; ids: Uint32Array; times: Float64Array; values: Float64Array }[] = [];
  const cpuSeconds = (from: NodeJS.CpuUsage): number => {
    const used = process.cpuUsage(from);
    return (used.user + used.system) / 1e6;
  };
  for (let run = 1; run <= runs; run++) {
    const buffers = new MergeBuffers();
    let rows = 0;
    const cpu = process.cpuUsage();
    for (const group of groups)
      await readHourGroup(db, group, selection, { archiveDir: dir, fromMs: START, toMs, buffers }, (c) => {
        rows += c.rows;
        if (run === 1)
          runsRead.push({
            vehicle: c.vehicle[0]!,
            ids: c.signalId.slice(),
            times: c.eventTimeMs.slice(),
            values: c.value.slice(),
          });
      });
    const s = cpuSeconds(cpu);
    console.log(`split ${run}: reading + merging ${rows.toLocaleString('en')} rows: ${s.toFixed(3)} CPU s`);
  }
  for (let run = 1; run <= runs; run++) {
    const replay = new RuleReplay(compiled.snapshot, { toMs });
    const cpu = process.cpuUsage();
    for (const r of runsRead) replay.ingestRun(vehicles[r.vehicle]!, r.ids, r.times, r.values);
    replay.finish();
    const s = cpuSeconds(cpu);
    console.log(
      `split ${run}: engine alone ${replay.samples.toLocaleString('en')} samples: ${s.toFixed(3)} CPU s ` +
        `(${((s * 1e9) / replay.samples).toFixed(0)} ns per sample)`,
    );
  }
}

console.log(`load: ${execSync('uptime').toString().trim()}`);
console.log(
  `command: npx tsx bench/backtest.ts --hours ${hours} --hz ${hz} --other-signals ${otherSignals} ` +
    `--vehicles ${vehicleCount} --runs ${runs}${args.split ? ' --split' : ''}`,
);
