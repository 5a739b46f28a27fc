// From the T-Box's MQTT uplink to a predictive alert, every service a separate process as deployed: a scripted T-Box
// publishes raw CAN frames (the chassis bus' TPMS_Pressures message, encoded with the catalog's DBC) for two
// vehicles → `telltale gateway` → `telltale decoder` → `telltale features` (a 10 s feature set on the front-left tyre
// pressure) → a fault model deployed as an ONNX graph built here → a predictive alert through the alert outbox →
// `telltale notifier` → a signed webhook; and the online store through the API. Vehicle A's tyre loses pressure
// after 60 s of event time; B stays healthy. Event time runs from ten minutes ago, sent as fast as the broker takes
// it (the device's clock is its own; only the future is refused).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { startApi, type RunningApi } from '@telltale/api';
import { BUNDLED_CATALOG_DIR, encodeMessage, loadCatalog } from '@telltale/catalog';
import { createKafkaClient, ensureTopics, platformTopicSpecs } from '@telltale/platform/kafka';
import { FeatureVector, TelemetryBatch } from '@telltale/platform/proto';
import { LOCAL, testLogger, uniqueName, waitFor } from '@telltale/platform/testing';
import type { Pool } from '@telltale/platform/db';
import type { FeatureSetDefinition } from '@telltale/feature-sets';
import { encodeOnnxModel } from '@telltale/features';
import {
  VIN_A,
  VIN_B,
  collectTopic,
  deployFaultModel,
  dropSchema,
  registryWithTwoVehicles,
  servicesTestEnv,
  spawnTelltale,
  type Collected,
} from '../helpers.js';
import { Receiver, subscribeFleetsAB, verifyAsReceiver } from '../notifier/harness.js';

const run = uniqueName('mqttpredict');
const MODEL_ID = 'tyre-watch-model';
/** p = sigmoid(0.25 · (205 kPa − tyre_fl_avg)): ≈ 0.0006 at 235 kPa, ≈ 0.9994 at 175 kPa. */
const WEIGHT = -0.25;
const BIAS = 0.25 * 205;
const HEALTHY_KPA = 235;
const LEAKING_KPA = 175;
const LEAK_AFTER_S = 60;
const SECONDS = 120;

const FEATURE_SET: FeatureSetDefinition = {
  id: 'tyre-watch',
  models: ['aurora-ev-2026'],
  window: '10s',
  allowedLateness: '1s',
  features: [{ name: 'tyre_fl_avg', expression: 'tyrePressureFrontLeft', aggregate: 'avg', unit: 'kPa' }],
};

/** Logistic regression on the one feature, output "probability" [N, 1]. */
function tyreModel(): Uint8Array {
  return encodeOnnxModel({
    name: 'tyre_watch',
    inputs: [{ name: 'x', dims: ['N', 1] }],
    outputs: [{ name: 'probability', dims: ['N', 1] }],
    initializers: [
      { name: 'w', dims: [1, 1], floats: [WEIGHT] },
      { name: 'b', dims: [1], floats: [BIAS] },
    ],
    nodes: [
      { op: 'MatMul', inputs: ['x', 'w'], outputs: ['xw'] },
      { op: 'Add', inputs: ['xw', 'b'], outputs: ['logit'] },
      { op: 'Sigmoid', inputs: ['logit'], outputs: ['probability'] },
    ],
  });
}

describe('T-Box MQTT uplink → gateway → decoder → features → ONNX model → predictive alert → webhook', () => {
  let pool: Pool;
  let api: RunningApi | undefined;
  let frames: Collected | undefined;
  let vectors: Collected | undefined;
  let device: mqtt.MqttClient | undefined;
  const receiver = new Receiver();
  const children: ChildProcess[] = [];
  const kafka = createKafkaClient({ brokers: LOCAL.kafkaBrokers, clientId: run, log: testLogger() });
  const env = servicesTestEnv(run);

  beforeAll(async () => {
    ({ pool } = await registryWithTwoVehicles(run));
    await deployFaultModel(pool, FEATURE_SET, { modelId: MODEL_ID, fault: 'tyre-slow-leak', onnx: tyreModel() });
    // Every topic of the platform, as the services would make them: the test reads two before their writers start.
    const admin = kafka.admin();
    await admin.connect();
    await ensureTopics(
      admin,
      platformTopicSpecs({ kafkaTopicPrefix: `${run}.`, kafkaPartitions: 2, kafkaReplicationFactor: 1 }),
    );
    await admin.disconnect();
    await receiver.start();
    api = await startApi({ ...env, API_PORT: '0', API_HOST: '127.0.0.1', LOG_LEVEL: 'silent' });
    for (const service of ['gateway', 'decoder', 'features', 'notifier']) spawnTelltale(env, children, service);
    device = await mqtt.connectAsync(LOCAL.mqttUrl, { clientId: `${run}-tbox` });
  }, 90_000);

  afterAll(async () => {
    await device?.endAsync();
    for (const c of children) c.kill('SIGTERM');
    await frames?.stop();
    await vectors?.stop();
    await api?.stop();
    await receiver.close();
    if (pool) await dropSchema(pool, run);
  }, 60_000);

  it('raises the predictive alert for the leaking tyre only, from frames published over MQTT', async () => {
    const { token, webhookSecret } = await subscribeFleetsAB(api!.url, pool, receiver.url('/h'));
    const headers = { authorization: `Bearer ${token}` };

    // The scripted T-Box: one uplink per vehicle and second of event time, ten TPMS_Pressures frames each (10 Hz).
    const catalog = await loadCatalog(join(BUNDLED_CATALOG_DIR, 'aurora-ev-2026'));
    const chassis = catalog.buses.find((b) => b.database.messages.some((m) => m.name === 'TPMS_Pressures'))!;
    const tpms = chassis.database.messages.find((m) => m.name === 'TPMS_Pressures')!;
    const baseMs = Math.floor((Date.now() - 600_000) / 10_000) * 10_000;
    const uplink = (vin: string, second: number): Buffer => {
      const kpa = vin === VIN_A && second >= LEAK_AFTER_S ? LEAKING_KPA : HEALTHY_KPA;
      const data = encodeMessage(
        tpms,
        {
          TPMS_PressureFL: kpa,
          TPMS_PressureFR: HEALTHY_KPA,
          TPMS_PressureRL: HEALTHY_KPA,
          TPMS_PressureRR: HEALTHY_KPA,
        },
        { clamp: true },
      );
      return Buffer.from(
        TelemetryBatch.encode({
          vin,
          seq: second + 1,
          deviceId: vin === VIN_A ? 'tbox-a' : 'tbox-b',
          catalogVersion: '1.0.0',
          baseTimeMsEpoch: baseMs + second * 1000,
          frames: {
            timeOffsetUs: Array.from({ length: 10 }, (_, k) => k * 100_000),
            bus: Array.from({ length: 10 }, () => chassis.index),
            canId: Array.from({ length: 10 }, () => tpms.frameId),
            flags: Array.from({ length: 10 }, () => (tpms.isExtended ? 1 : 0) | (tpms.isFd ? 2 : 0)),
            length: Array.from({ length: 10 }, () => data.length),
            data: Buffer.concat(Array.from({ length: 10 }, () => Buffer.from(data))),
          },
        }).finish(),
      );
    };
    const topicOf = (vin: string): string => `${run}/tbox/${vin}/telemetry`;

    // The broker drops what reaches a shared subscription nobody holds yet: resend the first uplink (the gateway
    // dedupes it on (device, seq)) until it is in tbox.frames.v1, so the gateway is listening.
    frames = await collectTopic(kafka, `${run}.tbox.frames.v1`, `${run}-frames`);
    await waitFor(
      'the gateway listening',
      async () => {
        await device!.publishAsync(topicOf(VIN_A), uplink(VIN_A, 0), { qos: 1 });
        return frames!.messages.length > 0 || undefined;
      },
      60_000,
      500,
    );
    for (let second = 0; second < SECONDS; second++) {
      for (const vin of [VIN_A, VIN_B]) await device!.publishAsync(topicOf(vin), uplink(vin, second), { qos: 1 });
    }
    vectors = await collectTopic(kafka, `${run}.vehicle.features.v1`, `${run}-vectors`);

    const hook = await waitFor(
      'the predictive alert at the webhook',
      () => receiver.at('/h').find((r) => r.body.includes(`model:${MODEL_ID}`)),
      120_000,
      200,
    );
    expect(verifyAsReceiver(webhookSecret, hook.headers['telltale-signature'] as string | undefined, hook.body)).toBe(
      true,
    );
    const body = JSON.parse(hook.body) as { alert?: Record<string, unknown> } & Record<string, unknown>;
    const alert = (body.alert ?? body) as {
      vin: string;
      origin: string;
      state: string;
      eventTimeMs: number;
      evidence: { signal: string; value: number | null }[];
    };
    expect(alert).toMatchObject({ vin: VIN_A, origin: 'model', state: 'raised' });
    // Windows [60 s, 70 s), [70 s, 80 s), [80 s, 90 s) are the first three with the low pressure: raised at the
    // third one's end.
    expect(alert.eventTimeMs).toBe(baseMs + (LEAK_AFTER_S + 30) * 1000);
    expect(alert.evidence.find((e) => e.signal === 'probability')!.value).toBeGreaterThan(0.99);
    expect(alert.evidence.map((e) => e.signal)).toContain('tyre_fl_avg');

    // The windows hold the pressure the frames carried (DBC scaling: within a kPa) and the model's probability.
    const windows = await waitFor(
      "vehicle A's windows up to the raise",
      () => {
        const decoded = vectors!.messages.map((m) => FeatureVector.decode(m.value!)).filter((v) => v.vin === VIN_A);
        return decoded.some((v) => Number(v.windowEndMsEpoch) === alert.eventTimeMs) ? decoded : undefined;
      },
      30_000,
    );
    for (const v of windows) {
      const startS = (Number(v.windowStartMsEpoch) - baseMs) / 1000;
      const kpa = v.value[0]!;
      expect(kpa).toBeCloseTo(startS >= LEAK_AFTER_S ? LEAKING_KPA : HEALTHY_KPA, 0);
      expect(v.scores[0]!.probability).toBeCloseTo(1 / (1 + Math.exp(-(WEIGHT * kpa + BIAS))), 5);
    }
    const { rows } = await pool.query<{ vin: string }>('SELECT vin FROM alerts WHERE rule_id = $1', [
      `model:${MODEL_ID}`,
    ]);
    expect(rows).toEqual([{ vin: VIN_A }]);

    // The online store through the API: the newest closed window of A, with its probability.
    const online = await fetch(`${api!.url}/v1/vehicles/${VIN_A}/features`, { headers });
    expect(online.status).toBe(200);
    const latest = (await online.json()) as { featureSetId: string; features: Record<string, number | null> };
    expect(latest.featureSetId).toBe('tyre-watch');
    expect(latest.features.tyre_fl_avg).toBeCloseTo(LEAKING_KPA, 0);
  }, 240_000);
});
