// `telltale simulate --provision` against an authenticating Mosquitto: the simulated vehicles are imported into the
// registry, the broker's password file and ACL are regenerated and reloaded, and every T-Box logs in as its VIN with
// its own secret and publishes under its own VIN (the broker would silently drop anything else).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import mqtt from 'mqtt';
import { TelemetryBatch } from '@telltale/platform/proto';
import { LOCAL, uniqueName, waitFor } from '@telltale/platform/testing';
import { createPgPool } from '@telltale/platform/db';
import { simulatedIdentities, type FleetSummary } from '@telltale/simulator';
import { privateMosquitto, type PrivateMosquitto } from '../local-mosquitto.js';

const run = uniqueName('simauth');
const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const bin = join(root, 'node_modules/.bin/telltale');
const SERVICE_PASSWORD = 'gateway-service-password-2';

describe('simulate --provision with device authentication', () => {
  let broker: PrivateMosquitto;
  let reader: mqtt.MqttClient | undefined;

  beforeAll(async () => {
    broker = await privateMosquitto();
    await broker.start();
  }, 60_000);

  afterAll(async () => {
    await reader?.endAsync();
    await broker?.destroy();
    const pool = createPgPool({ url: LOCAL.postgresUrl, schema: run, max: 1 });
    await pool.query(`DROP SCHEMA IF EXISTS ${run} CASCADE`);
    await pool.end();
  });

  it('provisions, syncs the broker, and each T-Box publishes with its own credentials', async () => {
    const env = { ...broker.env, DATABASE_SCHEMA: run, MQTT_SERVICE_PASSWORD: SERVICE_PASSWORD, LOG_LEVEL: 'warn' };
    // First only provision (a zero-length run would still need a broker login: run one second).
    const args = [
      'simulate',
      '--vehicles',
      '3',
      '--model',
      'cargo-van-e-2025',
      '--seed',
      run,
      '--provision',
      '--mqtt-url',
      broker.url,
      '--duration',
      '1',
      '--json',
    ];
    await promisify(execFile)(bin, args, { env, cwd: root, timeout: 60_000 });

    const seen = new Map<string, number[]>();
    reader = await mqtt.connectAsync(broker.url, {
      username: 'telltale-gateway',
      password: SERVICE_PASSWORD,
      clientId: `${run}-reader`,
    });
    await reader.subscribeAsync('tbox/+/telemetry', { qos: 1 });
    reader.on('message', (topic, payload) => {
      const batch = TelemetryBatch.decode(new Uint8Array(payload));
      expect(topic).toBe(`tbox/${batch.vin}/telemetry`);
      seen.set(batch.vin, [...(seen.get(batch.vin) ?? []), batch.seq]);
    });

    const { stdout, stderr } = await promisify(execFile)(bin, [...args.slice(0, -3), '--duration', '3', '--json'], {
      env,
      cwd: root,
      timeout: 60_000,
    });
    expect(stderr).toMatch(/Wrote 3 broker credentials to .* and reloaded Mosquitto/);
    const summary = JSON.parse(stdout) as FleetSummary;
    expect(summary.batchesAcked).toBe(9);
    const vins = simulatedIdentities(run, 'cargo-van-e-2025', 3).map((i) => i.vin);
    await waitFor(
      '3 batches from each vehicle',
      () => (vins.every((vin) => (seen.get(vin)?.length ?? 0) >= 3) ? true : undefined),
      15_000,
    );
    for (const vin of vins) expect(seen.get(vin)).toEqual([1, 2, 3]);

    // A wrong secret is refused.
    await expect(
      mqtt.connectAsync(broker.url, { username: vins[0], password: 'not-the-secret-000', reconnectPeriod: 0 }),
    ).rejects.toThrow(/Not authorized|Bad User Name or Password/i);
  }, 120_000);
});
