// MQTT_CLEAN_SESSION: a gateway with a clean session leaves no session at the broker when it stops (nothing keeps
// queuing uplinks for a pipeline that is gone); the default persistent session survives it, so QoS 1 uplinks sent
// while the gateway restarts are delivered when it is back. Checked on the real Mosquitto through CONNACK's
// session-present flag of a client taking over the gateway's client id.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import { startGateway } from '@telltale/gateway';
import { createKafkaClient } from '@telltale/platform/kafka';
import { LOCAL, testLogger, uniqueName } from '@telltale/platform/testing';
import type { Pool } from '@telltale/platform/db';
import { deleteTopics, dropSchema, gatewayTestEnv, registryWithTwoVehicles } from '../helpers.js';

const run = uniqueName('gwclean');
const kafka = createKafkaClient({ brokers: LOCAL.kafkaBrokers, clientId: run, log: testLogger() });

/** Starts and stops a gateway with one connection, then asks the broker whether its session is still there. */
async function sessionLeftBehind(clean: boolean, clientIdPrefix: string): Promise<boolean> {
  const gateway = await startGateway(
    gatewayTestEnv(run, {
      MQTT_CONNECTIONS: '1',
      MQTT_CLIENT_ID_PREFIX: clientIdPrefix,
      MQTT_CLEAN_SESSION: String(clean),
      GATEWAY_ALLOW_ANONYMOUS: 'true',
    }),
  );
  await gateway.stop();
  const probe = await mqtt.connectAsync(LOCAL.mqttUrl, { clientId: `${clientIdPrefix}-0`, clean: false });
  // connectAsync resolves after the CONNACK; mqtt.js keeps the packet.
  const connack = (probe as unknown as { connackPacket?: { sessionPresent?: boolean } }).connackPacket;
  const present = connack?.sessionPresent ?? false;
  await probe.endAsync();
  // Leave nothing behind at the shared broker either way.
  const cleanup = await mqtt.connectAsync(LOCAL.mqttUrl, { clientId: `${clientIdPrefix}-0`, clean: true });
  await cleanup.endAsync();
  return present;
}

describe('gateway MQTT session', () => {
  let pool: Pool;
  beforeAll(async () => {
    ({ pool } = await registryWithTwoVehicles(run));
  });
  afterAll(async () => {
    await deleteTopics(kafka, [`${run}.tbox.frames.v1`, `${run}.tbox.frames.dlq.v1`]);
    if (pool) await dropSchema(pool, run);
  });

  it('is persistent by default: the broker keeps it across a restart', async () => {
    expect(await sessionLeftBehind(false, `${run}-persistent`)).toBe(true);
  });

  it('with MQTT_CLEAN_SESSION=true ends with the gateway', async () => {
    expect(await sessionLeftBehind(true, `${run}-clean`)).toBe(false);
  });
});
