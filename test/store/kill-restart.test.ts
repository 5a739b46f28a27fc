// The store killed with SIGKILL in the middle of a PostgreSQL transaction, twice, while batches flow (out of order,
// with replays): the open transaction is rolled back by PostgreSQL, the uncommitted Kafka offsets are consumed again
// by the restarted store, and in the end signal_latest holds exactly the newest-event-time value of every
// (vin, signal) of the input and signal_history every input sample once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createKafkaClient, createReliableProducer, ensureTopics } from '@telltale/platform/kafka';
import { SignalBatch } from '@telltale/platform/proto';
import { createPgPool, type Pool } from '@telltale/platform/db';
import { LOCAL, testLogger, uniqueName, waitFor } from '@telltale/platform/testing';
import { dropSchema } from '../helpers.js';

const run = uniqueName('storekill');
const prefix = `${run}.`;
const root = join(import.meta.dirname, '../..');
const VINS = Array.from({ length: 6 }, (_, i) => `LRW3E7FS1RC2${String(i).padStart(5, '0')}`);
const SIGNALS = 400;
const BATCHES_PER_VIN = 60;
const BASE_MS = Date.now() - 3_600_000;

interface Batch {
  readonly vin: string;
  readonly seq: number;
  readonly baseMs: number;
  readonly value: Buffer;
}

/** Batch `seq` of a vehicle: SIGNALS samples at base + seq s (+ a few ms per signal), values derived from both. */
function batch(vin: string, seq: number): Batch {
  const baseMs = BASE_MS + seq * 1000;
  const signalId = Array.from({ length: SIGNALS }, (_, i) => i + 1);
  return {
    vin,
    seq,
    baseMs,
    value: Buffer.from(
      SignalBatch.encode({
        vin,
        modelId: 'aurora-ev-2026',
        catalogVersion: '1.0.0',
        baseTimeMsEpoch: baseMs,
        source: { deviceSeq: seq, gatewayReceiveTimeMsEpoch: Date.now() },
        signalId,
        value: signalId.map((id) => seq * 1000 + id),
        timeOffsetMs: signalId.map((id) => id % 7),
        batchId: `${vin}:${seq}`,
      }).finish(),
    ),
  };
}

/** The PostgreSQL backends of a process: its TCP client ports to the server (ss), matched in pg_stat_activity. */
function clientPorts(pid: number, serverPort: number): number[] {
  const out = execFileSync('ss', ['-tnpH', `dport = :${serverPort}`], { encoding: 'utf8' });
  return out
    .split('\n')
    .filter((line) => line.includes(`pid=${pid},`))
    .map((line) => Number(/\S+:(\d+)\s+\S+:\d+\s/.exec(line)?.[1]))
    .filter((port) => Number.isInteger(port));
}

describe('store killed mid-transaction', () => {
  const kafka = createKafkaClient({ brokers: LOCAL.kafkaBrokers, clientId: run, log: testLogger() });
  const producer = createReliableProducer(kafka);
  const pgPort = Number(new URL(LOCAL.postgresUrl).port || 5432);
  let pool: Pool;
  let child: ChildProcess | undefined;

  const startChild = (): ChildProcess =>
    spawn(process.execPath, [join(root, 'services/cli/bin/telltale.js'), 'store'], {
      env: {
        ...process.env,
        DATABASE_SCHEMA: run,
        KAFKA_TOPIC_PREFIX: prefix,
        KAFKA_PARTITIONS: '2',
        HISTORY_RESOLUTION_MS: '0',
        LOG_LEVEL: 'warn',
        OPS_PORT: '0',
        KAFKA_SESSION_TIMEOUT_MS: '6000',
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });

  /** Waits until the child has a transaction that wrote (backend_xid set) open in PostgreSQL, then SIGKILLs it. */
  const killInsideTransaction = async (proc: ChildProcess): Promise<string> => {
    const query = await waitFor(
      'the store inside a writing transaction',
      async () => {
        const ports = clientPorts(proc.pid!, pgPort);
        if (ports.length === 0) return undefined;
        const { rows } = await pool.query<{ query: string }>(
          `SELECT query FROM pg_stat_activity
           WHERE client_port = ANY($1::int[]) AND backend_xid IS NOT NULL
             AND query ~ 'INSERT INTO signal_(latest|history)'`,
          [ports],
        );
        return rows[0]?.query;
      },
      60_000,
      5,
    );
    proc.kill('SIGKILL');
    await new Promise((resolve) => proc.once('exit', resolve));
    return query;
  };

  beforeAll(async () => {
    pool = createPgPool({ url: LOCAL.postgresUrl, schema: 'public', max: 2 });
    const admin = kafka.admin();
    await admin.connect();
    await ensureTopics(admin, [{ topic: `${prefix}vehicle.signals.v1`, numPartitions: 2, replicationFactor: 1 }]);
    await admin.disconnect();
    await producer.connect();
  }, 60_000);

  afterAll(async () => {
    child?.kill('SIGKILL');
    await producer.disconnect();
    if (pool) await dropSchema(pool, run);
  });

  it('converges: latest = newest event time of the input, history = every input sample once', async () => {
    // Each vehicle's batches in a shuffled order (late data), and every tenth one sent twice (replays).
    const input: Batch[] = [];
    for (const vin of VINS) {
      const seqs = Array.from({ length: BATCHES_PER_VIN }, (_, i) => i + 1);
      for (let i = seqs.length - 1; i > 0; i--) {
        const j = (i * 7919 + vin.charCodeAt(16)) % (i + 1);
        [seqs[i], seqs[j]] = [seqs[j]!, seqs[i]!];
      }
      for (const seq of seqs) {
        input.push(batch(vin, seq));
        if (seq % 10 === 0) input.push(batch(vin, seq));
      }
    }
    const feeding = (async () => {
      for (let i = 0; i < input.length; i += 12) {
        await producer.send(
          `${prefix}vehicle.signals.v1`,
          input.slice(i, i + 12).map((b) => ({ key: b.vin, value: b.value })),
        );
        await new Promise((resolve) => setTimeout(resolve, 30));
      }
    })();

    child = startChild();
    const first = await killInsideTransaction(child);
    child = startChild();
    const second = await killInsideTransaction(child);
    child = startChild();
    await feeding;
    for (const q of [first, second]) expect(q).toMatch(/INSERT INTO signal_(latest|history)/);

    const expectedHistory = VINS.length * BATCHES_PER_VIN * SIGNALS;
    const counts = async () => {
      const { rows } = await pool.query<{ n: string; distinct_n: string }>(
        `SELECT count(*) AS n, count(DISTINCT (vin, signal_id, event_time_ms)) AS distinct_n
         FROM ${run}.signal_history`,
      );
      return { n: Number(rows[0]!.n), distinct: Number(rows[0]!.distinct_n) };
    };
    await waitFor(
      `${expectedHistory} history rows`,
      async () => ((await counts().catch(() => ({ n: 0 }))).n >= expectedHistory ? true : undefined),
      90_000,
      250,
    );
    // Latest values: the newest event time of each (vin, signal) is that of batch BATCHES_PER_VIN.
    await waitFor(
      'latest values of the newest batch',
      async () => {
        const { rows } = await pool.query<{ n: string }>(
          `SELECT count(*) AS n FROM ${run}.signal_latest WHERE value >= $1`,
          [BATCHES_PER_VIN * 1000],
        );
        return Number(rows[0]!.n) === VINS.length * SIGNALS ? true : undefined;
      },
      30_000,
      250,
    );
    await new Promise((resolve) => setTimeout(resolve, 1000)); // a late, wrong write would land here
    expect(await counts()).toEqual({ n: expectedHistory, distinct: expectedHistory });
    const { rows: latest } = await pool.query<{ vin: string; signal_id: number; value: number; event_time_ms: string }>(
      `SELECT vin, signal_id, value, event_time_ms FROM ${run}.signal_latest ORDER BY vin, signal_id`,
    );
    expect(latest).toHaveLength(VINS.length * SIGNALS);
    const wrong = latest.filter(
      (r) =>
        r.value !== BATCHES_PER_VIN * 1000 + r.signal_id ||
        Number(r.event_time_ms) !== BASE_MS + BATCHES_PER_VIN * 1000 + (r.signal_id % 7),
    );
    expect(wrong).toEqual([]);
    // History holds the input's values, not only the right count.
    const { rows: sample } = await pool.query<{ bad: string }>(
      `SELECT count(*) AS bad FROM ${run}.signal_history
       WHERE value <> ((event_time_ms - $1 - signal_id % 7) / 1000) * 1000 + signal_id`,
      [BASE_MS],
    );
    expect(Number(sample[0]!.bad)).toBe(0);
  }, 180_000);
});
