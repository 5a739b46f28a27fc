/**
 * Archive write throughput and size: the simulator's premium EV traffic (aurora-ev-2026, every signal of every
 * frame, decoded with the model's compiled catalog exactly as the decoder does) as SignalBatch records, then timed:
 * decode SignalBatch → check → segment buffer → sorted zstd Parquet per hour partition → fsync. One DuckDB thread,
 * one Node thread: samples/s on one core, and bytes on disk per sample.
 *
 *   npx tsx bench/archive.ts [--vehicles 4] [--seconds 30] [--flush-rows 2000000]
 *
 * Targets (docs: performance budget): ≥ 1,000,000 samples/s per core, ≤ 2 bytes per sample.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ParquetWriter, Segment, fsyncFile, openDuckDb, partitionDir, type ArchivableBatch } from '@telltale/archive';
import { compileCatalog } from '@telltale/catalog';
import { SignalSink, decodeBatch } from '@telltale/dbc';
import { decodeSignalBatch, encodeSignalBatch } from '@telltale/platform/proto';
import { FrameBuffer, VehicleSimulator, loadSimModel } from '@telltale/simulator';

const { values: args } = parseArgs({
  options: {
    vehicles: { type: 'string', default: '4' },
    seconds: { type: 'string', default: '30' },
    'flush-rows': { type: 'string', default: '2000000' },
  },
});
const vehicles = Number(args.vehicles);
const seconds = Number(args.seconds);
const flushRows = Number(args['flush-rows']);
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
    for (const { bus, compiled: db } of compiled.buses) {
      decodeBatch(frames, db, sink, { bus: bus.index });
      for (let i = 0; i < sink.count; i++) {
        ids.push(sink.signalId[i]!);
        vals.push(sink.value[i]!);
        offs.push(Math.max(0, Math.floor(frames.timeUs[sink.frameIndex[i]!]! / 1000) - s * 1000));
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
        { signalId: Uint32Array.from(ids), value: Float64Array.from(vals), timeOffsetMs: Uint32Array.from(offs) },
      ),
    );
  }
}

// 2. Archive (timed).
const dir = mkdtempSync(join(tmpdir(), 'telltale-bench-archive-'));
const duckdb = await openDuckDb({ threads: 1 });
const writer = new ParquetWriter(await duckdb.connect());
let bytes = 0;
let files = 0;
let segment = new Segment();
async function flush(): Promise<void> {
  for (const group of segment.groups()) {
    const path = join(dir, `${partitionDir(group.partition).replaceAll('/', '_')}-${files}.parquet`);
    await writer.write(group, path);
    await fsyncFile(path);
    bytes += statSync(path).size;
    files++;
  }
  segment = new Segment();
}
const started = process.hrtime.bigint();
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
rmSync(dir, { recursive: true, force: true });

const perVehicleSecond = Math.round(samples / (vehicles * seconds)).toLocaleString('en');
const rate = Math.round(samples / elapsed).toLocaleString('en');
console.log(`archive bench: aurora-ev-2026, ${vehicles} vehicles × ${seconds} s of simulated traffic`);
console.log(`  samples          ${samples.toLocaleString('en')} (${perVehicleSecond} per vehicle-second)`);
console.log(`  files            ${files} (flush every ${flushRows.toLocaleString('en')} samples, zstd, sorted)`);
console.log(`  write throughput ${rate} samples/s on one core (${elapsed.toFixed(2)} s)`);
console.log(`  size on disk     ${(bytes / samples).toFixed(3)} bytes/sample (${(bytes / 1e6).toFixed(1)} MB)`);
console.log(
  `  command          npx tsx bench/archive.ts --vehicles ${vehicles} --seconds ${seconds} --flush-rows ${flushRows}`,
);
