// The broker restarts under the gateway (issue #18, found by `npm run chaos`). Mosquitto 2.0 with persistence
// restores the gateway's persistent sessions and the messages queued in them, but not their shared ($share)
// subscriptions, so the gateway must send SUBSCRIBE again on every connect. mqtt.js silently skipped that SUBSCRIBE
// (it remembers subscribed topics and calls back with no grants, no packet sent): the gateway reported healthy and
// received nothing after a broker restart, while the broker acknowledged every device's publish. Against a real
// Mosquitto restarted with SIGTERM, this shows:
// - uplinks published after the restart reach Kafka (the gateway subscribed again, and its health says so);
// - uplinks the broker queued for the gateway's sessions while the gateway was stopped survive a broker restart.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt, { type MqttClient } from 'mqtt';
import { startGateway, type RunningGateway } from '@telltale/gateway';
import { createKafkaClient, ensureTopics } from '@telltale/platform/kafka';
import { TelemetryBatch } from '@telltale/platform/proto';
import { LOCAL, testLogger, uniqueName, waitFor } from '@telltale/platform/testing';
import type { Pool } from '@telltale/platform/db';
import {
  VIN_A,
  VIN_B,
  collectTopic,
  deleteTopics,
  dropSchema,
  gatewayTestEnv,
  registryWithTwoVehicles,
  uplink,
  type Collected,
} from '../helpers.js';
import { restartableMosquitto, type RestartableMosquitto } from '../local-mosquitto.js';

const run = uniqueName('gwbroker');

describe('gateway across a Mosquitto restart (persistent sessions, shared subscription)', () => {
  const kafka = createKafkaClient({ brokers: LOCAL.kafkaBrokers, clientId: run, log: testLogger() });
  let pool: Pool;
  let broker: RestartableMosquitto;
  let frames: Collected | undefined;
  let gateway: RunningGateway | undefined;
  let device: MqttClient | undefined;

  const startOne = () =>
    startGateway(gatewayTestEnv(run, { MQTT_URL: broker.url, MQTT_CONNECTIONS: '2', GATEWAY_ALLOW_ANONYMOUS: 'true' }));
  const healthy = async (): Promise<boolean> =>
    (await fetch(`${gateway!.opsUrl}/healthz`).catch(() => undefined))?.ok === true;
  const metricsText = async (): Promise<string> => (await fetch(`${gateway!.opsUrl}/metrics`)).text();
  const seqsInKafka = () => new Set(frames!.messages.map((m) => TelemetryBatch.decode(m.value!).seq));
  let published = 0;
  /** Publishes seqs up to `upTo` and waits for each PUBACK from the broker. */
  const publish = async (upTo: number) => {
    for (; published < upTo; published++) {
      const seq = published + 1;
      const vin = seq % 2 === 0 ? VIN_A : VIN_B;
      await device!.publishAsync(`${run}/tbox/${vin}/telemetry`, uplink(vin, seq), { qos: 1 });
    }
  };
  const allInKafka = (n: number) =>
    waitFor(`${n} batches in Kafka`, () => (seqsInKafka().size >= n ? true : undefined), 60_000, 50);

  beforeAll(async () => {
    ({ pool } = await registryWithTwoVehicles(run));
    broker = await restartableMosquitto();
    const admin = kafka.admin();
    await admin.connect();
    await ensureTopics(admin, [
      { topic: `${run}.tbox.frames.v1`, numPartitions: 1, replicationFactor: 1 },
      { topic: `${run}.tbox.frames.dlq.v1`, numPartitions: 1, replicationFactor: 1 },
    ]);
    await admin.disconnect();
    frames = await collectTopic(kafka, `${run}.tbox.frames.v1`, `${run}-check`);
    // A device like the simulator: clean session, reconnects on its own, resends what was in flight.
    device = await mqtt.connectAsync(broker.url, { clientId: `${run}-device`, clean: true, reconnectPeriod: 200 });
  }, 60_000);

  afterAll(async () => {
    await device?.endAsync(true);
    await gateway?.stop();
    await broker?.destroy();
    await frames?.stop();
    await deleteTopics(kafka, [`${run}.tbox.frames.v1`, `${run}.tbox.frames.dlq.v1`]);
    if (pool) await dropSchema(pool, run);
  });

  it('subscribes again after the restart: uplinks published afterwards reach Kafka', async () => {
    gateway = await startOne();
    await publish(40);
    await allInKafka(40);

    await broker.restart();
    // Healthy means subscribed (SUBACK received), not just connected; both connections subscribe again.
    await waitFor('the gateway healthy again', async () => ((await healthy()) ? true : undefined), 30_000, 50);
    await waitFor(
      'both connections subscribed again',
      async () =>
        /^telltale_gateway_mqtt_subscribed_connections({[^}]*})? 2$/m.test(await metricsText()) ? true : undefined,
      30_000,
      50,
    );
    await publish(100);
    await allInKafka(100);
    expect(seqsInKafka().size).toBe(100);
  }, 120_000);

  it('delivers what the broker queued for the stopped gateway across a broker restart', async () => {
    await gateway!.stop(); // persistent sessions stay at the broker, subscribed
    gateway = undefined;
    await publish(140); // acknowledged by the broker, queued in the gateway's sessions
    await broker.restart();
    gateway = await startOne();
    await publish(160);
    await allInKafka(160);
    expect(seqsInKafka().size).toBe(160);
  }, 120_000);
});
