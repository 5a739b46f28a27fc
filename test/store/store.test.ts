// The real-time store on real Kafka and PostgreSQL: out-of-order and duplicate batches leave the newest event time
// in signal_latest, history keeps every sample once, a device clock far in the future is quarantined, and retention
// drops whole day partitions.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgSignalStore, emptyHistoryRows, emptyLatestRows, startStore, type RunningStore } from '@telltale/store';
import { RECORD_HEADER, createKafkaClient, createReliableProducer } from '@telltale/platform/kafka';
import { SignalBatch } from '@telltale/platform/proto';
import { createPgPool, type Pool } from '@telltale/platform/db';
import { LOCAL, testLogger, uniqueName, waitFor } from '@telltale/platform/testing';
import { collectTopic, header, signalBatchBytes, type Collected } from '../helpers.js';

const run = uniqueName('store');
const prefix = `${run}.`;
const VIN = 'LRW3E7FS1RC000009';
const NOW = Date.now();

function signalBatch(
  seq: number,
  base: number,
  samples: [id: number, value: number, offset: number][],
  subMsUs?: number[],
): Buffer {
  return signalBatchBytes(VIN, seq, base, samples, subMsUs);
}

describe('store: latest by event time, history, quarantine', () => {
  const kafka = createKafkaClient({ brokers: LOCAL.kafkaBrokers, clientId: run, log: testLogger() });
  const producer = createReliableProducer(kafka);
  let store: RunningStore;
  let pool: Pool;
  let dlq: Collected;

  beforeAll(async () => {
    store = await startStore({
      ...process.env,
      DATABASE_SCHEMA: run,
      KAFKA_TOPIC_PREFIX: prefix,
      KAFKA_PARTITIONS: '2',
      LOG_LEVEL: 'silent',
      HISTORY_RESOLUTION_MS: '0',
      MAX_FUTURE_MS: '300000',
    });
    pool = createPgPool({ url: LOCAL.postgresUrl, schema: run, max: 2 });
    await producer.connect();
    dlq = await collectTopic(kafka, `${prefix}vehicle.signals.dlq.v1`, `${run}-dlq`);
  }, 60_000);

  afterAll(async () => {
    await dlq?.stop();
    await store?.stop();
    await producer.disconnect();
    await pool.query(`DROP SCHEMA IF EXISTS ${run} CASCADE`);
    await pool.end();
  });

  const latest = async () => {
    const { rows } = await pool.query<{ signal_id: number; value: number; event_time_ms: string }>(
      'SELECT signal_id, value, event_time_ms FROM signal_latest WHERE vin = $1 ORDER BY signal_id',
      [VIN],
    );
    return rows.map((r) => [r.signal_id, r.value, Number(r.event_time_ms)]);
  };
  const send = (value: Buffer) => producer.send(`${prefix}vehicle.signals.v1`, [{ key: VIN, value }]);
  const sentinel = async (id: number) => {
    await send(signalBatch(1000 + id, NOW, [[id, 1, 0]]));
    await waitFor(`sentinel ${id}`, async () => ((await latest()).some((r) => r[0] === id) ? true : undefined), 30_000);
  };

  it('keeps the newest event time when batches arrive out of order or twice', async () => {
    const a = signalBatch(1, NOW - 10_000, [
      [1, 10, 0],
      [2, 20, 0],
    ]);
    await send(a);
    await send(signalBatch(2, NOW - 20_000, [[1, 5, 0]])); // older, arrives later
    await send(a); // replay
    await sentinel(900);
    expect((await latest()).slice(0, 2)).toEqual([
      [1, 10, NOW - 10_000],
      [2, 20, NOW - 10_000],
    ]);
    await send(signalBatch(3, NOW - 5_000, [[1, 11, 0]]));
    await sentinel(901);
    expect((await latest())[0]).toEqual([1, 11, NOW - 5_000]);

    const { rows } = await pool.query<{ value: number }>(
      'SELECT value FROM signal_history WHERE vin = $1 AND signal_id = 1 ORDER BY event_time_ms',
      [VIN],
    );
    expect(rows.map((r) => r.value)).toEqual([5, 10, 11]);
  });

  it('latest blocks: a writer behind another (rebalance), a replay and a restart never regress a signal', async () => {
    const vin = 'LRW3E7FS1RC000077';
    const empty = emptyHistoryRows(0);
    const latestRows = (samples: [id: number, value: number, time: number][]) => ({
      vin: samples.map(() => vin),
      signalId: samples.map((x) => x[0]),
      value: samples.map((x) => x[1]),
      eventTimeMs: samples.map((x) => x[2]),
      eventTimeSubMsUs: samples.map(() => 0),
      receiveTimeMs: samples.map((x) => x[2] + 50),
      modelId: samples.map(() => 'aurora-ev-2026'),
      catalogVersion: samples.map(() => '1.0.0'),
    });
    const values = async () =>
      (
        await pool.query<{ signal_id: number; value: number; event_time_ms: string }>(
          'SELECT signal_id, value, event_time_ms FROM signal_latest WHERE vin = $1 ORDER BY signal_id',
          [vin],
        )
      ).rows.map((r) => [r.signal_id, r.value, Number(r.event_time_ms)]);
    const blocks = async () =>
      (
        await pool.query<{ block: number; version: string; write_time_ms: string }>(
          'SELECT block, version, write_time_ms FROM signal_latest_block WHERE vin = $1 ORDER BY block',
          [vin],
        )
      ).rows.map((r) => [r.block, Number(r.version), Number(r.write_time_ms)]);

    const a = new PgSignalStore(store.store.pool);
    const b = new PgSignalStore(store.store.pool);
    await a.write(
      latestRows([
        [1, 10, NOW - 3000],
        [2, 20, NOW - 3000],
        [300, 3, NOW - 3000],
      ]),
      empty,
      1,
    );
    // b takes the partition over, reads the blocks and writes newer signal 1 and a first signal 3.
    await b.write(
      latestRows([
        [1, 11, NOW - 1000],
        [3, 30, NOW - 5000],
      ]),
      empty,
      2,
    );
    // a, still running with what it had in memory, writes signal 1 older than b's, signal 2 newer.
    await a.write(
      latestRows([
        [1, 9, NOW - 2000],
        [2, 21, NOW - 2000],
      ]),
      empty,
      3,
    );
    expect(a.counts.latestConflicts).toBe(1); // block 0 had moved on: merged under lock, not overwritten
    const expected = [
      [1, 11, NOW - 1000],
      [2, 21, NOW - 2000],
      [3, 30, NOW - 5000],
      [300, 3, NOW - 3000],
    ];
    expect(await values()).toEqual(expected);
    expect(await blocks()).toEqual([
      [0, 3, 3],
      [2, 1, 1],
    ]);

    // Replays, by the same writer and by a restarted one (nothing in memory), write nothing.
    const written = a.counts.latestBlocks;
    await a.write(
      latestRows([
        [1, 9, NOW - 2000],
        [2, 21, NOW - 2000],
      ]),
      empty,
      4,
    );
    expect(a.counts.latestBlocks).toBe(written);
    const restarted = new PgSignalStore(store.store.pool);
    await restarted.write(
      latestRows([
        [1, 10, NOW - 3000],
        [2, 20, NOW - 3000],
        [300, 3, NOW - 3000],
      ]),
      empty,
      5,
    );
    expect(restarted.counts.latestBlocks).toBe(0);
    expect(await values()).toEqual(expected);
    expect(await blocks()).toEqual([
      [0, 3, 3],
      [2, 1, 1],
    ]);
    // The fleet-wide read of one signal goes through its block.
    const { rows } = await pool.query<{ vin: string; value: number }>(
      'SELECT vin, value FROM signal_latest_of(2) WHERE value > 20',
    );
    expect(rows).toEqual([{ vin, value: 21 }]);
  });

  it('quarantines samples from a clock far in the future and stores the rest of the batch', async () => {
    await send(
      signalBatch(4, NOW, [
        [3, 33, 0],
        [4, 99, 3_600_000],
      ]),
    );
    const record = await waitFor(
      'the quarantine record',
      () => dlq.messages.find((m) => header(m, RECORD_HEADER.reason) === 'FUTURE_EVENT_TIME'),
      30_000,
    );
    const quarantined = SignalBatch.decode(record.value!);
    expect(quarantined.signalId).toEqual([4]);
    expect(quarantined.value).toEqual([99]);
    await waitFor('signal 3', async () => ((await latest()).some((r) => r[0] === 3) ? true : undefined), 30_000);
    expect((await latest()).some((r) => r[0] === 4)).toBe(false);
    const text = await (await fetch(`${store.opsUrl}/metrics`)).text();
    expect(text).toMatch(/telltale_store_quarantined_total\{service="store"\} 1/);
    expect(text).toMatch(/telltale_store_latest_blocks_total\{service="store"\} [1-9]/);
  });

  it('keeps every sample of a signal within one millisecond, to the µs; latest to the ms', async () => {
    // Four frames of one CAN message inside 2 ms (500 µs apart): four history rows per signal, not two.
    await send(
      signalBatch(
        5,
        NOW - 2_000,
        [
          [20, 1, 0],
          [20, 2, 0],
          [20, 3, 1],
          [20, 4, 1],
        ],
        [0, 500, 0, 500],
      ),
    );
    // The first batch is stored before the second is sent, so the second is in a later poll whatever the timing.
    await sentinel(903);
    await send(signalBatch(6, NOW - 2_000, [[20, 5, 1]], [750])); // a later poll, same ms, later µs
    await sentinel(902);
    const { rows } = await pool.query<{ value: number; event_time_ms: string; event_time_sub_ms_us: number }>(
      `SELECT value, event_time_ms, event_time_sub_ms_us FROM signal_history WHERE vin = $1 AND signal_id = 20
       ORDER BY event_time_ms, event_time_sub_ms_us`,
      [VIN],
    );
    expect(rows.map((r) => [r.value, Number(r.event_time_ms) - (NOW - 2_000), r.event_time_sub_ms_us])).toEqual([
      [1, 0, 0],
      [2, 0, 500],
      [3, 1, 0],
      [4, 1, 500],
      [5, 1, 750],
    ]);
    // Latest values are kept per millisecond (signal_latest_block, migration 0016): within one poll the newest µs
    // wins (4); a later poll's sample in the same millisecond ties and keeps the stored value.
    expect((await latest()).find((r) => r[0] === 20)).toEqual([20, 4, NOW - 2_000 + 1]);
  });

  it('drops history partitions older than the hot window and keeps recent ones', async () => {
    const day = 86_400_000;
    const old = Math.floor(NOW / day) * day - 40 * day;
    await store.store.write(
      emptyLatestRows(),
      {
        vin: [VIN],
        signalId: [7],
        eventTimeMs: [old],
        eventTimeSubMsUs: [0],
        value: [1],
        receiveTimeMs: [old],
        catalogVersion: ['1.0.0'],
      },
      Date.now(),
    );
    const partitions = async () =>
      (
        await pool.query<{ name: string }>(
          `SELECT c.relname AS name FROM pg_inherits i
           JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
           JOIN pg_namespace n ON n.oid = p.relnamespace
           WHERE p.relname = 'signal_history_block' AND n.nspname = $1 ORDER BY 1`,
          [run],
        )
      ).rows.map((r) => r.name);
    const before = await partitions();
    expect(before.length).toBeGreaterThanOrEqual(2);
    const dropped = await store.store.dropPartitionsBefore(NOW - 30 * day);
    expect(dropped).toHaveLength(1);
    expect(await partitions()).toEqual(before.filter((p) => !dropped.includes(p)));
    const { rows } = await pool.query('SELECT 1 FROM signal_history WHERE signal_id = 7');
    expect(rows).toHaveLength(0);
  });
});
