// The observability kit against the running platform: `telltale start` (gateway, decoder, store, archive,
// diagnostics, features, notifier, API and a simulated vehicle with faults), on its own instance (schema, topics,
// Redis keys, MQTT topics) and ports, scraped by a real Prometheus (Debian's /usr/bin/prometheus, 127.0.0.1, its own
// port and data directory, the repository's alert rules loaded).
//
//  1. Every metric a dashboard panel or an alert rule refers to is exported by a running service.
//  2. Every panel's queries are valid PromQL and evaluate through the Prometheus HTTP API; the panels that returned
//     data are printed, and those a running pipeline with a faulty vehicle must fill are asserted.
//  3. Prometheus loaded every alert rule and evaluates it without error.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafkaClient } from '@telltale/platform/kafka';
import { LOCAL, testLogger, uniqueName, waitFor } from '@telltale/platform/testing';
import { freePort } from '../local-mosquitto.js';

const ROOT = resolve(import.meta.dirname, '../..');
const OBS = join(ROOT, 'deploy/observability');
const PROMETHEUS = process.env.PROMETHEUS_BIN ?? '/usr/bin/prometheus';
/** Each service `telltale start` runs, with its ops port offset (services/cli/src/all-in-one/settings.ts). */
const OPS_OFFSET = { gateway: 1, decoder: 2, store: 3, diagnostics: 4, notifier: 5, api: 6, features: 7, archive: 8 };
const SERVICES = Object.keys(OPS_OFFSET) as (keyof typeof OPS_OFFSET)[];
/** What Grafana's $__rate_interval becomes here: four scrape intervals and then some (scrapes every second). */
const RATE_INTERVAL = '15s';

interface Panel {
  readonly dashboard: string;
  readonly title: string;
  readonly exprs: readonly string[];
}

function dashboardPanels(): Panel[] {
  const dir = join(OBS, 'grafana/dashboards');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .flatMap((file) => {
      const d = JSON.parse(readFileSync(join(dir, file), 'utf8')) as {
        title: string;
        panels: Array<{ title: string; targets: Array<{ expr: string }> }>;
      };
      return d.panels.map((p) => ({ dashboard: d.title, title: p.title, exprs: p.targets.map((t) => t.expr) }));
    });
}

function ruleExprs(): string[] {
  const dir = join(OBS, 'prometheus/rules');
  // The rule files are YAML; their `expr:` values are either inline or a `|` block (indented lines after it).
  const exprs: string[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.yml'))) {
    const lines = readFileSync(join(dir, file), 'utf8').split('\n');
    for (let i = 0; i < lines.length; i++) {
      const m = /^(\s*)expr:\s*(.*)$/.exec(lines[i]!);
      if (!m) continue;
      if (m[2] !== '|') {
        exprs.push(m[2]!);
        continue;
      }
      const block: string[] = [];
      while (i + 1 < lines.length && (lines[i + 1]!.trim() === '' || lines[i + 1]!.startsWith(`${m[1]}  `))) {
        block.push(lines[++i]!.trim());
      }
      exprs.push(block.join(' '));
    }
  }
  return exprs;
}

/** Metric names a PromQL expression reads: telltale_* series and Prometheus' own `up`. */
function metricsOf(expr: string): string[] {
  const names = new Set<string>();
  for (const m of expr.matchAll(/\btelltale_[a-z0-9_]+\b/g)) names.add(m[0]);
  if (/\bup\{/.test(expr)) names.add('up');
  return [...names];
}

/** Names a /metrics exposition declares (`# TYPE name kind`), with the series names histograms and summaries add. */
function exportedNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    const [, name, kind] = m;
    names.add(name!);
    if (kind === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(name! + s);
    if (kind === 'summary') for (const s of ['_sum', '_count']) names.add(name! + s);
  }
  return names;
}

/** A base port with the next nine free (the start command's ops ports are base + 1..8). */
async function freePortBlock(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20000 + Math.floor(Math.random() * 2000) * 10;
    const ok = await Promise.all(
      Array.from({ length: 9 }, (_, i) => {
        return new Promise<boolean>((res) => {
          const s = createServer();
          s.once('error', () => res(false));
          s.listen(base + i, '127.0.0.1', () => s.close(() => res(true)));
        });
      }),
    );
    if (ok.every(Boolean)) return base;
  }
  throw new Error('no free block of ports');
}

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

const run = uniqueName('obs');
const work = mkdtempSync(join(tmpdir(), 'telltale-obs-'));
const children: ChildProcess[] = [];
let opsBase = 0;
let prometheusUrl = '';
let startOutput = '';

function launch(command: string, args: string[], env: NodeJS.ProcessEnv, log: string): ChildProcess {
  const child = spawn(command, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const chunks: string[] = [];
  const keep = (b: Buffer): void => {
    chunks.push(b.toString());
    if (log === 'start') startOutput += b.toString();
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  child.on('exit', () => writeFileSync(join(work, `${log}.log`), chunks.join('')));
  children.push(child);
  return child;
}

async function stop(child: ChildProcess, signal: NodeJS.Signals, ms: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((res) => child.once('exit', () => res()));
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), ms);
  await exited;
  clearTimeout(timer);
}

interface QueryResult {
  readonly status: string;
  readonly data: { result: Array<{ value: [number, string] }> };
  readonly error?: string;
}

async function query(expr: string): Promise<QueryResult> {
  const promql = expr.replaceAll('$__rate_interval', RATE_INTERVAL);
  const res = await fetch(`${prometheusUrl}/api/v1/query?query=${encodeURIComponent(promql)}`);
  return (await res.json()) as QueryResult;
}

describe('dashboards and alert rules against the running platform', () => {
  beforeAll(async () => {
    if (!existsSync(PROMETHEUS)) throw new Error(`${PROMETHEUS} is missing: apt-get install -y prometheus`);
    opsBase = await freePortBlock();
    const apiPort = await freePort();
    const promPort = await freePort();
    const env = {
      ...process.env,
      TELLTALE_DATA_DIR: join(work, 'data'),
      TELLTALE_OPS_PORT_BASE: String(opsBase),
      LOG_LEVEL: 'warn',
      ARCHIVE_DIR: join(work, 'archive'),
      ARCHIVE_FLUSH_INTERVAL_MS: '2000',
    };
    // One vehicle (the CI start check's choice on a shared 2-core machine), its first fault 2 s in.
    launch(
      process.execPath,
      ['services/cli/bin/telltale.js', 'start', '--instance', run, '--vehicles', '1', '--fault-after', '2'],
      { ...env, API_PORT: String(apiPort) },
      'start',
    );
    await waitFor('telltale start to be ready', () => (/Ready in/.test(startOutput) ? true : undefined), 150_000, 200);
    const config = [
      'global: { scrape_interval: 1s, evaluation_interval: 1s }',
      `rule_files: ['${join(OBS, 'prometheus/rules')}/*.yml']`,
      'scrape_configs:',
      '  - job_name: telltale',
      '    honor_labels: true',
      '    static_configs:',
      ...SERVICES.map(
        (s) => `      - { targets: ['127.0.0.1:${opsBase + OPS_OFFSET[s]}'], labels: { service: ${s} } }`,
      ),
    ].join('\n');
    writeFileSync(join(work, 'prometheus.yml'), `${config}\n`);
    launch(
      PROMETHEUS,
      [
        `--config.file=${join(work, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(work, 'tsdb')}`,
        `--web.listen-address=127.0.0.1:${promPort}`,
        '--storage.tsdb.retention.time=1h',
      ],
      process.env,
      'prometheus',
    );
    prometheusUrl = `http://127.0.0.1:${promPort}`;
    await waitFor(
      'Prometheus to scrape every service',
      async () => {
        const targets = await getJson<{ data: { activeTargets: Array<{ health: string }> } }>(
          `${prometheusUrl}/api/v1/targets`,
        ).catch(() => undefined);
        const active = targets?.data.activeTargets ?? [];
        return active.length === SERVICES.length && active.every((t) => t.health === 'up') ? true : undefined;
      },
      60_000,
      250,
    );
    // The first alert, and enough scrapes for rates over RATE_INTERVAL.
    await waitFor('the first alert', () => (/First alert/.test(startOutput) ? true : undefined), 120_000, 200);
    await waitFor(
      'alert transitions and archived samples in Prometheus',
      async () => {
        const transitions = await query('sum(telltale_diagnostics_rule_transitions_total)');
        const archived = await query('sum(telltale_archive_samples_total) > 0');
        return transitions.data.result.length > 0 && archived.data.result.length > 0 ? true : undefined;
      },
      60_000,
      500,
    );
    await new Promise((r) => setTimeout(r, 5_000));
  }, 300_000);

  afterAll(async () => {
    const [start, prometheus] = children;
    await Promise.all([
      start ? stop(start, 'SIGINT', 20_000) : undefined,
      prometheus ? stop(prometheus, 'SIGTERM', 10_000) : undefined,
    ]);
    const pool = new pg.Pool({ connectionString: LOCAL.postgresUrl, max: 1 });
    await pool.query(`DROP SCHEMA IF EXISTS "telltale_${run}" CASCADE`).catch(() => undefined);
    await pool.end();
    const kafka = createKafkaClient({ brokers: LOCAL.kafkaBrokers, clientId: run, log: testLogger() });
    const admin = kafka.admin();
    await admin.connect();
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(`${run}.`));
    if (topics.length > 0) await admin.deleteTopics({ topics }).catch(() => undefined);
    await admin.disconnect();
    rmSync(work, { recursive: true, force: true });
  }, 90_000);

  it('every metric a dashboard or an alert rule uses is exported by a running service', async () => {
    const exported = new Set<string>(['up']);
    for (let i = 0; i < SERVICES.length; i++) {
      const text = await (await fetch(`http://127.0.0.1:${opsBase + i + 1}/metrics`)).text();
      for (const name of exportedNames(text)) exported.add(name);
    }
    const used = new Map<string, string>();
    for (const panel of dashboardPanels()) {
      for (const expr of panel.exprs)
        for (const m of metricsOf(expr)) used.set(m, `${panel.dashboard}: ${panel.title}`);
    }
    for (const expr of ruleExprs()) for (const m of metricsOf(expr)) used.set(m, `alert rule: ${expr.slice(0, 60)}`);
    expect(used.size).toBeGreaterThan(50);
    const missing = [...used].filter(([name]) => !exported.has(name)).map(([name, where]) => `${name} (${where})`);
    expect(missing).toEqual([]);
  });

  it('every panel query evaluates in Prometheus; the pipeline fills the panels it must', async () => {
    const panels = dashboardPanels();
    const withData: string[] = [];
    const empty: string[] = [];
    const errors: string[] = [];
    for (const panel of panels) {
      let data = false;
      for (const expr of panel.exprs) {
        const r = await query(expr);
        if (r.status !== 'success') errors.push(`${panel.dashboard} / ${panel.title}: ${r.error ?? r.status}`);
        // A series whose value is NaN (a quantile of no observations) is not data.
        else if (r.data.result.some((x) => x.value[1] !== 'NaN')) data = true;
      }
      (data ? withData : empty).push(`${panel.dashboard} / ${panel.title}`);
    }
    console.log(
      `Panels with data (${withData.length}/${panels.length}):\n  ${withData.join('\n  ')}\n` +
        `Panels without data (${empty.length}):\n  ${empty.join('\n  ')}`,
    );
    expect(errors).toEqual([]);
    // A running pipeline with one faulty simulated vehicle and no webhook subscriber must fill these.
    const required = [
      'Telltale / Pipeline overview / Throughput per stage',
      'Telltale / Pipeline overview / Latency per stage, p99',
      'Telltale / Pipeline overview / Consumer lag per service',
      'Telltale / Pipeline overview / Batch processing time p99 per service',
      'Telltale / Pipeline overview / Services up',
      'Telltale / Gateway / PUBACK latency p50 / p99',
      'Telltale / Gateway / MQTT subscriber connections',
      'Telltale / Decoder / Frames and signals / s per model',
      'Telltale / Decoder / Consumer lag per partition',
      'Telltale / Store / Visibility latency p50 / p99 (gateway receive → committed)',
      'Telltale / Diagnostics / Mean evaluation time per rule',
      'Telltale / Diagnostics / Transitions / s per rule',
      'Telltale / Notifier / Queue depth',
      'Telltale / Archive / Samples archived / s',
      'Telltale / Fleet health / Share of stale vehicles per fleet',
    ];
    expect(required.filter((r) => !withData.includes(r))).toEqual([]);
  });

  it('Prometheus loaded every alert rule and evaluates each without error', async () => {
    const rules = await getJson<{
      data: { groups: Array<{ rules: Array<{ name: string; health: string; lastError?: string }> }> };
    }>(`${prometheusUrl}/api/v1/rules`);
    const all = rules.data.groups.flatMap((g) => g.rules);
    expect(all.length).toBe(ruleExprs().length);
    expect(all.filter((r) => r.health !== 'ok').map((r) => `${r.name}: ${r.health} ${r.lastError ?? ''}`)).toEqual([]);
  });
});
