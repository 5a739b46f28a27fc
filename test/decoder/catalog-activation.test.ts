// A new vehicle model, a new catalog version and a vehicle moved to another model become active in a running
// decoder without a restart.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDecoder, type RunningDecoder } from '@telltale/decoder';
import { RECORD_HEADER, createKafkaClient, createReliableProducer, ensureTopics } from '@telltale/platform/kafka';
import { SignalBatch, TelemetryBatch } from '@telltale/platform/proto';
import { LOCAL, testLogger, uniqueName, waitFor } from '@telltale/platform/testing';
import type { Pool } from '@telltale/platform/db';
import type { PgRegistry } from '@telltale/registry';
import { VIN_A, collectTopic, dropSchema, header, registryWithTwoVehicles, type Collected } from '../helpers.js';

const run = uniqueName('activate');
const prefix = `${run}.`;
const root = join(import.meta.dirname, '../..');

describe('catalog and registry changes in a running decoder', () => {
  const kafka = createKafkaClient({ brokers: LOCAL.kafkaBrokers, clientId: run, log: testLogger() });
  const producer = createReliableProducer(kafka);
  const catalogDir = mkdtempSync(join(tmpdir(), 'telltale-catalogs-'));
  let pool: Pool;
  let registry: PgRegistry;
  let decoder: RunningDecoder | undefined;
  let output: Collected | undefined;
  let dlq: Collected | undefined;
  let seq = 0;

  const send = async (): Promise<number> => {
    seq += 1;
    const value = TelemetryBatch.encode({
      vin: VIN_A,
      seq,
      baseTimeMsEpoch: 1_763_700_000_000,
      frames: { timeOffsetUs: [0], bus: [0], canId: [128], flags: [0], length: [8], data: new Uint8Array(8) },
    }).finish();
    await producer.send(`${prefix}tbox.frames.v1`, [{ key: VIN_A, value: Buffer.from(value) }]);
    return seq;
  };
  const decodedAs = (s: number) =>
    output!.messages.map((m) => SignalBatch.decode(m.value!)).find((b) => b.batchId === `${VIN_A}:${s}`);

  beforeAll(async () => {
    // Start with only the van model on disk; the vehicle is registered as an Aurora 1.0.0.
    cpSync(join(root, 'signal-catalog/cargo-van-e-2025'), join(catalogDir, 'cargo-van-e-2025'), { recursive: true });
    ({ pool, registry } = await registryWithTwoVehicles(run));
    const admin = kafka.admin();
    await admin.connect();
    await ensureTopics(admin, [{ topic: `${prefix}tbox.frames.v1`, numPartitions: 1, replicationFactor: 1 }]);
    await admin.disconnect();
    await producer.connect();
    decoder = await startDecoder({
      ...process.env,
      DATABASE_SCHEMA: run,
      KAFKA_TOPIC_PREFIX: prefix,
      KAFKA_PARTITIONS: '1',
      LOG_LEVEL: 'silent',
      CATALOG_DIR: catalogDir,
      CATALOG_RESCAN_MS: '200',
      REGISTRY_REFRESH_MS: '200',
      DECODER_INSTANCE_ID: run,
    });
    output = await collectTopic(kafka, `${prefix}vehicle.signals.v1`, `${run}-out`);
    dlq = await collectTopic(kafka, `${prefix}vehicle.signals.dlq.v1`, `${run}-dlq`);
  }, 120_000);

  afterAll(async () => {
    await output?.stop();
    await dlq?.stop();
    await decoder?.stop();
    await producer.disconnect();
    rmSync(catalogDir, { recursive: true, force: true });
    if (pool) await dropSchema(pool, run);
  });

  it('dead-letters a batch whose catalog is missing, then decodes once the model is added', async () => {
    const first = await send();
    const dead = await waitFor(
      'the dead letter',
      () => dlq!.messages.find((m) => header(m, RECORD_HEADER.reason) === 'CATALOG_NOT_FOUND'),
      30_000,
    );
    expect(header(dead, RECORD_HEADER.detail)).toContain('aurora-ev-2026 version 1.0.0');
    expect(decodedAs(first)).toBeUndefined();

    cpSync(join(root, 'signal-catalog/aurora-ev-2026'), join(catalogDir, 'aurora-ev-2026'), { recursive: true });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const second = await send();
    const batch = await waitFor('the decoded batch', () => decodedAs(second), 30_000);
    expect(batch).toMatchObject({ modelId: 'aurora-ev-2026', catalogVersion: '1.0.0' });
  });

  it('follows the registry when a vehicle moves to a new catalog version', async () => {
    // Publish version 1.1.0 of the Aurora next to 1.0.0 (same content, new version), then move the vehicle to it.
    const v110 = join(catalogDir, 'aurora-ev-2026@1.1.0');
    cpSync(join(root, 'signal-catalog/aurora-ev-2026'), v110, { recursive: true });
    const manifest = JSON.parse(readFileSync(join(v110, 'manifest.json'), 'utf8')) as { catalogVersion: string };
    writeFileSync(join(v110, 'manifest.json'), JSON.stringify({ ...manifest, catalogVersion: '1.1.0' }, null, 2));
    const ids = JSON.parse(readFileSync(join(v110, 'signal-ids.json'), 'utf8')) as { catalogVersion?: string };
    writeFileSync(join(v110, 'signal-ids.json'), JSON.stringify({ ...ids, catalogVersion: '1.1.0' }, null, 2));
    await registry.importVehicles([
      {
        line: 2,
        vin: VIN_A,
        fleetId: 'fleet-a',
        fleetName: undefined,
        modelId: 'aurora-ev-2026',
        catalogVersion: '1.1.0',
        deviceId: undefined,
        deviceSecret: undefined,
      },
    ]);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const next = await send();
    const batch = await waitFor('the batch decoded with 1.1.0', () => decodedAs(next), 30_000);
    expect(batch.catalogVersion).toBe('1.1.0');
  });
});
