// Simulated device secrets derive from the seed, so provisioning without --seed must not fall back to a public
// default: it draws a random seed, prints it (to repeat the run) and the registry holds vehicles of that seed only.
import { afterAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createPgPool } from '@telltale/platform/db';
import { LOCAL, uniqueName } from '@telltale/platform/testing';
import { PgRegistry } from '@telltale/registry';
import { simulatedFleetId, simulatedIdentities } from '@telltale/simulator';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const bin = join(root, 'node_modules/.bin/telltale');
const schema = uniqueName('seed');
const pool = createPgPool({ url: LOCAL.postgresUrl, schema, max: 1 });

afterAll(async () => {
  await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await pool.query(`DROP ROLE IF EXISTS ${schema}_service`);
  await pool.end();
});

describe('simulate --provision without --seed', () => {
  it('provisions from a random seed it prints, not from the public default', async () => {
    const { stderr } = await promisify(execFile)(
      bin,
      [
        'simulate',
        '--provision',
        '--vehicles',
        '1',
        '--model',
        'cargo-van-e-2025',
        '--duration',
        '0.5',
        '--mqtt-url',
        LOCAL.mqttUrl,
        '--topic-prefix',
        schema,
        '--client-id-prefix',
        `${schema}-`,
        '--json',
      ],
      { env: { ...process.env, DATABASE_SCHEMA: schema, LOG_LEVEL: 'warn' }, cwd: root, timeout: 60_000 },
    );
    const seed = /random seed (\S+): pass --seed \1 to run these vehicles again/.exec(stderr)?.[1];
    expect(seed, stderr).toMatch(/^[A-Za-z0-9_-]{22}$/);
    const vehicles = await new PgRegistry(pool).listVehicles();
    expect(vehicles.map((v) => v.vin)).toEqual(simulatedIdentities(seed!, 'cargo-van-e-2025', 1).map((i) => i.vin));
    expect(vehicles[0]!.fleetId).toBe(simulatedFleetId(seed!));
    expect(vehicles[0]!.vin).not.toBe(simulatedIdentities('1', 'cargo-van-e-2025', 1)[0]!.vin);
  }, 90_000);
});
