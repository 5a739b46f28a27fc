// History blocks (migration 0018) on the real PostgreSQL: the same samples written in one poll, or shuffled, split
// into polls that cut buckets, replayed, through a restarted writer and two writers taking turns (a rebalance), give
// identical rows; and the upgrade copies the old per-sample rows into blocks without losing one.
import { afterAll, describe, expect, it } from 'vitest';
import { PgSignalStore, coalesce, type DecodedBatch } from '@telltale/store';
import { createPgPool, migrate, readMigrations, type Pool } from '@telltale/platform/db';
import { LOCAL, uniqueName } from '@telltale/platform/testing';

const NOW = Date.now();
const BASE = Math.floor(NOW / 1000) * 1000 - 60_000;
const pools: Pool[] = [];
const schemas: string[] = [];

async function schema(upTo?: string): Promise<Pool> {
  const name = uniqueName('histblk');
  const pool = createPgPool({ url: LOCAL.postgresUrl, schema: name, max: 2 });
  pools.push(pool);
  schemas.push(name);
  const all = readMigrations();
  await migrate(pool, { schema: name, migrations: upTo ? all.filter((m) => m.version <= upTo) : all });
  return pool;
}

afterAll(async () => {
  for (let i = 0; i < pools.length; i++) {
    await pools[i]!.query(`DROP SCHEMA IF EXISTS ${schemas[i]} CASCADE`);
    await pools[i]!.end();
  }
});

/** A deterministic pseudo-random sequence, so a failure replays. */
function random(seed: number): () => number {
  let x = seed;
  return () => {
    x = (x * 1_103_515_245 + 12_345) % 2 ** 31;
    return x / 2 ** 31;
  };
}

/** Batches of two vehicles over 4 s: 300 signals (3 blocks), duplicates, equal-time samples with other values. */
function batches(): DecodedBatch[] {
  const next = random(7);
  const out: DecodedBatch[] = [];
  for (const vin of ['LRW3E7FS1RC400001', 'LRW3E7FS1RC400002']) {
    for (let i = 0; i < 40; i++) {
      const n = 60;
      const signalId = Array.from({ length: n }, () => Math.floor(next() * 300));
      const offset = Array.from({ length: n }, () => Math.floor(next() * 4000));
      out.push({
        vin,
        modelId: 'aurora-ev-2026',
        catalogVersion: next() < 0.5 ? '1.0.0' : '1.1.0',
        baseTimeMsEpoch: BASE,
        receiveTimeMs: BASE + 5000 + Math.floor(next() * 3),
        signalId,
        value: signalId.map(() => Math.floor(next() * 4)),
        timeOffsetMs: offset,
        timeSubMsUs: offset.map(() => (next() < 0.5 ? 0 : Math.floor(next() * 1000))),
      });
      if (next() < 0.2) out.push(out[out.length - 1]!); // a duplicate record
    }
  }
  return out;
}

const OPTIONS = { nowMs: NOW, maxFutureMs: 300_000, historyResolutionMs: 1000, historyFromMs: NOW - 3_600_000 };

async function write(store: PgSignalStore, poll: readonly DecodedBatch[]): Promise<void> {
  const out = coalesce(poll, OPTIONS);
  await store.write(out.latest, out.history, Date.now());
}

/** Every row, every slot: what the table holds. */
async function rowsOf(pool: Pool): Promise<unknown[]> {
  const { rows } = await pool.query<Record<string, unknown>>(
    `SELECT vin, block, bucket_us::text, value, offset_us, receive_time_ms::text[],
       ARRAY(SELECT catalog_versions[i] FROM unnest(catalog_version_index) AS i) AS versions
     FROM signal_history_block ORDER BY vin, block, bucket_us`,
  );
  return rows;
}

describe('history blocks in PostgreSQL', () => {
  it('are the same rows for one poll or shuffled polls cutting buckets, replays, restart, two writers', async () => {
    const input = batches();
    const once = await schema();
    await write(new PgSignalStore(once), input);
    const expected = await rowsOf(once);
    expect(expected.length).toBeGreaterThan(2 * 3 * 4 - 1); // 2 vehicles × 3 blocks × 4-5 buckets
    const { rows: samples } = await once.query<{ n: string }>('SELECT count(*) AS n FROM signal_history');
    expect(Number(samples[0]!.n)).toBe(coalesce(input, OPTIONS).history.vin.length);

    const next = random(11);
    const shuffled = input
      .map((b) => ({ b, k: next() }))
      .sort((x, y) => x.k - y.k)
      .map((x) => x.b);
    const split = await schema();
    const a = new PgSignalStore(split);
    let b = new PgSignalStore(split);
    for (let from = 0, turn = 0; from < shuffled.length; turn++) {
      const size = 1 + Math.floor(next() * 9);
      const poll = shuffled.slice(from, from + size);
      from += size;
      const writer = turn % 2 === 0 ? a : b; // two instances taking turns: their caches go stale
      await write(writer, poll);
      if (next() < 0.3) await write(writer, poll); // a replay
      if (turn === 10) b = new PgSignalStore(split); // a restart: an empty cache
    }
    expect(await rowsOf(split)).toEqual(expected);
    expect(a.counts.historyMerged + b.counts.historyMerged).toBeGreaterThan(0);

    // A replay of everything through a fresh writer writes nothing new.
    const replay = new PgSignalStore(split);
    await write(replay, input);
    expect(await rowsOf(split)).toEqual(expected);
  });

  it('the upgrade copies per-sample rows into blocks: the signal_history view shows every one', async () => {
    const pool = await schema('0017');
    const day = Math.floor(BASE / 86_400_000);
    for (const d of [day, day + 1]) await pool.query('SELECT signal_history_ensure_day($1)', [d]);
    await pool.query(
      `INSERT INTO signal_history
         (vin, signal_id, event_time_ms, event_time_sub_ms_us, value, receive_time_ms, catalog_version)
       SELECT 'V1', s % 300, $1::bigint + (s / 3) * 250, (s * 37) % 1000, s * 0.5, $1::bigint + 9000,
         CASE WHEN s % 2 = 0 THEN '1.0.0' ELSE '1.1.0' END
       FROM generate_series(0, 999) AS s`,
      [BASE],
    );
    const columns = 'vin, signal_id, event_time_ms, event_time_sub_ms_us, value, receive_time_ms, catalog_version';
    const order = 'ORDER BY vin, signal_id, event_time_ms, event_time_sub_ms_us';
    const before = (await pool.query(`SELECT ${columns} FROM signal_history ${order}`)).rows;
    expect(before).toHaveLength(1000);
    await migrate(pool, { schema: schemas[schemas.length - 1]! });
    expect((await pool.query(`SELECT ${columns} FROM signal_history ${order}`)).rows).toEqual(before);
    const { rows } = await pool.query<{ relkind: string }>(
      'SELECT relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace ' +
        "WHERE relname = 'signal_history' AND n.nspname = current_schema()",
    );
    expect(rows).toEqual([{ relkind: 'v' }]);
  });
});
