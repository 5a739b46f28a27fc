/**
 * Archive write throughput and size: the simulator's premium EV traffic (aurora-ev-2026, every signal of every
 * frame, decoded with the model's compiled catalog exactly as the decoder does) as SignalBatch records, then timed:
 * decode SignalBatch → check → segment buffer → sorted zstd Parquet per hour partition → fsync. One DuckDB thread,
 * one Node thread: samples/s on one core, and bytes on disk per sample.
 *
 *   npx tsx bench/archive.ts [--vehicles 4] [--seconds 30] [--flush-rows 2000000] [--pg-seconds 3]
 *                            [--row-group-rows 1000000,65536]
 *
 * The write is timed once per --row-group-rows value (default: the old 1,000,000 and the archive's ROW_GROUP_ROWS),
 * in this one process on the same records, so the figures of two row-group sizes are paired.
 *
 * For comparison, the first --pg-seconds vehicle-seconds of the same records go through the store's own write path
 * (coalesce at full resolution, PgSignalStore.write) into history blocks (signal_history_block, migration 0018) in a
 * unique schema on 127.0.0.1:5432 (dropped afterwards), and the bench prints PostgreSQL's bytes per history sample
 * (table + primary key) beside the archive's bytes per sample.
 *
 * Targets (docs: performance budget): ≥ 1,000,000 samples/s per core, ≤ 2 bytes per sample.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  ParquetWriter,
  ROW_GROUP_ROWS,
  Segment,
  fsyncFile,
  openDuckDb,
  partitionDir,
  type ArchivableBatch,
} from '@telltale/archive';
import { compileCatalog } from '@telltale/catalog';
import { SignalSink, decodeBatch } from '@telltale/dbc';
import { decodeSignalBatch, encodeSignalBatch } from '@telltale/platform/proto';
import { FrameBuffer, VehicleSimulator, loadSimModel } from '@telltale/simulator';
import { PgSignalStore, coalesce } from '@telltale/store';
import { createPgPool, migrate } from '@telltale/platform/db';
import { LOCAL, uniqueName } from '@telltale/platform/testing';

const { values: args } = parseArgs({
  options: {
    vehicles: { type: 'string', default: '4' },
    seconds: { type: 'string', default: '30' },
    'flush-rows': { type: 'string', default: '2000000' },
    'pg-seconds': { type: 'string', default: '3' },
    'row-group-rows': { type: 'string', default: `1000000,${ROW_GROUP_ROWS}` },
  },
});
const vehicles = Number(args.vehicles);
const seconds = Number(args.seconds);
const flushRows = Number(args['flush-rows']);
const pgSeconds = Number(args['pg-seconds']);
const rowGroupSizes = args['row-group-rows'].split(',').map(Number);
const root = join(import.meta.dirname, '..');
const START = Date.parse('2026-05-04T10:00:00Z');

// 1. Traffic (not timed): one SignalBatch per vehicle-second, as the decoder writes them.
const model = await loadSimModel('aurora-ev-2026', root);
const compiled = compileCatalog(model.catalog);
const sink = new SignalSink();
const records: Uint8Array[] = [];
let samples = 0;
for (let v = 0; v < vehicles; v++) {
  const sim = new VehicleSimulator(model, { seed: 42, index: v });
  const buffer = new FrameBuffer();
  const vin = `LRW3E7FS1RC${String(900000 + v)}`;
  for (let s = 0; s < seconds; s++) {
    sim.run((s + 1) * 1e6, buffer);
    const frames = buffer.take();
    const ids: number[] = [];
    const vals: number[] = [];
    const offs: number[] = [];
    const subs: number[] = [];
    for (const { bus, compiled: db } of compiled.buses) {
      decodeBatch(frames, db, sink, { bus: bus.index });
      for (let i = 0; i < sink.count; i++) {
        ids.push(sink.signalId[i]!);
        vals.push(sink.value[i]!);
        const us = Math.max(0, frames.timeUs[sink.frameIndex[i]!]! - s * 1e6);
        offs.push(Math.floor(us / 1000));
        subs.push(us % 1000);
      }
    }
    samples += ids.length;
    records.push(
      encodeSignalBatch(
        {
          vin,
          modelId: 'aurora-ev-2026',
          catalogVersion: model.catalog.catalogVersion,
          baseTimeMsEpoch: START + s * 1000,
          source: { deviceSeq: s + 1 },
        },
        {
          signalId: Uint32Array.from(ids),
          value: Float64Array.from(vals),
          timeOffsetMs: Uint32Array.from(offs),
          timeSubMsUs: Uint32Array.from(subs),
        },
      ),
    );
  }
}

// 2. Archive (timed), once per row-group size asked for (the same records each time, in this one process).
interface ArchiveRun {
  readonly rowGroupRows: number;
  readonly files: number;
  readonly bytes: number;
  readonly elapsed: number;
  readonly cpuSeconds: number;
  readonly writeSeconds: number;
  readonly writeCpuSeconds: number;
}
async function archiveOnce(rowGroupRows: number): Promise<ArchiveRun> {
  const dir = mkdtempSync(join(tmpdir(), 'telltale-bench-archive-'));
  const duckdb = await openDuckDb({ threads: 1 });
  const connection = await duckdb.connect();
  const writer = new ParquetWriter(connection, rowGroupRows);
  let bytes = 0;
  let files = 0;
  let segment = new Segment();
  let writeSeconds = 0;
  let writeCpuSeconds = 0;
  async function flush(): Promise<void> {
    for (const group of segment.groups()) {
      const path = join(dir, `${partitionDir(group.partition).replaceAll('/', '_')}-${files}.parquet`);
      const writeStarted = process.hrtime.bigint();
      const writeCpu = process.cpuUsage();
      await writer.write(group, path);
      writeSeconds += Number(process.hrtime.bigint() - writeStarted) / 1e9;
      const used = process.cpuUsage(writeCpu);
      writeCpuSeconds += (used.user + used.system) / 1e6;
      await fsyncFile(path);
      bytes += statSync(path).size;
      files++;
    }
    segment = new Segment();
  }
  const started = process.hrtime.bigint();
  const cpuStarted = process.cpuUsage();
  let offset = 0n;
  for (const record of records) {
    const { header, columns } = decodeSignalBatch(record);
    const batch: ArchivableBatch = {
      vin: header.vin,
      modelId: header.modelId,
      catalogVersion: header.catalogVersion,
      deviceSeq: header.source?.deviceSeq ?? 0,
      baseTimeMsEpoch: Number(header.baseTimeMsEpoch),
      ...columns,
    };
    segment.add(offset++, batch);
    if (segment.rows >= flushRows) await flush();
  }
  await flush();
  const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(cpuStarted);
  connection.closeSync();
  duckdb.closeSync();
  rmSync(dir, { recursive: true, force: true });
  return {
    rowGroupRows,
    files,
    bytes,
    elapsed,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    writeSeconds,
    writeCpuSeconds,
  };
}
const runs: ArchiveRun[] = [];
for (const rowGroupRows of rowGroupSizes) runs.push(await archiveOnce(rowGroupRows));

// 3. PostgreSQL history for comparison (not timed): the same samples, every one a row, as the store writes them.
const schema = uniqueName('benchhistory');
const pool = createPgPool({ url: LOCAL.postgresUrl, schema, max: 2 });
let pgBytesPerSample = NaN;
let pgRows = 0;
let pgBlockRows = 0;
try {
  await migrate(pool, { schema });
  const store = new PgSignalStore(pool);
  for (const record of records.slice(0, pgSeconds)) {
    const { header, columns } = decodeSignalBatch(record);
    const out = coalesce(
      [
        {
          vin: header.vin,
          modelId: header.modelId,
          catalogVersion: header.catalogVersion,
          baseTimeMsEpoch: Number(header.baseTimeMsEpoch),
          receiveTimeMs: START,
          ...columns,
        },
      ],
      { nowMs: START + 86_400_000, maxFutureMs: 0, historyResolutionMs: 0, historyFromMs: 0 },
    );
    await store.write(out.latest, out.history, Date.now());
    pgRows += out.history.vin.length;
  }
  await pool.query('VACUUM ANALYZE signal_history_block');
  pgBlockRows = Number((await pool.query<{ n: string }>('SELECT count(*) AS n FROM signal_history_block')).rows[0]!.n);
  const { rows } = await pool.query<{ bytes: string }>(
    `SELECT sum(pg_total_relation_size(c.oid))::bigint AS bytes FROM pg_inherits i
     JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
     JOIN pg_namespace n ON n.oid = p.relnamespace WHERE p.relname = 'signal_history_block' AND n.nspname = $1`,
    [schema],
  );
  pgBytesPerSample = Number(rows[0]?.bytes ?? 0) / pgRows;
} finally {
  await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
  await pool.end();
}

const perVehicleSecond = Math.round(samples / (vehicles * seconds)).toLocaleString('en');
console.log(`archive bench: aurora-ev-2026, ${vehicles} vehicles × ${seconds} s of simulated traffic`);
console.log(`  samples          ${samples.toLocaleString('en')} (${perVehicleSecond} per vehicle-second)`);
for (const run of runs) {
  const { files, bytes, elapsed, cpuSeconds, writeSeconds, writeCpuSeconds } = run;
  const archives = run.rowGroupRows === ROW_GROUP_ROWS ? " (the archive's)" : '';
  console.log(`  row groups of ${run.rowGroupRows.toLocaleString('en')} rows${archives}`);
  console.log(`  files            ${files} (flush every ${flushRows.toLocaleString('en')} samples, zstd, sorted)`);
  console.log(
    `  write throughput ${Math.round(samples / elapsed).toLocaleString('en')} samples/s wall clock ` +
      `(${elapsed.toFixed(2)} s, one Node + one DuckDB thread)`,
  );
  console.log(
    `  per CPU second   ${Math.round(samples / cpuSeconds).toLocaleString('en')} samples/s ` +
      `(${cpuSeconds.toFixed(2)} CPU s, all threads of the process)`,
  );
  console.log(
    `  split (CPU)      ${(cpuSeconds - writeCpuSeconds).toFixed(2)} s decode + buffer, ` +
      `${writeCpuSeconds.toFixed(2)} s sort + DuckDB append + Parquet write ` +
      `(wall ${(elapsed - writeSeconds).toFixed(2)} s + ${writeSeconds.toFixed(2)} s)`,
  );
  console.log(`  size on disk     ${(bytes / samples).toFixed(3)} bytes/sample (${(bytes / 1e6).toFixed(1)} MB)`);
}
const archived = runs[runs.length - 1]!;
console.log(
  `  PostgreSQL       ${pgBytesPerSample.toFixed(1)} bytes per history sample (table + primary key; ` +
    `${pgRows.toLocaleString('en')} samples of the same traffic at resolution 0 in ` +
    `${pgBlockRows.toLocaleString('en')} signal_history_block rows: ` +
    `${(pgBytesPerSample / (archived.bytes / samples)).toFixed(0)}× the archive)`,
);
console.log(
  `  command          npx tsx bench/archive.ts --vehicles ${vehicles} --seconds ${seconds} --flush-rows ${flushRows} ` +
    `--pg-seconds ${pgSeconds} --row-group-rows ${rowGroupSizes.join(',')}`,
);
