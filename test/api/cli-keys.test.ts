// `telltale keys create|list|revoke` as an operator runs them, against the API they bootstrap.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LOCAL } from '@telltale/platform/testing';
import { startApiHarness, VIN_A, type ApiHarness } from './harness.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const bin = join(root, 'node_modules/.bin/telltale');
const run = promisify(execFile);

describe('telltale keys', () => {
  let h: ApiHarness;
  const telltale = (...args: string[]): Promise<{ stdout: string; stderr: string }> =>
    run(bin, args, { cwd: root, env: { ...process.env, DATABASE_URL: LOCAL.postgresUrl, DATABASE_SCHEMA: h.schema } });

  beforeAll(async () => {
    h = await startApiHarness();
  });
  afterAll(() => h?.close());

  it('creates an admin key for every fleet, printed once, that works against the API', async () => {
    const { stdout, stderr } = await telltale('keys', 'create', '--name', 'ops', '--role', 'admin', '--fleet', '*');
    const token = stdout.trim();
    expect(token).toMatch(/^tt_[0-9a-f]{12}_[0-9a-f]{48}$/);
    expect(stderr).toContain('not shown again');
    const r = await h.call<{ vehicles: unknown[] }>('GET', '/v1/vehicles', { token });
    expect(r.status).toBe(200);
    expect(r.body.vehicles).toHaveLength(2);
  });

  it('creates a key for several fleets, lists keys without secrets, and revokes one', async () => {
    const { stdout } = await telltale(
      'keys',
      'create',
      '--name',
      'fleet ops',
      '--role',
      'viewer',
      '--fleet',
      'fleet-a',
      '--fleet',
      'fleet-b',
    );
    const token = stdout.trim();
    const keyId = token.split('_')[1]!;
    expect((await h.call('GET', `/v1/vehicles/${VIN_A}`, { token })).status).toBe(200);

    const list = await telltale('keys', 'list');
    expect(list.stdout).toMatch(new RegExp(`${keyId}\\s+fleet ops\\s+viewer\\s+fleet-a,fleet-b`));
    expect(list.stdout).not.toContain(token.split('_')[2]!);

    const revoke = await telltale('keys', 'revoke', keyId);
    expect(revoke.stdout).toContain(`Revoked API key ${keyId}`);
    expect((await h.call('GET', '/v1/vehicles', { token })).status).toBe(401);
    expect((await telltale('keys', 'list')).stdout).not.toContain(keyId);
    expect((await telltale('keys', 'list', '--all')).stdout).toContain(keyId);
  });

  it('refuses "*" for a non-admin key and an unknown role, with exit code 2', async () => {
    await expect(telltale('keys', 'create', '--name', 'x', '--role', 'viewer', '--fleet', '*')).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining('only allowed for admin keys') as string,
    });
    await expect(
      telltale('keys', 'create', '--name', 'x', '--role', 'root', '--fleet', 'fleet-a'),
    ).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--role must be one of viewer, engineer, admin') as string,
    });
    await expect(telltale('keys', 'revoke', '000000000000')).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining('API_KEY_NOT_FOUND') as string,
    });
  });
});
