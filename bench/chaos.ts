/**
 * `npm run chaos`: the platform under steady simulated load while every part of it is killed in turn, then checked
 * from independent sources. Runs on its OWN infrastructure (bench/chaos/infra.ts: a three-node Kafka cluster,
 * redis-server, Mosquitto with persistence, a PostgreSQL cluster, all on free ports in a temporary directory), so a
 * developer's running services are never touched; everything is removed on exit, also on failure or Ctrl-C.
 *
 *   npm run chaos -- [--vehicles 20] [--duration 240] [--instances 1|2] [--model cargo-van-e-2025] [--keep-logs]
 *
 * --duration is the load's length in seconds, at least: the load goes on until 15 s after the last recovery.
 * --faults decoder,broker runs only the faults whose names contain one of the words (the short version CI runs).
 *
 * Faults, one at a time, evenly spaced after a warm-up: kill -9 of each service (gateway, decoder, store,
 * diagnostics, notifier, archive; features when the package exists) and its restart; kill -9 of one Kafka broker
 * and its restart; an immediate (crash) restart of PostgreSQL; restarts of Redis and Mosquitto. With --instances 2
 * every service runs twice (partitions split between the two), and the first instance of each is the one killed.
 *
 * Checks (see docs/chaos.md): every batch the broker acknowledged is in tbox.frames.v1 once per (vin, seq); the
 * latest values through the API equal the newest event time of vehicle.signals.v1; alert transitions are exactly
 * once in PostgreSQL and gapless per alert; every transition reached the webhook receiver (distinct delivery ids;
 * repeats reported as retries); the archive's manifest holds as many rows as the topic has samples. Prints the
 * fault table; exits 1 on any loss or unexplained duplicate.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, cpSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';
import { PrivateInfra, freePort } from './chaos/infra.js';
import { CLI, createInstances, serviceEnv, type ServiceInstance } from './chaos/services.js';
import { referenceTransitions, writtenOutOfArrivalOrder } from './chaos/reference-engine.js';
import {
  WebhookReceiver,
  compareLatest,
  consumerLag,
  describeGroups,
  readAlerts,
  readFrames,
  readSignals,
} from './chaos/verify.js';

const exec = promisify(execFile);
const ROOT = join(import.meta.dirname, '..');
const { values: opts } = parseArgs({
  options: {
    vehicles: { type: 'string', default: '20' },
    duration: { type: 'string', default: '240' },
    instances: { type: 'string', default: '1' },
    model: { type: 'string', default: 'cargo-van-e-2025' },
    warmup: { type: 'string', default: '25' },
    seed: { type: 'string', default: '18' },
    faults: { type: 'string', default: 'all' },
    'keep-logs': { type: 'boolean', default: false },
  },
});
const VEHICLES = Number(opts.vehicles);
const DURATION_S = Number(opts.duration);
const INSTANCES = Number(opts.instances);
const WARMUP_S = Number(opts.warmup);
const SEED = opts.seed;
const FLEET = `sim-${SEED}`;
const command =
  `npm run chaos -- --vehicles ${VEHICLES} --duration ${DURATION_S} --instances ${INSTANCES} ` +
  `--model ${opts.model} --warmup ${WARMUP_S} --seed ${SEED}` +
  (opts.faults === 'all' ? '' : ` --faults ${opts.faults}`);

// A service (re)start transpiles its sources (tsx) and joins its group: minutes on a loaded 2-core machine.
const HEALTHY_WITHIN_MS = 300_000;

const t0 = Date.now();
const log = (line: string): void => {
  process.stderr.write(`[chaos ${((Date.now() - t0) / 1000).toFixed(1).padStart(6)} s] ${line}\n`);
};

const SERVICES = ['gateway', 'decoder', 'store', 'diagnostics', 'notifier', 'archive'];
if (existsSync(join(ROOT, 'services/features/package.json'))) SERVICES.push('features');

interface FaultResult {
  readonly fault: string;
  readonly injectedAtMs: number;
  readonly recoveryMs: number;
}

const infra = new PrivateInfra();
let cleaning: Promise<void> | undefined;
const instances: ServiceInstance[] = [];
let simulator: ChildProcess | undefined; // stopped on every exit path too (a failed run left it publishing)
const cleanup = (): Promise<void> =>
  (cleaning ??= (async () => {
    log('stopping services and the private infrastructure ...');
    if (simulator && simulator.exitCode === null && simulator.signalCode === null) simulator.kill('SIGKILL');
    await Promise.all(instances.map((i) => i.stop().catch(() => undefined)));
    if (opts['keep-logs']) {
      const keep = join(ROOT, '.telltale', `chaos-logs-${Date.now()}`);
      cpSync(join(infra.dir, 'logs'), keep, { recursive: true });
      log(`service logs kept in ${keep}`);
    }
    await infra.destroy();
  })());
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => {
    void cleanup().finally(() => process.exit(130));
  });

async function main(): Promise<number> {
  await infra.start(log);
  const logDir = join(infra.dir, 'logs');
  const archiveDir = join(infra.dir, 'archive');
  mkdirSync(logDir, { recursive: true });
  mkdirSync(archiveDir, { recursive: true });
  const env = serviceEnv({
    databaseUrl: infra.databaseUrl,
    kafkaBrokers: infra.kafkaBrokers,
    redisUrl: infra.redisUrl,
    mqttUrl: infra.mqttUrl,
    archiveDir,
  });
  const cli = (...args: string[]) => exec(process.execPath, [CLI, ...args], { env, timeout: 120_000 });

  await cli('migrate');
  // A fresh cluster's brokers learn new partitions' metadata a moment apart: ensuring is idempotent, so retry.
  for (let attempt = 1; ; attempt++) {
    try {
      await cli('topics', 'ensure');
      break;
    } catch (error) {
      if (attempt >= 10) throw error;
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
  }
  await new Promise((resolve) => setTimeout(resolve, 2000)); // every broker learns the new partitions' metadata
  await cli('rules', 'apply', join(ROOT, 'services/diagnostics/rules/examples'));
  const token = (await cli('keys', 'create', '--name', 'chaos', '--role', 'admin', '--fleet', '*')).stdout.trim();

  instances.push(...(await createInstances(SERVICES, INSTANCES, env, logDir)));
  // The API (not killed: the checks read latest values through it) on its own port beside its ops port.
  const apiPort = await freePort();
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  instances.push(...(await createInstances(['api'], 1, { ...env, API_PORT: String(apiPort) }, logDir)));
  for (const i of instances) i.start();
  await Promise.all(instances.map((i) => i.waitHealthy(HEALTHY_WITHIN_MS)));
  log(`${instances.length} service processes healthy: ${SERVICES.join(', ')} ×${INSTANCES}, api`);

  const receiver = new WebhookReceiver();
  await receiver.start();

  // Steady load: the simulator as its own process; its JSON summary says how many batches the broker acknowledged.
  const seqStart = Math.floor((Date.now() - Date.UTC(2025, 0, 1)) / 100);
  const faultAfterS = Math.max(5, Math.floor(WARMUP_S / 2));
  const sim = spawn(
    process.execPath,
    [
      CLI,
      'simulate',
      '--vehicles',
      String(VEHICLES),
      '--model',
      opts.model,
      '--seed',
      SEED,
      '--provision',
      '--anonymous',
      '--seq-start',
      String(seqStart),
      '--fault',
      'dtc:0.3',
      '--fault',
      'over-temperature:0.2',
      '--fault',
      'cell-imbalance:0.2',
      '--fault-after',
      String(faultAfterS),
      '--outbox',
      '100000',
      '--json',
    ],
    { env, stdio: ['ignore', 'pipe', 'ignore'] },
  );
  simulator = sim;
  let simulatorOut = '';
  sim.stdout.on('data', (c: Buffer) => (simulatorOut += c.toString()));
  const simulatorDone = new Promise<number>((resolve) => sim.once('exit', (code) => resolve(code ?? 1)));
  const loadStart = Date.now();

  // The subscription, once the simulator registered its fleet.
  const pool = new pg.Pool({ connectionString: infra.databaseUrl, max: 2, options: '-c search_path=telltale' });
  pool.on('error', () => undefined);
  for (;;) {
    const { rows } = await pool.query('SELECT 1 FROM fleets WHERE fleet_id = $1', [FLEET]).catch(() => ({ rows: [] }));
    if (rows.length > 0) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const created = await fetch(`${apiUrl}/v1/subscriptions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'chaos receiver', fleets: [FLEET], webhook: { url: receiver.url } }),
  });
  if (created.status !== 201) throw new Error(`creating the subscription: ${created.status} ${await created.text()}`);

  // The faults, evenly spaced between the warm-up and the last 20 s of load.
  const first = (name: string) => instances.find((i) => i.service === name && i.index === 1)!;
  const allHealthy = async (): Promise<void> => {
    await Promise.all(instances.map((i) => i.waitHealthy(HEALTHY_WITHIN_MS)));
  };
  const faults: [string, () => Promise<void>][] = [
    ...SERVICES.map((s): [string, () => Promise<void>] => [
      `kill -9 ${s}${INSTANCES > 1 ? ' #1' : ''}`,
      async () => {
        const instance = first(s);
        await instance.kill();
        await new Promise((resolve) => setTimeout(resolve, 1000));
        instance.start();
        await instance.waitHealthy(HEALTHY_WITHIN_MS);
      },
    ]),
    [
      'kill -9 Kafka broker 2',
      async () => {
        await infra.killBroker(2);
        await new Promise((resolve) => setTimeout(resolve, 5000));
        await infra.restartBroker(2);
      },
    ],
    [
      'PostgreSQL crash restart',
      async () => {
        await infra.restartPostgres();
        await allHealthy();
      },
    ],
    [
      'Redis restart',
      async () => {
        await infra.restartRedis();
        await allHealthy();
      },
    ],
    [
      'Mosquitto restart',
      async () => {
        await infra.restartMosquitto();
        await allHealthy();
      },
    ],
  ];
  // --faults decoder,broker: only the faults whose name contains one of the words.
  const only = opts.faults === 'all' ? undefined : opts.faults.split(',').map((w) => w.trim().toLowerCase());
  if (only)
    faults.splice(0, faults.length, ...faults.filter(([name]) => only.some((w) => name.toLowerCase().includes(w))));
  if (faults.length === 0) throw new Error(`--faults ${opts.faults} selects no fault`);
  const spacingMs = Math.max(5000, ((DURATION_S - WARMUP_S - 20) * 1000) / faults.length);
  const results: FaultResult[] = [];
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, WARMUP_S * 1000 - (Date.now() - loadStart))));
  for (const [index, [fault, inject]] of faults.entries()) {
    const due = loadStart + WARMUP_S * 1000 + index * spacingMs;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, due - Date.now())));
    const injected = Date.now();
    log(`${fault} ...`);
    await inject();
    results.push({ fault, injectedAtMs: injected, recoveryMs: Date.now() - injected });
    log(`${fault}: recovered in ${((Date.now() - injected) / 1000).toFixed(1)} s`);
  }

  // Load continues for the rest of --duration (at least 15 s after the last recovery), then stops and drains.
  const endAt = Math.max(loadStart + DURATION_S * 1000, Date.now() + 15_000);
  await new Promise((resolve) => setTimeout(resolve, endAt - Date.now()));
  sim.kill('SIGINT');
  const simulatorExit = await simulatorDone;
  const loadEnd = Date.now();
  const summary = JSON.parse(simulatorOut.trim().split('\n').pop() ?? '{}') as {
    batchesSealed?: number;
    batchesAcked?: number;
    unacked?: number;
    dropped?: number;
  };
  log(
    `load finished after ${((Date.now() - loadStart) / 1000).toFixed(0)} s (simulator exit ${simulatorExit}): ` +
      `${JSON.stringify({ ...summary, latencyMs: undefined })}; letting the pipeline drain ...`,
  );
  await new Promise((resolve) => setTimeout(resolve, 10_000));
  // Verify once every consumer group has caught up (a transactional topic's end offset includes its commit marker:
  // a lag of a few records per partition is the markers).
  const kafkaForLag = new Kafka({
    clientId: 'chaos-lag',
    brokers: infra.kafkaBrokers.split(','),
    logLevel: logLevel.NOTHING,
  });
  for (let waited = 0; ; waited += 5) {
    const lag = await consumerLag(kafkaForLag).catch(() => new Map<string, number>());
    const behind = [...lag].filter(([, n]) => n > 6 * 2);
    if (behind.length === 0 && lag.size > 0) break;
    if (waited % 30 === 0) log(`waiting for consumers: ${behind.map(([g, n]) => `${g} ${n}`).join(', ')}`);
    if (waited >= 900) {
      log('consumers still behind after 15 min; verifying anyway');
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 5000));
  }

  // ---- Verification -------------------------------------------------------------------------------------------
  const kafka = new Kafka({
    clientId: 'chaos-verify',
    brokers: infra.kafkaBrokers.split(','),
    logLevel: logLevel.NOTHING,
  });
  const groups = await describeGroups(kafka);
  const frames = await readFrames(kafka, 'tbox.frames.v1');
  const signals = await readSignals(kafka, 'vehicle.signals.v1');
  const alerts = await readAlerts(kafka, 'vehicle.alerts.v1');

  // 1. Acknowledged batches: per VIN the seqs are consecutive from seqStart; a gap is a lost batch.
  const perVin = new Map<string, { seq: number; count: number; baseMs: number }[]>();
  for (const [id, f] of frames) {
    const [vin, seq] = id.split(':') as [string, string];
    let list = perVin.get(vin);
    if (!list) perVin.set(vin, (list = []));
    list.push({ seq: Number(seq), count: f.count, baseMs: f.baseMs });
  }
  const lost: { vin: string; seq: number; atMs: number }[] = [];
  const duplicated: { vin: string; seq: number; atMs: number }[] = [];
  for (const [vin, list] of perVin) {
    list.sort((a, b) => a.seq - b.seq);
    const bySeq = new Map(list.map((b) => [b.seq, b]));
    const last = list[list.length - 1]!;
    for (let seq = seqStart; seq <= last.seq; seq++) {
      const b = bySeq.get(seq);
      if (!b) lost.push({ vin, seq, atMs: last.baseMs - (last.seq - seq) * 1000 });
      else if (b.count > 1) duplicated.push({ vin, seq, atMs: b.baseMs });
    }
  }
  const acked = summary.batchesAcked ?? 0;
  const unaccounted = Math.max(0, acked - frames.size); // acknowledged but not even a gap shows where
  const windows = results.map((r, i) => ({
    ...r,
    until: results[i + 1]?.injectedAtMs ?? Number.POSITIVE_INFINITY,
  }));
  const inWindow = (atMs: number, w: (typeof windows)[number]) => atMs >= w.injectedAtMs && atMs < w.until;
  const ackedIn = (w: (typeof windows)[number]) => [...frames.values()].filter((f) => inWindow(f.baseMs, w)).length;

  // 2. Latest values through the API against the newest event time of the Kafka log.
  let latestWrong: string[] = [];
  let latestChecked = 0;
  for (let attempt = 0; attempt < 12; attempt++) {
    latestWrong = [];
    latestChecked = 0;
    for (const [vin, expected] of signals.newest) {
      const { checked, wrong } = await compareLatest(apiUrl, token, vin, expected);
      latestChecked += checked;
      latestWrong.push(...wrong);
    }
    if (latestWrong.length === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 5000)); // the store may still be catching up
  }

  // 3. Alerts: exactly once in PostgreSQL, gapless per alert, and every transition on the topic.
  const { rows: transitionRows } = await pool.query<{ alert_id: string; transition_seq: number }>(
    'SELECT alert_id, transition_seq FROM alert_transitions ORDER BY alert_id, transition_seq',
  );
  const inPg = new Set(transitionRows.map((r) => `${r.alert_id}#${r.transition_seq}`));
  const seqsByAlert = new Map<string, number[]>();
  for (const r of transitionRows)
    seqsByAlert.set(r.alert_id, [...(seqsByAlert.get(r.alert_id) ?? []), r.transition_seq]);
  const gaps = [...seqsByAlert].filter(([, seqs]) => seqs.some((s, i) => s !== i + 1)).map(([id]) => id);
  const notOnKafka = [...inPg].filter((t) => !alerts.has(t));
  const notInPg = [...alerts.keys()].filter((t) => !inPg.has(t));
  const alertRepeats = [...alerts.values()].filter((n) => n > 1).length;
  // ... and equal to the transitions of an engine that was never interrupted, over the same input. Both sides up to
  // the newest event time of the input: after the load ends the live service's timers go on (silence).
  const { rows: liveRows } = await pool.query<{ alert_id: string; transition_seq: number; state: string }>(
    'SELECT alert_id, transition_seq, state FROM alert_transitions WHERE event_time_ms <= $1',
    [signals.newestEventMs],
  );
  const live = new Set(liveRows.map((r) => `${r.alert_id}#${r.transition_seq}#${r.state}`));
  const referenceAll = await referenceTransitions(pool, signals.arrived);
  const reference = new Set(
    referenceAll
      .filter((t) => t.eventTimeMs <= signals.newestEventMs)
      .map((t) => `${t.alertId}#${t.transitionSeq}#${t.state}`),
  );
  const onlyLive = [...live].filter((t) => !reference.has(t));
  const onlyReference = [...reference].filter((t) => !live.has(t));
  if (onlyLive.length || onlyReference.length) {
    // Evidence for a difference, kept with --keep-logs: both sides in full, the claims, rules and fleets, and every
    // input record (bench/chaos/replay-dump.ts replays it offline).
    const dump = join(logDir, 'refdiff');
    mkdirSync(dump, { recursive: true });
    const write = (name: string, data: unknown) => writeFileSync(join(dump, name), JSON.stringify(data, null, 1));
    const rows = async (sql: string): Promise<unknown[]> => (await pool.query<Record<string, unknown>>(sql)).rows;
    write('live.json', await rows('SELECT * FROM alert_transitions ORDER BY event_time_ms'));
    write('reference.json', referenceAll);
    for (const table of ['diagnostics_partitions', 'rules', 'rule_versions', 'vehicles'])
      write(`${table}.json`, await rows(`SELECT * FROM ${table}`));
    writeFileSync(
      join(dump, 'signals.jsonl'),
      signals.arrived.map((r) => JSON.stringify({ ...r, value: r.value.toString('base64') })).join('\n'),
    );
    log(`reference-engine difference: evidence in ${dump}`);
  }

  // 4. Webhooks: every transition delivered (distinct delivery ids); repeats of an id are retries.
  let webhookMissing: string[] = [];
  for (let attempt = 0; attempt < 12; attempt++) {
    const received = new Set([...receiver.deliveries.values()].map((d) => d.transition));
    webhookMissing = [...alerts.keys()].filter((t) => !received.has(t));
    if (webhookMissing.length === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 5000));
  }
  const byTransition = new Map<string, number>();
  for (const d of receiver.deliveries.values())
    byTransition.set(d.transition, (byTransition.get(d.transition) ?? 0) + 1);
  const webhookDuplicates = [...byTransition.values()].filter((n) => n > 1).length; // two delivery ids, one transition
  const webhookRetries = [...receiver.deliveries.values()].filter((d) => d.received > 1).length;

  // 5. Archive: the manifest's rows equal the topic's samples (a replayed segment would add rows).
  let archived = 0;
  for (let attempt = 0; attempt < 12; attempt++) {
    const { rows } = await pool.query<{ rows: string | null }>('SELECT sum(rows) AS rows FROM archive_files');
    archived = Number(rows[0]?.rows ?? 0);
    if (archived >= signals.samples) break;
    await new Promise((resolve) => setTimeout(resolve, 5000));
  }
  await pool.end();
  await receiver.close();

  // ---- Report ---------------------------------------------------------------------------------------------------
  const explained = (d: { atMs: number }) =>
    results.some(
      (r) =>
        r.fault.includes('gateway') && d.atMs >= r.injectedAtMs - 5000 && d.atMs < r.injectedAtMs + r.recoveryMs + 5000,
    );
  const unexplained = duplicated.filter((d) => !explained(d));
  // Where each duplicate's copies are: one receive time = one MQTT delivery written twice by the same gateway.
  const copiesOf = (d: { vin: string; seq: number }) => frames.get(`${d.vin}:${d.seq}`)?.copies ?? [];
  const oneDelivery = duplicated.filter((d) => new Set(copiesOf(d).map((c) => c.receivedMs)).size === 1).length;
  const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  const rows = [
    ['fault', 'injected at', 'recovery', 'acknowledged', 'lost', 'duplicated'],
    ...windows.map((w) => [
      w.fault,
      seconds(w.injectedAtMs - loadStart),
      seconds(w.recoveryMs),
      String(ackedIn(w) + lost.filter((l) => inWindow(l.atMs, w)).length),
      String(lost.filter((l) => inWindow(l.atMs, w)).length),
      String(duplicated.filter((d) => inWindow(d.atMs, w)).length),
    ]),
    ['whole run', '', '', String(acked), String(lost.length + unaccounted), String(duplicated.length)],
  ];
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  console.log('');
  for (const [i, r] of rows.entries()) {
    console.log(r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  '));
    if (i === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  }
  if (duplicated.length > 0) {
    console.log('');
    console.log(
      `duplicated batches: ${oneDelivery} of ${duplicated.length} with one receive time on both copies (one ` +
        `delivery written twice by one gateway), ${duplicated.length - oneDelivery} received twice (redelivered)`,
    );
    for (const d of duplicated.slice(0, 10))
      console.log(
        `  ${d.vin}:${d.seq}  ` +
          copiesOf(d)
            .map((c) => `p${c.partition}@${c.offset} received ${seconds(c.receivedMs - loadStart)}`)
            .join(', '),
      );
  }
  if (lost.length > 0) {
    console.log('');
    console.log(`lost batches (acknowledged, not in tbox.frames.v1): ${lost.length}`);
    for (const l of lost.slice(0, 10)) console.log(`  ${l.vin}:${l.seq}  base time ${seconds(l.atMs - loadStart)}`);
  }
  const samplesDup = signals.samples - signals.distinctSamples;
  const checks: [string, boolean, string][] = [
    [
      'acknowledged batches in tbox.frames.v1 once per (vin, seq)',
      lost.length + unaccounted === 0 && unexplained.length === 0,
      `${acked} acknowledged (simulator: sealed ${summary.batchesSealed}, unacked ${summary.unacked}, ` +
        `dropped ${summary.dropped}), ${frames.size} distinct in Kafka, ${lost.length + unaccounted} lost, ` +
        `${duplicated.length} duplicated (${duplicated.length - unexplained.length} by the gateway kill, ` +
        `${unexplained.length} unexplained)`,
    ],
    [
      'latest values (API) = newest event time in vehicle.signals.v1',
      latestWrong.length === 0 && latestChecked > 0,
      `${latestChecked} (vin, signal) checked, ${latestWrong.length} wrong` +
        (latestWrong.length ? `: ${latestWrong.slice(0, 3).join('; ')}` : ''),
    ],
    [
      'alert transitions exactly once in PostgreSQL, gapless, all on vehicle.alerts.v1',
      gaps.length === 0 && notOnKafka.length === 0 && notInPg.length === 0 && inPg.size > 0,
      `${inPg.size} transitions of ${seqsByAlert.size} alerts; ${gaps.length} with gaps, ${notOnKafka.length} not ` +
        `published, ${notInPg.length} unknown to PostgreSQL; ${alertRepeats} published twice (at least once, same key)`,
    ],
    [
      'alert transitions = those of an uninterrupted engine over the same input',
      onlyLive.length === 0 && onlyReference.length === 0 && reference.size > 0,
      `${live.size} live, ${reference.size} reference (alert id, seq, state), input in log order ` +
        `(${writtenOutOfArrivalOrder(signals.arrived)} records written after a later arrival); ` +
        `${onlyLive.length} only live` +
        (onlyLive.length ? ` (${onlyLive.slice(0, 3).join(', ')})` : '') +
        `, ${onlyReference.length} only in the reference` +
        (onlyReference.length ? ` (${onlyReference.slice(0, 3).join(', ')})` : ''),
    ],
    [
      'every transition delivered to the webhook',
      webhookMissing.length === 0 && webhookDuplicates === 0,
      `${receiver.deliveries.size} distinct delivery ids for ${alerts.size} transitions; ${webhookMissing.length} ` +
        `missing, ${webhookDuplicates} transitions under two ids, ` +
        `${webhookRetries} ids received more than once (retries)`,
    ],
    [
      'no duplicate archive row',
      archived === signals.samples,
      `${archived} rows in the manifest, ${signals.samples} samples in vehicle.signals.v1 ` +
        `(${samplesDup} of them in records present twice on the topic)`,
    ],
  ];
  console.log('');
  for (const [name, ok, detail] of checks) console.log(`${ok ? 'PASS' : 'FAIL'}  ${name}: ${detail}`);
  console.log('');
  console.log('consumer groups at the end (scale-out: partitions split between instances):');
  for (const line of groups) console.log(`  ${line}`);
  const load = loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  console.log('');
  console.log(
    `load: ${VEHICLES} simulated ${opts.model} vehicles for ${seconds(loadEnd - loadStart)}, ` +
      `${INSTANCES} instance(s) of every ` +
      `service; run took ${seconds(Date.now() - t0)}; load average ${load}`,
  );
  console.log(`command: ${command}`);
  return checks.every(([, ok]) => ok) ? 0 : 1;
}

let status = 1;
try {
  status = await main();
} catch (error) {
  log(`FAILED: ${(error as Error).stack ?? String(error)}`);
  for (const f of existsSync(join(infra.dir, 'logs')) ? readdirSync(join(infra.dir, 'logs')) : []) log(`log: ${f}`);
} finally {
  await cleanup();
}
process.exit(status);
