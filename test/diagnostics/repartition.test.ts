// Growing vehicle.signals.v1 (with diagnostics stopped, as its README says): each vehicle's state follows it to its
// new partition — here owned by another instance — so an alert that was active stays active (no second raise) and
// clears as the same alert.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Catalog } from '@telltale/catalog';
import type { Pool } from '@telltale/platform/db';
import {
  createKafkaClient,
  createReliableProducer,
  ensureTopics,
  partitionOfKey,
  type ReliableProducer,
} from '@telltale/platform/kafka';
import { AlertState, type Alert } from '@telltale/platform/proto';
import { PgRuleStore } from '@telltale/rules/pg';
import { LOCAL, testLogger, uniqueName, waitFor } from '@telltale/platform/testing';
import { startDiagnostics, type RunningDiagnostics } from '@telltale/diagnostics';
import { VIN_A, VIN_B, collectTopic, dropSchema, registryWithTwoVehicles, type Collected } from '../helpers.js';
import { auroraCatalog, decodeAlerts, signalRecord } from './signal-feed.js';

const run = uniqueName('diagrepart');
const prefix = `${run}.`;
const signalsTopic = `${prefix}vehicle.signals.v1`;
const GROWN = 2;

describe('diagnostics after the signals topic grew', () => {
  const kafka = createKafkaClient({ brokers: LOCAL.kafkaBrokers, clientId: run, log: testLogger() });
  let producer: ReliableProducer;
  let pool: Pool;
  let catalog: Catalog;
  let alerts: Collected;
  let service: RunningDiagnostics | undefined;
  let second: RunningDiagnostics | undefined;
  let seq = 0;

  const start = async (): Promise<RunningDiagnostics> =>
    startDiagnostics({
      ...process.env,
      DATABASE_SCHEMA: run,
      KAFKA_TOPIC_PREFIX: prefix,
      KAFKA_PARTITIONS: '1',
      LOG_LEVEL: 'warn',
      KAFKA_SESSION_TIMEOUT_MS: '6000',
    });
  const sendTemperature = async (value: number): Promise<void> => {
    const now = Date.now();
    await producer.send(
      signalsTopic,
      [VIN_A, VIN_B].map((vin) =>
        signalRecord(catalog, {
          vin,
          seq: ++seq,
          baseTimeMs: now,
          arrivalTimeMs: now,
          samples: [{ alias: 'cellTemperatureMax', value }],
        }),
      ),
    );
  };
  const ofState = (state: Alert['state']) => decodeAlerts(alerts.messages).filter((a) => a.state === state);

  beforeAll(async () => {
    ({ pool } = await registryWithTwoVehicles(run));
    await new PgRuleStore(pool).create(
      { id: 'r.hot', condition: 'cellTemperatureMax > 55', clear: { condition: 'cellTemperatureMax < 50' } },
      'test',
    );
    catalog = await auroraCatalog();
    const admin = kafka.admin();
    await admin.connect();
    await ensureTopics(admin, [
      { topic: signalsTopic, numPartitions: 1, replicationFactor: 1 },
      { topic: `${prefix}vehicle.alerts.v1`, numPartitions: 1, replicationFactor: 1 },
    ]);
    await admin.disconnect();
    producer = createReliableProducer(kafka);
    await producer.connect();
    alerts = await collectTopic(kafka, `${prefix}vehicle.alerts.v1`, `${run}-check`);
  }, 60_000);

  afterAll(async () => {
    await service?.stop();
    await second?.stop();
    await alerts?.stop();
    await producer?.disconnect();
    if (pool) await dropSchema(pool, run);
  }, 60_000);

  it('keeps active alerts active and clears them as the same alerts', async () => {
    // Meaningful only if a vehicle changes partition: A stays on 0, B moves to 1.
    expect([VIN_A, VIN_B].map((vin) => partitionOfKey(signalsTopic, vin, GROWN))).toEqual([0, 1]);

    service = await start();
    await sendTemperature(60);
    const raised = await waitFor(
      'both raised',
      () => (ofState(AlertState.ALERT_STATE_RAISED).length === 2 ? ofState(AlertState.ALERT_STATE_RAISED) : undefined),
      20_000,
    );
    await service.stop(); // graceful: checkpoints the vehicles' state
    service = undefined;

    const admin = kafka.admin();
    await admin.connect();
    await ensureTopics(admin, [{ topic: signalsTopic, numPartitions: GROWN, replicationFactor: 1 }]);
    await admin.disconnect();
    await producer.disconnect(); // a new producer sees the new partitions at once
    producer = createReliableProducer(kafka);
    await producer.connect();

    service = await start();
    second = await start();
    // One partition each: B's state was written by the owner of partition 0 and must now be found by the other.
    await waitFor(
      'one partition per instance',
      () => (service!.pipeline.status.partitions === 1 && second!.pipeline.status.partitions === 1) || undefined,
      30_000,
    );
    await sendTemperature(62); // still hot: nothing new
    await sendTemperature(40); // cool: clears
    const cleared = await waitFor(
      'both cleared',
      () =>
        ofState(AlertState.ALERT_STATE_CLEARED).length === 2 ? ofState(AlertState.ALERT_STATE_CLEARED) : undefined,
      30_000,
    );
    expect(cleared.map((a) => a.alertId).sort()).toEqual(raised.map((a) => a.alertId).sort());
    expect(cleared.every((a) => a.transitionSeq === 2)).toBe(true);
    expect(ofState(AlertState.ALERT_STATE_RAISED)).toHaveLength(2);
  }, 120_000);
});
