/** Shared set-up for integration tests: registry fixtures, topic collectors, uplink payloads. */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { Kafka, KafkaMessage } from 'kafkajs';
import { startCommittingConsumer, type CommittingConsumer } from '@telltale/platform/kafka';
import { createPgPool, dropServiceRole, migrate, type Pool } from '@telltale/platform/db';
import { PgRegistry, type VehicleImportRow } from '@telltale/registry';
import { SignalBatch, TelemetryBatch } from '@telltale/platform/proto';
import { encodeMessage } from '@telltale/catalog';
import { LOCAL, testLogger } from '@telltale/platform/testing';
import { PgFeatureStore } from '@telltale/feature-sets/pg';
import type { FeatureSetDefinition } from '@telltale/feature-sets';

export const VIN_A = 'LRW3E7FS1RC000001';
export const VIN_B = 'LRW3E7FS1RC000002';
export const SECRET_A = 'device-a-secret-0001';
export const SECRET_B = 'device-b-secret-0002';

/** Vehicles A (fleet-a, device tbox-a) and B (fleet-b, device tbox-b) of one model in a fresh schema. */
export async function registryWithTwoVehicles(
  schema: string,
  model: { modelId: string; catalogVersion: string } = { modelId: 'aurora-ev-2026', catalogVersion: '1.0.0' },
): Promise<{ pool: Pool; registry: PgRegistry }> {
  const pool = createPgPool({ url: LOCAL.postgresUrl, schema, max: 2 });
  await migrate(pool, { schema });
  const registry = new PgRegistry(pool);
  const row = (line: number, vin: string, fleetId: string, deviceId: string, secret: string): VehicleImportRow => ({
    line,
    vin,
    fleetId,
    fleetName: undefined,
    ...model,
    deviceId,
    deviceSecret: secret,
  });
  await registry.importVehicles([
    row(2, VIN_A, 'fleet-a', 'tbox-a', SECRET_A),
    row(3, VIN_B, 'fleet-b', 'tbox-b', SECRET_B),
  ]);
  return { pool, registry };
}

/** `count` vehicles of one model in a fresh schema, VINs LRW3E7FS1RC1xxxxx, fleet "fleet-a", devices dev-<n>. */
export async function registryWithVehicles(
  schema: string,
  count: number,
  model: { modelId: string; catalogVersion: string } = { modelId: 'aurora-ev-2026', catalogVersion: '1.0.0' },
): Promise<{ pool: Pool; registry: PgRegistry; vins: string[] }> {
  const pool = createPgPool({ url: LOCAL.postgresUrl, schema, max: 2 });
  await migrate(pool, { schema });
  const registry = new PgRegistry(pool);
  const vins = Array.from({ length: count }, (_, i) => `LRW3E7FS1RC1${String(i).padStart(5, '0')}`);
  await registry.importVehicles(
    vins.map((vin, i) => ({
      line: i + 2,
      vin,
      fleetId: 'fleet-a',
      fleetName: undefined,
      ...model,
      deviceId: `dev-${i}`,
      deviceSecret: `secret-for-device-${i}`,
    })),
  );
  return { pool, registry, vins };
}

export async function dropSchema(pool: Pool, schema: string): Promise<void> {
  await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  // The schema's service role (migration 0009) is cluster-wide: drop it with the schema.
  await dropServiceRole(pool, schema);
  await pool.end();
}

export interface Collected {
  readonly messages: KafkaMessage[];
  stop(): Promise<void>;
}

/** Reads a topic from the beginning into memory (own consumer group). */
export async function collectTopic(kafka: Kafka, topic: string, groupId: string): Promise<Collected> {
  const messages: KafkaMessage[] = [];
  const consumer: CommittingConsumer = await startCommittingConsumer({
    kafka,
    groupId,
    topics: [topic],
    fromBeginning: true,
    log: testLogger(),
    consumerConfig: { maxWaitTimeInMs: 100 },
    handleBatch: (batch) => {
      messages.push(...batch.messages);
      return Promise.resolve();
    },
  });
  return { messages, stop: () => consumer.stop() };
}

export function uplink(
  vin: string,
  seq: number,
  overrides: Partial<Parameters<typeof TelemetryBatch.create>[0]> = {},
): Buffer {
  return Buffer.from(
    TelemetryBatch.encode({
      vin,
      seq,
      deviceId: vin === VIN_A ? 'tbox-a' : 'tbox-b',
      catalogVersion: '1.0.0',
      baseTimeMsEpoch: 1_763_700_000_000 + seq * 1000,
      frames: {
        timeOffsetUs: [0, 10_000],
        bus: [0, 0],
        canId: [0x101, 0x102],
        flags: [0, 0],
        length: [8, 8],
        data: Buffer.alloc(16, seq & 0xff),
      },
      ...overrides,
    }).finish(),
  );
}

export function header(message: KafkaMessage, name: string): string | undefined {
  return message.headers?.[name]?.toString();
}

/** Environment for a gateway of one test run: its own schema, topic prefix, MQTT topic prefix, share group, keys. */
export function gatewayTestEnv(run: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    DATABASE_SCHEMA: run,
    KAFKA_TOPIC_PREFIX: `${run}.`,
    KAFKA_PARTITIONS: '1',
    MQTT_URL: LOCAL.mqttUrl,
    MQTT_UPLINK_TOPIC: `${run}/tbox/+/telemetry`,
    MQTT_SHARE_GROUP: run,
    MQTT_CONNECTIONS: '2',
    MQTT_CLIENT_ID_PREFIX: run,
    REDIS_KEY_PREFIX: `${run}:`,
    LOG_LEVEL: 'silent',
    OPS_PORT: '0',
    ...extra,
  };
}

/** Deletes a test run's topics (missing ones are fine). */
export async function deleteTopics(kafka: Kafka, topics: string[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics }).catch(() => undefined);
  await admin.disconnect();
}

/**
 * Environment of one test run's services as separate processes (`telltale <service>`, as deployed): its own schema,
 * topic prefix, MQTT uplink topics and share group, Redis prefix; anonymous MQTT on the development broker; ops
 * endpoints on free ports.
 */
export function servicesTestEnv(run: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    DATABASE_SCHEMA: run,
    KAFKA_TOPIC_PREFIX: `${run}.`,
    KAFKA_PARTITIONS: '2',
    KAFKA_SESSION_TIMEOUT_MS: '6000',
    LOG_LEVEL: 'warn',
    OPS_PORT: '0', // `telltale <service>` alone takes its fixed port otherwise
    MQTT_URL: LOCAL.mqttUrl,
    GATEWAY_ALLOW_ANONYMOUS: 'true', // the development broker on 1883
    MQTT_UPLINK_TOPIC: `${run}/tbox/+/telemetry`,
    MQTT_SHARE_GROUP: run,
    MQTT_CLIENT_ID_PREFIX: run,
    MQTT_CONNECTIONS: '2',
    REDIS_URL: LOCAL.redisUrl,
    REDIS_KEY_PREFIX: `${run}:`,
    DECODER_INSTANCE_ID: run,
    REGISTRY_REFRESH_MS: '300',
    NOTIFIER_WEBHOOK_ALLOW: '127.0.0.1',
    NOTIFIER_POLL_MS: '50',
    ...extra,
  };
}

const CLI = join(import.meta.dirname, '../services/cli/bin/telltale.js');

/** `telltale <args>` as a child process with `env` (stderr shown), added to `children`: the caller kills them. */
export function spawnTelltale(env: NodeJS.ProcessEnv, children: ChildProcess[], ...args: string[]): ChildProcess {
  const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  children.push(child);
  return child;
}

/** Applies the feature set, registers the ONNX graph as a fault model on it and activates it for aurora-ev-2026. */
export async function deployFaultModel(
  pool: Pool,
  set: FeatureSetDefinition,
  model: { readonly modelId: string; readonly fault: string; readonly onnx: Uint8Array },
): Promise<void> {
  const store = new PgFeatureStore(pool);
  const applied = await store.applyFeatureSet(set, 'test');
  const registered = await store.registerModel({
    ...model,
    vehicleModel: 'aurora-ev-2026',
    featureSetId: set.id,
    featureSetVersion: applied.version,
    card: { note: 'written node by node in this test' },
    createdBy: 'test',
  });
  await store.activateModel(registered.modelId, registered.version, 'test-operator');
}

/**
 * A TelemetryBatch of `frames` frames of one CAN message (e.g. aurora-ev-2026's VCU_VehicleStatus), 10 ms apart,
 * `VCU_VehicleSpeed` varying with seq, base time one second per seq.
 */
export function speedUplink(
  message: Parameters<typeof encodeMessage>[0],
  vin: string,
  seq: number,
  frames: number,
): Buffer {
  return Buffer.from(
    TelemetryBatch.encode({
      vin,
      seq,
      baseTimeMsEpoch: 1_763_700_000_000 + seq * 1000,
      frames: {
        timeOffsetUs: Array.from({ length: frames }, (_, i) => i * 10_000),
        bus: Array<number>(frames).fill(0),
        canId: Array<number>(frames).fill(message.frameId),
        flags: Array<number>(frames).fill(0),
        length: Array<number>(frames).fill(message.length),
        data: Buffer.concat(
          Array.from({ length: frames }, (_, i) => encodeMessage(message, { VCU_VehicleSpeed: (seq + i) % 250 })),
        ),
      },
    }).finish(),
  );
}

/** A SignalBatch as the decoder writes it (aurora-ev-2026, catalog 1.0.0); samples are [id, value, offset ms]. */
export function signalBatchBytes(
  vin: string,
  seq: number,
  base: number,
  samples: readonly (readonly [id: number, value: number, offset: number])[],
  subMsUs?: number[],
): Buffer {
  return Buffer.from(
    SignalBatch.encode({
      vin,
      modelId: 'aurora-ev-2026',
      catalogVersion: '1.0.0',
      baseTimeMsEpoch: base,
      source: { deviceSeq: seq, gatewayReceiveTimeMsEpoch: Date.now() },
      signalId: samples.map((s) => s[0]),
      value: samples.map((s) => s[1]),
      timeOffsetMs: samples.map((s) => s[2]),
      ...(subMsUs ? { timeSubMsUs: subMsUs } : {}),
      batchId: `${vin}:${seq}`,
    }).finish(),
  );
}
