/**
 * RuleReloader against the real PostgreSQL: a committed edit reaches the engine through LISTEN/NOTIFY (latency
 * measured and printed), a killed listening connection or a change that never notified is repaired, and every
 * instance sees an edit. The reloaded definitions are compiled against the aurora-ev-2026 catalog and swapped into a
 * RuleEngine, as the service does.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BUNDLED_CATALOG_DIR, loadCatalog, type Catalog } from '@telltale/catalog';
import { createPgPool, migrate, type Pool } from '@telltale/platform/db';
import { LOCAL, testLogger, uniqueName, waitFor } from '@telltale/platform/testing';
import { compileRules, formatRuleProblem, RuleEngine, type JsonObject, type RuleSnapshot } from '@telltale/rules';
import { PgRuleStore, RuleReloader, type LoadedRules, type RuleReloaderOptions } from '@telltale/rules/pg';
import { dropSchema } from '../helpers.js';

const EXAMPLES_DIR = join(dirname(fileURLToPath(import.meta.url)), '../../services/diagnostics/rules/examples');
const examples = readdirSync(EXAMPLES_DIR)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => JSON.parse(readFileSync(join(EXAMPLES_DIR, f), 'utf8')) as JsonObject);
const OVER_TEMP = 'bms.cell-over-temperature';
const overTemp = examples.find((e) => e.id === OVER_TEMP)!;

const schema = uniqueName('rules_reload');
let pool: Pool;
let store: PgRuleStore;
let aurora: Catalog;
const running: RuleReloader[] = [];

interface Load {
  readonly definitions: readonly JsonObject[];
  readonly loaded: LoadedRules;
  readonly atMs: number;
}

/** A reloader recording every load; `definitionOf` finds a rule in the newest one. */
async function startReloader(
  options: Partial<RuleReloaderOptions> = {},
  onRules?: (definitions: readonly JsonObject[]) => void,
) {
  const loads: Load[] = [];
  const reloader = new RuleReloader({
    pool,
    log: testLogger('rule-reloader'),
    ...options,
    onRules: (definitions, loaded) => {
      loads.push({ definitions, loaded, atMs: performance.now() });
      onRules?.(definitions);
    },
  } as RuleReloaderOptions);
  running.push(reloader);
  await reloader.start();
  const versionOf = (ruleId: string): number | undefined =>
    loads.at(-1)?.definitions.find((d) => d.id === ruleId)?.version as number | undefined;
  /** Resolves with the first load (from `from` on) that holds `ruleId` at `version`. */
  const loadWith = (ruleId: string, version: number, from = 0, timeoutMs = 15_000): Promise<Load> =>
    waitFor(
      `${ruleId} v${version}`,
      () => loads.slice(from).find((l) => l.definitions.some((d) => d.id === ruleId && d.version === version)),
      timeoutMs,
      2,
    );
  return { reloader, loads, versionOf, loadWith };
}

/** Saves the next version of the over-temperature rule with its warning threshold at `threshold`. */
function editOverTemp(threshold: number, actor = 'alice@example.com') {
  return store.update(
    OVER_TEMP,
    {
      ...overTemp,
      ladder: [
        { level: 'warning', when: `cellTemperatureMax > ${threshold}` },
        { level: 'critical', when: 'cellTemperatureMax > 60', for: '5s' },
      ],
    },
    actor,
  );
}

const percentile = (sorted: readonly number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

beforeAll(async () => {
  pool = createPgPool({ url: LOCAL.postgresUrl, schema, max: 4 });
  await migrate(pool, { schema });
  store = new PgRuleStore(pool);
  for (const definition of examples) await store.create(definition, 'seed');
  aurora = await loadCatalog(join(BUNDLED_CATALOG_DIR, 'aurora-ev-2026'));
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.stop()));
});

afterAll(async () => {
  await dropSchema(pool, schema);
});

describe('RuleReloader', () => {
  it('hot-reloads a committed edit into the engine', async () => {
    const engine = new RuleEngine();
    let snapshot: RuleSnapshot | undefined;
    const problems: string[] = [];
    const { reloader, loadWith } = await startReloader({}, (definitions) => {
      const compiled = compileRules(definitions, [aurora]);
      problems.push(...compiled.problems.map(formatRuleProblem));
      if (!compiled.ok) return;
      engine.setRules(compiled.snapshot);
      snapshot = compiled.snapshot;
    });
    expect(reloader.lastLoadedVersion).toBe(await store.version());
    expect(snapshot?.rules.map((r) => r.id).sort()).toEqual(examples.map((e) => e.id).sort());

    const before = snapshot!.rules.find((r) => r.id === OVER_TEMP)!.version;
    const saved = await editOverTemp(56);
    expect(saved.version).toBe(before + 1);
    await loadWith(OVER_TEMP, saved.version);
    expect(problems).toEqual([]);
    expect(snapshot!.rules.find((r) => r.id === OVER_TEMP)!.version).toBe(saved.version);
    const aurorasRule = snapshot!.models.get('aurora-ev-2026')!.rules.find((r) => r.id === OVER_TEMP)!;
    expect(aurorasRule.version).toBe(saved.version);
    expect(reloader.lastLoadedVersion).toBe(await store.version());

    // Disabling takes the rule out of the active set.
    await store.setEnabled(OVER_TEMP, false, 'alice@example.com');
    await waitFor('rule disabled', () => (snapshot!.rules.some((r) => r.id === OVER_TEMP) ? undefined : true));
    await store.setEnabled(OVER_TEMP, true, 'alice@example.com');
    await waitFor('rule enabled', () => (snapshot!.rules.some((r) => r.id === OVER_TEMP) ? true : undefined));
  });

  it('makes an edit active well within a second of its commit', async () => {
    const { reloader, loads, loadWith } = await startReloader();
    const fromStart: number[] = [];
    const fromCommit: number[] = [];
    for (let i = 0; i < 20; i++) {
      const from = loads.length;
      const startMs = performance.now();
      const saved = await editOverTemp(50 + (i % 10));
      const committedMs = performance.now();
      const load = await loadWith(OVER_TEMP, saved.version, from, 5000);
      fromStart.push(load.atMs - startMs);
      fromCommit.push(Math.max(0, load.atMs - committedMs));
    }
    fromStart.sort((a, b) => a - b);
    fromCommit.sort((a, b) => a - b);
    const fmt = (xs: number[]): string =>
      `p50 ${percentile(xs, 50).toFixed(1)} ms, p99 ${percentile(xs, 99).toFixed(1)} ms, ` +
      `max ${xs.at(-1)!.toFixed(1)} ms`;
    console.log(
      `rule edit → active in the reloader, 20 edits: from update() call (incl. the commit) ${fmt(fromStart)}; ` +
        `from commit acknowledged ${fmt(fromCommit)}`,
    );
    expect(percentile(fromStart, 99)).toBeLessThan(1000);
    expect(reloader.stats.repairs).toBe(0); // every edit arrived by notification
  });

  it('coalesces a burst of edits and ends at the newest version', async () => {
    const { reloader, versionOf } = await startReloader();
    const notificationsBefore = reloader.stats.notifications;
    const reloadsBefore = reloader.stats.reloads;
    let last = 0;
    for (let i = 0; i < 10; i++) last = (await editOverTemp(51 + i)).version;
    await waitFor('newest version loaded', () => (versionOf(OVER_TEMP) === last ? true : undefined));
    await waitFor('all notifications', () =>
      reloader.stats.notifications - notificationsBefore >= 10 ? true : undefined,
    );
    expect(reloader.lastLoadedVersion).toBe(await store.version());
    expect(reloader.stats.reloads - reloadsBefore).toBeLessThanOrEqual(10);
  });

  it('repairs an edit committed while its listening connection was killed', async () => {
    const { reloader, loadWith } = await startReloader({ checkIntervalMs: 1000 });
    const pid = reloader.listenerPid;
    expect(pid).toBeTypeOf('number');
    await pool.query('SELECT pg_terminate_backend($1)', [pid]);
    const saved = await editOverTemp(58);
    await loadWith(OVER_TEMP, saved.version, 0, 10_000);
    await waitFor('listening again', () =>
      reloader.listenerPid !== undefined && reloader.listenerPid !== pid ? true : undefined,
    );
    expect(reloader.stats.reconnects).toBeGreaterThanOrEqual(1);

    // Listening again: the next edit arrives by notification.
    const next = await editOverTemp(59);
    await loadWith(OVER_TEMP, next.version, 0, 2000);
  });

  it('repairs a change that never notified with the periodic version check', async () => {
    const { reloader, loadWith } = await startReloader({ checkIntervalMs: 500 });
    const current = (await store.get(OVER_TEMP)).version;
    // Write a version the way a lost notification looks: triggers off (so no NOTIFY), the counter bumped by hand.
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SET LOCAL session_replication_role = replica');
      await client.query(
        'INSERT INTO rule_versions (rule_id, version, definition, created_by) VALUES ($1, $2, $3, $4)',
        [OVER_TEMP, current + 1, JSON.stringify({ ...overTemp, version: current + 1 }), 'quiet-writer'],
      );
      await client.query('UPDATE rules SET current_version = $2 WHERE rule_id = $1', [OVER_TEMP, current + 1]);
      await client.query('UPDATE rules_version SET version = version + 1');
      await client.query('COMMIT');
    } finally {
      client.release();
    }
    const load = await loadWith(OVER_TEMP, current + 1, 0, 5000);
    expect(load.loaded.trigger).toBe('check');
    expect(reloader.stats.repairs).toBeGreaterThanOrEqual(1);
  });

  it('delivers an edit to every instance', async () => {
    const a = await startReloader();
    const b = await startReloader({ url: LOCAL.postgresUrl, schema, pool: undefined });
    expect(a.reloader.lastLoadedVersion).toBe(b.reloader.lastLoadedVersion);
    const saved = await editOverTemp(57, 'bob@example.com');
    await Promise.all([a.loadWith(OVER_TEMP, saved.version, 0, 5000), b.loadWith(OVER_TEMP, saved.version, 0, 5000)]);
    expect(a.reloader.lastLoadedVersion).toBe(await store.version());
    expect(b.reloader.lastLoadedVersion).toBe(await store.version());
  });
});
