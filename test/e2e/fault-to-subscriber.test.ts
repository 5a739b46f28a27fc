// End to end, every service a separate process as deployed: the simulator injects a BMS DTC into one of its vehicles;
// gateway → decoder → diagnostics (example rules) raise an alert; the notifier delivers it to a fleet operator's
// signed webhook and to SSE and WebSocket clients of the API; the operator's acknowledgement reaches them too.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PgApiKeyStore, startApi, type RunningApi } from '@telltale/api';
import { BUNDLED_CATALOG_DIR } from '@telltale/catalog';
import { createPgPool, migrate, type Pool } from '@telltale/platform/db';
import { PgRuleStore } from '@telltale/rules/pg';
import { LOCAL, uniqueName, waitFor } from '@telltale/platform/testing';
import { simulatedFleetId } from '@telltale/simulator';
import { dropSchema, servicesTestEnv, spawnTelltale } from '../helpers.js';
import { Receiver, verifyAsReceiver } from '../notifier/harness.js';
import { openSse, openWebSocket, type LiveClient } from '../notifier/sse.js';

const run = uniqueName('e2e');
const root = join(import.meta.dirname, '../..');
const SEED = 7;
const FLEET = simulatedFleetId(SEED);

interface AlertJson {
  alertId: string;
  ruleId: string;
  state: string;
  fleetId: string;
  vin: string;
  message: string;
}

describe('injected fault → alert → subscribers', () => {
  let pool: Pool;
  let api: RunningApi | undefined;
  const receiver = new Receiver();
  const children: ChildProcess[] = [];
  const clients: LiveClient[] = [];
  const env = servicesTestEnv(run, { MQTT_CONNECTIONS: '4' });
  const start = (...args: string[]): ChildProcess => spawnTelltale(env, children, ...args);

  beforeAll(async () => {
    pool = createPgPool({ url: LOCAL.postgresUrl, schema: run, max: 2 });
    await migrate(pool, { schema: run });
    const rules = new PgRuleStore(pool);
    const examples = join(root, 'services/diagnostics/rules/examples');
    for (const file of readdirSync(examples))
      await rules.create(JSON.parse(readFileSync(join(examples, file), 'utf8')), 'test');
    await receiver.start();
    api = await startApi({
      ...env,
      API_PORT: '0',
      API_HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
      CATALOG_DIR: BUNDLED_CATALOG_DIR,
      ALERT_STREAM_HEARTBEAT_MS: '1000',
    });
    for (const service of ['gateway', 'decoder', 'diagnostics', 'notifier']) start(service);
  }, 60_000);

  afterAll(async () => {
    for (const c of clients) c.close();
    for (const c of children) c.kill('SIGTERM');
    await api?.stop();
    await receiver.close();
    if (pool) await dropSchema(pool, run);
  }, 60_000);

  it("delivers the alert raised by the simulator's DTC to a signed webhook, SSE and WebSocket", async () => {
    // The simulator registers its vehicles (fleet sim-7) first; the DTC starts 12 s into the run.
    start(
      'simulate',
      '--vehicles',
      '2',
      '--seed',
      String(SEED),
      '--provision',
      '--anonymous',
      '--topic-prefix',
      `${run}/`,
      '--duration',
      '40',
      '--fault',
      'dtc:1',
      '--fault-after',
      '12',
    );
    await waitFor(
      'the simulated fleet in the registry',
      async () => {
        const { rows } = await pool
          .query('SELECT 1 FROM fleets WHERE fleet_id = $1', [FLEET])
          .catch(() => ({ rows: [] }));
        return rows.length > 0 || undefined;
      },
      30_000,
      200,
    );
    const keys = new PgApiKeyStore(pool);
    const operator = (await keys.create({ name: 'operator', role: 'engineer', fleets: [FLEET], createdBy: 'cli' }))
      .token;
    const headers = { authorization: `Bearer ${operator}` };
    const created = await fetch(`${api!.url}/v1/subscriptions`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'dtc pager', fleets: [FLEET], webhook: { url: receiver.url('/hook') } }),
    });
    expect(created.status).toBe(201);
    const { webhookSecret } = (await created.json()) as { webhookSecret: string };
    const sse = await openSse(`${api!.url}/v1/alerts/stream`, headers);
    const ws = await openWebSocket(`${api!.url.replace('http', 'ws')}/v1/alerts/stream`, headers);
    clients.push(sse, ws);

    const dtcAlert = (events: readonly { event: string; data: string }[], state = 'raised'): AlertJson | undefined =>
      events
        .filter((e) => e.event === 'alert')
        .map((e) => JSON.parse(e.data) as AlertJson | { alert: AlertJson })
        .map((a) => ('alert' in a ? a.alert : a))
        .find((a) => a.ruleId === 'bms.dtc-confirmed' && a.state === state);
    const fromSse = await waitFor('the DTC alert on SSE', () => dtcAlert(sse.events), 60_000, 200);
    const fromWs = await waitFor('the DTC alert on the WebSocket', () => dtcAlert(ws.events), 10_000, 200);
    const hook = await waitFor(
      'the DTC alert at the webhook',
      () => receiver.at('/hook').find((r) => r.body.includes('bms.dtc-confirmed')),
      10_000,
      200,
    );

    expect(fromSse).toMatchObject({ fleetId: FLEET, state: 'raised' });
    expect(fromSse.message).toMatch(/^BMS reports DTC [PCBU][0-9A-F]{4}-[0-9A-F]{2} /);
    expect(fromWs.alertId).toBe(fromSse.alertId);
    expect(hook.body).toContain(fromSse.alertId);
    expect(verifyAsReceiver(webhookSecret, hook.headers['telltale-signature'] as string | undefined, hook.body)).toBe(
      true,
    );
    const { rows } = await pool.query<{ rule_id: string; state: string }>(
      'SELECT rule_id, state FROM alerts WHERE alert_id = $1',
      [fromSse.alertId],
    );
    expect(rows[0]?.rule_id).toBe('bms.dtc-confirmed');

    // The operator acknowledges; the acknowledgement is an alert event on every channel.
    const ack = await fetch(`${api!.url}/v1/alerts/${fromSse.alertId}/acknowledge`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({ note: 'workshop booked' }),
    });
    expect(ack.status).toBe(200);
    const ackSse = await waitFor('the acknowledgement on SSE', () => dtcAlert(sse.events, 'acknowledged'), 15_000, 100);
    expect(ackSse).toMatchObject({ alertId: fromSse.alertId, fleetId: FLEET });
    expect(ackSse.message).toMatch(/^Acknowledged by .+: workshop booked$/);
    await waitFor('the acknowledgement on the WebSocket', () => dtcAlert(ws.events, 'acknowledged'), 10_000, 100);
    await waitFor(
      'the acknowledgement at the webhook',
      () => receiver.at('/hook').find((r) => r.body.includes('"acknowledged"') && r.body.includes(fromSse.alertId)),
      10_000,
      100,
    );
  }, 120_000);
});
