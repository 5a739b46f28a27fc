// Exactly once under kill -9: the archive runs as `node services/cli/bin/telltale.js archive`, is SIGKILLed several
// times while records stream in and segments flush, and restarts; at the end DuckDB reads the raw directory
// (read_parquet('<dir>/**/*.parquet', hive_partitioning = true)) and finds every produced row exactly as often as
// it was produced. Replays of the same offsets never duplicate; a record sent twice (same batch_id and part at two
// offsets) is kept twice: the archive mirrors the topic, and upstream (gateway dedupe, decoder transactions) keeps
// the topic free of such duplicates.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createKafkaClient, createReliableProducer } from '@telltale/platform/kafka';
import { createPgPool } from '@telltale/platform/db';
import { LOCAL, testLogger, uniqueName, waitFor } from '@telltale/platform/testing';
import { HOUR_MS, compareRows, knownBatches, readArchiveRows } from './fixtures.js';

const run = uniqueName('archive_eo');
const prefix = `${run}.`;
const CLI = join(import.meta.dirname, '../../services/cli/bin/telltale.js');
const VINS = ['LRW3E7FS1RC300001', 'LRW3E7FS1RC300002', 'LRW3E7FS1RC300003', 'LRW3E7FS1RC300004'];
const START = (Math.floor(Date.now() / HOUR_MS) - 5) * HOUR_MS - 30_000;

function parquetFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else if (e.name.endsWith('.parquet') && !e.name.startsWith('.')) out.push(relative(dir, join(d, e.name)));
    }
  };
  walk(dir);
  return out.sort();
}

describe('archive: exactly once across kill -9', () => {
  const dir = mkdtempSync(join(tmpdir(), 'telltale-archive-eo-'));
  const pool = createPgPool({ url: LOCAL.postgresUrl, schema: run, max: 2 });
  const kafka = createKafkaClient({ brokers: LOCAL.kafkaBrokers, clientId: run, log: testLogger() });
  const producer = createReliableProducer(kafka);
  const children: ChildProcess[] = [];

  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await producer.disconnect();
    await pool.query(`DROP SCHEMA IF EXISTS ${run} CASCADE`);
    await pool.end();
    rmSync(dir, { recursive: true, force: true });
  });

  async function startChild(): Promise<ChildProcess> {
    const child = spawn(process.execPath, [CLI, 'archive'], {
      env: {
        ...process.env,
        DATABASE_SCHEMA: run,
        KAFKA_TOPIC_PREFIX: prefix,
        KAFKA_PARTITIONS: '3',
        KAFKA_SESSION_TIMEOUT_MS: '6000',
        LOG_LEVEL: 'info',
        OPS_PORT: '0', // `telltale archive` alone takes its fixed port otherwise
        ARCHIVE_DIR: dir,
        ARCHIVE_FLUSH_ROWS: '600',
        ARCHIVE_FLUSH_INTERVAL_MS: '400',
        ARCHIVE_COMPACT_INTERVAL_MS: '3600000',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    await waitFor(
      'the archive to start',
      () => {
        if (child.exitCode !== null) throw new Error(`archive exited with ${child.exitCode}:\n${out}`);
        return out.includes('Archive started.') ? true : undefined;
      },
      60_000,
      50,
    );
    return child;
  }

  async function archivedRows(): Promise<number> {
    const { rows } = await pool.query<{ n: string | null }>('SELECT sum(rows) AS n FROM archive_files');
    return Number(rows[0]?.n ?? 0);
  }

  async function segments(): Promise<number> {
    const { rows } = await pool.query<{ n: string }>('SELECT count(*) AS n FROM archive_segments');
    return Number(rows[0]!.n);
  }

  it('leaves every row exactly once after repeated SIGKILLs mid-stream', async () => {
    await producer.connect();
    const topic = `${prefix}vehicle.signals.v1`;
    const produced = knownBatches(320, VINS, START);
    // The same record (batch_id + part) at a second offset: kept, so expected twice.
    const all = [...produced, produced[7]!];
    const waves = [all.slice(0, 160), all.slice(160, 320), all.slice(320, 480), all.slice(480)];
    const kills = 3;
    for (let k = 0; k < kills; k++) {
      const child = await startChild();
      const before = await segments();
      await producer.send(topic, waves[k]!);
      // Kill once this process has committed at least one segment, at a random moment while more are flushing.
      await waitFor('a segment committed', async () => ((await segments()) > before ? true : undefined), 60_000, 20);
      await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 400)));
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
    }
    const last = await startChild();
    await producer.send(topic, waves[3]!);
    const expected = all.flatMap((p) => p.rows);
    await waitFor(
      'every row in the manifest',
      async () => ((await archivedRows()) >= expected.length ? true : undefined),
      120_000,
      200,
    );
    last.kill('SIGTERM');
    await new Promise((r) => last.once('exit', r));

    expect(await archivedRows()).toBe(expected.length);
    const back = await readArchiveRows(dir);
    expect(compareRows(expected, back.rows)).toEqual({ missing: [], extra: [] });
    // What is on disk is exactly what the manifest lists, and the ledger's ranges never overlap.
    const listed = await pool.query<{ path: string }>('SELECT path FROM archive_files ORDER BY path');
    expect(parquetFiles(dir)).toEqual(listed.rows.map((r) => r.path).sort());
    const ledger = await pool.query<{ partition: number; first: string; last: string; epoch: string }>(
      'SELECT partition, first_offset AS first, last_offset AS last, epoch FROM archive_segments ORDER BY 1, 2',
    );
    for (let i = 1; i < ledger.rows.length; i++) {
      const [a, b] = [ledger.rows[i - 1]!, ledger.rows[i]!];
      if (a.partition === b.partition) expect(BigInt(b.first)).toBeGreaterThan(BigInt(a.last));
    }
    // Several owners wrote: each restart claimed the partitions again.
    expect(new Set(ledger.rows.map((r) => r.epoch)).size).toBeGreaterThan(1);
  }, 300_000);
});
