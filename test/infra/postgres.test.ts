import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { LOCAL, uniqueName } from '@telltale/platform/testing';

describe('PostgreSQL round-trip (real server, schema per run)', () => {
  const schema = uniqueName('t');
  const pool = new pg.Pool({ connectionString: LOCAL.postgresUrl, max: 2 });

  beforeAll(async () => {
    await pool.query(`CREATE SCHEMA ${schema}`);
    await pool.query(
      `CREATE TABLE ${schema}.latest (vin text, signal_id int, value double precision, event_time_ms bigint, ` +
        'PRIMARY KEY (vin, signal_id))',
    );
  });
  afterAll(async () => {
    await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await pool.end();
  });

  it('writes with unnest arrays and reads the rows back', async () => {
    await pool.query(
      `INSERT INTO ${schema}.latest SELECT * FROM unnest($1::text[], $2::int[], $3::float8[], $4::bigint[])`,
      [
        ['VIN1', 'VIN1', 'VIN2'],
        [1, 2, 1],
        [12.5, -3.25, 1e300],
        [1763700000123, 1763700000124, 1763700000125],
      ],
    );
    const { rows } = await pool.query<{ vin: string; signal_id: number; value: number; event_time_ms: string }>(
      `SELECT vin, signal_id, value, event_time_ms FROM ${schema}.latest ORDER BY vin, signal_id`,
    );
    expect(rows.map((r) => [r.vin, r.signal_id, r.value, Number(r.event_time_ms)])).toEqual([
      ['VIN1', 1, 12.5, 1763700000123],
      ['VIN1', 2, -3.25, 1763700000124],
      ['VIN2', 1, 1e300, 1763700000125],
    ]);
  });

  it('keeps the newest event time on conflicting upserts', async () => {
    const upsert = `INSERT INTO ${schema}.latest VALUES ($1, $2, $3, $4)
      ON CONFLICT (vin, signal_id) DO UPDATE SET value = excluded.value, event_time_ms = excluded.event_time_ms
      WHERE excluded.event_time_ms > latest.event_time_ms`;
    await pool.query(upsert, ['VIN3', 7, 1, 2000]);
    await pool.query(upsert, ['VIN3', 7, 2, 1000]);
    const { rows } = await pool.query<{ value: number }>(`SELECT value FROM ${schema}.latest WHERE vin = 'VIN3'`);
    expect(rows[0]?.value).toBe(1);
  });
});
