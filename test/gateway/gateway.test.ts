// The gateway on the real Mosquitto, Kafka, Redis and PostgreSQL: accepted batches reach tbox.frames.v1
// byte-identical, duplicates once, spoofed and malformed batches go to the dead-letter topic with their reason, and
// the gateway keeps serving.
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

const run = uniqueName('gw');
const prefix = `${run}.`;
const kafka = createKafkaClient({ brokers: LOCAL.kafkaBrokers, clientId: run, log: testLogger() });

describe('gateway: MQTT → Kafka with checks and dedupe', () => {
  let pool: Pool;
  let gateway: RunningGateway;
  let device: mqtt.MqttClient;
  let frames: Collected;
  let dlq: Collected;

  beforeAll(async () => {
    ({ pool } = await registryWithTwoVehicles(run));
    gateway = await startGateway(
      gatewayTestEnv(run, { KAFKA_PARTITIONS: '2', MQTT_CONNECTIONS: '4', GATEWAY_ALLOW_ANONYMOUS: 'true' }),
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
  const framesWithSeq = (vin: string, seq: number) =>
    frames.messages.filter((m) => m.key?.toString() === vin && Buffer.compare(m.value!, uplink(vin, seq)) === 0);

  it('writes an accepted batch to tbox.frames.v1 byte-identical, keyed by VIN, before the PUBACK', async () => {
    const payload = uplink(VIN_A, 1);
    const before = Date.now();
    await device.publishAsync(topicOf(VIN_A), payload, { qos: 1 });
    // publishAsync resolved = PUBACK received: the record must already be in Kafka.
    const record = await waitFor('the record', () => framesWithSeq(VIN_A, 1)[0], 15_000);
    expect(Buffer.compare(record.value!, payload)).toBe(0);
    expect(Number(record.timestamp)).toBeGreaterThanOrEqual(before); // the gateway's receive time
  });

  it('writes a duplicated batch once', async () => {
    for (let i = 0; i < 3; i++) await device.publishAsync(topicOf(VIN_A), uplink(VIN_A, 2), { qos: 1 });
    // Two copies in one flush and one in a later flush; then a sentinel proves the gateway got past them.
    await Promise.all([
      device.publishAsync(topicOf(VIN_A), uplink(VIN_A, 3), { qos: 1 }),
      device.publishAsync(topicOf(VIN_A), uplink(VIN_A, 3), { qos: 1 }),
    ]);
    await device.publishAsync(topicOf(VIN_A), uplink(VIN_A, 4), { qos: 1 });
    await waitFor('the sentinel', () => framesWithSeq(VIN_A, 4)[0], 15_000);
    expect(framesWithSeq(VIN_A, 2)).toHaveLength(1);
    expect(framesWithSeq(VIN_A, 3)).toHaveLength(1);
  });

  it('dead-letters a batch whose payload claims another VIN than its topic', async () => {
    const spoofed = uplink(VIN_B, 5);
    await device.publishAsync(topicOf(VIN_A), spoofed, { qos: 1 });
    const record = await waitFor(
      'the dead-letter record',
      () => dlq.messages.find((m) => header(m, RECORD_HEADER.reason) === 'TOPIC_VIN_MISMATCH'),
      15_000,
    );
    expect(record.key?.toString()).toBe(VIN_A);
    expect(Buffer.compare(record.value!, spoofed)).toBe(0);
    expect(header(record, RECORD_HEADER.detail)).toContain(VIN_B);
    expect(frames.messages.filter((m) => m.key?.toString() === VIN_B)).toHaveLength(0);
  });

  it('dead-letters malformed protobuf and keeps serving', async () => {
    // Field 1 (vin) announces 16 bytes and carries 1: truncated protobuf.
    const garbage = Buffer.from([0x0a, 0x10, 0x42]);
    await device.publishAsync(topicOf(VIN_A), garbage, { qos: 1 });
    await device.publishAsync(topicOf(VIN_A), Buffer.alloc(0), { qos: 1 });
    await device.publishAsync(topicOf(VIN_B), uplink(VIN_B, 6), { qos: 1 });
    await waitFor('the batch after the garbage', () => framesWithSeq(VIN_B, 6)[0], 15_000);
    const malformed = await waitFor(
      'the malformed dead letter',
      () => dlq.messages.find((m) => header(m, RECORD_HEADER.reason) === 'MALFORMED_PROTOBUF'),
      15_000,
    );
    expect(Buffer.compare(malformed.value!, garbage)).toBe(0);
    // An empty payload decodes to an empty batch: rejected for its missing VIN, not crashing anything.
    const empty = await waitFor(
      'the empty-payload dead letter',
      () => dlq.messages.find((m) => m.value?.length === 0),
      15_000,
    );
    expect(header(empty, RECORD_HEADER.detail)).toBe('payload has no VIN');
  });

  it('dead-letters a payload the decoder would read as another vehicle (VIN hidden in a bytes seq)', async () => {
    const hidden = uplink(VIN_B, 9);
    const crafted = Buffer.concat([uplink(VIN_A, 8), Buffer.from([0x12, hidden.length]), hidden]);
    await device.publishAsync(topicOf(VIN_A), crafted, { qos: 1 });
    const record = await waitFor(
      'the crafted dead letter',
      () => dlq.messages.find((m) => Buffer.compare(m.value!, crafted) === 0),
      15_000,
    );
    expect(header(record, RECORD_HEADER.reason)).toBe('MALFORMED_PROTOBUF');
    expect(header(record, RECORD_HEADER.detail)).toContain('seq has wire type 2');
    expect(frames.messages.filter((m) => Buffer.compare(m.value!, crafted) === 0)).toHaveLength(0);
  });

  it('refuses to start on an anonymous broker unless GATEWAY_ALLOW_ANONYMOUS is set', async () => {
    await expect(startGateway(gatewayTestEnv(`${run}x`))).rejects.toThrow(/GATEWAY_ALLOW_ANONYMOUS=true/);
  });

  it("dead-letters a batch without a device id (it could otherwise mark a victim's seq as seen)", async () => {
    const anonymous = uplink(VIN_A, 10, { deviceId: '' });
    await device.publishAsync(topicOf(VIN_A), anonymous, { qos: 1 });
    const record = await waitFor(
      'the dead letter',
      () => dlq.messages.find((m) => header(m, RECORD_HEADER.reason) === 'MISSING_DEVICE_ID'),
      15_000,
    );
    expect(Buffer.compare(record.value!, anonymous)).toBe(0);
    expect(framesWithSeq(VIN_A, 10)).toHaveLength(0);
  });

  it('exposes its counters on /metrics', async () => {
    const text = await (await fetch(`${gateway.opsUrl}/metrics`)).text();
    expect(text).toMatch(/telltale_gateway_batches_total\{outcome="accepted",service="gateway"\} [1-9]/);
    expect(text).toMatch(/telltale_gateway_batches_total\{outcome="duplicate",service="gateway"\} [1-9]/);
    expect(text).toMatch(/telltale_gateway_rejected_total\{reason="TOPIC_VIN_MISMATCH",service="gateway"\} 2/);
    expect(text).toMatch(/telltale_gateway_rejected_total\{reason="MALFORMED_PROTOBUF",service="gateway"\} 2/);
  });
});
