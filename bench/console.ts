/// <reference lib="dom" />
/**
 * The web console in Chromium: the first load's JavaScript (bytes on the wire, gzip, as the API serves it) and the
 * time until the vehicle page of a premium EV (aurora-ev-2026, 8,400 signals) is interactive: its signal list drawn
 * with every value, and a search typed into it answered on screen.
 *
 *   npx tsx bench/console.ts [--runs 5]
 *
 * The API runs in this process over a unique PostgreSQL schema (dropped afterwards) with one vehicle whose 8,400
 * latest values are seeded as the store writes them; no Kafka is needed. Each run is a fresh browser profile (cold
 * cache) signed in through sessionStorage. The API compiles the model's catalog on its first signal request; that is
 * done once before the runs, as on any server that has served the model before.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { PgApiKeyStore, startApi } from '@telltale/api';
import { BUNDLED_CATALOG_DIR, loadCatalog } from '@telltale/catalog';
import { ensureConsoleBuilt } from '@telltale/console/build';
import { createPgPool, dropServiceRole, migrate } from '@telltale/platform/db';
import { LOCAL, uniqueName } from '@telltale/platform/testing';
import { PgRegistry } from '@telltale/registry';
import { launchBrowser } from '../test/console/browser.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' } } });
const RUNS = Number(values.runs);
const VIN = 'LRW3E7FS1RC000009';
const MODEL = 'aurora-ev-2026';

const { dir, built, ms } = await ensureConsoleBuilt();
if (built) console.log(`(console built in ${(ms / 1000).toFixed(1)} s)`);

// What index.html loads before anything else: its module script and the chunks it preloads.
const html = readFileSync(join(dir, 'index.html'), 'utf8');
const firstLoad = [...html.matchAll(/(?:src|href)="\/console\/(assets\/[^"]+\.(?:js|css))"/g)].map((m) => m[1]!);
const sizes = firstLoad.map((f) => {
  const body = readFileSync(join(dir, f));
  return { file: f, raw: body.length, gzip: gzipSync(body, { level: 9 }).length };
});

const schema = uniqueName('benchconsole');
const pool = createPgPool({ url: LOCAL.postgresUrl, schema, max: 2 });
await migrate(pool, { schema });
const catalog = await loadCatalog(join(BUNDLED_CATALOG_DIR, MODEL));
await new PgRegistry(pool).importVehicles([
  {
    line: 1,
    vin: VIN,
    fleetId: 'bench',
    fleetName: undefined,
    modelId: MODEL,
    catalogVersion: catalog.catalogVersion,
    deviceId: 'tbox-bench',
    deviceSecret: 'bench-device-secret-0001',
  },
]);
const now = Date.now();
const ids = catalog.signals.flatMap((s) => (s ? [s.id] : []));
await pool.query(
  `INSERT INTO signal_latest (vin, signal_id, value, event_time_ms, receive_time_ms, write_time_ms, model_id,
     catalog_version)
   SELECT $1, id, (id % 97) * 1.5, $2::bigint - (id % 5000), $2::bigint, $2::bigint, $3, $4
   FROM unnest($5::int[]) AS id`,
  [VIN, now, MODEL, catalog.catalogVersion, ids],
);
const token = (
  await new PgApiKeyStore(pool).create({ name: 'bench', role: 'viewer', fleets: ['bench'], createdBy: 'cli' })
).token;
const api = await startApi({
  ...process.env,
  DATABASE_URL: LOCAL.postgresUrl,
  DATABASE_SCHEMA: schema,
  API_PORT: '0',
  OPS_PORT: '0',
  LOG_LEVEL: 'warn',
  CATALOG_DIR: BUNDLED_CATALOG_DIR,
  SECRETS_KEY: process.env.SECRETS_KEY ?? randomBytes(32).toString('base64'),
  API_RATE_LIMIT_PER_SECOND: '1000',
  API_RATE_LIMIT_BURST: '1000',
});
const warm = await fetch(`${api.url}/v1/vehicles/${VIN}/signals`, { headers: { authorization: `Bearer ${token}` } });
const signalCount = ((await warm.json()) as { count: number }).count;

interface Run {
  jsBytes: number;
  shownMs: number;
  interactiveMs: number;
  searchMs: number;
}
const runs: Run[] = [];
try {
  for (let i = 0; i < RUNS; i++) {
    const browser = await launchBrowser({ width: 1440, height: 900 });
    try {
      const page = await browser.context.newPage();
      await page.addInitScript((t: string) => sessionStorage.setItem('telltale.apiKey', t), token);
      await page.goto(`${api.url}/console/vehicles/${VIN}`);
      await page.locator('.vrow .signal').first().waitFor({ timeout: 60_000 });
      await page
        .getByTestId('signal-count')
        .getByText(`${signalCount.toLocaleString('en')} of`)
        .waitFor();
      const shown = await page.evaluate(() => {
        const mark = performance.getEntriesByName('telltale:vehicle-signals-shown')[0];
        const js = performance
          .getEntriesByType('resource')
          .filter((e) => e.name.endsWith('.js'))
          .reduce((sum, e) => sum + (e as PerformanceResourceTiming).transferSize, 0);
        return { markMs: mark?.startTime ?? NaN, nowMs: performance.now(), js };
      });
      // Interactive: a search typed now is answered on screen (the list filtered and repainted).
      const search = await page.evaluate(async () => {
        const input = document.querySelector<HTMLInputElement>('input[type=search]')!;
        const count = document.querySelector('[data-testid=signal-count]')!;
        const before = count.textContent;
        const t0 = performance.now();
        input.value = 'cell';
        input.dispatchEvent(new Event('input', { bubbles: true }));
        while (count.textContent === before) await new Promise((r) => requestAnimationFrame(r));
        await new Promise((r) => requestAnimationFrame(r));
        return { ms: performance.now() - t0, at: performance.now() };
      });
      runs.push({ jsBytes: shown.js, shownMs: shown.markMs, interactiveMs: search.at, searchMs: search.ms });
    } finally {
      await browser.close();
    }
  }
} finally {
  await api.stop();
  await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await dropServiceRole(pool, schema);
  await pool.end();
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const { loadavg } = await import('node:os');
console.log('First load (what /console/ loads before any screen needs more):');
for (const s of sizes)
  console.log(`  ${s.file.padEnd(36)} ${(s.raw / 1024).toFixed(1)} KiB, gzip ${(s.gzip / 1024).toFixed(1)} KiB`);
const js = sizes.filter((s) => s.file.endsWith('.js'));
console.log(
  `  JavaScript: ${(js.reduce((a, s) => a + s.gzip, 0) / 1024).toFixed(1)} KiB gzip ` +
    `(${(js.reduce((a, s) => a + s.raw, 0) / 1024).toFixed(1)} KiB raw); ` +
    'JS bytes on the wire for the vehicle page, Chromium: ' +
    `${(median(runs.map((r) => r.jsBytes)) / 1024).toFixed(1)} KiB`,
);
console.log(
  `Vehicle page, ${signalCount.toLocaleString('en')} signals, ${RUNS} cold loads in Chromium (median, min–max):`,
);
const line = (label: string, xs: number[]) =>
  console.log(
    `  ${label.padEnd(46)} ${median(xs).toFixed(0)} ms (${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)})`,
  );
line(
  'navigation → every value shown in the list',
  runs.map((r) => r.shownMs),
);
line(
  'navigation → interactive (a search answered)',
  runs.map((r) => r.interactiveMs),
);
line(
  'search keystroke → filtered list painted',
  runs.map((r) => r.searchMs),
);
console.log(
  `load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
console.log(`command: npx tsx bench/console.ts --runs ${RUNS}`);
