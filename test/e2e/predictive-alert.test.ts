// A slowly developing fault, through the real services as processes: the simulator's physics with a tyre leaking
// slowly (vehicle A; B healthy) produce hours of event time as SignalBatch records on vehicle.signals.v1 →
// `telltale features` (the aurora-health feature set) → a fault model deployed as an ONNX graph built directly here,
// not by `telltale model train` (logistic regression on one feature, output "probabilities" [N, 2]) → the probabilities
// it should give → a predictive alert through the alert outbox → `telltale notifier` → a signed webhook.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startApi, type RunningApi } from '@telltale/api';
import { BUNDLED_CATALOG_DIR, loadCatalog } from '@telltale/catalog';
import { createKafkaClient, createReliableProducer, ensureTopics } from '@telltale/platform/kafka';
import { encodeSignalBatch, FeatureVector } from '@telltale/platform/proto';
import { LOCAL, testLogger, uniqueName, waitFor } from '@telltale/platform/testing';
import type { FeatureSetDefinition } from '@telltale/feature-sets';
import { encodeOnnxModel } from '@telltale/features';
import { AURORA_SPEC, VehiclePhysics, aliasQuantity, startSlowFault } from '@telltale/simulator';
import type { Pool } from '@telltale/platform/db';
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

const run = uniqueName('predict');
const root = join(import.meta.dirname, '../..');
const SET = JSON.parse(
  readFileSync(join(root, 'services/features/feature-sets/aurora-health.json'), 'utf8'),
) as FeatureSetDefinition;
const TYRE = SET.features.findIndex((f) => f.name === 'tyre_spread_avg');
/** p = sigmoid(0.5 · (tyre_spread_avg − 30 kPa)): 0.8 at 32.8 kPa. */
const WEIGHT = 0.5;
const CENTRE = 30;
const HOURS = 2.5;

/** Logistic regression on one input column, written node by node (MatMul, Add, Sigmoid, Sub, Concat). */
function directModel(): Uint8Array {
  const f = SET.features.length;
  const weights = Array.from({ length: f }, (_, i) => (i === TYRE ? WEIGHT : 0));
  return encodeOnnxModel({
    name: 'hand_written_tyre_model',
    inputs: [{ name: 'x', dims: ['N', f] }],
    outputs: [{ name: 'probabilities', dims: ['N', 2] }],
    initializers: [
      { name: 'w', dims: [f, 1], floats: weights },
      { name: 'b', dims: [1], floats: [-WEIGHT * CENTRE] },
      { name: 'one', dims: [1], floats: [1] },
    ],
    nodes: [
      { op: 'MatMul', inputs: ['x', 'w'], outputs: ['xw'] },
      { op: 'Add', inputs: ['xw', 'b'], outputs: ['logit'] },
      { op: 'Sigmoid', inputs: ['logit'], outputs: ['p'] },
      { op: 'Sub', inputs: ['one', 'p'], outputs: ['q'] },
      { op: 'Concat', inputs: ['q', 'p'], outputs: ['probabilities'], attributes: [{ name: 'axis', i: 1 }] },
    ],
  });
}

describe('slow fault → features → ONNX model → predictive alert → webhook', () => {
  let pool: Pool;
  let api: RunningApi | undefined;
  let vectors: Collected | undefined;
  const receiver = new Receiver();
  const children: ChildProcess[] = [];
  const kafka = createKafkaClient({ brokers: LOCAL.kafkaBrokers, clientId: run, log: testLogger() });
  const producer = createReliableProducer(kafka);
  const env = servicesTestEnv(run);

  beforeAll(async () => {
    ({ pool } = await registryWithTwoVehicles(run));
    await deployFaultModel(pool, SET, { modelId: 'hand-written-tyre', fault: 'tyre-slow-leak', onnx: directModel() });
    const admin = kafka.admin();
    await admin.connect();
    await ensureTopics(
      admin,
      ['vehicle.signals.v1', 'vehicle.features.v1', 'vehicle.alerts.v1', 'vehicle.signals.dlq.v1'].map((t) => ({
        topic: `${run}.${t}`,
        numPartitions: 2,
        replicationFactor: 1,
      })),
    );
    await admin.disconnect();
    await producer.connect();
    await receiver.start();
    api = await startApi({ ...env, API_PORT: '0', API_HOST: '127.0.0.1', LOG_LEVEL: 'silent', OPS_PORT: '0' });
    vectors = await collectTopic(kafka, `${run}.vehicle.features.v1`, `${run}-check`);
    for (const service of ['features', 'notifier']) spawnTelltale(env, children, service);
  }, 90_000);

  afterAll(async () => {
    for (const c of children) c.kill('SIGTERM');
    await vectors?.stop();
    await producer.disconnect();
    await api?.stop();
    await receiver.close();
    if (pool) await dropSchema(pool, run);
  }, 60_000);

  it('alerts on the leaking tyre before its threshold, with the probabilities the graph defines', async () => {
    const { webhookSecret } = await subscribeFleetsAB(api!.url, pool, receiver.url('/hook'));

    // Hours of event time, sent as fast as Kafka takes them: one record per vehicle per 10 s of simulated time.
    const catalog = await loadCatalog(join(BUNDLED_CATALOG_DIR, 'aurora-ev-2026'));
    const aliases = [...new Set(SET.features.flatMap((f) => f.expression.match(/[A-Za-z]+/g) ?? []))].filter((a) =>
      catalog.aliases.has(a),
    );
    const inputs = aliases.map((alias) => ({ id: catalog.aliases.get(alias)!.id, read: aliasQuantity(alias)! }));
    const baseMs = Date.now() - HOURS * 3_600_000 - 60_000;
    const vehicles = [VIN_A, VIN_B].map((vin, i) => ({
      vin,
      physics: new VehiclePhysics(AURORA_SPEC, { seed: 11, label: `vehicle-${i}`, ambientC: 15 }),
    }));
    const leakStartS = 600;
    for (let t = 1, seq = 1; t <= HOURS * 3600; t += 10, seq++) {
      const records = vehicles.map(({ vin, physics }) => {
        const ids: number[] = [];
        const values: number[] = [];
        const offsets: number[] = [];
        for (let k = 0; k < 10; k++) {
          physics.step(1);
          if (vin === VIN_A && t + k === leakStartS) startSlowFault(physics, { kind: 'tyre-slow-leak', wheel: 2 });
          for (const input of inputs) {
            ids.push(input.id);
            values.push(input.read(physics.state));
            offsets.push(k * 1000);
          }
        }
        const value = encodeSignalBatch(
          {
            vin,
            modelId: 'aurora-ev-2026',
            catalogVersion: '1.0.0',
            baseTimeMsEpoch: baseMs + t * 1000,
            backfill: false,
            batchId: `${vin}:${seq}`,
            partCount: 1,
            source: { deviceSeq: seq, gatewayReceiveTimeMsEpoch: Date.now(), decodeTimeMsEpoch: Date.now() },
          },
          {
            signalId: Uint32Array.from(ids),
            value: Float64Array.from(values),
            timeOffsetMs: Uint32Array.from(offsets),
          },
        );
        return { key: vin, value: Buffer.from(value) };
      });
      await producer.send(`${run}.vehicle.signals.v1`, records);
    }

    const hook = await waitFor(
      'the predictive alert at the webhook',
      () => receiver.at('/hook').find((r) => r.body.includes('model:hand-written-tyre')),
      90_000,
      200,
    );
    const body = JSON.parse(hook.body) as { alert?: Record<string, unknown> } & Record<string, unknown>;
    const alert = (body.alert ?? body) as {
      vin: string;
      origin: string;
      ruleVersion: number;
      state: string;
      eventTimeMs: number;
      evidence: { signal: string; value: number | null }[];
    };
    expect(alert).toMatchObject({ vin: VIN_A, origin: 'model', ruleVersion: 1, state: 'raised' });
    expect(verifyAsReceiver(webhookSecret, hook.headers['telltale-signature'] as string | undefined, hook.body)).toBe(
      true,
    );
    const probability = alert.evidence.find((e) => e.signal === 'probability')!.value!;
    expect(probability).toBeGreaterThanOrEqual(0.8);
    expect(alert.evidence.map((e) => e.signal)).toContain('tyre_spread_avg'); // the top contributing feature

    // Every scored window carries exactly the probability the hand-written graph defines (float32 precision).
    const scored = vectors!.messages.map((m) => FeatureVector.decode(m.value!)).filter((v) => v.scores.length > 0);
    expect(scored.length).toBeGreaterThan(100);
    for (const v of scored) {
      const expected = 1 / (1 + Math.exp(-WEIGHT * (v.value[TYRE]! - CENTRE)));
      expect(v.scores[0]!.probability).toBeCloseTo(expected, 5);
      expect(v.scores[0]).toMatchObject({ modelId: 'hand-written-tyre', modelVersion: '1' });
    }
    // The healthy vehicle stays below the threshold: no predictive alert for B.
    const { rows } = await pool.query<{ vin: string; origin: string }>(
      "SELECT vin, origin FROM alerts WHERE rule_id = 'model:hand-written-tyre'",
    );
    expect(rows).toEqual([{ vin: VIN_A, origin: 'model' }]);
    // Raised while the lowest tyre is still above the threshold rule's 215 kPa (services/features/threshold-rules).
    const raisingWindow = scored.find((v) => v.vin === VIN_A && Number(v.windowEndMsEpoch) === alert.eventTimeMs)!;
    const tyreMin = SET.features.findIndex((f) => f.name === 'tyre_min_avg');
    expect(raisingWindow.value[tyreMin]).toBeGreaterThan(215);
    const leakWindows = scored.filter((v) => v.vin === VIN_A).map((v) => v.scores[0]!.probability ?? NaN);
    console.log(
      `predictive alert at event time +${((alert.eventTimeMs - baseMs) / 60_000).toFixed(0)} min ` +
        `(leak from +10 min), p = ${probability.toFixed(3)}; max p of the healthy vehicle ` +
        `${Math.max(...scored.filter((v) => v.vin === VIN_B).map((v) => v.scores[0]!.probability ?? NaN)).toFixed(3)}` +
        '; ' +
        `${leakWindows.length} windows of A scored`,
    );
  }, 240_000);
});
