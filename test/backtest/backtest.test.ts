// Rule backtests against the real services: one recorded stream of SignalBatches goes to a unique topic that the
// real diagnostics service (live rule evaluation, alert_transitions) and the real archive service (Parquet + manifest)
// both consume. A backtest of the archived history must give exactly the transitions live diagnostics recorded —
// same alert ids, sequence numbers, states, severities, event times, timer flags, evidence and messages — for `for`
// delays, a ladder escalation, a clear delay, a silence timer (stale()) and a `for` completed only by the silence
// after the last sample; before compaction (several files per hour, sorted by DuckDB) and after (one file per hour,
// merged in order), through the library, the CLI and the API's job resource.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startArchive, type RunningArchive } from '@telltale/archive';
import { PgApiKeyStore, startApi, type RunningApi } from '@telltale/api';
import { compileBacktestRule, openArchiveReader, runBacktest, transitionView } from '@telltale/backtest';
import { BUNDLED_CATALOG_DIR, CatalogLibrary, type Catalog } from '@telltale/catalog';
import { main } from '@telltale/cli';
import { startDiagnostics, type RunningDiagnostics } from '@telltale/diagnostics';
import type { Pool } from '@telltale/platform/db';
import { createKafkaClient, createReliableProducer, ensureTopics } from '@telltale/platform/kafka';
import { LOCAL, testLogger, uniqueName, waitFor } from '@telltale/platform/testing';
import type { JsonObject } from '@telltale/rules';
import { PgRuleStore } from '@telltale/rules/pg';
import { VIN_A, VIN_B, dropSchema, registryWithTwoVehicles } from '../helpers.js';
import { auroraCatalog, signalRecord, type FeedBatch, type Sample } from '../diagnostics/signal-feed.js';

const run = uniqueName('backtest');
const prefix = `${run}.`;
const HOUR_MS = 3_600_000;
// 20 s before the end of the hour before last: the stream spans two hour partitions, both already over (compactable).
const T0 = (Math.floor(Date.now() / HOUR_MS) - 1) * HOUR_MS - 20_000;
const STREAM_S = 40;
const TO = T0 + 46_000;
const GRACE_MS = 1000;

const HOT: JsonObject & { id: string } = {
  id: 'bt.hot',
  condition: 'cellTemperatureMax > 55',
  for: '3s',
  ladder: [{ level: 'warning' }, { level: 'critical', when: 'cellTemperatureMax > 60', for: '2s' }],
  clear: { condition: 'cellTemperatureMax < 50', for: '2s' },
  message: 'Cell {{ cellTemperatureMax | fixed(1) }} °C on {{ vin }} ({{ severity }})',
};
const TYRE: JsonObject & { id: string } = {
  id: 'bt.tyre-silent',
  condition: 'stale(tyrePressureFrontLeft, 4s)',
  severity: 'major',
};

/** Cell temperature of a vehicle at second s of the stream (quarter-second steps within it). */
function temperature(vehicle: number, ms: number): number {
  // The last two seconds: a `for` that only the silence after the stream completes (raise at 41 s).
  if (ms >= 38_000) return 58;
  const s = ms / 1000 + vehicle * 3;
  if (s < 5) return 45;
  if (s < 12) return 57; // raised after 3 s
  if (s < 18) return 62; // escalated after 2 s
  if (s < 22) return 48; // cleared after 2 s
  if (s < 25) return 56;
  if (s < 26) return 52; // pending broken: no raise
  return 47;
}

function stream(catalog: Catalog): { batches: Omit<FeedBatch, 'seq' | 'arrivalTimeMs'>[]; samples: number } {
  void catalog;
  const batches: Omit<FeedBatch, 'seq' | 'arrivalTimeMs'>[] = [];
  let samples = 0;
  for (let s = 0; s < STREAM_S; s++) {
    for (const [vehicle, vin] of [VIN_A, VIN_B].entries()) {
      const list: Sample[] = [];
      for (let q = 0; q < 4; q++) {
        const offset = q * 250;
        list.push({ alias: 'cellTemperatureMax', value: temperature(vehicle, s * 1000 + offset), offsetMs: offset });
        list.push({ alias: 'vehicleSpeed', value: 40 + s, offsetMs: offset + 7 });
        // VIN_A's tyre sensor stops after 15 s, VIN_B's after 30 s.
        if (s < (vehicle === 0 ? 15 : 30))
          list.push({ alias: 'tyrePressureFrontLeft', value: 240, offsetMs: offset + 13 });
      }
      samples += list.length;
      batches.push({ vin, baseTimeMs: T0 + s * 1000, samples: list });
    }
  }
  return { batches, samples };
}

/** What the API answers about a job (and, on errors, `error` alone). */
interface JobBody {
  id: string;
  state: string;
  draft: boolean;
  vehicles: number;
  progress: { fraction: number; hoursRead: number; hourGroups: number } | null;
  error: { code: string; message: string } | null;
  result: {
    transitions: Row[];
    summary: {
      vehicles: { vin: string }[];
      diff: { live: number; matched: number; onlyBacktest: { count: number }; changed: { count: number } };
    };
  };
}

interface Row {
  alertId: string;
  transitionSeq: number;
  vin: string;
  ruleVersion: number;
  state: string;
  severity: string;
  eventTimeMs: number;
  timer: boolean;
  message: string;
  evidence: unknown;
}

const comparable = (t: Row): Row => ({
  alertId: t.alertId,
  transitionSeq: t.transitionSeq,
  vin: t.vin,
  ruleVersion: t.ruleVersion,
  state: t.state,
  severity: t.severity,
  eventTimeMs: t.eventTimeMs,
  timer: t.timer,
  message: t.message,
  evidence: t.evidence,
});
const ordered = (rows: Row[]): Row[] =>
  rows
    .map(comparable)
    .sort(
      (a, b) => a.eventTimeMs - b.eventTimeMs || (a.alertId < b.alertId ? -1 : 1) || a.transitionSeq - b.transitionSeq,
    );

describe('rule backtest = live diagnostics on the same recorded stream', () => {
  const dir = mkdtempSync(join(tmpdir(), 'telltale-backtest-'));
  const kafka = createKafkaClient({ brokers: LOCAL.kafkaBrokers, clientId: run, log: testLogger() });
  const producer = createReliableProducer(kafka);
  const env = {
    ...process.env,
    DATABASE_SCHEMA: run,
    KAFKA_TOPIC_PREFIX: prefix,
    KAFKA_PARTITIONS: '2',
    LOG_LEVEL: 'warn',
    ARCHIVE_DIR: dir,
  };
  let pool: Pool;
  let catalog: Catalog;
  let diagnostics: RunningDiagnostics | undefined;
  let archive: RunningArchive | undefined;
  let api: RunningApi | undefined;
  let samples = 0;

  const live = async (ruleId: string): Promise<Row[]> => {
    const { rows } = await pool.query<{
      alert_id: string;
      transition_seq: number;
      vin: string;
      rule_version: number;
      state: string;
      severity: string;
      event_time_ms: string;
      timer: boolean;
      message: string;
      evidence: unknown;
    }>(
      `SELECT alert_id, transition_seq, vin, rule_version, state, severity, event_time_ms, timer, message, evidence
       FROM alert_transitions WHERE rule_id = $1 AND event_time_ms < $2`,
      [ruleId, TO],
    );
    return ordered(
      rows.map((r) => ({
        alertId: r.alert_id,
        transitionSeq: r.transition_seq,
        vin: r.vin,
        ruleVersion: r.rule_version,
        state: r.state,
        severity: r.severity,
        eventTimeMs: Number(r.event_time_ms),
        timer: r.timer,
        message: r.message,
        evidence: r.evidence,
      })),
    );
  };

  const backtest = async (rule: JsonObject & { id: string }, signal?: AbortSignal) => {
    const library = new CatalogLibrary(BUNDLED_CATALOG_DIR, testLogger());
    const compiled = compileBacktestRule(
      rule,
      (await library.latestPerModel()).map((c) => c.catalog),
    );
    expect(compiled.ok).toBe(true);
    const reader = await openArchiveReader({ threads: 1 });
    try {
      return await runBacktest({
        db: reader.db,
        pool,
        archiveDir: dir,
        snapshot: compiled.snapshot,
        ruleId: rule.id,
        vehicles: [
          { vin: VIN_A, modelId: 'aurora-ev-2026', fleetId: 'fleet-a', catalogVersion: '1.0.0' },
          { vin: VIN_B, modelId: 'aurora-ev-2026', fleetId: 'fleet-b', catalogVersion: '1.0.0' },
        ],
        fromMs: T0,
        toMs: TO,
        ...(signal ? { signal } : {}),
      });
    } finally {
      reader.close();
    }
  };

  beforeAll(async () => {
    ({ pool } = await registryWithTwoVehicles(run));
    const rules = new PgRuleStore(pool);
    await rules.create(HOT, 'test');
    await rules.create(TYRE, 'test');
    catalog = await auroraCatalog();
    const admin = kafka.admin();
    await admin.connect();
    await ensureTopics(admin, [
      { topic: `${prefix}vehicle.signals.v1`, numPartitions: 2, replicationFactor: 1 },
      { topic: `${prefix}vehicle.alerts.v1`, numPartitions: 2, replicationFactor: 1 },
    ]);
    await admin.disconnect();
    diagnostics = await startDiagnostics({
      ...env,
      SILENCE_GRACE_MS: String(GRACE_MS),
      // The recording arrives at once and then nothing: with the idle hold (30 s by default) the live silence timers
      // would fire 30 s after it; the comparison is about their event times, which the hold does not change.
      DIAGNOSTICS_IDLE_HOLD_MS: '0',
      ADVANCE_INTERVAL_MS: '100',
      CHECKPOINT_INTERVAL_MS: '500',
    });
    archive = await startArchive({
      ...env,
      ARCHIVE_FLUSH_ROWS: '300',
      ARCHIVE_FLUSH_INTERVAL_MS: '300',
      ARCHIVE_COMPACT_AFTER_MS: '0',
      ARCHIVE_COMPACT_INTERVAL_MS: '3600000',
    });
    await producer.connect();
    // The whole recording at once, as a backlog: every batch arrives now (gateway receive time).
    const recorded = stream(catalog);
    samples = recorded.samples;
    const arrivalTimeMs = Date.now();
    let seq = 0;
    await producer.send(
      `${prefix}vehicle.signals.v1`,
      recorded.batches.map((b) => signalRecord(catalog, { ...b, seq: ++seq, arrivalTimeMs })),
    );
    await waitFor(
      'the archive to list every sample',
      async () => {
        const { rows } = await pool.query<{ n: string | null }>('SELECT sum(rows) AS n FROM archive_files');
        return Number(rows[0]?.n ?? 0) === samples ? true : undefined;
      },
      60_000,
      200,
    );
    // Live silence timers fire once the wall clock passed the silence: wait until every deadline before TO is due.
    const lastEventMs = T0 + (STREAM_S - 1) * 1000 + 763;
    const dueAt = arrivalTimeMs + GRACE_MS + (TO - lastEventMs) + 1500;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, dueAt - Date.now())));
    await waitFor(
      'live diagnostics to record the silence-completed raise of both vehicles',
      async () => {
        const rows = await live('bt.hot');
        return rows.filter((r) => r.state === 'raised' && r.eventTimeMs === T0 + 41_000).length >= 2 ? true : undefined;
      },
      30_000,
      200,
    );
  }, 150_000);

  afterAll(async () => {
    await api?.stop();
    await archive?.stop();
    await diagnostics?.stop();
    await producer.disconnect();
    if (pool) await dropSchema(pool, run);
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('gives exactly the transitions live diagnostics recorded, from several files per hour', async () => {
    const { rows: files } = await pool.query<{ n: string }>(
      'SELECT count(*) AS n FROM archive_files GROUP BY date, hour HAVING count(*) > 1',
    );
    expect(files.length).toBeGreaterThan(0); // DuckDB sorts: more than one file in an hour
    for (const rule of [HOT, TYRE]) {
      const expected = await live(rule.id);
      const result = await backtest(rule);
      expect(ordered(result.transitions.map((t) => ({ ...transitionView(t), evidence: t.evidence })) as Row[])).toEqual(
        expected,
      );
      expect(result.summary.diff).toMatchObject({
        live: expected.length,
        matched: expected.length,
        onlyBacktest: { count: 0 },
        onlyLive: { count: 0 },
        changed: { count: 0 },
      });
    }
    // What the scenario covers, live and replayed alike.
    const hot = await live('bt.hot');
    const states = hot.map((r) => `${r.vin}:${r.state}:${r.severity}:${r.timer}`);
    expect(states.filter((s) => s.endsWith(':escalated:critical:true'))).toHaveLength(2);
    expect(states.filter((s) => s.includes(':cleared:'))).toHaveLength(2);
    expect(hot.filter((r) => r.state === 'raised' && r.eventTimeMs === T0 + 41_000)).toHaveLength(2);
    const tyre = await live('bt.tyre-silent');
    expect(tyre.map((r) => [r.vin, r.state, r.timer])).toEqual(
      expect.arrayContaining([
        [VIN_A, 'raised', true],
        [VIN_B, 'raised', true],
      ]),
    );
    // Only the signals the rule reads are replayed: HOT reads the cell temperature alone (4 samples per batch).
    expect((await backtest(HOT)).summary.samples).toBe(STREAM_S * 2 * 4);
    // Cancelled: rejects with the reason, before or while reading.
    const controller = new AbortController();
    controller.abort(new Error('stopped by the test'));
    await expect(backtest(HOT, controller.signal)).rejects.toThrow('stopped by the test');
  });

  it('gives the same after compaction (one file per hour), through `telltale rules backtest`', async () => {
    const compacted = await archive!.compactor.run();
    expect(compacted?.hoursCompacted).toBe(2);
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const chunks: Buffer[] = [];
    stdout.on('data', (c: Buffer) => chunks.push(c));
    const code = await main(
      [
        'rules',
        'backtest',
        'bt.hot',
        '--from',
        String(T0),
        '--to',
        String(TO),
        '--vins',
        `${VIN_A},${VIN_B}`,
        '--json',
      ],
      { stdin: new PassThrough(), stdout, stderr, env, cwd: process.cwd() },
    );
    expect(code).toBe(0);
    const out = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
      transitions: Row[];
      summary: { diff: { matched: number; live: number } };
    };
    const expected = await live('bt.hot');
    expect(ordered(out.transitions)).toEqual(expected);
    expect(out.summary.diff).toMatchObject({ live: expected.length, matched: expected.length });
  });

  it('runs as a job through the API: progress, result, diff for a draft, fleet scope, cancel', async () => {
    api = await startApi({ ...env, API_PORT: '0', API_HOST: '127.0.0.1', LOG_LEVEL: 'silent' });
    const keys = new PgApiKeyStore(pool);
    const { token: engineer } = await keys.create({
      name: 'bt',
      role: 'engineer',
      fleets: ['fleet-a', 'fleet-b'],
      createdBy: 'test',
    });
    const { token: fleetB } = await keys.create({
      name: 'bt-b',
      role: 'engineer',
      fleets: ['fleet-b'],
      createdBy: 't',
    });
    const { token: viewer } = await keys.create({
      name: 'bt-v',
      role: 'viewer',
      fleets: ['fleet-a'],
      createdBy: 'test',
    });
    const call = async (token: string, method: string, path: string, body?: unknown) => {
      const response = await fetch(`${api!.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return {
        status: response.status,
        location: response.headers.get('location'),
        body: (await response.json()) as JobBody,
      };
    };
    const finished = (token: string, id: string) =>
      waitFor(
        'the backtest job to finish',
        async (): Promise<JobBody | undefined> => {
          const job = await call(token, 'GET', `/v1/rules/backtest/${id}`);
          return job.body.state === 'running' ? undefined : job.body;
        },
        30_000,
        100,
      );

    // A saved rule over both vehicles: exactly the live transitions.
    const started = await call(engineer, 'POST', '/v1/rules/backtest', {
      ruleId: 'bt.hot',
      from: new Date(T0).toISOString(),
      to: String(TO),
    });
    expect(started.status).toBe(202);
    expect(started.location).toBe(`/v1/rules/backtest/${started.body.id}`);
    const done = await finished(engineer, started.body.id);
    expect(done.state).toBe('done');
    expect(done.progress).toMatchObject({ fraction: 1, hoursRead: 2, hourGroups: 2 });
    const expected = await live('bt.hot');
    expect(ordered(done.result.transitions)).toEqual(expected);
    expect(done.result.summary.diff).toMatchObject({ live: expected.length, matched: expected.length });
    expect(done.result.summary.vehicles.map((v) => v.vin).sort()).toEqual([VIN_A, VIN_B]);

    // A draft with a lower threshold and a shorter `for`: the same episodes raise earlier (changed), and one more
    // episode raises that live never did (only in the backtest).
    const draft = await call(engineer, 'POST', '/v1/rules/backtest', {
      rule: { ...HOT, condition: 'cellTemperatureMax > 50', for: '1s' },
      vins: [VIN_A],
      from: String(T0),
      to: String(TO),
      flapWindow: '30s',
    });
    expect(draft.status).toBe(202);
    const draftDone = await finished(engineer, draft.body.id);
    expect(draftDone.draft).toBe(true);
    expect(draftDone.result.summary.diff.onlyBacktest.count).toBeGreaterThan(0);
    expect(draftDone.result.summary.diff.changed.count).toBeGreaterThan(0);
    expect(draftDone.result.summary.vehicles.map((v) => v.vin)).toEqual([VIN_A]);

    // Fleet scope: a fleet-b key replays only VIN_B, cannot name VIN_A, and does not see others' jobs.
    const scoped = await call(fleetB, 'POST', '/v1/rules/backtest', {
      ruleId: 'bt.hot',
      from: String(T0),
      to: String(TO),
    });
    expect(scoped.status).toBe(202);
    expect(scoped.body.vehicles).toBe(1);
    await finished(fleetB, scoped.body.id);
    expect(
      (await call(fleetB, 'POST', '/v1/rules/backtest', { ruleId: 'bt.hot', vins: [VIN_A], from: String(T0) })).status,
    ).toBe(404);
    expect((await call(fleetB, 'GET', `/v1/rules/backtest/${started.body.id}`)).status).toBe(404);
    expect((await call(viewer, 'POST', '/v1/rules/backtest', { ruleId: 'bt.hot', from: String(T0) })).status).toBe(403);

    // Bad input: a rule with an error, both rule and ruleId, a range backwards.
    const invalid = await call(engineer, 'POST', '/v1/rules/backtest', {
      rule: { id: 'bt.bad', condition: 'cellTemperatureMaks > 1' },
      from: String(T0),
    });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error?.code).toBe('RULE_INVALID');
    expect(
      (await call(engineer, 'POST', '/v1/rules/backtest', { rule: HOT, ruleId: 'bt.hot', from: String(T0) })).status,
    ).toBe(400);
    expect(
      (await call(engineer, 'POST', '/v1/rules/backtest', { ruleId: 'bt.hot', from: String(TO), to: String(T0) }))
        .status,
    ).toBe(400);

    // DELETE: a finished job stays as it was; an unknown one is 404.
    expect((await call(engineer, 'DELETE', `/v1/rules/backtest/${started.body.id}`)).body.state).toBe('done');
    expect((await call(engineer, 'DELETE', '/v1/rules/backtest/00000000-0000-4000-8000-000000000000')).status).toBe(
      404,
    );
  });
});
