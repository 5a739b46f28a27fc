// telltale diagnostics against real Kafka and PostgreSQL: each input partition's timers run on a clock of their own.
// Vehicle A (partition 0) sends throughout; vehicle B (partition 1) is stalled upstream for less than the idle hold
// — its batches held back and then written late, as a Kafka broker failover holds the gateway's writes — which must
// raise no "sensor silent" alert; then B goes silent for longer than the hold, which must raise it, at the event
// time of its deadline.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Message } from 'kafkajs';
import type { Catalog } from '@telltale/catalog';
import type { Pool } from '@telltale/platform/db';
import { createKafkaClient, createReliableProducer, partitionOfKey } from '@telltale/platform/kafka';
import { PgRuleStore } from '@telltale/rules/pg';
import { LOCAL, testLogger, uniqueName, waitFor } from '@telltale/platform/testing';
import { startDiagnostics, type RunningDiagnostics } from '@telltale/diagnostics';
import { VIN_A, VIN_B, dropSchema, registryWithTwoVehicles } from '../helpers.js';
import { auroraCatalog, createDiagnosticsTopics, diagnosticsTestEnv, signalRecord } from './signal-feed.js';

const run = uniqueName('diaghold');
const prefix = `${run}.`;
const signalsTopic = `${prefix}vehicle.signals.v1`;
const HOLD_MS = 5000;
const PERIOD_MS = 250;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface Row {
  vin: string;
  state: string;
  event_time_ms: string;
  emit_time_ms: string;
  timer: boolean;
}

describe('diagnostics timers per partition: the idle hold', () => {
  const kafka = createKafkaClient({ brokers: LOCAL.kafkaBrokers, clientId: run, log: testLogger() });
  const producer = createReliableProducer(kafka);
  let pool: Pool;
  let catalog: Catalog;
  let service: RunningDiagnostics | undefined;
  let seq = 0;

  /** One batch of a vehicle, now: tyre pressure and speed at its event time = its gateway receive time. */
  const batchNow = (vin: string): { message: Message; timeMs: number } => {
    const timeMs = Date.now();
    const samples = [
      { alias: 'tyrePressureFrontLeft', value: 230 },
      { alias: 'vehicleSpeed', value: 50 },
    ];
    return {
      message: signalRecord(catalog, { vin, seq: ++seq, baseTimeMs: timeMs, arrivalTimeMs: timeMs, samples }),
      timeMs,
    };
  };
  const transitions = async (): Promise<Row[]> =>
    (
      await pool.query<Row>(
        `SELECT vin, state, event_time_ms, emit_time_ms, timer FROM alert_transitions WHERE rule_id = 't.silent'
         ORDER BY event_time_ms, transition_seq`,
      )
    ).rows;

  beforeAll(async () => {
    ({ pool } = await registryWithTwoVehicles(run));
    catalog = await auroraCatalog();
    await new PgRuleStore(pool).create({ id: 't.silent', condition: 'stale(tyrePressureFrontLeft, 1s)' }, 'test');
    await createDiagnosticsTopics(kafka, prefix);
    await producer.connect();
    service = await startDiagnostics(diagnosticsTestEnv(run, prefix, { DIAGNOSTICS_IDLE_HOLD_MS: String(HOLD_MS) }));
    await waitFor('both partitions claimed', () => service!.pipeline.status.partitions === 2 || undefined, 30_000);
  }, 60_000);

  afterAll(async () => {
    await service?.stop();
    await producer.disconnect();
    if (pool) await dropSchema(pool, run);
  }, 60_000);

  it('raises no silence for a stall shorter than the hold; a longer silence raises at its event time', async () => {
    expect([VIN_A, VIN_B].map((vin) => partitionOfKey(signalsTopic, vin, 2))).toEqual([0, 1]);
    // Who sends: both vehicles, A while B's batches are held back (the stall), or A alone (B silent).
    const feeder = { phase: 'both' as 'both' | 'B held' | 'A only' };
    const heldB: Message[] = [];
    let lastB = { timeMs: 0, sentMs: 0 };
    let feeding = true;
    const feed = (async () => {
      while (feeding) {
        const now = feeder.phase;
        const a = batchNow(VIN_A);
        const b = batchNow(VIN_B);
        const messages = [a.message];
        if (now === 'both') messages.push(b.message);
        if (now === 'B held') heldB.push(b.message);
        await producer.send(signalsTopic, messages);
        if (now === 'both') lastB = { timeMs: b.timeMs, sentMs: Date.now() };
        await sleep(PERIOD_MS);
      }
    })();
    try {
      await sleep(1500);
      // B's partition stalls upstream for 2.5 s: on the wall clock its tyre pressure would be stale (1 s + 0.5 s
      // grace) well before its batches come; they are then written late, all at once, in their order.
      feeder.phase = 'B held';
      await sleep(2500);
      await producer.send(signalsTopic, heldB);
      feeder.phase = 'both';
      await sleep(1000);
      // B goes silent for good; A's partition flows on.
      feeder.phase = 'A only';
      const [raised] = await waitFor(
        "B's silence raised",
        async () => {
          const rows = await transitions();
          return rows.length > 0 ? rows : undefined;
        },
        20_000,
      );
      // One transition: no false raise (and clear) from the stall.
      expect(await transitions()).toEqual([raised]);
      expect(raised).toMatchObject({ vin: VIN_B, state: 'raised', timer: true });
      expect(Number(raised!.event_time_ms)).toBe(lastB.timeMs + 1000); // the deadline's own event time
      // Held until B's partition had been quiet for the hold (its last record consumed after it was sent).
      expect(Number(raised!.emit_time_ms)).toBeGreaterThanOrEqual(lastB.sentMs + HOLD_MS);
      expect(heldB.length).toBeGreaterThanOrEqual(5);
    } finally {
      feeding = false;
      await feed;
    }
  }, 60_000);
});
