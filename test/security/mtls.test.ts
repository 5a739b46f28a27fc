// Mutual TLS for T-Boxes: `telltale certs` issues device certificates (CN = device id) from a project CA, the
// project-managed Mosquitto (deploy/local/mosquitto/mosquitto.sh) requires one on its TLS listener, and
// `telltale broker sync` writes an ACL from the registry so a device may publish only to the VIN it is bound to.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import mqtt, { type MqttClient } from 'mqtt';
import { createDevicePki, issueDeviceCertificate } from '@telltale/registry';
import { uniqueName, waitFor } from '@telltale/platform/testing';
import { dropServiceRole, type Pool } from '@telltale/platform/db';
import { VIN_A, VIN_B, registryWithTwoVehicles } from '../helpers.js';
import { freePort } from '../local-mosquitto.js';

const run = promisify(execFile);
const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const bin = join(root, 'node_modules/.bin/telltale');
const script = join(root, 'deploy/local/mosquitto/mosquitto.sh');
const schema = uniqueName('mtls');
const SERVICE_PASSWORD = 'mtls-service-password-1';

describe('mutual TLS for devices', () => {
  const dir = mkdtempSync(join(tmpdir(), 'telltale-mtls-'));
  const pki = join(dir, 'pki');
  let env: NodeJS.ProcessEnv;
  let tlsPort: number;
  let pool: Pool | undefined;
  let subscriber: MqttClient | undefined;
  const received: { topic: string; payload: string }[] = [];
  const cli = (...args: string[]) => run(bin, args, { env, timeout: 60_000 });
  const broker = (command: string) => run('bash', [script, command], { env, timeout: 60_000 });

  const device = (id: string, pkiDir = pki) => ({
    ca: readFileSync(join(pki, 'ca.pem')),
    cert: readFileSync(join(pkiDir, 'devices', `${id}.pem`)),
    key: readFileSync(join(pkiDir, 'devices', `${id}.key`)),
  });
  const connect = (tls: { ca: Buffer; cert?: Buffer; key?: Buffer }, clientId: string) =>
    mqtt.connectAsync(`mqtts://127.0.0.1:${tlsPort}`, {
      ...tls,
      clientId,
      protocolVersion: 5,
      reconnectPeriod: 0,
      connectTimeout: 5000,
    });

  beforeAll(async () => {
    const authPort = await freePort();
    tlsPort = await freePort();
    env = {
      ...process.env,
      DATABASE_SCHEMA: schema,
      MQTT_AUTH_PORT: String(authPort),
      MQTT_TLS_PORT: String(tlsPort),
      MOSQUITTO_DIR: join(dir, 'mosquitto'),
      TELLTALE_PKI_DIR: pki,
      MQTT_SERVICE_PASSWORD: SERVICE_PASSWORD,
    };
    ({ pool } = await registryWithTwoVehicles(schema));
    await cli('certs', 'ca');
    await cli('certs', 'issue', '--device', 'tbox-a');
    await cli('certs', 'issue', '--device', 'tbox-b');
    await broker('start');
    const { stdout } = await cli('broker', 'sync');
    expect(stdout).toContain('Wrote 2 device credentials');
    subscriber = await mqtt.connectAsync(`mqtt://127.0.0.1:${authPort}`, {
      username: 'telltale-gateway',
      password: SERVICE_PASSWORD,
      clientId: `${schema}-sub`,
    });
    subscriber.on('message', (topic, payload) => received.push({ topic, payload: payload.toString() }));
    await subscriber.subscribeAsync('tbox/+/telemetry', { qos: 1 });
  }, 120_000);

  afterAll(async () => {
    await subscriber?.endAsync();
    await broker('stop').catch(() => undefined);
    if (pool) await dropSchemaAndRole(pool, schema);
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps private keys readable by their owner only', () => {
    for (const key of ['ca.key', 'server.key', 'devices/tbox-a.key']) {
      expect(statSync(join(pki, key)).mode & 0o777, key).toBe(0o600);
    }
  });

  it("accepts a device's certificate for its own VIN", async () => {
    const a = await connect(device('tbox-a'), `${schema}-a`);
    await a.publishAsync(`tbox/${VIN_A}/telemetry`, 'from tbox-a', { qos: 1 });
    await waitFor('the uplink of tbox-a', () => received.find((m) => m.payload === 'from tbox-a'), 10_000);
    expect(received.find((m) => m.payload === 'from tbox-a')!.topic).toBe(`tbox/${VIN_A}/telemetry`);
    await a.endAsync();
  });

  it("does not deliver another device's publish to this VIN", async () => {
    const b = await connect(device('tbox-b'), `${schema}-b`);
    // MQTT 5 tells the publisher it was refused (135 Not authorized); the subscriber never sees it.
    await expect(b.publishAsync(`tbox/${VIN_A}/telemetry`, 'spoof by tbox-b', { qos: 1 })).rejects.toMatchObject({
      code: 135,
    });
    await b.publishAsync(`tbox/${VIN_B}/telemetry`, 'from tbox-b', { qos: 1 });
    await waitFor('the uplink of tbox-b', () => received.find((m) => m.payload === 'from tbox-b'), 10_000);
    expect(received.filter((m) => m.payload === 'spoof by tbox-b')).toEqual([]);
    await b.endAsync();
  });

  it('refuses a client without a certificate and one from another CA', async () => {
    await expect(connect({ ca: readFileSync(join(pki, 'ca.pem')) }, `${schema}-none`)).rejects.toThrow();
    const rogue = join(dir, 'rogue-pki');
    await createDevicePki(rogue);
    await issueDeviceCertificate(rogue, 'tbox-a');
    await expect(connect(device('tbox-a', rogue), `${schema}-rogue`)).rejects.toThrow();
  });

  it('refuses a revoked certificate once the CRL is reloaded', async () => {
    const { stdout, stderr } = await cli('certs', 'revoke', '--device', 'tbox-b');
    expect(stdout).toMatch(/Revoked 1 certificate\(s\) of tbox-b/);
    expect(stderr).toContain('Mosquitto reloaded the CRL');
    await expect(connect(device('tbox-b'), `${schema}-b2`)).rejects.toThrow();
    // tbox-a is unaffected.
    const a = await connect(device('tbox-a'), `${schema}-a2`);
    await a.endAsync();
  });
});

/** Schemas drop with their grants; the service role (cluster-wide) goes after them. */
async function dropSchemaAndRole(pool: Pool, name: string): Promise<void> {
  await pool.query(`DROP SCHEMA IF EXISTS ${name} CASCADE`);
  await dropServiceRole(pool, name);
  await pool.end();
}
