/**
 * A short `telltale loadtest --start` run (one step, one van, 8 s) and its report checked against what Kafka and
 * PostgreSQL counted themselves: every batch the simulator and the probe had acknowledged is one record on the
 * frames topic, the gateway's accepted count agrees, the store's history rows are the rows in signal_history, the
 * stored vehicles are the rows in signal_latest, and each probe alert measured is a transition in PostgreSQL.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { createPgPool } from '@telltale/platform/db';
import { createKafkaClient } from '@telltale/platform/kafka';
import { LOCAL, testLogger, uniqueName } from '@telltale/platform/testing';

const ROOT = join(import.meta.dirname, '../..');
const CLI = join(ROOT, 'services/cli/bin/telltale.js');
const instance = uniqueName('lt');
const schema = `telltale_${instance}`;

interface Report {
  steps: {
    vehicles: number;
    simulator: { batchesAcked: number };
    stages: { stage: string; perS: number | null }[];
    latency: Record<'decoded' | 'stored' | 'alert', { count: number; missing: number; p99: number | null }>;
    processes: { services: string[]; cpuPercent: number | null; rssMiB: number | null }[];
  }[];
  totals: {
    batchesAcked: number;
    probesPublished: number;
    topicRecords: Record<string, number>;
    gatewayBatchesAccepted: number | null;
    storeHistoryRowsOffered: number | null;
    vehiclesStored: number;
    drained: boolean;
  };
  machine: { uptimeBefore: string };
}

async function endOffsetSum(topic: string): Promise<number> {
  const admin = createKafkaClient({ brokers: LOCAL.kafkaBrokers, clientId: instance, log: testLogger() }).admin();
  await admin.connect();
  try {
    return (await admin.fetchTopicOffsets(topic)).reduce((sum, p) => sum + Number(p.high), 0);
  } finally {
    await admin.disconnect();
  }
}

describe('telltale loadtest', () => {
  const pool = createPgPool({ url: LOCAL.postgresUrl, schema, max: 1 });
  let out = '';
  afterAll(async () => {
    const admin = createKafkaClient({ brokers: LOCAL.kafkaBrokers, clientId: instance, log: testLogger() }).admin();
    await admin.connect();
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(`${instance}.`));
    await admin.deleteTopics({ topics }).catch(() => undefined);
    await admin.disconnect();
    await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
    await pool.end();
    if (out) await rm(out, { recursive: true, force: true });
  });

  it('reports what Kafka and PostgreSQL counted', async () => {
    out = await mkdtemp(join(tmpdir(), 'telltale-loadtest-'));
    const args = ['loadtest', '--start', '--instance', instance, '--steps', '1', '--model', 'cargo-van-e-2025'];
    // A probe timeout for a loaded shared machine: a lost probe would leave nothing to measure.
    args.push('--step-seconds', '8', '--warmup-seconds', '2', '--probe-timeout-ms', '20000');
    args.push('--max-seconds', '110', '--out', out);
    // Exit code 3 (no step held) is a verdict on a busy machine, not a failure of the command.
    const run = await promisify(execFile)(process.execPath, [CLI, ...args], { cwd: ROOT, timeout: 130_000 }).catch(
      (error: { code?: number; stdout?: string; stderr?: string }) => {
        if (error.code === 3) return { stdout: error.stdout ?? '', stderr: error.stderr ?? '' };
        throw new Error(`telltale loadtest failed (${error.code}):\n${error.stderr}`);
      },
    );
    expect(run.stdout).toContain('Report: ');
    const report = JSON.parse(await readFile(join(out, 'loadtest.json'), 'utf8')) as Report;
    const html = await readFile(join(out, 'loadtest.html'), 'utf8');
    expect(html).toContain('<svg');
    expect(report.machine.uptimeBefore).toContain('load average');

    expect(report.steps).toHaveLength(1);
    const [step] = report.steps;
    expect(step!.vehicles).toBe(1);
    expect(step!.simulator.batchesAcked).toBeGreaterThan(5);
    expect(step!.latency.stored.count).toBeGreaterThan(0);
    expect(step!.latency.decoded.count).toBeGreaterThan(0);
    expect(step!.stages.find((s) => s.stage === 'decoder signals out')?.perS).toBeGreaterThan(0);
    // All-in-one: one process carries every service, measured once.
    expect(step!.processes).toHaveLength(1);
    expect(step!.processes[0]!.services).toEqual(expect.arrayContaining(['gateway', 'decoder', 'store']));
    expect(step!.processes[0]!.rssMiB).toBeGreaterThan(50);
    expect(report.totals.drained).toBe(true);

    // Kafka: every acknowledged batch (fleet and probe) is one record on the instance's fresh frames topic.
    const frames = `${instance}.tbox.frames.v1`;
    const framesRecords = await endOffsetSum(frames);
    expect(report.totals.topicRecords[frames]).toBe(framesRecords);
    expect(report.totals.batchesAcked + report.totals.probesPublished).toBe(framesRecords);
    expect(report.totals.gatewayBatchesAccepted).toBe(framesRecords);

    // PostgreSQL: the history samples the store offered, kept one per signal per 1 s bucket (HISTORY_RESOLUTION_MS;
    // two polls' samples of one bucket merge into the newest, migration 0018), and the vehicles stored.
    const history = await pool.query<{ n: string; buckets: string }>(
      `SELECT count(*) AS n, count(DISTINCT (vin, signal_id, event_time_ms / 1000)) AS buckets FROM signal_history`,
    );
    expect(Number(history.rows[0]!.n)).toBeGreaterThan(0);
    expect(Number(history.rows[0]!.n)).toBe(Number(history.rows[0]!.buckets));
    expect(report.totals.storeHistoryRowsOffered).toBeGreaterThanOrEqual(Number(history.rows[0]!.n));
    const vehicles = await pool.query<{ n: string }>(
      "SELECT count(DISTINCT vin) AS n FROM signal_latest WHERE model_id = 'cargo-van-e-2025'",
    );
    expect(report.totals.vehiclesStored).toBe(Number(vehicles.rows[0]!.n));
    const transitions = await pool.query<{ n: string }>(
      "SELECT count(*) AS n FROM alert_transitions WHERE rule_id = 'loadtest.probe-speed'",
    );
    expect(step!.latency.alert.count).toBeGreaterThan(0);
    expect(step!.latency.alert.count).toBeLessThanOrEqual(Number(transitions.rows[0]!.n));
  }, 150_000); // a pipeline start on a loaded machine takes most of it
});
