// Scale-out under rebalances: two decoder processes share tbox.frames.v1 while one of them stalls (SIGSTOP) past its
// session timeout, so the group moves its partitions to the other, then comes back (SIGCONT) with batches it had
// already fetched, and a third instance joins. A member that lost a partition without noticing yet (stalled, or slow
// to heartbeat on a loaded host, which happens at every join here) goes on committing it: kafkajs sends no group
// generation with transactional offsets. Only fencing per input partition (the next owner's producer for the
// partition aborts the old one's transaction and refuses its commits; input committed meanwhile is skipped) keeps
// every uplink exactly once on vehicle.signals.v1 for read_committed consumers. The decoder with one transactional
// id per instance fails this test with duplicates.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createKafkaClient, createReliableProducer, ensureTopics, platformTopicSpecs } from '@telltale/platform/kafka';
import { SignalBatch } from '@telltale/platform/proto';
import { LOCAL, testLogger, uniqueName, waitFor } from '@telltale/platform/testing';
import { loadCatalog } from '@telltale/catalog';
import type { Pool } from '@telltale/platform/db';
import { collectTopic, dropSchema, registryWithVehicles, speedUplink, type Collected } from '../helpers.js';

const run = uniqueName('rebal');
const prefix = `${run}.`;
const root = join(import.meta.dirname, '../..');
const GROUP = `${prefix}telltale-decoder`;
const SESSION_TIMEOUT_MS = 6000;
const SENDS = 120; // of 10 uplinks each, one every 150 ms: the stream outlasts the stall and the join
const TOTAL = SENDS * 10;

describe('decoder instances across rebalances', () => {
  const kafka = createKafkaClient({ brokers: LOCAL.kafkaBrokers, clientId: run, log: testLogger() });
  const producer = createReliableProducer(kafka);
  const admin = kafka.admin();
  let pool: Pool;
  let vins: string[];
  let output: Collected | undefined;
  const children: ChildProcess[] = [];

  const startInstance = (id: string): ChildProcess => {
    const child = spawn(process.execPath, [join(root, 'services/cli/bin/telltale.js'), 'decoder'], {
      env: {
        ...process.env,
        DATABASE_SCHEMA: run,
        KAFKA_TOPIC_PREFIX: prefix,
        KAFKA_PARTITIONS: '4',
        DECODER_INSTANCE_ID: id,
        CATALOG_DIR: join(root, 'signal-catalog'),
        LOG_LEVEL: 'warn',
        OPS_PORT: '0',
        KAFKA_SESSION_TIMEOUT_MS: String(SESSION_TIMEOUT_MS),
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    children.push(child);
    return child;
  };

  const members = async (): Promise<number | undefined> => {
    const { groups } = await admin.describeGroups([GROUP]);
    const group = groups[0];
    return group?.state === 'Stable' ? group.members.length : undefined;
  };

  beforeAll(async () => {
    ({ pool, vins } = await registryWithVehicles(run, 16));
    await admin.connect();
    await ensureTopics(
      admin,
      platformTopicSpecs({ kafkaTopicPrefix: prefix, kafkaPartitions: 4, kafkaReplicationFactor: 1 }, [
        'frames',
        'signals',
        'signalsDlq',
      ]),
    );
    await producer.connect();
    output = await collectTopic(kafka, `${prefix}vehicle.signals.v1`, `${run}-check`);
  }, 60_000);

  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL');
    await output?.stop();
    await producer.disconnect();
    await admin.disconnect();
    if (pool) await dropSchema(pool, run);
  });

  it('decodes every uplink exactly once while a stalled instance resumes and another joins', async () => {
    const catalog = await loadCatalog(join(root, 'signal-catalog/aurora-ev-2026'));
    const status = catalog.buses[0]!.database.messages.find((m) => m.name === 'VCU_VehicleStatus')!;
    const uplink = (seq: number) => {
      const vin = vins[seq % vins.length]!;
      return { key: vin, value: speedUplink(status, vin, seq, 50) };
    };

    const stalled = startInstance('first');
    startInstance('second');
    await waitFor('two members', async () => ((await members()) === 2 ? true : undefined), 90_000, 250);

    let sent = 0;
    const feeding = (async () => {
      for (let i = 0; i < SENDS; i++) {
        await producer.send(
          `${prefix}tbox.frames.v1`,
          Array.from({ length: 10 }, (_, j) => uplink(i * 10 + j + 1)),
        );
        sent += 10;
        await new Promise((resolve) => setTimeout(resolve, 150));
      }
    })();
    const ids = () => output!.messages.map((m) => SignalBatch.decode(m.value!).batchId);

    // The first instance stalls mid-stream (a long GC pause, an overloaded host) until the group evicts it ...
    await waitFor('output flowing', () => (ids().length >= 100 ? true : undefined), 60_000, 20);
    stalled.kill('SIGSTOP');
    await waitFor('the other instance alone', async () => ((await members()) === 1 ? true : undefined), 60_000, 250);
    const before = ids().length;
    await waitFor('the other instance decoding', () => (ids().length >= before + 50 ? true : undefined), 60_000, 20);
    // ... and resumes with what it had fetched, unaware that its partitions moved; then a third instance joins.
    stalled.kill('SIGCONT');
    await waitFor('two members again', async () => ((await members()) === 2 ? true : undefined), 90_000, 250);
    startInstance('third');
    await waitFor('three members', async () => ((await members()) === 3 ? true : undefined), 90_000, 250);

    await feeding;
    expect(sent).toBe(TOTAL);
    await waitFor(
      `${TOTAL} distinct uplinks`,
      () => (new Set(ids()).size >= TOTAL ? true : undefined),
      120_000,
      100,
    ).catch(
      () => undefined, // the assertions below say what is missing
    );
    await new Promise((resolve) => setTimeout(resolve, 3000)); // a late duplicate would arrive here
    const all = ids();
    const seen = new Set<string>();
    const duplicates = all.filter((id) => (seen.has(id) ? true : (seen.add(id), false)));
    expect(duplicates).toEqual([]);
    expect(seen.size).toBe(TOTAL);
  }, 300_000);
});
