// The archive on real Kafka and PostgreSQL, with the Parquet files read back by DuckDB: every produced sample lands
// once in its model/date/hour partition, bad records are dead-lettered with their reason, compaction merges an
// hour's files without changing a row and writes their per-second rollups, retention drops old days (rollups too),
// and `telltale history export` reads it back.
import { mkdtempSync, readFileSync, readdirSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDBInstance } from '@duckdb/node-api';
import { PgManifest, startArchive, type RunningArchive } from '@telltale/archive';
import { BUNDLED_CATALOG_DIR, CatalogLibrary } from '@telltale/catalog';
import { main } from '@telltale/cli';
import { createKafkaClient, createReliableProducer, RECORD_HEADER } from '@telltale/platform/kafka';
import { SignalBatch } from '@telltale/platform/proto';
import { createPgPool, type Pool } from '@telltale/platform/db';
import { LOCAL, testLogger, uniqueName, waitFor } from '@telltale/platform/testing';
import { PgRegistry } from '@telltale/registry';
import { migrate } from '@telltale/platform/db';
import { collectTopic, header, type Collected } from '../helpers.js';
import { HOUR_MS, MODEL, compareRows, knownBatches, readArchiveRows, type Produced } from './fixtures.js';

const run = uniqueName('archive');
const prefix = `${run}.`;
const VINS = ['LRW3E7FS1RC200001', 'LRW3E7FS1RC200002', 'LRW3E7FS1RC200003'];
// 10 s before an hour boundary three hours ago: the batches span two hour partitions.
const START = (Math.floor(Date.now() / HOUR_MS) - 3) * HOUR_MS - 10_000;
const OLD = (Math.floor(Date.now() / HOUR_MS) - 40 * 24) * HOUR_MS;

function hourFiles(dir: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const walk = (d: string, rel: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory() && !e.name.startsWith('.')) walk(join(d, e.name), rel ? `${rel}/${e.name}` : e.name);
      else if (e.isFile() && e.name.endsWith('.parquet')) out.set(rel, [...(out.get(rel) ?? []), e.name]);
    }
  };
  walk(dir, '');
  return out;
}

/** Every rollup file under the archive root, relative. */
function rollupFiles(dir: string, rel = ''): string[] {
  return readdirSync(join(dir, rel), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? rollupFiles(dir, rel ? `${rel}/${e.name}` : e.name)
      : e.name.endsWith('.rollup')
        ? [`${rel}/${e.name}`]
        : [],
  );
}

/** (vin, signal, second) rows where a rollup and its data file disagree on count, min or max (or one lacks it). */
async function rollupMismatches(dataPath: string, rollupPath: string): Promise<number> {
  const instance = await DuckDBInstance.create(':memory:');
  const db = await instance.connect();
  try {
    const reader = await db.runAndReadAll(
      `SELECT count(*)::INTEGER FROM (
         SELECT vin, signal_id, event_time_ms // 1000 * 1000 AS second_ms, count(*) AS n, min(value) AS lo,
                max(value) AS hi
         FROM read_parquet('${dataPath}') GROUP BY ALL) r
       FULL JOIN read_parquet('${rollupPath}') u USING (vin, signal_id, second_ms)
       WHERE r.n IS DISTINCT FROM u.count OR r.lo IS DISTINCT FROM u.min OR r.hi IS DISTINCT FROM u.max`,
    );
    return Number(reader.getRows()[0]![0]);
  } finally {
    db.closeSync();
    instance.closeSync();
  }
}

describe('archive: Parquet by model/date/hour, dead letters, compaction, retention, export', () => {
  const dir = mkdtempSync(join(tmpdir(), 'telltale-archive-'));
  const kafka = createKafkaClient({ brokers: LOCAL.kafkaBrokers, clientId: run, log: testLogger() });
  const producer = createReliableProducer(kafka);
  const env = {
    ...process.env,
    DATABASE_SCHEMA: run,
    KAFKA_TOPIC_PREFIX: prefix,
    KAFKA_PARTITIONS: '2',
    LOG_LEVEL: 'silent',
    ARCHIVE_DIR: dir,
    ARCHIVE_FLUSH_ROWS: '1000',
    ARCHIVE_FLUSH_INTERVAL_MS: '300',
    ARCHIVE_COMPACT_AFTER_MS: '0',
    ARCHIVE_COMPACT_INTERVAL_MS: '3600000',
    ARCHIVE_RETENTION_DAYS: '30',
  };
  let archive: RunningArchive;
  let pool: Pool;
  let dlq: Collected;
  let produced: Produced[];
  let old: Produced[];

  beforeAll(async () => {
    archive = await startArchive(env);
    pool = createPgPool({ url: LOCAL.postgresUrl, schema: run, max: 2 });
    await producer.connect();
    dlq = await collectTopic(kafka, `${prefix}vehicle.signals.dlq.v1`, `${run}-dlq`);
    produced = knownBatches(60, VINS, START);
    old = knownBatches(3, VINS, OLD);
    const bad = [
      { key: VINS[0]!, value: Buffer.from([0x0a, 0xff, 0xff]) },
      {
        key: VINS[1]!,
        value: Buffer.from(
          SignalBatch.encode({
            vin: VINS[1]!,
            modelId: '../x',
            baseTimeMsEpoch: START,
            signalId: [1],
            value: [1],
            timeOffsetMs: [0],
          }).finish(),
        ),
      },
    ];
    const topic = `${prefix}vehicle.signals.v1`;
    await producer.send(topic, [...produced.slice(0, 50), ...bad, ...old, ...produced.slice(50)]);
  }, 90_000);

  afterAll(async () => {
    await dlq?.stop();
    await archive?.stop();
    await producer.disconnect();
    await pool?.query(`DROP SCHEMA IF EXISTS ${run} CASCADE`);
    await pool?.end();
    rmSync(dir, { recursive: true, force: true });
  });

  const expectedRows = (): string[] => [...produced, ...old].flatMap((p) => p.rows);

  it('archives every sample once into its hour partition, with a manifest row per file', async () => {
    const total = expectedRows().length;
    await waitFor(
      'the manifest to list every sample',
      async () => {
        const { rows } = await pool.query<{ n: string | null }>('SELECT sum(rows) AS n FROM archive_files');
        return Number(rows[0]?.n ?? 0) === total ? true : undefined;
      },
      60_000,
      200,
    );
    const back = await readArchiveRows(dir);
    expect(compareRows(expectedRows(), back.rows)).toEqual({ missing: [], extra: [] });
    expect(back.models).toEqual([MODEL]);
    const hours = [...hourFiles(dir).keys()].sort();
    const iso = (ms: number): string => new Date(ms).toISOString();
    expect(hours).toEqual(
      [OLD, START, START + 10_000]
        .map((t) => `model=${MODEL}/date=${iso(t).slice(0, 10)}/hour=${iso(t).slice(11, 13)}`)
        .sort(),
    );
    // Every file's rows are in file order (vin, signal id, event time to the µs): what the writer's sort promises.
    for (const [hour, files] of hourFiles(dir)) {
      for (const file of files) {
        const { rows } = await readArchiveRows([join(dir, hour, file)]);
        const keys = rows.map((r) => r.split('|'));
        for (let i = 1; i < keys.length; i++) {
          const [a, b] = [keys[i - 1]!, keys[i]!];
          const order =
            a[0]! < b[0]! ? -1 : a[0]! > b[0]! ? 1 : Number(a[1]) - Number(b[1]) || Number(a[2]) - Number(b[2]);
          expect(order, `${file} row ${i}`).toBeLessThanOrEqual(0);
        }
      }
    }
    const ledger = await pool.query<{ partition: number; first: string; last: string }>(
      'SELECT partition, first_offset AS first, last_offset AS last FROM archive_segments ORDER BY 1, 2',
    );
    // Segments of a partition never overlap.
    for (let i = 1; i < ledger.rows.length; i++) {
      const [a, b] = [ledger.rows[i - 1]!, ledger.rows[i]!];
      if (a.partition === b.partition) expect(BigInt(b.first)).toBeGreaterThan(BigInt(a.last));
    }
  });

  it('dead-letters undecodable records and unusable model ids with their reason and source offset', async () => {
    const letters = await waitFor('two dead letters', () => (dlq.messages.length >= 2 ? dlq.messages : undefined));
    expect(letters.map((m) => header(m, RECORD_HEADER.reason)).sort()).toEqual([
      'INVALID_MODEL_ID',
      'MALFORMED_PROTOBUF',
    ]);
    for (const m of letters) expect(header(m, RECORD_HEADER.sourceOffset)).toMatch(/^\d+:\d+$/);
  });

  it('compaction merges each hour into one sorted file without changing a row; retention drops old days', async () => {
    const before = hourFiles(dir);
    expect([...before.values()].some((files) => files.length > 1)).toBe(true);
    const result = await archive.compactor.run();
    expect(result?.hoursCompacted).toBeGreaterThan(0);
    const after = hourFiles(dir);
    expect(after.size).toBe(2);
    for (const files of after.values()) expect(files).toHaveLength(1);
    expect([...after.keys()].some((k) => k.includes(new Date(OLD).toISOString().slice(0, 10)))).toBe(false);
    const back = await readArchiveRows(dir);
    expect(
      compareRows(
        produced.flatMap((p) => p.rows),
        back.rows,
      ),
    ).toEqual({ missing: [], extra: [] });
    const manifest = await pool.query<{ path: string; source_files: number; rollup_path: string | null }>(
      'SELECT path, source_files, rollup_path FROM archive_files',
    );
    expect(manifest.rows).toHaveLength(2);
    for (const r of manifest.rows) expect(existsSync(join(dir, r.path))).toBe(true);
    // Each compacted file has its per-second rollup listed beside it, with the count, min and max of every
    // (vin, signal, second) of the file; no other rollup is left on disk.
    expect(rollupFiles(dir).sort()).toEqual(manifest.rows.map((r) => r.rollup_path).sort());
    for (const r of manifest.rows) expect(await rollupMismatches(join(dir, r.path), join(dir, r.rollup_path!))).toBe(0);
    const pending = await pool.query('SELECT * FROM archive_pending_deletes');
    expect(pending.rowCount).toBe(0);
    // A second pass finds nothing to do.
    expect(await archive.compactor.run()).toEqual({ hoursCompacted: 0, filesMerged: 0, filesDeleted: 0 });
  });

  it('telltale history export writes the chosen signals of a vehicle in a time range (CSV) with progress', async () => {
    await migrate(pool, { schema: run });
    await new PgRegistry(pool).importVehicles(
      VINS.map((vin, i) => ({
        line: i + 2,
        vin,
        fleetId: 'fleet-x',
        fleetName: undefined,
        modelId: MODEL,
        catalogVersion: '1.0.0',
        deviceId: `dev-${i}`,
        deviceSecret: `secret-for-device-${i}`,
      })),
    );
    const [catalog] = (await new CatalogLibrary(BUNDLED_CATALOG_DIR, testLogger()).latestPerModel()).filter(
      (c) => c.catalog.modelId === MODEL,
    );
    const s1 = catalog!.catalog.signals[1]!;
    const s2 = catalog!.catalog.signals[2]!;
    const out = join(dir, 'export.csv');
    const stderr = new PassThrough();
    const stdout = new PassThrough();
    let errText = '';
    stderr.on('data', (d: Buffer) => (errText += d.toString()));
    const from = START + 10_000;
    const to = START + 30_000;
    const code = await main(
      [
        'history',
        'export',
        '--vin',
        VINS[0]!,
        '--from',
        new Date(from).toISOString(),
        '--to',
        String(to),
        '--signals',
        `${s1.qualifiedName},${s2.name}`,
        '--format',
        'csv',
        '--out',
        out,
      ],
      { stdin: new PassThrough(), stdout, stderr, env: { ...env, ARCHIVE_DIR: dir }, cwd: process.cwd() },
    );
    expect(errText).toMatch(/files read/);
    expect(code).toBe(0);
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    expect(lines[0]).toBe(
      'vin,model_id,signal,signal_id,event_time,event_time_ms,event_time_sub_ms_us,value,catalog_version,device_seq',
    );
    const got = lines.slice(1).map((l) => {
      const c = l.split(',');
      return `${c[0]}|${c[3]}|${Number(c[5]) * 1000 + Number(c[6])}|${Number(c[7])}`;
    });
    const want = produced
      .flatMap((p) => p.rows)
      .filter((r) => {
        const [vin, id, t] = r.split('|');
        return vin === VINS[0] && (id === '1' || id === '2') && Number(t) >= from * 1000 && Number(t) < to * 1000;
      });
    expect(want.length).toBeGreaterThan(0);
    expect(compareRows(want, got)).toEqual({ missing: [], extra: [] });
    const names = new Set(lines.slice(1).map((l) => l.split(',')[2]));
    expect([...names].sort()).toEqual([s1.qualifiedName, s2.qualifiedName].sort());
  });

  it('retention deletes rollups with their files', async () => {
    expect(rollupFiles(dir).length).toBeGreaterThan(0);
    const dropped = await new PgManifest(pool).dropBefore('2999-01-01', Date.now());
    expect(dropped.filter((p) => p.endsWith('.rollup')).sort()).toEqual(rollupFiles(dir).sort());
    await archive.compactor.run();
    expect(rollupFiles(dir)).toEqual([]);
    expect(hourFiles(dir).size).toBe(0);
  });
});
