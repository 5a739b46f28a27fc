/**
 * History query latency through the real API: one signal of one vehicle over the last 24 h, downsampled on the
 * server to 1,000 points (`GET /v1/vehicles/{vin}/signals/{name}/history?from=…&to=…&points=1000`), merged from the
 * archive (Parquet written by the archive's own writer and listed in its manifest) and the hot window in PostgreSQL
 * (the last --hot-hours at 1 s resolution, as the store keeps it: history blocks of 128 signals per second,
 * migration 0018).
 *
 *   npx tsx bench/history-query.ts [--requests 100] [--hot-hours 6] [--cycle-ms 10] [--other-signals 9]
 *
 * Two rounds in one run, same data, same API process: "raw" with the archive as flushes leave it (one segment file
 * per hour, no rollups: every sample of the day is read), then the archive's own compactor compacts every ended hour
 * (merged file + per-second rollup, what a user's archive holds ten minutes after an hour ends) and "rollups" times
 * the same requests again. Each round prints p50/p99 wall and CPU ms per request and the load average.
 *
 * Archive data: the queried signal every --cycle-ms for 24 h (8.64 M samples at 10 ms) and --other-signals more
 * signals of the same vehicle every 100 ms in the same files, so the reader has to skip rows it does not want.
 * Target (docs: performance budget): p99 ≤ 300 ms. Uses a unique schema on 127.0.0.1:5432 and a temporary
 * directory, both removed afterwards.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadavg } from 'node:os';
import {
  ParquetWriter,
  PgManifest,
  Segment,
  SegmentFiles,
  compactOnce,
  openDuckDb,
  type ManifestFile,
} from '@telltale/archive';
import { PgApiKeyStore, startApi } from '@telltale/api';
import { loadCatalog } from '@telltale/catalog';
import { PgRegistry } from '@telltale/registry';
import { PgSignalStore, emptyLatestRows } from '@telltale/store';
import { createPgPool, migrate } from '@telltale/platform/db';
import { LOCAL, uniqueName } from '@telltale/platform/testing';

const { values: args } = parseArgs({
  options: {
    requests: { type: 'string', default: '100' },
    'hot-hours': { type: 'string', default: '6' },
    'cycle-ms': { type: 'string', default: '10' },
    'other-signals': { type: 'string', default: '9' },
  },
});
const REQUESTS = Number(args.requests);
const HOT_HOURS = Number(args['hot-hours']);
const CYCLE_MS = Number(args['cycle-ms']);
const OTHER_SIGNALS = Number(args['other-signals']);
const HOUR = 3_600_000;
const VIN = 'LRW3E7FS1RC700001';
const root = join(import.meta.dirname, '..');

const catalog = await loadCatalog(join(root, 'signal-catalog/aurora-ev-2026'));
const speed = catalog.byQualifiedName.get('powertrain/VCU_VehicleStatus/VCU_VehicleSpeed')!;
const others = [...catalog.byQualifiedName.values()].filter((s) => s.id !== speed.id).slice(0, OTHER_SIGNALS);
const schema = uniqueName('benchhistoryq');
const pool = createPgPool({ url: LOCAL.postgresUrl, schema, max: 4 });
const dir = mkdtempSync(join(tmpdir(), 'telltale-bench-history-'));
const now = Date.now();
const dayStart = Math.floor((now - 24 * HOUR) / HOUR) * HOUR;
const valueAt = (t: number, id: number): number => Math.round((Math.sin(t / 9e5 + id) * 60 + 60) * 100) / 100;

try {
  await migrate(pool, { schema });
  await new PgRegistry(pool).importVehicles([
    {
      line: 2,
      vin: VIN,
      fleetId: 'bench',
      fleetName: undefined,
      modelId: catalog.modelId,
      catalogVersion: catalog.catalogVersion,
      deviceId: undefined,
      deviceSecret: undefined,
    },
  ]);

  // 1. The archive: one flushed file per hour (25 hours cover the last 24 h), through the archive's writer and
  // manifest; compacted between the two rounds.
  const duckdb = await openDuckDb({ threads: 1 });
  const db = await duckdb.connect();
  const writer = new ParquetWriter(db);
  const manifest = new PgManifest(pool);
  const { epoch } = await manifest.claim('vehicle.signals.v1', 0);
  let archived = 0;
  let bytes = 0;
  const files: ManifestFile[] = [];
  for (let hour = 0; hour < 25; hour++) {
    const segment = new Segment();
    const start = dayStart + hour * HOUR;
    // One batch per second, like the decoder's output.
    for (let s = 0; s < 3600; s++) {
      const base = start + s * 1000;
      if (base >= now) break;
      const ids: number[] = [];
      const values: number[] = [];
      const offsets: number[] = [];
      for (let off = 0; off < 1000; off += CYCLE_MS) {
        ids.push(speed.id);
        values.push(valueAt(base + off, speed.id));
        offsets.push(off);
      }
      for (const o of others) {
        for (let off = 0; off < 1000; off += 100) {
          ids.push(o.id);
          values.push(valueAt(base + off, o.id));
          offsets.push(off);
        }
      }
      segment.add(BigInt(hour * 3600 + s), {
        vin: VIN,
        modelId: catalog.modelId,
        catalogVersion: catalog.catalogVersion,
        deviceSeq: s,
        baseTimeMsEpoch: base,
        signalId: Uint32Array.from(ids),
        value: Float64Array.from(values),
        timeOffsetMs: Uint32Array.from(offsets),
      });
    }
    // As a flush leaves it: one segment file for the hour (temporary name, fsync, rename), compacted later.
    const range = { partition: 0, firstOffset: BigInt(hour), lastOffset: BigInt(hour), epoch };
    for (const file of await new SegmentFiles(dir, writer).write(range, segment.groups())) {
      files.push(file);
      bytes += file.bytes;
      archived += file.rows;
    }
    process.stderr.write(`\rarchive: hour ${hour + 1}/25, ${archived.toLocaleString('en')} samples`);
  }
  process.stderr.write('\n');
  await manifest.commitSegment({
    topic: 'vehicle.signals.v1',
    partition: 0,
    firstOffset: 0n,
    lastOffset: 24n,
    epoch,
    rows: archived,
    files,
  });
  const compact = async (): Promise<{ hours: number; seconds: number; rollupBytes: number }> => {
    const started = process.hrtime.bigint();
    const result = await compactOnce(manifest, dir, writer);
    const listed = await pool.query<{ path: string }>(
      'SELECT rollup_path AS path FROM archive_files WHERE rollup_path IS NOT NULL',
    );
    return {
      hours: result?.hoursCompacted ?? 0,
      seconds: Number(process.hrtime.bigint() - started) / 1e9,
      rollupBytes: listed.rows.reduce((n, r) => n + statSync(join(dir, r.path)).size, 0),
    };
  };

  // 2. The hot window: the last HOT_HOURS at 1 s resolution, as the store keeps it: history blocks (migration 0018)
  // with the signal and the other 127 signals of its block every second, so a read of one signal reads full rows.
  const hotFrom = now - HOT_HOURS * HOUR;
  const store = new PgSignalStore(pool);
  const block = Math.floor(speed.id / 128) * 128;
  const noLatest = emptyLatestRows();
  const first = Math.ceil(hotFrom / 1000) * 1000;
  for (let from = first; from < now; from += 600_000) {
    const rows = {
      resolutionMs: 1000,
      vin: [] as string[],
      signalId: [] as number[],
      eventTimeMs: [] as number[],
      eventTimeSubMsUs: [] as number[],
      value: [] as number[],
      receiveTimeMs: [] as number[],
      catalogVersion: [] as string[],
    };
    for (let t = from; t < Math.min(now, from + 600_000); t += 1000) {
      for (let id = block; id < block + 128; id++) {
        rows.vin.push(VIN);
        rows.signalId.push(id);
        rows.eventTimeMs.push(t);
        rows.eventTimeSubMsUs.push(0);
        rows.value.push(valueAt(t, id));
        rows.receiveTimeMs.push(t + 150);
        rows.catalogVersion.push(catalog.catalogVersion);
      }
    }
    await store.write(noLatest, rows, Date.now());
  }
  await pool.query('ANALYZE signal_history_block');
  const hotRows = Number(
    (await pool.query<{ n: string }>('SELECT count(*) AS n FROM signal_history_block')).rows[0]!.n,
  );

  // 3. The API, and the timed requests.
  const api = await startApi({
    ...process.env,
    DATABASE_URL: LOCAL.postgresUrl,
    DATABASE_SCHEMA: schema,
    API_PORT: '0',
    OPS_PORT: '0',
    LOG_LEVEL: 'warn',
    ARCHIVE_DIR: dir,
    SECRETS_KEY: randomBytes(32).toString('base64'), // the API insists on one; this bench seals no secret
    STORE_HISTORY_HOT_HOURS: String(HOT_HOURS),
    API_RATE_LIMIT_PER_SECOND: '1000',
    API_RATE_LIMIT_BURST: '1000',
  });
  const { token } = await new PgApiKeyStore(pool).create({
    name: 'bench',
    role: 'viewer',
    fleets: ['bench'],
    createdBy: 'cli',
  });
  interface Round {
    readonly wall: number[];
    readonly cpu: number[];
    readonly points: number;
    readonly samples: number;
    readonly archiveHours: { rollup: number; raw: number };
    readonly load: string;
  }
  const round = async (): Promise<Round> => {
    const wall: number[] = [];
    const cpu: number[] = [];
    let points = 0;
    let samples = 0;
    let archiveHours = { rollup: 0, raw: 0 };
    for (let i = 0; i < REQUESTS + 3; i++) {
      const to = Date.now();
      const url =
        `${api.url}/v1/vehicles/${VIN}/signals/vehicleSpeed/history` + `?from=${to - 24 * HOUR}&to=${to}&points=1000`;
      const started = process.hrtime.bigint();
      const before = process.cpuUsage();
      const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
      const body = (await response.json()) as {
        buckets?: { count: number }[];
        archiveHours?: { rollup: number; raw: number };
      };
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const used = process.cpuUsage(before);
      if (response.status !== 200 || !body.buckets) throw new Error(`HTTP ${response.status}: ${JSON.stringify(body)}`);
      if (i < 3) continue; // warm-up: DuckDB start, first reads of the files' metadata
      wall.push(ms);
      cpu.push((used.user + used.system) / 1000);
      points = body.buckets.length;
      samples = body.buckets.reduce((n, b) => n + b.count, 0);
      archiveHours = body.archiveHours ?? archiveHours;
    }
    const load = loadavg()
      .map((l) => l.toFixed(2))
      .join(' ');
    return { wall, cpu, points, samples, archiveHours, load };
  };
  let raw: Round;
  let rolled: Round;
  let compaction: Awaited<ReturnType<typeof compact>>;
  try {
    raw = await round();
    compaction = await compact();
    rolled = await round();
  } finally {
    await api.stop();
    db.closeSync();
    duckdb.closeSync();
  }
  const mean = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0) / values.length;
  const q = (values: readonly number[], p: number): string => {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!.toFixed(1);
  };
  console.log(`history query bench: one signal, 24 h, downsampled to 1,000 points, ${REQUESTS} sequential requests`);
  console.log(
    `  archive          ${archived.toLocaleString('en')} samples in ${files.length} hourly files ` +
      `(${(bytes / 1e6).toFixed(1)} MB): the signal every ${CYCLE_MS} ms + ${others.length} signals every 100 ms`,
  );
  console.log(
    `  hot window       last ${HOT_HOURS} h in PostgreSQL at 1 s (${hotRows.toLocaleString('en')} block rows of ` +
      '128 signals: the signal and its block)',
  );
  console.log(
    `  compaction       ${compaction.hours} hours merged + rolled up in ${compaction.seconds.toFixed(1)} s; ` +
      `rollups ${(compaction.rollupBytes / 1e6).toFixed(1)} MB`,
  );
  for (const [name, r] of [
    ['raw', raw],
    ['rollups', rolled],
  ] as const) {
    console.log(
      `  ${name.padEnd(8)} ${r.points} buckets, ${r.samples.toLocaleString('en')} samples; archive hours ` +
        `${r.archiveHours.rollup} from rollups, ${r.archiveHours.raw} raw`,
    );
    console.log(
      `           wall ms p50 ${q(r.wall, 0.5)} p99 ${q(r.wall, 0.99)} max ${q(r.wall, 1)}; CPU ms per request ` +
        `p50 ${q(r.cpu, 0.5)} p99 ${q(r.cpu, 0.99)} mean ${mean(r.cpu).toFixed(1)}` +
        ` (this process: API + DuckDB threads + client); load average ${r.load} (2 cores, shared)`,
    );
  }
  console.log(
    `  command          npx tsx bench/history-query.ts --requests ${REQUESTS} --hot-hours ${HOT_HOURS} ` +
      `--cycle-ms ${CYCLE_MS} --other-signals ${OTHER_SIGNALS}`,
  );
} finally {
  await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
  await pool.end();
  rmSync(dir, { recursive: true, force: true });
}
