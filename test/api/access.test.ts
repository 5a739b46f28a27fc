// API keys, roles and fleet scopes against a real server and PostgreSQL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiHarness, VIN_A, VIN_B, type ApiHarness, type ErrorJson } from './harness.js';

type VehicleList = { vehicles: { vin: string; fleetId: string }[]; nextCursor: string | null };

describe('API access control', () => {
  let h: ApiHarness;
  let fleetA: string;
  let fleetB: string;
  let admin: string;

  beforeAll(async () => {
    h = await startApiHarness();
    fleetA = (await h.key('viewer', ['fleet-a'])).token;
    fleetB = (await h.key('viewer', ['fleet-b'])).token;
    admin = (await h.key('admin', ['*'])).token;
  });
  afterAll(() => h?.close());

  describe('authentication', () => {
    it('refuses a request without a key with 401, a clear JSON error and a Bearer challenge', async () => {
      const r = await h.call('GET', '/v1/vehicles');
      expect(r.status).toBe(401);
      expect(r.body.error).toMatchObject({ code: 'UNAUTHENTICATED', retryable: false });
      expect(r.body.error.message).toContain('Authorization: Bearer');
      expect(r.body.error.requestId).toBe(r.headers.get('x-request-id'));
      expect(r.headers.get('www-authenticate')).toBe('Bearer realm="telltale"');
    });

    it('refuses malformed, unknown and wrong-secret keys alike with 401 API_KEY_INVALID', async () => {
      const good = (await h.key('viewer', ['fleet-a'])).token;
      const wrongSecret = good.replace(/.$/, (c) => (c === '0' ? '1' : '0'));
      const unknownId = `tt_${'0'.repeat(12)}_${good.split('_')[2]}`;
      for (const header of ['Basic abc', 'Bearer nonsense', `Bearer ${wrongSecret}`, `Bearer ${unknownId}`]) {
        const r = await h.call('GET', '/v1/vehicles', { headers: { authorization: header } });
        expect(r.status, header).toBe(401);
        expect(r.body.error.code, header).toBe('API_KEY_INVALID');
        expect(r.headers.get('www-authenticate')).toContain('invalid_token');
      }
      const wrong = await h.call('GET', '/v1/vehicles', { token: wrongSecret });
      const unknown = await h.call('GET', '/v1/vehicles', { token: unknownId });
      expect(wrong.body.error.message).toBe(unknown.body.error.message);
    });

    it('refuses a revoked key at once with 401 API_KEY_REVOKED', async () => {
      const { token, keyId } = await h.key('viewer', ['fleet-a']);
      expect((await h.call('GET', '/v1/vehicles', { token })).status).toBe(200);
      const revoke = await h.call<{ keyId: string; revokedAt: string | null }>('DELETE', `/v1/keys/${keyId}`, {
        token: admin,
      });
      expect(revoke.status).toBe(200);
      expect(revoke.body.revokedAt).not.toBeNull();
      const r = await h.call('GET', '/v1/vehicles', { token });
      expect(r.status).toBe(401);
      expect(r.body.error.code).toBe('API_KEY_REVOKED');
      expect(r.body.error.message).toContain(keyId);
    });

    it('records when a key was last used', async () => {
      const { token, keyId } = await h.key('viewer', ['fleet-a']);
      const lastUsed = async (): Promise<Date | null | undefined> =>
        (
          await h.pool.query<{ last_used_at: Date | null }>('SELECT last_used_at FROM api_keys WHERE key_id = $1', [
            keyId,
          ])
        ).rows[0]?.last_used_at;
      expect(await lastUsed()).toBeNull();
      await h.call('GET', '/v1/vehicles', { token });
      // Written after the response, without delaying it.
      await expect.poll(lastUsed).toBeInstanceOf(Date);
    });

    it('stores only a SHA-256 of the secret', async () => {
      const { token, keyId } = await h.key('viewer', []);
      const secret = token.split('_')[2]!;
      const { rows } = await h.pool.query<Record<string, unknown>>('SELECT * FROM api_keys WHERE key_id = $1', [keyId]);
      expect(JSON.stringify(rows)).not.toContain(secret);
    });
  });

  describe('fleet scope', () => {
    it("lists only the key's fleets' vehicles", async () => {
      const a = await h.call<VehicleList>('GET', '/v1/vehicles', { token: fleetA });
      expect(a.status).toBe(200);
      expect(a.body.vehicles.map((v) => v.vin)).toEqual([VIN_A]);
      const b = await h.call<VehicleList>('GET', '/v1/vehicles', { token: fleetB });
      expect(b.body.vehicles.map((v) => v.vin)).toEqual([VIN_B]);
      const all = await h.call<VehicleList>('GET', '/v1/vehicles', { token: admin });
      expect(all.body.vehicles.map((v) => v.vin)).toEqual([VIN_A, VIN_B]);
    });

    it("never shows another fleet's vehicle, even when filtering for that fleet", async () => {
      const r = await h.call<VehicleList>('GET', '/v1/vehicles?fleet=fleet-b', { token: fleetA });
      expect(r.status).toBe(200);
      expect(r.body.vehicles).toEqual([]);
    });

    it("answers 404 for another fleet's vehicle exactly as for a VIN that does not exist", async () => {
      const other = await h.call('GET', `/v1/vehicles/${VIN_B}`, { token: fleetA });
      const missing = await h.call('GET', '/v1/vehicles/LRW3E7FS1RC999999', { token: fleetA });
      expect(other.status).toBe(404);
      expect(missing.status).toBe(404);
      expect(other.body.error.code).toBe('VEHICLE_NOT_FOUND');
      expect(other.body.error.message).toBe(`Vehicle ${VIN_B} not found.`);
      expect(missing.body.error.message).toBe('Vehicle LRW3E7FS1RC999999 not found.');
      for (const path of [`/v1/vehicles/${VIN_B}/signals`, `/v1/vehicles/${VIN_B}/signals/vehicleSpeed/history`]) {
        const r = await h.call('GET', path, { token: fleetA });
        expect(r.status, path).toBe(404);
        expect(r.body.error.code, path).toBe('VEHICLE_NOT_FOUND');
      }
      expect((await h.call('GET', `/v1/vehicles/${VIN_A}`, { token: fleetA })).status).toBe(200);
    });

    it('shows nothing to a key without fleets', async () => {
      const { token } = await h.key('viewer', []);
      const r = await h.call<VehicleList>('GET', '/v1/vehicles', { token });
      expect(r.body.vehicles).toEqual([]);
      expect((await h.call('GET', `/v1/vehicles/${VIN_A}`, { token })).status).toBe(404);
    });

    it('keeps a fleet-scoped admin within its fleets', async () => {
      const { token } = await h.key('admin', ['fleet-a']);
      expect(
        (await h.call('PATCH', `/v1/vehicles/${VIN_B}`, { token, body: { modelId: 'aurora-ev-2026' } })).status,
      ).toBe(404);
      expect(
        (await h.call('POST', `/v1/vehicles/${VIN_B}/devices`, { token, body: { deviceId: 'sneaky' } })).status,
      ).toBe(404);
      const move = await h.call('PATCH', `/v1/vehicles/${VIN_A}`, { token, body: { fleetId: 'fleet-b' } });
      expect(move.status).toBe(400);
      expect(move.body.error).toMatchObject({ code: 'FLEET_NOT_FOUND', details: { path: '/body/fleetId' } });
      const grant = await h.call('POST', '/v1/keys', {
        token,
        body: { name: 'escalate', role: 'viewer', fleets: ['fleet-b'] },
      });
      expect(grant.status).toBe(403);
      const star = await h.call('POST', '/v1/keys', {
        token,
        body: { name: 'escalate', role: 'admin', fleets: ['*'] },
      });
      expect(star.status).toBe(403);
      const fleets = await h.call<{ fleets: { fleetId: string }[] }>('GET', '/v1/fleets', { token });
      expect(fleets.body.fleets.map((f) => f.fleetId)).toEqual(['fleet-a']);
      const keys = await h.call<{ keys: { fleets: string[] }[] }>('GET', '/v1/keys', { token });
      expect(keys.body.keys.every((k) => k.fleets.every((f) => f === 'fleet-a'))).toBe(true);
    });
  });

  describe('roles', () => {
    it('refuses administration to a viewer with 403 naming the role needed', async () => {
      const attempts: [string, string, unknown][] = [
        ['POST', '/v1/keys', { name: 'x', role: 'viewer', fleets: ['fleet-a'] }],
        ['GET', '/v1/keys', undefined],
        [
          'POST',
          '/v1/vehicles',
          { vin: 'LRW3E7FS1RC000009', fleetId: 'fleet-a', modelId: 'aurora-ev-2026', catalogVersion: '1.0.0' },
        ],
        ['PATCH', `/v1/vehicles/${VIN_A}`, { fleetId: 'fleet-a' }],
        ['DELETE', `/v1/vehicles/${VIN_A}`, undefined],
        ['POST', '/v1/fleets', { fleetId: 'fleet-x', name: 'X' }],
        ['POST', `/v1/vehicles/${VIN_A}/devices`, { deviceId: 'tbox-x' }],
      ];
      for (const [method, path, body] of attempts) {
        const r = await h.call<ErrorJson>(method, path, { token: fleetA, body });
        expect(r.status, `${method} ${path}`).toBe(403);
        expect(r.body.error.code).toBe('FORBIDDEN');
        expect(r.body.error.message).toContain('admin role');
      }
      const { rows } = await h.pool.query("SELECT 1 FROM vehicles WHERE vin = 'LRW3E7FS1RC000009'");
      expect(rows).toEqual([]);
    });

    it('lets an engineer read like a viewer but not administer', async () => {
      const { token } = await h.key('engineer', ['fleet-a']);
      expect((await h.call('GET', `/v1/vehicles/${VIN_A}/signals`, { token })).status).toBe(200);
      expect((await h.call('GET', '/v1/keys', { token })).status).toBe(403);
    });

    it('checks the key before validating the request', async () => {
      expect((await h.call('GET', '/v1/vehicles?limit=0')).status).toBe(401);
      expect((await h.call('POST', '/v1/keys', { token: fleetA, body: { nonsense: true } })).status).toBe(403);
    });

    it('refuses keys with "*" for non-admin roles', async () => {
      const r = await h.call('POST', '/v1/keys', {
        token: admin,
        body: { name: 'x', role: 'engineer', fleets: ['*'] },
      });
      expect(r.status).toBe(400);
      expect(r.body.error.details).toMatchObject({ problems: [{ path: '/body/fleets/0' }] });
    });
  });
});
