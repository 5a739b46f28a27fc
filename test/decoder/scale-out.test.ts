// Horizontal scale: two decoder instances in one consumer group share the partitions of tbox.frames.v1; together
// they decode every batch exactly once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { startDecoder, type RunningDecoder } from '@telltale/decoder';
import { createKafkaClient, createReliableProducer, ensureTopics } from '@telltale/platform/kafka';
import { SignalBatch, TelemetryBatch } from '@telltale/platform/proto';
import { LOCAL, testLogger, uniqueName, waitFor } from '@telltale/platform/testing';
import type { Pool } from '@telltale/platform/db';
import { collectTopic, dropSchema, registryWithVehicles, type Collected } from '../helpers.js';

const run = uniqueName('scale');
const prefix = `${run}.`;
const root = join(import.meta.dirname, '../..');
const BATCHES = 200;

async function batchesDecoded(decoder: RunningDecoder): Promise<number> {
  const text = await (await fetch(`${decoder.opsUrl}/metrics`)).text();
  return Number(
    /telltale_decoder_batches_total\{model="aurora-ev-2026",service="decoder"\} (\d+)/.exec(text)?.[1] ?? 0,
  );
}

describe('two decoder instances', () => {
  const kafka = createKafkaClient({ brokers: LOCAL.kafkaBrokers, clientId: run, log: testLogger() });
  const producer = createReliableProducer(kafka);
  let pool: Pool;
  let vins: string[];
  const decoders: RunningDecoder[] = [];
  let output: Collected | undefined;

  beforeAll(async () => {
    ({ pool, vins } = await registryWithVehicles(run, 16));
    const admin = kafka.admin();
    await admin.connect();
    await ensureTopics(admin, [{ topic: `${prefix}tbox.frames.v1`, numPartitions: 4, replicationFactor: 1 }]);
    await admin.disconnect();
    await producer.connect();
    const env = {
      ...process.env,
      DATABASE_SCHEMA: run,
      KAFKA_TOPIC_PREFIX: prefix,
      KAFKA_PARTITIONS: '4',
      LOG_LEVEL: 'silent',
      CATALOG_DIR: join(root, 'signal-catalog'),
    };
    decoders.push(await startDecoder({ ...env, DECODER_INSTANCE_ID: 'one' }));
    decoders.push(await startDecoder({ ...env, DECODER_INSTANCE_ID: 'two' }));
    output = await collectTopic(kafka, `${prefix}vehicle.signals.v1`, `${run}-check`);
  }, 120_000);

  afterAll(async () => {
    await output?.stop();
    for (const d of decoders) await d.stop();
    await producer.disconnect();
    if (pool) await dropSchema(pool, run);
  });

  it('splits the partitions between the instances and decodes every batch once', async () => {
    const admin = kafka.admin();
    await admin.connect();
    const members = await waitFor(
      'two members with assignments',
      async () => {
        const { groups } = await admin.describeGroups([`${prefix}telltale-decoder`]);
        const group = groups[0];
        return group?.state === 'Stable' && group.members.length === 2 ? group.members : undefined;
      },
      60_000,
      250,
    );
    await admin.disconnect();
    expect(members).toHaveLength(2);

    const messages = Array.from({ length: BATCHES }, (_, i) => {
      const vin = vins[i % vins.length]!;
      return {
        key: vin,
        value: Buffer.from(
          TelemetryBatch.encode({
            vin,
            seq: i + 1,
            baseTimeMsEpoch: 1_763_700_000_000 + i,
            frames: { timeOffsetUs: [0], bus: [0], canId: [128], flags: [0], length: [8], data: new Uint8Array(8) },
          }).finish(),
        ),
      };
    });
    await producer.send(`${prefix}tbox.frames.v1`, messages);
    const ids = () => output!.messages.map((m) => SignalBatch.decode(m.value!).batchId);
    await waitFor(`${BATCHES} batches`, () => (new Set(ids()).size >= BATCHES ? true : undefined), 60_000, 100);
    expect(ids()).toHaveLength(BATCHES);
    const [first, second] = [await batchesDecoded(decoders[0]!), await batchesDecoded(decoders[1]!)];
    expect(first).toBeGreaterThan(0);
    expect(second).toBeGreaterThan(0);
    expect(first + second).toBe(BATCHES);
  }, 180_000);
});
