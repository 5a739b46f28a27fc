// Registry administration and API keys through the API (admin role), against a real PostgreSQL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyDeviceSecret } from '@telltale/registry';
import { startApiHarness, VIN_A, type ApiHarness } from './harness.js';

interface Fleet {
  fleetId: string;
  name: string;
  vehicleCount: number;
  createdAt: string;
}
interface Vehicle {
  vin: string;
  fleetId: string;
  modelId: string;
  catalogVersion: string;
  deviceId: string | null;
}
interface Device {
  deviceId: string;
  vin: string;
  enabled: boolean;
}
interface Key {
  keyId: string;
  name: string;
  role: string;
  fleets: string[];
  createdBy: string;
  revokedAt: string | null;
  lastUsedAt: string | null;
}

const VIN_C = 'LRW3E7FS1RC000003';

describe('registry administration', () => {
  let h: ApiHarness;
  let admin: string;
  let adminId: string;
  const version = async (): Promise<number> =>
    Number((await h.pool.query<{ version: string }>('SELECT version FROM registry_version')).rows[0]!.version);

  beforeAll(async () => {
    h = await startApiHarness();
    ({ token: admin, keyId: adminId } = await h.key('admin', ['*'], 'ops'));
  });
  afterAll(() => h?.close());

  it('lists, creates and renames fleets, bumping the registry version', async () => {
    const before = await version();
    const created = await h.call<Fleet>('POST', '/v1/fleets', {
      token: admin,
      body: { fleetId: 'fleet-c', name: 'Fleet C' },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ fleetId: 'fleet-c', name: 'Fleet C', vehicleCount: 0 });
    expect(await version()).toBe(before + 1);
    const duplicate = await h.call('POST', '/v1/fleets', { token: admin, body: { fleetId: 'fleet-c', name: 'again' } });
    expect(duplicate.status).toBe(409);
    expect(duplicate.body.error.code).toBe('FLEET_EXISTS');
    const renamed = await h.call<Fleet>('PATCH', '/v1/fleets/fleet-c', {
      token: admin,
      body: { name: 'Fleet C (north)' },
    });
    expect(renamed.body.name).toBe('Fleet C (north)');
    expect((await h.call('PATCH', '/v1/fleets/fleet-zz', { token: admin, body: { name: 'x' } })).status).toBe(404);
    const list = await h.call<{ fleets: Fleet[] }>('GET', '/v1/fleets', { token: admin });
    expect(list.body.fleets.map((f) => [f.fleetId, f.vehicleCount])).toEqual([
      ['fleet-a', 1],
      ['fleet-b', 1],
      ['fleet-c', 0],
    ]);
    const bad = await h.call('POST', '/v1/fleets', { token: admin, body: { fleetId: 'Fleet C', name: 'x' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('/body/fleetId');
  });

  it('creates, moves and deletes vehicles', async () => {
    const before = await version();
    const created = await h.call<Vehicle>('POST', '/v1/vehicles', {
      token: admin,
      body: { vin: VIN_C.toLowerCase(), fleetId: 'fleet-c', modelId: 'aurora-ev-2026', catalogVersion: '1.0.0' },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ vin: VIN_C, fleetId: 'fleet-c', deviceId: null });
    expect(await version()).toBe(before + 1);
    expect(
      (
        await h.call('POST', '/v1/vehicles', {
          token: admin,
          body: { vin: VIN_C, fleetId: 'fleet-c', modelId: 'aurora-ev-2026', catalogVersion: '1.0.0' },
        })
      ).status,
    ).toBe(409);

    const unknownFleet = await h.call('POST', '/v1/vehicles', {
      token: admin,
      body: { vin: 'LRW3E7FS1RC000004', fleetId: 'fleet-zz', modelId: 'aurora-ev-2026', catalogVersion: '1.0.0' },
    });
    expect(unknownFleet.status).toBe(400);
    expect(unknownFleet.body.error).toMatchObject({ code: 'FLEET_NOT_FOUND', details: { path: '/body/fleetId' } });
    const unknownCatalog = await h.call('POST', '/v1/vehicles', {
      token: admin,
      body: { vin: 'LRW3E7FS1RC000004', fleetId: 'fleet-c', modelId: 'aurora-ev-2026', catalogVersion: '9.9.9' },
    });
    expect(unknownCatalog.status).toBe(400);
    expect(unknownCatalog.body.error.code).toBe('CATALOG_NOT_FOUND');
    expect(unknownCatalog.body.error.message).toContain('aurora-ev-2026@1.0.0');

    const moved = await h.call<Vehicle>('PATCH', `/v1/vehicles/${VIN_C}`, {
      token: admin,
      body: { fleetId: 'fleet-a' },
    });
    expect(moved.status).toBe(200);
    expect(moved.body.fleetId).toBe('fleet-a');
    const viewerA = (await h.key('viewer', ['fleet-a'])).token;
    expect((await h.call('GET', `/v1/vehicles/${VIN_C}`, { token: viewerA })).status).toBe(200);
    expect((await h.call('PATCH', `/v1/vehicles/${VIN_C}`, { token: admin, body: {} })).status).toBe(400);

    const deleted = await h.call<{ deleted: boolean; notice: string }>('DELETE', `/v1/vehicles/${VIN_C}`, {
      token: admin,
    });
    expect(deleted.status).toBe(200);
    expect(deleted.body.deleted).toBe(true);
    expect((await h.call('GET', `/v1/vehicles/${VIN_C}`, { token: admin })).status).toBe(404);
    expect((await h.call('DELETE', `/v1/vehicles/${VIN_C}`, { token: admin })).status).toBe(404);
  });

  it('binds a device with a generated secret shown once, and disables it', async () => {
    const before = await version();
    const created = await h.call<{ device: Device; secret: string; notice: string }>(
      'POST',
      `/v1/vehicles/${VIN_A}/devices`,
      { token: admin, body: { deviceId: 'tbox-a2' } },
    );
    expect(created.status).toBe(201);
    expect(created.headers.get('cache-control')).toBe('no-store');
    expect(created.body.device).toMatchObject({ deviceId: 'tbox-a2', vin: VIN_A, enabled: true });
    expect(created.body.secret.length).toBeGreaterThanOrEqual(16);
    expect(created.body.notice).toContain('telltale broker sync');
    expect(await version()).toBe(before + 1);

    // Only a PBKDF2 hash is stored, and it verifies the secret the response showed.
    const { rows } = await h.pool.query<{ credential_hash: string }>(
      "SELECT credential_hash FROM devices WHERE device_id = 'tbox-a2'",
    );
    expect(rows[0]!.credential_hash).not.toContain(created.body.secret);
    expect(verifyDeviceSecret(created.body.secret, rows[0]!.credential_hash)).toBe(true);

    // The new device replaced the old one; nothing lists the secret again.
    const devices = await h.call<{ devices: Device[] }>('GET', `/v1/vehicles/${VIN_A}/devices`, { token: admin });
    expect(devices.body.devices.map((d) => [d.deviceId, d.enabled])).toEqual([
      ['tbox-a2', true],
      ['tbox-a', false],
    ]);
    expect(JSON.stringify(devices.body)).not.toContain(created.body.secret);
    expect((await h.call<Vehicle>('GET', `/v1/vehicles/${VIN_A}`, { token: admin })).body.deviceId).toBe('tbox-a2');

    expect(
      (await h.call('POST', `/v1/vehicles/${VIN_A}/devices`, { token: admin, body: { deviceId: 'tbox-a2' } })).status,
    ).toBe(409);

    const disabled = await h.call<{ device: Device; notice: string }>(
      'PATCH',
      `/v1/vehicles/${VIN_A}/devices/tbox-a2`,
      { token: admin, body: { enabled: false } },
    );
    expect(disabled.status).toBe(200);
    expect(disabled.body.device.enabled).toBe(false);
    expect(disabled.body.notice).toContain('telltale broker sync');
    expect((await h.call<Vehicle>('GET', `/v1/vehicles/${VIN_A}`, { token: admin })).body.deviceId).toBeNull();
    expect(
      (await h.call('PATCH', `/v1/vehicles/${VIN_A}/devices/tbox-b`, { token: admin, body: { enabled: true } })).status,
    ).toBe(404);
    expect(
      (await h.call<{ devices: Device[] }>('GET', '/v1/vehicles/LRW3E7FS1RC000002/devices', { token: admin })).body
        .devices,
    ).toMatchObject([{ deviceId: 'tbox-b', enabled: true }]);

    // Enabling one device disables the vehicle's others: one T-Box per VIN.
    await h.call('PATCH', `/v1/vehicles/${VIN_A}/devices/tbox-a2`, { token: admin, body: { enabled: true } });
    await h.call('PATCH', `/v1/vehicles/${VIN_A}/devices/tbox-a`, { token: admin, body: { enabled: true } });
    const after = await h.call<{ devices: Device[] }>('GET', `/v1/vehicles/${VIN_A}/devices`, { token: admin });
    expect(after.body.devices.map((d) => [d.deviceId, d.enabled])).toEqual([
      ['tbox-a', true],
      ['tbox-a2', false],
    ]);
  });

  it('creates keys (token once), lists them without secrets and revokes them', async () => {
    const created = await h.call<{ key: Key; token: string; notice: string }>('POST', '/v1/keys', {
      token: admin,
      body: { name: 'dashboard', role: 'viewer', fleets: ['fleet-a', 'fleet-b'] },
    });
    expect(created.status).toBe(201);
    expect(created.headers.get('cache-control')).toBe('no-store');
    expect(created.body.token).toMatch(/^tt_[0-9a-f]{12}_[0-9a-f]{48}$/);
    expect(created.body.key).toMatchObject({
      name: 'dashboard',
      role: 'viewer',
      fleets: ['fleet-a', 'fleet-b'],
      createdBy: adminId,
      revokedAt: null,
    });
    const { token, key } = created.body;
    expect((await h.call<{ vehicles: unknown[] }>('GET', '/v1/vehicles', { token })).body.vehicles).toHaveLength(2);

    const list = await h.call<{ keys: Key[] }>('GET', '/v1/keys', { token: admin });
    expect(list.body.keys.map((k) => k.keyId)).toContain(key.keyId);
    expect(JSON.stringify(list.body)).not.toContain(token.split('_')[2]!);

    const revoked = await h.call<Key>('DELETE', `/v1/keys/${key.keyId}`, { token: admin });
    expect(revoked.body.revokedAt).not.toBeNull();
    expect((await h.call('GET', '/v1/vehicles', { token })).status).toBe(401);
    const active = await h.call<{ keys: Key[] }>('GET', '/v1/keys', { token: admin });
    expect(active.body.keys.map((k) => k.keyId)).not.toContain(key.keyId);
    const all = await h.call<{ keys: Key[] }>('GET', '/v1/keys?includeRevoked=true', { token: admin });
    expect(all.body.keys.map((k) => k.keyId)).toContain(key.keyId);
    expect((await h.call('DELETE', '/v1/keys/000000000000', { token: admin })).status).toBe(404);

    const badRole = await h.call('POST', '/v1/keys', { token: admin, body: { name: 'x', role: 'root', fleets: [] } });
    expect(badRole.status).toBe(400);
    expect(badRole.body.error.message).toContain('/body/role must be one of viewer, engineer, admin');
  });

  it('rejects malformed bodies with 400 naming the field', async () => {
    const missing = await h.call('POST', '/v1/vehicles', { token: admin, body: { vin: 'LRW3E7FS1RC000005' } });
    expect(missing.status).toBe(400);
    expect(missing.body.error.details).toMatchObject({ problems: [{ path: '/body/fleetId', message: 'is required' }] });
    const extra = await h.call('POST', '/v1/fleets', {
      token: admin,
      body: { fleetId: 'fleet-d', name: 'D', colour: 'red' },
    });
    expect(extra.status).toBe(400);
    expect(extra.body.error.message).toContain('/body/colour is not allowed');
    const notJson = await h.call('POST', '/v1/fleets', {
      token: admin,
      headers: { 'content-type': 'application/json' },
      body: undefined,
    });
    expect(notJson.status).toBe(400);
    expect(notJson.body.error.code).toBe('INVALID_REQUEST');
  });
});
