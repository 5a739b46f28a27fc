// From an MQTT publish to a decoded SignalBatch on Kafka: real Mosquitto → gateway → Kafka → decoder → Kafka,
// with the premium EV model's catalog. Known frames decode to the right physical values on the right bus;
// unknown ids, unknown buses and short frames are dead-lettered raw while the rest of the batch is decoded.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { startGateway, type RunningGateway } from '@telltale/gateway';
import { startDecoder, type RunningDecoder } from '@telltale/decoder';
import { RECORD_HEADER, createKafkaClient } from '@telltale/platform/kafka';
import { SignalBatch, TelemetryBatch } from '@telltale/platform/proto';
import { encodeMessage, loadCatalog, type Catalog } from '@telltale/catalog';
import { LOCAL, testLogger, uniqueName, waitFor } from '@telltale/platform/testing';
import type { Pool } from '@telltale/platform/db';
import { VIN_A, collectTopic, dropSchema, header, registryWithTwoVehicles, type Collected } from '../helpers.js';

const run = uniqueName('dec');
const prefix = `${run}.`;
const catalogDir = join(import.meta.dirname, '../../signal-catalog');

function message(catalog: Catalog, bus: string, name: string) {
  const found = catalog.buses.find((b) => b.name === bus)?.database.messages.find((m) => m.name === name);
  if (!found) throw new Error(`${bus}/${name} not in the catalog`);
  return found;
}

describe('decoder: MQTT publish → SignalBatch', () => {
  let catalog: Catalog;
  let pool: Pool;
  let gateway: RunningGateway;
  let decoder: RunningDecoder;
  let signals: Collected;
  let deadLetters: Collected;

  beforeAll(async () => {
    catalog = await loadCatalog(join(catalogDir, 'aurora-ev-2026'));
    ({ pool } = await registryWithTwoVehicles(run, {
      modelId: 'aurora-ev-2026',
      catalogVersion: catalog.catalogVersion,
    }));
    const env = {
      ...process.env,
      DATABASE_SCHEMA: run,
      KAFKA_TOPIC_PREFIX: prefix,
      KAFKA_PARTITIONS: '2',
      LOG_LEVEL: 'silent',
      REDIS_KEY_PREFIX: `${run}:`,
    };
    gateway = await startGateway({
      ...env,
      MQTT_URL: LOCAL.mqttUrl,
      MQTT_UPLINK_TOPIC: `${run}/tbox/+/telemetry`,
      MQTT_SHARE_GROUP: run,
      MQTT_CONNECTIONS: '2',
      MQTT_CLIENT_ID_PREFIX: run,
      GATEWAY_ALLOW_ANONYMOUS: 'true',
    });
    decoder = await startDecoder({ ...env, CATALOG_DIR: catalogDir, DECODER_INSTANCE_ID: run });
    const kafka = createKafkaClient({ brokers: LOCAL.kafkaBrokers, clientId: run, log: testLogger() });
    signals = await collectTopic(kafka, `${prefix}vehicle.signals.v1`, `${run}-signals`);
    deadLetters = await collectTopic(kafka, `${prefix}vehicle.signals.dlq.v1`, `${run}-dlq`);
  }, 120_000);

  afterAll(async () => {
    await signals?.stop();
    await deadLetters?.stop();
    await decoder?.stop();
    await gateway?.stop();
    if (pool) await dropSchema(pool, run);
  });

  it('decodes known frames to physical values and dead-letters the rest', async () => {
    const vehicleStatus = message(catalog, 'powertrain', 'VCU_VehicleStatus');
    const packStatus = message(catalog, 'bms', 'BMS_PackStatus');
    const f1 = encodeMessage(vehicleStatus, { VCU_VehicleSpeed: 87.25, VCU_GearActual: 4 });
    const f2 = encodeMessage(packStatus, { BMS_PackVoltage: 398.5, BMS_PackCurrent: -123.4 });
    const unknownId = new Uint8Array(8);
    const onUnknownBus = new Uint8Array(8);
    const short = new Uint8Array(2);
    const frames = [
      { bus: 0, id: vehicleStatus.frameId, flags: 0, data: f1, t: 0 },
      { bus: 3, id: packStatus.frameId, flags: packStatus.isFd ? 2 : 0, data: f2, t: 5_000 },
      { bus: 0, id: 0x7fe, flags: 0, data: unknownId, t: 6_000 },
      { bus: 9, id: vehicleStatus.frameId, flags: 0, data: onUnknownBus, t: 7_000 },
      { bus: 0, id: vehicleStatus.frameId, flags: 0, data: short, t: 8_000 },
      {
        bus: 0,
        id: vehicleStatus.frameId,
        flags: 0,
        data: encodeMessage(vehicleStatus, { VCU_VehicleSpeed: 88, VCU_GearActual: 4 }),
        t: 1_010_000,
      },
    ];
    const payload = TelemetryBatch.encode({
      vin: VIN_A,
      seq: 1,
      deviceId: 'tbox-a',
      catalogVersion: catalog.catalogVersion,
      baseTimeMsEpoch: 1_763_700_000_000,
      frames: {
        timeOffsetUs: frames.map((f) => f.t),
        bus: frames.map((f) => f.bus),
        canId: frames.map((f) => f.id),
        flags: frames.map((f) => f.flags),
        length: frames.map((f) => f.data.length),
        data: Buffer.concat(frames.map((f) => f.data)),
      },
    }).finish();
    const device = await mqtt.connectAsync(LOCAL.mqttUrl, { clientId: `${run}-device` });
    await device.publishAsync(`${run}/tbox/${VIN_A}/telemetry`, Buffer.from(payload), { qos: 1 });
    await device.endAsync();

    const record = await waitFor('the SignalBatch', () => signals.messages[0], 30_000);
    const batch = SignalBatch.decode(record.value!);
    expect(record.key?.toString()).toBe(VIN_A);
    expect(batch).toMatchObject({
      vin: VIN_A,
      modelId: 'aurora-ev-2026',
      catalogVersion: catalog.catalogVersion,
      batchId: `${VIN_A}:1`,
      baseTimeMsEpoch: 1_763_700_000_000,
    });
    expect(batch.source?.deviceSeq).toBe(1);
    expect(batch.source?.gatewayReceiveTimeMsEpoch).toBeGreaterThan(1_763_700_000_000);

    const idOf = (qualified: string): number => catalog.byQualifiedName.get(qualified)!.id;
    const valuesOf = (qualified: string) =>
      batch.signalId.flatMap((id, i) =>
        id === idOf(qualified) ? [{ value: batch.value[i]!, t: batch.timeOffsetMs[i]! }] : [],
      );
    expect(valuesOf('powertrain/VCU_VehicleStatus/VCU_VehicleSpeed')).toEqual([
      { value: 87.25, t: 0 },
      { value: 88, t: 1010 },
    ]);
    expect(valuesOf('powertrain/VCU_VehicleStatus/VCU_GearActual')).toEqual([
      { value: 4, t: 0 },
      { value: 4, t: 1010 },
    ]);
    // Same CAN id 128 on another bus is another message.
    expect(valuesOf('bms/BMS_PackStatus/BMS_PackVoltage')[0]?.value).toBeCloseTo(398.5, 6);
    expect(valuesOf('bms/BMS_PackStatus/BMS_PackCurrent')[0]?.value).toBeCloseTo(-123.4, 6);
    expect(valuesOf('bms/BMS_PackStatus/BMS_PackCurrent')[0]?.t).toBe(5);

    const dead = await waitFor('the dead-lettered frames', () => deadLetters.messages[0], 30_000);
    expect(header(dead, RECORD_HEADER.reason)).toBe('UNDECODABLE_FRAMES');
    expect(header(dead, RECORD_HEADER.frameReasons)).toBe('UNKNOWN_ID,UNKNOWN_BUS,SHORT_FRAME');
    const bad = TelemetryBatch.decode(dead.value!);
    expect(bad.frames?.canId).toEqual([0x7fe, vehicleStatus.frameId, vehicleStatus.frameId]);
    expect(bad.frames?.bus).toEqual([0, 9, 0]);
    expect(bad.frames?.length).toEqual([8, 8, 2]);

    const text = await (await fetch(`${decoder.opsUrl}/metrics`)).text();
    const frameErrors = 'telltale_decoder_frame_errors_total{model="aurora-ev-2026"';
    expect(text).toContain(`${frameErrors},message="unknown-id",reason="UNKNOWN_ID",service="decoder"} 1`);
    expect(text).toContain(`${frameErrors},message="VCU_VehicleStatus",reason="SHORT_FRAME",service="decoder"} 1`);
    expect(text).toMatch(/telltale_decoder_frames_total\{model="aurora-ev-2026",service="decoder"\} 6/);
  });
});
