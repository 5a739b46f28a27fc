// "No acknowledged uplink is lost": Kafka stops mid-stream. The device's PUBACK comes from the broker, which keeps
// the message in the gateway's persistent shared-subscription session until the gateway acknowledges it — and the
// gateway acknowledges only after the Kafka write. While Kafka is down the gateway writes and acknowledges
// nothing; it is even restarted during the outage; once Kafka is back every batch is in tbox.frames.v1, once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import { startGateway, type RunningGateway } from '@telltale/gateway';
import { createKafkaClient } from '@telltale/platform/kafka';
import { TelemetryBatch } from '@telltale/platform/proto';
import { LOCAL, testLogger, uniqueName, waitFor } from '@telltale/platform/testing';
import type { Pool } from '@telltale/platform/db';
import { VIN_A, collectTopic, dropSchema, registryWithTwoVehicles, uplink, type Collected } from '../helpers.js';
import { privateKafka, type PrivateKafka } from '../local-kafka.js';

const run = uniqueName('outage');
const TOTAL = 120;

async function metric(gateway: RunningGateway, pattern: RegExp): Promise<number> {
  const text = await (await fetch(`${gateway.opsUrl}/metrics`)).text();
  return Number(pattern.exec(text)?.[1] ?? 0);
}
const ACCEPTED = /telltale_gateway_batches_total\{outcome="accepted",service="gateway"\} (\d+)/;
const WRITE_FAILURES = /telltale_gateway_kafka_write_failures_total\{service="gateway"\} (\d+)/;

describe('gateway while Kafka is down', () => {
  let kafkaServer: PrivateKafka;
  let pool: Pool;
  let frames: Collected | undefined;
  const gateways: RunningGateway[] = [];
  const gatewayEnv = (brokers: string): NodeJS.ProcessEnv => ({
    ...process.env,
    KAFKA_BROKERS: brokers,
    DATABASE_SCHEMA: run,
    KAFKA_PARTITIONS: '1',
    MQTT_URL: LOCAL.mqttUrl,
    MQTT_UPLINK_TOPIC: `${run}/tbox/+/telemetry`,
    MQTT_SHARE_GROUP: run,
    MQTT_CONNECTIONS: '4',
    GATEWAY_ALLOW_ANONYMOUS: 'true', // the development broker on 1883
    MQTT_CLIENT_ID_PREFIX: run, // the same ids after a restart resume the broker sessions holding unacked messages
    REDIS_KEY_PREFIX: `${run}:`,
    LOG_LEVEL: 'silent',
    SHUTDOWN_TIMEOUT_MS: '4000',
  });

  beforeAll(async () => {
    kafkaServer = await privateKafka();
    await kafkaServer.start();
    ({ pool } = await registryWithTwoVehicles(run));
    gateways.push(await startGateway(gatewayEnv(kafkaServer.brokers)));
  }, 240_000);

  afterAll(async () => {
    await frames?.stop();
    for (const g of gateways) await g.stop().catch(() => undefined);
    await kafkaServer?.destroy();
    if (pool) await dropSchema(pool, run);
  }, 120_000);

  it('writes and acknowledges nothing while Kafka is down, and loses nothing', async () => {
    const device = await mqtt.connectAsync(LOCAL.mqttUrl, { clientId: `${run}-device`, clean: false });
    const publish = (seq: number) =>
      device.publishAsync(`${run}/tbox/${VIN_A}/telemetry`, uplink(VIN_A, seq), { qos: 1 });
    const first = gateways[0]!;

    for (let seq = 1; seq <= 40; seq++) await publish(seq);
    await waitFor(
      '40 batches written',
      async () => ((await metric(first, ACCEPTED)) === 40 ? true : undefined),
      30_000,
    );

    await kafkaServer.stop();
    for (let seq = 41; seq <= TOTAL; seq++) await publish(seq);
    await waitFor(
      'a failed Kafka write',
      async () => ((await metric(first, WRITE_FAILURES)) > 0 ? true : undefined),
      60_000,
    );
    expect(await metric(first, ACCEPTED)).toBe(40);

    // Restart the gateway during the outage: what it held unacknowledged stays with the broker.
    await first.stop();
    await kafkaServer.start();
    const second = await startGateway(gatewayEnv(kafkaServer.brokers));
    gateways.push(second);
    await device.endAsync();

    const kafka = createKafkaClient({ brokers: [kafkaServer.brokers], clientId: run, log: testLogger() });
    frames = await collectTopic(kafka, 'tbox.frames.v1', `${run}-check`);
    const seqs = () => frames!.messages.map((m) => TelemetryBatch.decode(m.value!).seq);
    await waitFor('all 120 batches in Kafka', () => (new Set(seqs()).size >= TOTAL ? true : undefined), 120_000, 200);
    await new Promise((resolve) => setTimeout(resolve, 1000)); // a late duplicate would show up here
    expect(new Set(seqs()).size).toBe(TOTAL);
    expect(seqs()).toHaveLength(TOTAL);
  }, 300_000);
});
