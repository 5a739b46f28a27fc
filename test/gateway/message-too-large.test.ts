// One device must not stall the gateway for everyone: the frames topic here accepts record batches of at most
// 20,000 bytes. A flush with several ~12 KB uplinks (too large together) and one ~30 KB uplink (too large alone) used
// to fail as one request with MESSAGE_TOO_LARGE and be retried forever: no PUBACK for any vehicle. Now the requests
// are split, the refused uplink is dead-lettered (payload cut) with reason KAFKA_REFUSED and counted, and every
// publish is acknowledged.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import { startGateway, type RunningGateway } from '@telltale/gateway';
import { RECORD_HEADER, createKafkaClient } from '@telltale/platform/kafka';
import { LOCAL, testLogger, uniqueName, waitFor } from '@telltale/platform/testing';
import type { Pool } from '@telltale/platform/db';
import {
  VIN_A,
  VIN_B,
  collectTopic,
  deleteTopics,
  dropSchema,
  gatewayTestEnv,
  header,
  registryWithTwoVehicles,
  uplink,
  type Collected,
} from '../helpers.js';

const run = uniqueName('gwbig');
const prefix = `${run}.`;
const kafka = createKafkaClient({ brokers: LOCAL.kafkaBrokers, clientId: run, log: testLogger() });

/** An uplink of `frames` 64-byte CAN FD frames (about 66 bytes each on the wire). */
function large(vin: string, seq: number, frames: number): Buffer {
  const column = (value: number) => new Array<number>(frames).fill(value);
  return uplink(vin, seq, {
    frames: {
      timeOffsetUs: column(0),
      bus: column(0),
      canId: column(0x101),
      flags: column(2),
      length: column(64),
      data: Buffer.alloc(64 * frames, seq),
    },
  });
}

describe('gateway: records Kafka refuses do not stall the flush', () => {
  let pool: Pool;
  let gateway: RunningGateway;
  let device: mqtt.MqttClient;
  let frames: Collected;
  let dlq: Collected;

  beforeAll(async () => {
    ({ pool } = await registryWithTwoVehicles(run));
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        {
          topic: `${prefix}tbox.frames.v1`,
          numPartitions: 1,
          replicationFactor: 1,
          configEntries: [{ name: 'max.message.bytes', value: '20000' }],
        },
      ],
    });
    await admin.disconnect();
    gateway = await startGateway(
      gatewayTestEnv(run, {
        FLUSH_LINGER_MS: '200',
        GATEWAY_ALLOW_ANONYMOUS: 'true',
        DLQ_MAX_PAYLOAD_BYTES: '4096',
        KAFKA_MAX_REQUEST_BYTES: '16000',
      }),
    );
    frames = await collectTopic(kafka, `${prefix}tbox.frames.v1`, `${run}-frames`);
    dlq = await collectTopic(kafka, `${prefix}tbox.frames.dlq.v1`, `${run}-dlq`);
    device = await mqtt.connectAsync(LOCAL.mqttUrl, { clientId: `${run}-device` });
  });

  afterAll(async () => {
    await device?.endAsync();
    await frames?.stop();
    await dlq?.stop();
    await gateway?.stop();
    await deleteTopics(kafka, [`${prefix}tbox.frames.v1`, `${prefix}tbox.frames.dlq.v1`]);
    if (pool) await dropSchema(pool, run);
  });

  const topicOf = (vin: string): string => `${run}/tbox/${vin}/telemetry`;

  it('acknowledges every publish, writes what fits and dead-letters what Kafka refuses', async () => {
    const medium = [1, 2, 3].map((seq) => large(VIN_A, seq, 180)); // ~12 KB each: two exceed the topic limit
    const huge = large(VIN_A, 4, 460); // ~30 KB: too large alone
    const normal = uplink(VIN_B, 1);
    // All in one flush (200 ms linger); every PUBACK must arrive.
    await Promise.race([
      Promise.all([
        ...medium.map((p) => device.publishAsync(topicOf(VIN_A), p, { qos: 1 })),
        device.publishAsync(topicOf(VIN_A), huge, { qos: 1 }),
        device.publishAsync(topicOf(VIN_B), normal, { qos: 1 }),
      ]),
      new Promise((_, reject) =>
        setTimeout(() => reject(new Error('no PUBACK within 20 s: the gateway is stuck')), 20_000),
      ),
    ]);
    await waitFor('the accepted records', () => (frames.messages.length >= 4 ? true : undefined), 15_000);
    for (const payload of [...medium, normal]) {
      expect(frames.messages.filter((m) => Buffer.compare(m.value!, payload) === 0)).toHaveLength(1);
    }
    const dead = await waitFor(
      'the refused uplink in the dead-letter topic',
      () => dlq.messages.find((m) => header(m, RECORD_HEADER.reason) === 'KAFKA_REFUSED'),
      15_000,
    );
    expect(dead.key?.toString()).toBe(VIN_A);
    expect(dead.value!.length).toBe(4096);
    expect(Buffer.compare(dead.value!, huge.subarray(0, 4096))).toBe(0);
    expect(header(dead, RECORD_HEADER.detail)).toContain('MESSAGE_TOO_LARGE');
    expect(header(dead, RECORD_HEADER.detail)).toContain(`cut to 4096 of ${huge.length} bytes`);

    const text = await (await fetch(`${gateway.opsUrl}/metrics`)).text();
    const refused = 'telltale_gateway_kafka_refused_total{error="MESSAGE_TOO_LARGE",record="uplink"';
    expect(text).toContain(`${refused},outcome="dead_lettered",service="gateway"} 1`);
  }, 60_000);
});
