// The store's poll pipeline on real Kafka and PostgreSQL: a poll's latest values are visible before its history is
// written, its offset is committed only once its history is durable, and a history write that fails after the
// batch was handed back restarts the consumer from the committed offset, so nothing is lost or doubled.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStore, type RunningStore } from '@telltale/store';
import { createKafkaClient, createReliableProducer } from '@telltale/platform/kafka';
import { createPgPool, type Pool } from '@telltale/platform/db';
import { LOCAL, testLogger, uniqueName, waitFor } from '@telltale/platform/testing';
import { signalBatchBytes } from '../helpers.js';

const run = uniqueName('storepipe');
const prefix = `${run}.`;
const topic = `${prefix}vehicle.signals.v1`;
const VIN = 'LRW3E7FS1RC000019';
const NOW = Date.now();

const signalBatch = (seq: number, base: number, samples: [id: number, value: number][]): Buffer =>
  signalBatchBytes(
    VIN,
    seq,
    base,
    samples.map(([id, value]) => [id, value, 0] as const),
  );

describe('store poll pipeline: commit after durable, restart after a failed history write', () => {
  const kafka = createKafkaClient({ brokers: LOCAL.kafkaBrokers, clientId: run, log: testLogger() });
  const producer = createReliableProducer(kafka);
  const admin = kafka.admin();
  let store: RunningStore;
  let pool: Pool;

  beforeAll(async () => {
    store = await startStore({
      ...process.env,
      DATABASE_SCHEMA: run,
      KAFKA_TOPIC_PREFIX: prefix,
      KAFKA_PARTITIONS: '1',
      LOG_LEVEL: 'silent',
      HISTORY_RESOLUTION_MS: '0',
    });
    pool = createPgPool({ url: LOCAL.postgresUrl, schema: run, max: 2 });
    await producer.connect();
    await admin.connect();
  }, 60_000);

  afterAll(async () => {
    await store?.stop();
    await producer.disconnect();
    await admin.disconnect();
    await pool.query(`DROP SCHEMA IF EXISTS ${run} CASCADE`);
    await pool.end();
  });

  const send = async (value: Buffer): Promise<number> => {
    const [meta] = await producer.send(topic, [{ key: VIN, value }]);
    return Number(meta!.baseOffset);
  };
  const latest = async (id: number): Promise<number | undefined> => {
    const { rows } = await pool.query<{ value: number }>(
      'SELECT value FROM signal_latest WHERE vin = $1 AND signal_id = $2',
      [VIN, id],
    );
    return rows[0]?.value;
  };
  const history = async (): Promise<[number, number][]> => {
    const { rows } = await pool.query<{ signal_id: number; value: number }>(
      'SELECT signal_id, value FROM signal_history WHERE vin = $1 ORDER BY signal_id, event_time_ms',
      [VIN],
    );
    return rows.map((r) => [r.signal_id, r.value]);
  };
  const committed = async (): Promise<number> => {
    const [offsets] = await admin.fetchOffsets({ groupId: `${prefix}telltale-store`, topics: [topic] });
    return Number(offsets?.partitions[0]?.offset ?? -1);
  };

  it('keeps the offset of a visible poll uncommitted until its history is written, then converges', async () => {
    const first = await send(signalBatch(1, NOW - 3000, [[1, 10]]));
    await waitFor('first poll committed', async () => ((await committed()) > first ? true : undefined), 30_000);

    // History writes fail from now on (a trigger on the table), latest-value writes still succeed.
    await pool.query(`CREATE FUNCTION fail_history() RETURNS trigger LANGUAGE plpgsql AS
      $$ BEGIN RAISE EXCEPTION 'history unavailable (test)'; END $$`);
    await pool.query(`CREATE TRIGGER fail_history BEFORE INSERT OR UPDATE ON signal_history_block
      FOR EACH ROW EXECUTE FUNCTION fail_history()`);
    const second = await send(
      signalBatch(2, NOW - 2000, [
        [1, 11],
        [2, 20],
      ]),
    );
    await waitFor('second poll visible', async () => ((await latest(2)) === 20 ? true : undefined), 30_000);
    await new Promise((resolve) => setTimeout(resolve, 3000)); // restarts meanwhile; none may commit it
    expect(await committed()).toBe(second);
    expect(await history()).toEqual([[1, 10]]);

    await pool.query('DROP TRIGGER fail_history ON signal_history_block');
    const third = await send(signalBatch(3, NOW - 1000, [[2, 21]]));
    await waitFor('everything committed', async () => ((await committed()) > third ? true : undefined), 60_000);
    expect(await history()).toEqual([
      [1, 10],
      [1, 11],
      [2, 20],
      [2, 21],
    ]);
    expect([await latest(1), await latest(2)]).toEqual([11, 21]);
  }, 120_000);
});
