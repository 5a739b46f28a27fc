// The simulator end to end on the real Mosquitto, gateway, Kafka, Redis and PostgreSQL: simulated T-Boxes provisioned
// in the registry publish through the broker to a real gateway; in Kafka every VIN's batches arrive with seq 1, 2, 3…
// and frames the catalog decoders decode, a scripted outage comes back as backfill, a DTC fault is in the frames.
// Then the CLI (`telltale simulate --provision --json`) and a candump replay of the fixture log.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { KafkaMessage } from 'kafkajs';
import { startGateway, type RunningGateway } from '@telltale/gateway';
import { createKafkaClient } from '@telltale/platform/kafka';
import { TelemetryBatch } from '@telltale/platform/proto';
import { compileCatalog, type CompiledCatalog } from '@telltale/catalog';
import { decodeFrame } from '@telltale/dbc';
import { LOCAL, testLogger, uniqueName, waitFor } from '@telltale/platform/testing';
import { createPgPool, migrate, type Pool } from '@telltale/platform/db';
import {
  assignFaults,
  loadSimModel,
  parseBusMap,
  parseFaultSpec,
  provisionFleet,
  replayCandump,
  runFleet,
  simulatedIdentities,
  type FleetSummary,
  type SimModel,
} from '@telltale/simulator';
import {
  collectTopic,
  deleteTopics,
  dropSchema,
  gatewayTestEnv,
  VIN_A,
  registryWithTwoVehicles,
  type Collected,
} from '../helpers.js';

const run = uniqueName('sim');
const prefix = `${run}.`;
const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const bin = join(root, 'node_modules/.bin/telltale');
const kafka = createKafkaClient({ brokers: LOCAL.kafkaBrokers, clientId: run, log: testLogger() });

interface Received {
  readonly vin: string;
  readonly batch: TelemetryBatch;
}

const received = (messages: readonly KafkaMessage[], vins: readonly string[]): Received[] =>
  messages
    .filter((m) => vins.includes(m.key!.toString()))
    .map((m) => ({ vin: m.key!.toString(), batch: TelemetryBatch.decode(new Uint8Array(m.value!)) }));

/** Decodes every frame of a batch; returns the decode failures and the decoded frames. */
function decodeBatch(
  compiled: CompiledCatalog,
  batch: TelemetryBatch,
): { errors: string[]; frames: { message: string; signals: Record<string, unknown> }[] } {
  const f = {
    canId: batch.frames?.canId ?? [],
    length: batch.frames?.length ?? [],
    bus: batch.frames?.bus ?? [],
    flags: batch.frames?.flags ?? [],
    data: batch.frames?.data ?? new Uint8Array(0),
  };
  const errors: string[] = [];
  const frames: { message: string; signals: Record<string, unknown> }[] = [];
  let offset = 0;
  for (let i = 0; i < f.canId.length; i++) {
    const length = f.length[i]!;
    const data = f.data.subarray(offset, offset + length);
    offset += length;
    const db = compiled.decoderFor(f.bus[i]!);
    const result = db ? decodeFrame(db, { id: f.canId[i]!, extended: (f.flags[i]! & 1) === 1, data }) : undefined;
    if (result?.ok) frames.push({ message: result.message, signals: result.signals });
    else errors.push(result ? result.error : `no bus ${f.bus[i]}`);
  }
  return { errors, frames };
}

const expectSeqFromOne = (batches: readonly Received[]): void => {
  expect(batches.map((b) => b.batch.seq)).toEqual(batches.map((_, i) => i + 1));
};

describe('simulator → Mosquitto → gateway → Kafka', () => {
  let pool: Pool;
  let gateway: RunningGateway;
  let frames: Collected;
  let model: SimModel;
  let compiled: CompiledCatalog;
  const env = { ...process.env, DATABASE_SCHEMA: run };
  const identities = simulatedIdentities(run, 'aurora-ev-2026', 3);

  beforeAll(async () => {
    model = await loadSimModel('aurora-ev-2026', root);
    compiled = compileCatalog(model.catalog);
    pool = createPgPool({ url: LOCAL.postgresUrl, schema: run, max: 2 });
    await migrate(pool, { schema: run });
    await provisionFleet({
      env,
      identities,
      fleetId: 'sim-test',
      modelId: 'aurora-ev-2026',
      catalogVersion: model.catalog.catalogVersion,
      brokerSync: false,
    });
    gateway = await startGateway(
      gatewayTestEnv(run, {
        ...env,
        GATEWAY_ALLOW_ANONYMOUS: 'true', // the development broker on 1883
        KAFKA_TOPIC_PREFIX: prefix,
        KAFKA_PARTITIONS: '2',
        MQTT_CONNECTIONS: '4',
        REGISTRY_REFRESH_MS: '200',
      }),
    );
    frames = await collectTopic(kafka, `${prefix}tbox.frames.v1`, `${run}-frames`);
  }, 120_000);

  afterAll(async () => {
    await frames?.stop();
    await gateway?.stop();
    await deleteTopics(kafka, [`${prefix}tbox.frames.v1`, `${prefix}tbox.frames.dlq.v1`]);
    if (pool) await dropSchema(pool, run);
  });

  it('delivers each vehicle’s batches in order, decodable, with backfill after an outage and a DTC', async () => {
    const vins = identities.map((i) => i.vin);
    const summary: FleetSummary = await runFleet({
      model,
      identities,
      seed: run,
      rateHz: 1,
      durationS: 6,
      mqttUrl: LOCAL.mqttUrl,
      topicPrefix: `${run}/`,
      anonymous: false,
      faults: assignFaults([parseFaultSpec('dtc@BMS=0x0AA600:1')], model, 3, run),
      faultAfterS: 1,
      outages: [{ startS: 1.5, durationS: 2.5, vehicles: [2] }],
      outboxLimit: 100,
      maxInflight: 4,
      seqStart: 1,
      firmwareVersion: 'test',
      clientIdPrefix: `${run}-`,
      drainTimeoutMs: 15_000,
      log: testLogger(),
    });
    expect(summary.batchesSealed).toBe(18);
    expect(summary.batchesAcked).toBe(18);
    expect(summary.unacked).toBe(0);
    expect(summary.backfilled).toBeGreaterThanOrEqual(1);
    expect(summary.reconnects).toBe(1);

    const batches = await waitFor(
      '18 batches in Kafka',
      () => {
        const got = received(frames.messages, vins);
        return got.length >= 18 ? got : undefined;
      },
      30_000,
    );
    expect(batches).toHaveLength(18);
    for (const identity of identities) {
      const mine = batches.filter((b) => b.vin === identity.vin);
      // After the outage, several backfill batches are in flight at once and the gateway's shared subscription may
      // deliver them in another order (each once; seq orders them). The others arrive in order, one per second.
      if (identity.vin === vins[2]) mine.sort((a, b) => a.batch.seq - b.batch.seq);
      expectSeqFromOne(mine);
      for (const { batch } of mine) {
        expect(batch.deviceId).toBe(identity.deviceId);
        expect(batch.catalogVersion).toBe(model.catalog.catalogVersion);
        // About one second of traffic per batch: ~5,400 frames of the model, timed within the second.
        expect(batch.frames!.canId!.length).toBeGreaterThan(model.framesPerSecond * 0.9);
        // (The base time is the first frame's millisecond, so offsets reach at most 1 s + 1 ms.)
        expect(Math.max(...batch.frames!.timeOffsetUs!)).toBeLessThan(1_001_000);
      }
      // Base times advance by the window: consecutive seconds of one vehicle's clock.
      const gaps = mine
        .slice(1)
        .map((b, i) => Number(b.batch.baseTimeMsEpoch) - Number(mine[i]!.batch.baseTimeMsEpoch));
      for (const gap of gaps) expect(Math.abs(gap - 1000)).toBeLessThanOrEqual(20);
    }
    const offline = batches.filter((b) => b.vin === vins[2]);
    expect(offline.some((b) => b.batch.backfill)).toBe(true);
    expect(batches.filter((b) => b.vin !== vins[2]).every((b) => !b.batch.backfill)).toBe(true);

    const first = decodeBatch(compiled, batches[0]!.batch);
    expect(first.errors).toEqual([]);
    const dtc = batches.filter((b) => b.vin === vins[1]).at(-1)!;
    const decoded = decodeBatch(compiled, dtc.batch);
    expect(decoded.errors).toEqual([]);
    const dtcFrames = decoded.frames.filter((f) => f.message === 'BMS_DtcStatus');
    expect(dtcFrames.length).toBeGreaterThan(0);
    expect(dtcFrames.every((f) => f.signals.BMS_DtcCode === 0x0aa600 && f.signals.BMS_DtcConfirmed === 1)).toBe(true);
  }, 90_000);

  it('runs from the CLI: telltale simulate --provision --json', async () => {
    const cliRun = `${run}c`;
    const { stdout, stderr } = await promisify(execFile)(
      bin,
      [
        'simulate',
        '--vehicles',
        '2',
        '--model',
        'cargo-van-e-2025',
        '--seed',
        cliRun,
        '--duration',
        '3',
        '--provision',
        '--mqtt-url',
        LOCAL.mqttUrl,
        '--topic-prefix',
        run,
        '--client-id-prefix',
        `${cliRun}-`,
        '--json',
      ],
      { env: { ...env, LOG_LEVEL: 'warn' }, cwd: root, timeout: 60_000 },
    );
    expect(stderr).toContain('Provisioned 2 vehicles');
    const summary = JSON.parse(stdout) as FleetSummary;
    expect(summary.vehicles).toBe(2);
    expect(summary.batchesAcked).toBe(6);
    const vins = simulatedIdentities(cliRun, 'cargo-van-e-2025', 2).map((i) => i.vin);
    const batches = await waitFor(
      'the CLI run’s 6 batches',
      () => {
        const got = received(frames.messages, vins);
        return got.length >= 6 ? got : undefined;
      },
      30_000,
    );
    for (const vin of vins) expectSeqFromOne(batches.filter((b) => b.vin === vin));
  }, 90_000);
});

describe('candump replay → Mosquitto → gateway → Kafka', () => {
  const replayRun = uniqueName('replay');
  const replayPrefix = `${replayRun}.`;
  let pool: Pool;
  let gateway: RunningGateway;
  let frames: Collected;

  beforeAll(async () => {
    ({ pool } = await registryWithTwoVehicles(replayRun));
    gateway = await startGateway(gatewayTestEnv(replayRun, { GATEWAY_ALLOW_ANONYMOUS: 'true' }));
    frames = await collectTopic(kafka, `${replayPrefix}tbox.frames.v1`, `${replayRun}-frames`);
  }, 120_000);

  afterAll(async () => {
    await frames?.stop();
    await gateway?.stop();
    await deleteTopics(kafka, [`${replayPrefix}tbox.frames.v1`, `${replayPrefix}tbox.frames.dlq.v1`]);
    if (pool) await dropSchema(pool, replayRun);
  });

  it('sends the fixture log as 1 s batches with the log’s times, and reports its bad lines', async () => {
    const summary = await replayCandump({
      input: join(root, 'test/simulator/fixtures/cargo-van.candump.log'),
      vin: VIN_A,
      deviceId: 'tbox-a',
      username: undefined,
      password: undefined,
      mqttUrl: LOCAL.mqttUrl,
      topicPrefix: `${replayRun}/`,
      busMap: parseBusMap('can0=0,can1=1,can2=2'),
      speed: 1,
      asFastAsPossible: true,
      now: false,
      seqStart: 1,
      catalogVersion: '1.0.0',
      firmwareVersion: 'test',
      maxInflight: 4,
      windowMs: 1000,
      clientId: `${replayRun}-replay`,
      log: testLogger(),
    });
    expect(summary.frames).toBe(780);
    expect(summary.badLines).toBe(4);
    expect(summary.firstBadLines.map((b) => b.line)).toEqual([103, 253, 403, 553]);
    expect(summary.batches).toBe(4); // 3.2 s of log
    expect(summary.acked).toBe(4);

    const batches = await waitFor(
      '4 replayed batches',
      () => {
        const got = received(frames.messages, [VIN_A]);
        return got.length >= 4 ? got : undefined;
      },
      30_000,
    );
    // Published 4 in flight at once, the batches may reach Kafka out of order (the gateway's shared subscription
    // spreads one device's messages over its connections); each arrives once, and seq orders them.
    batches.sort((a, b) => a.batch.seq - b.batch.seq);
    expectSeqFromOne(batches);
    expect(Number(batches[0]!.batch.baseTimeMsEpoch)).toBe(1_763_726_400_000);
    expect(batches.map((b) => Number(b.batch.baseTimeMsEpoch) - 1_763_726_400_000)).toEqual([0, 1000, 2000, 3000]);
    expect(batches.reduce((n, b) => n + b.batch.frames!.canId!.length, 0)).toBe(780);
    const fd = batches.flatMap((b) => b.batch.frames!.flags!).filter((flags) => flags & 2);
    expect(fd).toHaveLength(1);

    const model = await loadSimModel('cargo-van-e-2025', root);
    const decoded = decodeBatch(compileCatalog(model.catalog), batches[1]!.batch);
    expect(decoded.frames.length).toBeGreaterThan(200);
    expect(decoded.frames.some((f) => f.message === 'BMS_Pack')).toBe(true);
  }, 60_000);
});
