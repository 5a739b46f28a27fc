// `telltale broker sync` binds certificate identities to VINs: acl-tls names each enabled device (the CN of its
// certificate) with its own VIN's topics only, and a device disabled in the registry loses them at the next sync.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { uniqueName } from '@telltale/platform/testing';
import { dropServiceRole, type Pool } from '@telltale/platform/db';
import { syncBroker, type PgRegistry } from '@telltale/registry';
import { VIN_A, VIN_B, registryWithTwoVehicles } from '../helpers.js';

const schema = uniqueName('acltls');
const dir = mkdtempSync(join(tmpdir(), 'telltale-acl-'));
let pool: Pool;
let registry: PgRegistry;

beforeAll(async () => {
  ({ pool, registry } = await registryWithTwoVehicles(schema));
});

afterAll(async () => {
  await dropSchemaAndRole(pool, schema);
  rmSync(dir, { recursive: true, force: true });
});

const sync = async () => {
  syncBroker({
    env: { MOSQUITTO_DIR: dir, MQTT_SERVICE_PASSWORD: 'service-password-1' },
    devices: await registry.listBrokerDevices(),
    reload: false,
  });
  return readFileSync(join(dir, 'acl-tls'), 'utf8');
};

describe('broker sync for the mutual-TLS listener', () => {
  it('lets each device id publish to its own VIN only, and drops disabled devices', async () => {
    const before = await sync();
    expect(before).toContain(`user tbox-a\ntopic write tbox/${VIN_A}/telemetry\n`);
    expect(before).toContain(`user tbox-b\ntopic write tbox/${VIN_B}/telemetry\n`);
    expect(before).not.toMatch(/^pattern /m);
    await registry.setDeviceEnabled(VIN_B, 'tbox-b', false);
    const after = await sync();
    expect(after).toContain('user tbox-a');
    expect(after).not.toContain('tbox-b');
    expect(after).not.toContain(VIN_B);
  });
});

/** Schemas drop with their grants; the service role (cluster-wide) goes after them. */
async function dropSchemaAndRole(pool: Pool, name: string): Promise<void> {
  await pool.query(`DROP SCHEMA IF EXISTS ${name} CASCADE`);
  await dropServiceRole(pool, name);
  await pool.end();
}
