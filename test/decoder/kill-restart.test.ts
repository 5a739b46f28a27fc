// Exactly once downstream: the decoder is killed with SIGKILL twice while batches flow; after restarts (same
// instance id, which fences the killed instance's open transaction) every input batch appears exactly once on
// vehicle.signals.v1 for read_committed consumers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createKafkaClient, createReliableProducer, ensureTopics } from '@telltale/platform/kafka';
import { SignalBatch } from '@telltale/platform/proto';
import { loadCatalog } from '@telltale/catalog';
import { LOCAL, testLogger, uniqueName, waitFor } from '@telltale/platform/testing';
import type { Pool } from '@telltale/platform/db';
import {
  VIN_A,
  VIN_B,
  collectTopic,
  dropSchema,
  registryWithTwoVehicles,
  speedUplink,
  type Collected,
} from '../helpers.js';

const run = uniqueName('kill');
const prefix = `${run}.`;
const root = join(import.meta.dirname, '../..');
const TOTAL = 400;

describe('decoder killed mid-stream', () => {
  const kafka = createKafkaClient({ brokers: LOCAL.kafkaBrokers, clientId: run, log: testLogger() });
  const producer = createReliableProducer(kafka);
  let pool: Pool;
  let output: Collected | undefined;
  let child: ChildProcess | undefined;

  const startChild = (): ChildProcess => {
    const proc = spawn(process.execPath, [join(root, 'services/cli/bin/telltale.js'), 'decoder'], {
      env: {
        ...process.env,
        DATABASE_SCHEMA: run,
        KAFKA_TOPIC_PREFIX: prefix,
        KAFKA_PARTITIONS: '3',
        DECODER_INSTANCE_ID: 'only-instance',
        CATALOG_DIR: join(root, 'signal-catalog'),
        LOG_LEVEL: 'warn',
        OPS_PORT: '0', // `telltale decoder` alone takes its fixed port otherwise
        KAFKA_SESSION_TIMEOUT_MS: '6000',
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    return proc;
  };

  beforeAll(async () => {
    ({ pool } = await registryWithTwoVehicles(run));
    const admin = kafka.admin();
    await admin.connect();
    await ensureTopics(admin, [
      { topic: `${prefix}tbox.frames.v1`, numPartitions: 3, replicationFactor: 1 },
      { topic: `${prefix}vehicle.signals.v1`, numPartitions: 3, replicationFactor: 1 },
    ]);
    await admin.disconnect();
    await producer.connect();
    output = await collectTopic(kafka, `${prefix}vehicle.signals.v1`, `${run}-check`);
  }, 60_000);

  afterAll(async () => {
    child?.kill('SIGKILL');
    await output?.stop();
    await producer.disconnect();
    if (pool) await dropSchema(pool, run);
  });

  it('delivers every batch exactly once across two SIGKILLs', async () => {
    const catalog = await loadCatalog(join(root, 'signal-catalog/aurora-ev-2026'));
    const status = catalog.buses[0]!.database.messages.find((m) => m.name === 'VCU_VehicleStatus')!;
    const record = (seq: number) => {
      const vin = seq % 2 === 0 ? VIN_A : VIN_B;
      return { key: vin, value: speedUplink(status, vin, seq, 20) };
    };
    const feeding = (async () => {
      for (let seq = 1; seq <= TOTAL; seq += 10) {
        await producer.send(
          `${prefix}tbox.frames.v1`,
          Array.from({ length: 10 }, (_, i) => record(seq + i)),
        );
        await new Promise((resolve) => setTimeout(resolve, 40));
      }
    })();

    const ids = () => output!.messages.map((m) => SignalBatch.decode(m.value!).batchId);
    child = startChild();
    await waitFor('some output', () => (ids().length >= 60 ? true : undefined), 60_000, 20);
    child.kill('SIGKILL');
    child = startChild();
    await waitFor('more output', () => (ids().length >= 200 ? true : undefined), 60_000, 20);
    child.kill('SIGKILL');
    child = startChild();
    await feeding;
    await waitFor(`${TOTAL} distinct batches`, () => (new Set(ids()).size >= TOTAL ? true : undefined), 120_000, 100);
    await new Promise((resolve) => setTimeout(resolve, 1500)); // a duplicate would arrive here
    const all = ids();
    const duplicates = all.filter((id, i) => all.indexOf(id) !== i);
    expect(duplicates).toEqual([]);
    expect(new Set(all).size).toBe(TOTAL);
  }, 300_000);
});
