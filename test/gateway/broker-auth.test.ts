// Device authentication at the broker, generated from the registry (`telltale broker sync`): a device logs in as
// its VIN with its own secret and can publish only under its own VIN; the gateway reads every VIN.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import { startGateway, type RunningGateway } from '@telltale/gateway';
import { createKafkaClient } from '@telltale/platform/kafka';
import { TelemetryBatch } from '@telltale/platform/proto';
import { LOCAL, testLogger, uniqueName, waitFor } from '@telltale/platform/testing';
import type { Pool } from '@telltale/platform/db';
import {
  SECRET_A,
  SECRET_B,
  VIN_A,
  VIN_B,
  collectTopic,
  dropSchema,
  registryWithTwoVehicles,
  uplink,
  type Collected,
} from '../helpers.js';
import { privateMosquitto, type PrivateMosquitto } from '../local-mosquitto.js';

const run = uniqueName('auth');
const prefix = `${run}.`;
const bin = join(dirname(fileURLToPath(import.meta.url)), '../../node_modules/.bin/telltale');
const SERVICE_PASSWORD = 'gateway-service-password-1';

describe('broker authentication from the registry', () => {
  let broker: PrivateMosquitto;
  let pool: Pool;
  let gateway: RunningGateway | undefined;
  let frames: Collected | undefined;

  beforeAll(async () => {
    broker = await privateMosquitto();
    await broker.start();
    ({ pool } = await registryWithTwoVehicles(run));
    const { stdout } = await promisify(execFile)(bin, ['broker', 'sync'], {
      env: { ...broker.env, DATABASE_SCHEMA: run, MQTT_SERVICE_PASSWORD: SERVICE_PASSWORD },
    });
    expect(stdout).toContain('Wrote 2 device credentials');
    gateway = await startGateway({
      ...process.env,
      DATABASE_SCHEMA: run,
      KAFKA_TOPIC_PREFIX: prefix,
      KAFKA_PARTITIONS: '1',
      MQTT_URL: broker.url,
      MQTT_USERNAME: 'telltale-gateway',
      MQTT_PASSWORD: SERVICE_PASSWORD,
      MQTT_CONNECTIONS: '2',
      MQTT_CLIENT_ID_PREFIX: run,
      REDIS_KEY_PREFIX: `${run}:`,
      LOG_LEVEL: 'silent',
    });
    const kafka = createKafkaClient({ brokers: LOCAL.kafkaBrokers, clientId: run, log: testLogger() });
    frames = await collectTopic(kafka, `${prefix}tbox.frames.v1`, `${run}-frames`);
  }, 120_000);

  afterAll(async () => {
    await frames?.stop();
    await gateway?.stop();
    await broker?.destroy();
    if (pool) await dropSchema(pool, run);
  });

  it('refuses a wrong secret and an unknown user', async () => {
    await expect(
      mqtt.connectAsync(broker.url, { username: VIN_A, password: SECRET_B, reconnectPeriod: 0 }),
    ).rejects.toThrow(/Not authorized|Bad User Name or Password/i);
    await expect(
      mqtt.connectAsync(broker.url, { username: 'WVWZZZ1JZXW999999', password: SECRET_A, reconnectPeriod: 0 }),
    ).rejects.toThrow(/Not authorized|Bad User Name or Password/i);
    await expect(mqtt.connectAsync(broker.url, { reconnectPeriod: 0 })).rejects.toThrow(
      /Not authorized|Bad User Name or Password/i,
    );
  });

  it('lets a device publish under its own VIN only', async () => {
    const deviceA = await mqtt.connectAsync(broker.url, {
      username: VIN_A,
      password: SECRET_A,
      protocolVersion: 5,
      clientId: `${run}-a`,
    });
    // MQTT 5 tells the publisher it was refused; the message never reaches a subscriber.
    await expect(deviceA.publishAsync(`tbox/${VIN_B}/telemetry`, uplink(VIN_B, 1), { qos: 1 })).rejects.toMatchObject({
      code: 135,
    });
    await deviceA.publishAsync(`tbox/${VIN_A}/telemetry`, uplink(VIN_A, 1), { qos: 1 });
    await waitFor(
      "the device's own batch in Kafka",
      () => frames!.messages.find((m) => m.key?.toString() === VIN_A),
      15_000,
    );
    const deviceB = await mqtt.connectAsync(broker.url, { username: VIN_B, password: SECRET_B, clientId: `${run}-b` });
    await deviceB.publishAsync(`tbox/${VIN_B}/telemetry`, uplink(VIN_B, 2), { qos: 1 });
    await waitFor("B's batch", () => frames!.messages.find((m) => m.key?.toString() === VIN_B), 15_000);
    const fromB = frames!.messages
      .filter((m) => m.key?.toString() === VIN_B)
      .map((m) => TelemetryBatch.decode(m.value!).seq);
    expect(fromB).toEqual([2]);
    await deviceA.endAsync();
    await deviceB.endAsync();
  });
});
