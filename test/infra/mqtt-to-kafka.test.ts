// The uplink path on real infrastructure: a TelemetryBatch published over MQTT (QoS 1) to Mosquitto, moved into
// Kafka by a small bridge that acknowledges only after the Kafka write, read back byte-identical.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import {
  createKafkaClient,
  createReliableProducer,
  ensureTopics,
  startCommittingConsumer,
  type CommittingConsumer,
} from '@telltale/platform/kafka';
import { TelemetryBatch, FrameFlag } from '@telltale/platform/proto';
import { LOCAL, testLogger, uniqueName, waitFor } from '@telltale/platform/testing';

const log = testLogger();
const run = uniqueName('mqttbridge');
const topic = `${run}.tbox.frames.v1`;
const kafka = createKafkaClient({ brokers: LOCAL.kafkaBrokers, clientId: run, log });

function sampleBatch(seq: number): Uint8Array {
  const data = new Uint8Array(8 + 64);
  data.forEach((_, i) => (data[i] = (i * 37 + seq) & 0xff));
  return TelemetryBatch.encode({
    vin: 'WVWZZZ1JZXW000001',
    seq,
    catalogVersion: '2026.11.0',
    baseTimeMsEpoch: 1_763_700_000_123,
    backfill: false,
    deviceId: 'tbox-0001',
    frames: {
      timeOffsetUs: [0, 1500],
      bus: [0, 3],
      canId: [0x1a0, 0x18ff50e5],
      flags: [FrameFlag.FRAME_FLAG_NONE, FrameFlag.FRAME_FLAG_EXTENDED | FrameFlag.FRAME_FLAG_FD],
      length: [8, 64],
      data,
    },
  }).finish();
}

describe('MQTT → Kafka uplink on real Mosquitto and Kafka', () => {
  const admin = kafka.admin();
  const producer = createReliableProducer(kafka);
  let subscriber: mqtt.MqttClient;
  let publisher: mqtt.MqttClient;
  let consumer: CommittingConsumer | undefined;
  const received: { key: string; value: Buffer }[] = [];

  beforeAll(async () => {
    await admin.connect();
    await ensureTopics(admin, [{ topic, numPartitions: 3, replicationFactor: 1 }]);
    await producer.connect();
    consumer = await startCommittingConsumer({
      kafka,
      groupId: `${run}-reader`,
      topics: [topic],
      fromBeginning: true,
      log,
      handleBatch: async (batch) => {
        for (const m of batch.messages)
          received.push({ key: m.key?.toString() ?? '', value: m.value ?? Buffer.alloc(0) });
        await Promise.resolve();
      },
    });
    // The bridge: manual acknowledgement, so the broker only gets PUBACK once Kafka has the record.
    subscriber = await mqtt.connectAsync(LOCAL.mqttUrl, { clientId: `${run}-bridge`, clean: true });
    subscriber.handleMessage = (packet, done) => {
      const vin = packet.topic.split('/')[1] ?? '';
      producer
        .send(topic, [{ key: vin, value: Buffer.from(packet.payload as Buffer) }])
        .then(() => done())
        .catch((error: unknown) => done(error as Error));
    };
    await subscriber.subscribeAsync(`${run}/+/telemetry`, { qos: 1 });
    publisher = await mqtt.connectAsync(LOCAL.mqttUrl, { clientId: `${run}-tbox` });
  });

  afterAll(async () => {
    await consumer?.stop();
    await publisher?.endAsync();
    await subscriber?.endAsync();
    await producer.disconnect();
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  });

  it('delivers each published batch to Kafka byte-identical, keyed by VIN', async () => {
    const payloads = [sampleBatch(1), sampleBatch(2), sampleBatch(3)];
    for (const payload of payloads) {
      await publisher.publishAsync(`${run}/WVWZZZ1JZXW000001/telemetry`, Buffer.from(payload), { qos: 1 });
    }
    await waitFor('3 records on Kafka', () => (received.length >= 3 ? true : undefined), 30_000);
    expect(received).toHaveLength(3);
    for (const [i, record] of received.entries()) {
      expect(record.key).toBe('WVWZZZ1JZXW000001');
      expect(Buffer.compare(record.value, Buffer.from(payloads[i]!))).toBe(0);
    }
    const decoded = TelemetryBatch.decode(received[2]!.value);
    expect(decoded.seq).toBe(3);
    expect(decoded.baseTimeMsEpoch).toBe(1_763_700_000_123);
    expect(decoded.frames?.canId).toEqual([0x1a0, 0x18ff50e5]);
    expect(decoded.frames?.data?.length).toBe(72);
  });
});
