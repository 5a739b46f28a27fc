// The web console in a real browser (Debian's Chromium through playwright-core) against the real pipeline: sign
// in; a simulated vehicle's signal changes on the vehicle page; a rule typed with an unknown signal shows the
// server's diagnostic on exactly that name; fixed and saved, its alert arrives in the live feed and is acknowledged;
// a webhook subscription is created and pinged; the chart asks for downsampled history, the features panel shows
// its empty state, and a backtest of the saved rule is compared with what live diagnostics recorded. With
// CONSOLE_SCREENSHOT_DIR set (`npm run console:screenshots`) it also saves a screenshot of every screen there.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { waitFor } from '@telltale/platform/testing';
import { Receiver } from '../notifier/harness.js';
import { launchBrowser, type Browser } from './browser.js';
import { startConsolePipeline, type ConsolePipeline } from './pipeline.js';

const SHOTS = process.env.CONSOLE_SCREENSHOT_DIR;
const shot = async (page: Page, name: string): Promise<void> => {
  if (SHOTS === undefined) return;
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${name}.png`) });
};

interface Latest {
  signals: { qualifiedName: string; name: string; value: number; label: string | null }[];
}

describe('web console', () => {
  let pipeline: ConsolePipeline;
  let browser: Browser;
  const receiver = new Receiver();

  beforeAll(async () => {
    await receiver.start();
    [pipeline, browser] = await Promise.all([
      startConsolePipeline({ vehicles: 1, seed: 41, durationS: 200 }),
      launchBrowser(),
    ]);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await pipeline?.stop();
    await receiver.close();
  }, 60_000);

  const api = async <T>(path: string): Promise<T> => {
    const r = await fetch(`${pipeline.api.url}/v1${path}`, {
      headers: { authorization: `Bearer ${pipeline.adminToken}` },
    });
    expect(r.status, `${path}: ${r.status}`).toBe(200);
    return (await r.json()) as T;
  };

  it('serves the console at /console/ with its own CSP and redirects / there', async () => {
    const root = await fetch(`${pipeline.api.url}/`, { redirect: 'manual' });
    expect(root.status).toBe(302);
    expect(root.headers.get('location')).toBe('/console/');
    const index = await fetch(`${pipeline.api.url}/console/`, { headers: { 'accept-encoding': 'gzip' } });
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toMatch(/^text\/html/);
    expect(index.headers.get('cache-control')).toBe('no-cache');
    expect(index.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(index.headers.get('x-frame-options')).toBe('DENY');
    const html = await index.text();
    const script = /src="(\/console\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    const asset = await fetch(`${pipeline.api.url}${script}`, { headers: { 'accept-encoding': 'gzip' } });
    expect(asset.status).toBe(200);
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const again = await fetch(`${pipeline.api.url}${script}`, {
      headers: { 'if-none-match': asset.headers.get('etag')! },
    });
    expect(again.status).toBe(304);
    // A client route answers the page; a missing asset is a 404, not the page.
    expect((await fetch(`${pipeline.api.url}/console/vehicles/ANYTHING`)).status).toBe(200);
    expect((await fetch(`${pipeline.api.url}/console/assets/missing-123.js`)).status).toBe(404);
  });

  it('signs in, shows live signals, checks and saves a rule, acknowledges its alert live, subscribes', async () => {
    const { api: server, adminToken, fleet, vins } = pipeline;
    const page = await browser.context.newPage();

    // Sign-in: a wrong key is refused with the API's message; the right one opens the fleet.
    await page.goto(`${server.url}/`);
    await page.waitForURL(/\/console\/$/);
    await shot(page, '1-sign-in');
    await page.fill('#token', `tt_000000000000_${'0'.repeat(48)}`);
    await page.click('button[type=submit]');
    await page.getByRole('alert').getByText('API_KEY_INVALID').waitFor({ timeout: 10_000 });
    await page.fill('#token', adminToken);
    await page.click('button[type=submit]');
    await page.getByRole('heading', { name: 'Fleet' }).waitFor({ timeout: 10_000 });
    await page.locator(`a[href="/console/vehicles/${vins[0]}"]`).waitFor({ timeout: 30_000 });

    // A signal of the first vehicle that the simulator changes, found through the API; then seen changing live.
    const vin = vins[0]!;
    await waitFor(
      'stored signal values of the simulated vehicle',
      async () => ((await api<Latest>(`/vehicles/${vin}/signals`)).signals.length > 0 ? true : undefined),
      90_000,
      1000,
    );
    // The signal that changed most often over successive snapshots (at least twice): it keeps changing while the
    // page watches it, even when a loaded machine delays the pipeline in bursts.
    const snapshots: Map<string, number>[] = [];
    const changing = await waitFor(
      'a signal whose value keeps changing',
      async () => {
        snapshots.push(
          new Map((await api<Latest>(`/vehicles/${vin}/signals`)).signals.map((s) => [s.qualifiedName, s.value])),
        );
        const changes = new Map<string, number>();
        for (let i = 1; i < snapshots.length; i++)
          for (const [name, v] of snapshots[i]!)
            if (snapshots[i - 1]!.has(name) && snapshots[i - 1]!.get(name) !== v)
              changes.set(name, (changes.get(name) ?? 0) + 1);
        const [best] = [...changes].sort((x, y) => y[1] - x[1]);
        return best !== undefined && best[1] >= 2 ? { qualifiedName: best[0] } : undefined;
      },
      120_000,
      1500,
    );
    await shot(page, '2-fleet');
    const historyUrls: string[] = [];
    page.on('request', (r) => void (r.url().includes('/history?') && historyUrls.push(r.url())));
    await page.click(`a[href="/console/vehicles/${vin}"]`);
    await page.getByRole('heading', { name: vin }).waitFor();
    await page.getByLabel('Search signals').fill(changing.qualifiedName);
    const value = page.locator(`[data-signal="${changing.qualifiedName}"] [data-testid=value]`);
    await value.waitFor({ timeout: 20_000 });
    const first = await value.textContent();
    await waitFor(
      'the value to change on the page',
      async () => ((await value.textContent()) !== first ? true : undefined),
      60_000,
      200,
    );
    await page.locator(`[data-signal="${changing.qualifiedName}"]`).click(); // plot it
    await page.locator('.chart canvas').first().waitFor({ timeout: 20_000 });
    // The chart asks for server-side buckets (?points= ≈ its width), never raw samples.
    expect(historyUrls.length).toBeGreaterThan(0);
    for (const url of historyUrls) expect(url).toMatch(/[?&]points=\d+(&|$)/);
    // No features service runs here: the features panel says no window has closed yet.
    await page.getByTestId('features').getByText('No feature window').waitFor({ timeout: 15_000 });
    await page.getByLabel('Search signals').fill('');
    await shot(page, '3-vehicle');

    // The live alert feed, open in a second tab before the rule exists (the key is kept per tab: sign in again).
    const feed = await browser.context.newPage();
    await feed.goto(`${server.url}/console/alerts`);
    await feed.fill('#token', adminToken);
    await feed.click('button[type=submit]');
    await feed.getByTestId('live-state').getByText('live').waitFor({ timeout: 20_000 });

    // A rule with a misspelt signal: the diagnostic marks exactly the misspelt name.
    const ruleId = `console.speed-${Date.now().toString(36)}`;
    const rule = (condition: string) =>
      JSON.stringify(
        { id: ruleId, name: 'Console test rule', condition, severity: 'major', message: 'Moving: {{ vin }}' },
        null,
        2,
      );
    await page.goto(`${server.url}/console/rules/new`);
    const content = page.locator('.cm-content');
    await content.waitFor({ timeout: 20_000 });
    await content.click();
    await page.keyboard.press('Control+A');
    await page.keyboard.insertText(rule('vehicleSpeeed >= 0'));
    const marked = page.locator('.cm-lintRange-error');
    await marked.first().waitFor({ timeout: 20_000 });
    expect((await marked.allTextContents()).join('')).toBe('vehicleSpeeed');
    await expect.poll(() => page.getByTestId('rule-check').textContent()).toMatch(/^[1-9]\d* errors?$/);
    expect(await page.locator('.problems').textContent()).toContain('RULE_UNKNOWN_SIGNAL');
    await shot(page, '4-rule-editor');

    // Fixed: valid, saved as version 1; its alert reaches the feed live and is acknowledged there.
    await content.click();
    await page.keyboard.press('Control+A');
    await page.keyboard.insertText(rule('vehicleSpeed >= 0'));
    await expect.poll(() => page.getByTestId('rule-check').textContent(), { timeout: 20_000 }).toMatch(/^Valid/);
    expect(await marked.count()).toBe(0);
    await page.getByRole('button', { name: 'Create' }).click();
    await page.waitForURL(new RegExp(`/console/rules/${ruleId.replace(/\./g, '\\.')}$`), { timeout: 15_000 });
    await page.getByText('v1 · enabled').waitFor({ timeout: 15_000 });

    const row = feed.locator(`tr[data-rule="${ruleId}"]`).first();
    await row.waitFor({ timeout: 60_000 });
    const alertId = await row.getAttribute('data-alert');
    await row.getByRole('button', { name: 'Acknowledge' }).click();
    await row.getByTestId('acknowledged').waitFor({ timeout: 15_000 });
    const stored = await api<{ acknowledgement: { by: string } | null }>(`/alerts/${alertId}`);
    expect(stored.acknowledgement?.by).toContain('console test');
    await row.getByRole('button', { name: /Moving/ }).click(); // its evidence
    await feed.locator('.evidence').waitFor({ timeout: 10_000 });
    await shot(feed, '5-alerts');

    // Backtest of the saved version (engineer and up) over the last day up to now: this run has no archive, so it
    // replays nothing and every transition live diagnostics recorded for the rule is "only live".
    await page.getByRole('button', { name: 'Run backtest' }).click();
    await expect
      .poll(() => page.getByTestId('backtest-progress').textContent(), { timeout: 60_000 })
      .toMatch(/done in .* 0 transitions/);
    expect(await page.getByTestId('backtest-diff').textContent()).toMatch(
      /^0 of [1-9]\d* live transitions matched · 0 only in the backtest · [1-9]\d* only live · 0 changed$/,
    );
    await page.getByTestId('backtest').scrollIntoViewIfNeeded();
    await shot(page, '9-backtest');

    await page.goto(`${server.url}/console/rules`);
    await page.locator(`a[href="/console/rules/${ruleId}"]`).waitFor({ timeout: 15_000 });
    await shot(page, '6-rules');

    // A webhook subscription: created, its secret shown once, pinged, the delivery in its log.
    await page.goto(`${server.url}/console/subscriptions`);
    await page.getByLabel('Name').fill('console pager');
    await page.getByLabel('Fleets (comma-separated)').fill(fleet);
    await page.getByLabel('Webhook URL').fill(receiver.url('/hook'));
    await page.getByRole('button', { name: 'Create' }).click();
    await expect
      .poll(() => page.getByTestId('webhook-secret').textContent(), { timeout: 15_000 })
      .toMatch(/console pager/);
    const subscriptionRow = page.locator('tr[data-subscription="console pager"]');
    await subscriptionRow.waitFor({ timeout: 15_000 });
    const listed = await api<{ subscriptions: { name: string; webhook: { url: string } | null }[] }>('/subscriptions');
    expect(listed.subscriptions.find((s) => s.name === 'console pager')?.webhook?.url).toBe(receiver.url('/hook'));
    await subscriptionRow.getByRole('button', { name: 'Ping' }).click();
    await page.locator('.deliveries .status-delivered').first().waitFor({ timeout: 30_000 });
    expect(receiver.at('/hook').length).toBeGreaterThan(0);
    await shot(page, '7-subscriptions');

    // Catalog: a message's bit layout.
    const { modelId } = await api<{ modelId: string }>(`/vehicles/${vin}`);
    const [bus, message] = changing.qualifiedName.split('/');
    await page.goto(`${server.url}/console/catalog/${modelId}/${bus}.${message}`);
    await page.locator('table.bits').waitFor({ timeout: 30_000 });
    expect(await page.locator('table.bits td[style]').count()).toBeGreaterThan(0);
    await shot(page, '8-catalog');
    await feed.close();
    await page.close();
  }, 300_000);
});
