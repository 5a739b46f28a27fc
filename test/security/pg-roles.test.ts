// Least privilege in PostgreSQL (migration 0009): services run as <schema>_service, which reads and writes the
// tables but cannot create, alter, drop or truncate them, nor rewrite the migration ledger. Migrations run as the
// owner, optionally through a separate DATABASE_OWNER_URL so the services' own login never holds DDL rights.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lifecycle } from '@telltale/platform';
import { createPgPool, migrate, openServiceDatabase, serviceRoleName, type Pool } from '@telltale/platform/db';
import { LOCAL, testLogger, uniqueName } from '@telltale/platform/testing';

const run = uniqueName('pgrole');
const login = `${run}_login`;
const longSchema = `${run}_${'x'.repeat(59 - run.length)}`;
const log = testLogger();

function insufficientPrivilege(sql: string) {
  return expect(service.query(sql)).rejects.toMatchObject({ code: '42501' });
}

let admin: Pool;
let service: Pool;
const lifecycle = new Lifecycle(log, 5000);

beforeAll(async () => {
  admin = createPgPool({ url: LOCAL.postgresUrl, schema: run, max: 1 });
  service = await openServiceDatabase(
    { databaseUrl: LOCAL.postgresUrl, databaseSchema: run },
    { service: 'security-test', max: 2, lifecycle, log },
  );
});

afterAll(async () => {
  await lifecycle.shutdown('test done');
  for (const schema of [run, longSchema]) await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  for (const role of [login, serviceRoleName(run), serviceRoleName(longSchema)]) {
    await admin.query(`DROP ROLE IF EXISTS ${role}`);
  }
  await admin.end();
});

describe('the service pool', () => {
  it('runs as the schema service role, not as the owner', async () => {
    const { rows } = await service.query<{ current_user: string }>('SELECT current_user');
    expect(rows[0]!.current_user).toBe(`${run}_service`);
  });

  it('reads and writes the tables', async () => {
    await service.query("INSERT INTO fleets (fleet_id, name) VALUES ('f1', 'Fleet one')");
    await service.query("UPDATE fleets SET name = 'Fleet 1' WHERE fleet_id = 'f1'");
    const { rows } = await service.query<{ name: string }>("SELECT name FROM fleets WHERE fleet_id = 'f1'");
    expect(rows).toEqual([{ name: 'Fleet 1' }]);
    await service.query("DELETE FROM fleets WHERE fleet_id = 'f1'");
    // Sequences (bigserial ids) are usable too.
    await expect(service.query("SELECT nextval(pg_get_serial_sequence('rule_audit', 'id'))")).resolves.toBeDefined();
  });

  it('cannot create, alter, drop or truncate tables', async () => {
    await insufficientPrivilege('CREATE TABLE intruder (id int)');
    await insufficientPrivilege(`CREATE TABLE ${run}.intruder (id int)`);
    await insufficientPrivilege('ALTER TABLE fleets ADD COLUMN backdoor text');
    await insufficientPrivilege('DROP TABLE fleets');
    await insufficientPrivilege('TRUNCATE fleets');
    await insufficientPrivilege('CREATE INDEX fleets_name_idx ON fleets (name)');
  });

  it('creates and drops signal_history_block day partitions only through the owner functions (0018)', async () => {
    const day = 20_000; // 2024-10-04
    const dayUs = day * 86_400_000_000;
    await insufficientPrivilege(
      `CREATE TABLE signal_history_block_20241004 PARTITION OF signal_history_block FOR VALUES FROM (${dayUs}) ` +
        `TO (${dayUs + 86_400_000_000})`,
    );
    await service.query('SELECT signal_history_block_ensure_day($1)', [day]);
    await service.query('SELECT signal_history_block_ensure_day($1)', [day]); // idempotent
    // The store writes and updates through the parent table; the new partition carries the DML grants.
    const slots = (first: string) => `array_fill(NULL::${first}, ARRAY[128])`;
    await service.query(
      'INSERT INTO signal_history_block (vin, block, bucket_us, value, offset_us, receive_time_ms, ' +
        `catalog_version_index, catalog_versions, version) VALUES ('V1', 0, $1, ${slots('float8')}, ` +
        `${slots('int4')}, ${slots('int8')}, ${slots('int2')}, '{1.0.0}', 1)`,
      [dayUs + 5],
    );
    await service.query('UPDATE signal_history_block SET version = 2 WHERE vin = $1', ['V1']);
    expect((await service.query('SELECT count(*)::int AS n FROM signal_history')).rows).toEqual([{ n: 0 }]);
    expect((await service.query('SELECT signal_history_block_drop_day($1) AS dropped', [day])).rows).toEqual([
      { dropped: true },
    ]);
    expect((await service.query('SELECT signal_history_block_drop_day($1) AS dropped', [day])).rows).toEqual([
      { dropped: false },
    ]);
    // The old table's functions went with it (migration 0018).
    await expect(service.query('SELECT signal_history_ensure_day($1)', [day])).rejects.toThrow(/does not exist/);
  });

  it('cannot rewrite the migration ledger', async () => {
    const { rows } = await service.query<{ version: string }>('SELECT version FROM schema_migrations');
    expect(rows.map((r) => r.version)).toContain('0009');
    await insufficientPrivilege("DELETE FROM schema_migrations WHERE version = '0009'");
  });
});

describe('separate owner and service logins', () => {
  it('migrates through DATABASE_OWNER_URL; SET ROLE NONE on the service login still has no DDL', async () => {
    await admin.query(`CREATE ROLE ${login} LOGIN IN ROLE ${serviceRoleName(run)}`);
    const url = new URL(LOCAL.postgresUrl);
    url.username = login;
    const pool = await openServiceDatabase(
      { databaseUrl: url.toString(), databaseOwnerUrl: LOCAL.postgresUrl, databaseSchema: run },
      { service: 'security-test-login', max: 1, lifecycle, log },
    );
    const client = await pool.connect();
    try {
      // RESET ROLE returns to the role the connection started with; SET ROLE NONE to the login itself.
      await client.query('SET ROLE NONE');
      const { rows } = await client.query<{ current_user: string }>('SELECT current_user');
      expect(rows[0]!.current_user).toBe(login);
      await expect(client.query('SELECT count(*) FROM fleets')).resolves.toBeDefined();
      await expect(client.query('DROP TABLE fleets')).rejects.toMatchObject({ code: '42501' });
      await expect(client.query('CREATE TABLE intruder (id int)')).rejects.toMatchObject({ code: '42501' });
    } finally {
      client.release();
    }
  });
});

describe('role names', () => {
  it('are the same in migration 0009 and serviceRoleName, also for schema names too long for a suffix', async () => {
    expect(longSchema.length).toBe(60);
    const pool = createPgPool({ url: LOCAL.postgresUrl, schema: longSchema, max: 1 });
    try {
      await migrate(pool, { schema: longSchema });
      const role = serviceRoleName(longSchema);
      expect(role.length).toBeLessThanOrEqual(63);
      const { rows } = await pool.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
      expect(rows).toHaveLength(1);
    } finally {
      await pool.end();
    }
  });
});
