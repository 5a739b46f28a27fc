// Shadow mode through the API against a real server and PostgreSQL: deploying a version as shadow (checked, roles,
// fleets), the side-by-side comparison over transitions as diagnostics records them (fleet-scoped), promotion with
// optimistic concurrency, stopping, and the audit trail.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pool } from '@telltale/platform/db';
import { alertIdFor, insertAlert } from './alert-rows.js';
import { startApiHarness, VIN_A, VIN_B, type ApiHarness } from './harness.js';

interface RuleState {
  ruleId: string;
  currentVersion: number;
  enabled: boolean;
  shadowVersion: number | null;
  shadowSince: string | null;
}
interface Deployed {
  rule: RuleState;
  shadow: { version: number; definition: Record<string, unknown> };
}
interface Side {
  transitions: number;
  byState: Record<string, number>;
  vehiclesAlerted: number;
  versions: number[];
  truncated: boolean;
}
interface Comparison {
  activeVersion: number;
  shadowVersion: number | null;
  shadowDeployed: boolean;
  active: Side;
  shadow: Side;
  vehicles: { vin: string; active: { raised: number }; shadow: { raised: number } }[];
  diff: {
    matched: number;
    onlyShadow: { count: number; items: { alertId: string; vin: string }[] };
    onlyActive: { count: number; items: { alertId: string; vin: string }[] };
    changed: { count: number };
  };
  transitions: { active: { alertId: string; evidence: unknown[] }[]; shadow: { alertId: string; message: string }[] };
}

const RULE = {
  id: 'pack.hot',
  condition: 'cellTemperatureMax > 55',
  clear: { condition: 'cellTemperatureMax < 50' },
  scope: { fleets: ['fleet-a', 'fleet-b'] },
};

/** A transition as diagnostics records a shadow version's (0017_rule_shadow.sql). */
async function insertShadow(
  pool: Pool,
  row: { alertId: string; seq: number; vin: string; fleetId: string; version: number; state: string; atMs: number },
): Promise<void> {
  await pool.query(
    `INSERT INTO shadow_transitions (rule_id, rule_version, alert_id, transition_seq, vin, fleet_id, model_id,
       catalog_version, rule_name, state, severity, event_time_ms, episode_start_ms, emit_time_ms, evidence, message,
       backfill, timer, reason)
     VALUES ('pack.hot', $1, $2, $3, $4, $5, 'aurora-ev-2026', '1.0.0', 'pack.hot', $6, 'warning', $7, $7, $7,
       '[]', 'shadow says hot', false, false, 'condition')`,
    [row.version, row.alertId, row.seq, row.vin, row.fleetId, row.state, row.atMs],
  );
}

describe('rule shadow mode', () => {
  let h: ApiHarness;
  let engineer: string;
  let engineerA: string;
  let viewerA: string;

  beforeAll(async () => {
    h = await startApiHarness();
    engineer = (await h.key('engineer', ['fleet-a', 'fleet-b'], 'rule-author')).token;
    engineerA = (await h.key('engineer', ['fleet-a'])).token;
    viewerA = (await h.key('viewer', ['fleet-a'])).token;
    const admin = (await h.key('admin', ['*'])).token;
    expect((await h.call('POST', '/v1/rules', { token: admin, body: { rule: RULE } })).status).toBe(201);
  });
  afterAll(() => h?.close());

  it('deploys a new definition as shadow (checked; roles and fleets as for any rule change)', async () => {
    const bad = await h.call('POST', '/v1/rules/pack.hot/shadow', {
      token: engineer,
      body: { rule: { ...RULE, condition: 'cellTemperatureMaks > 50' } },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('RULE_INVALID');
    const viewer = await h.call('POST', '/v1/rules/pack.hot/shadow', { token: viewerA, body: { version: 1 } });
    expect(viewer.status).toBe(403);
    // A fleet-a key cannot change a rule of fleet-b too.
    const narrow = await h.call('POST', '/v1/rules/pack.hot/shadow', {
      token: engineerA,
      body: { rule: { ...RULE, condition: 'cellTemperatureMax > 50' } },
    });
    expect(narrow.status).toBe(403);
    const both = await h.call('POST', '/v1/rules/pack.hot/shadow', { token: engineer, body: {} });
    expect(both.status).toBe(400);

    const deployed = await h.call<Deployed>('POST', '/v1/rules/pack.hot/shadow', {
      token: engineer,
      body: { rule: { ...RULE, condition: 'cellTemperatureMax > 50' }, comment: 'earlier warning' },
    });
    expect(deployed.status).toBe(200);
    expect(deployed.body.rule).toMatchObject({ currentVersion: 1, shadowVersion: 2 });
    expect(deployed.body.shadow.definition).toMatchObject({ version: 2, condition: 'cellTemperatureMax > 50' });
    const list = await h.call<{ rules: RuleState[] }>('GET', '/v1/rules', { token: viewerA });
    expect(list.body.rules.find((r) => r.ruleId === 'pack.hot')).toMatchObject({ currentVersion: 1, shadowVersion: 2 });
  });

  it('shows shadow vs active side by side, fleet-scoped: counts, vehicles, what only one side raised', async () => {
    const t0 = Date.now() - 60_000;
    // Both raised VIN_A's episode at t0 (one deterministic id); only the shadow VIN_B's; only active VIN_A's second.
    const shared = alertIdFor('shared');
    await insertAlert(h.pool, { vin: VIN_A, fleetId: 'fleet-a', ruleId: 'pack.hot', raisedMs: t0, alertId: shared });
    await insertShadow(h.pool, {
      alertId: shared,
      seq: 1,
      vin: VIN_A,
      fleetId: 'fleet-a',
      version: 2,
      state: 'raised',
      atMs: t0,
    });
    const onlyActive = await insertAlert(h.pool, {
      vin: VIN_A,
      fleetId: 'fleet-a',
      ruleId: 'pack.hot',
      raisedMs: t0 + 5000,
    });
    const onlyShadow = alertIdFor('only-shadow');
    await insertShadow(h.pool, {
      alertId: onlyShadow,
      seq: 1,
      vin: VIN_B,
      fleetId: 'fleet-b',
      version: 2,
      state: 'raised',
      atMs: t0 + 1000,
    });
    await insertShadow(h.pool, {
      alertId: onlyShadow,
      seq: 2,
      vin: VIN_B,
      fleetId: 'fleet-b',
      version: 2,
      state: 'cleared',
      atMs: t0 + 2000,
    });

    const all = await h.call<Comparison>('GET', `/v1/rules/pack.hot/shadow?from=${t0 - 1000}`, { token: engineer });
    expect(all.status).toBe(200);
    expect(all.body).toMatchObject({ activeVersion: 1, shadowVersion: 2, shadowDeployed: true });
    expect(all.body.active).toMatchObject({
      transitions: 2,
      byState: { raised: 2 },
      vehiclesAlerted: 1,
      versions: [1],
    });
    expect(all.body.shadow).toMatchObject({ transitions: 3, byState: { raised: 2, cleared: 1 }, vehiclesAlerted: 2 });
    expect(all.body.diff.matched).toBe(1);
    expect(all.body.diff.onlyShadow.items.map((e) => e.alertId)).toEqual([onlyShadow, onlyShadow]);
    expect(all.body.diff.onlyActive.items.map((e) => e.alertId)).toEqual([onlyActive]);
    expect(all.body.vehicles.map((v) => [v.vin, v.active.raised, v.shadow.raised])).toEqual([
      [VIN_A, 2, 1], // as different as B, with more transitions
      [VIN_B, 0, 1],
    ]);
    expect(all.body.transitions.shadow[0]).toMatchObject({ alertId: onlyShadow, message: 'shadow says hot' });
    expect(all.body.transitions.active[0]!.evidence).toHaveLength(1);

    // A fleet-a viewer sees fleet-a vehicles only.
    const a = await h.call<Comparison>('GET', `/v1/rules/pack.hot/shadow?from=${t0 - 1000}`, { token: viewerA });
    expect(a.status).toBe(200);
    expect(a.body.vehicles.map((v) => v.vin)).toEqual([VIN_A]);
    expect(a.body.diff.onlyShadow.count).toBe(0);
    expect((await h.call('GET', '/v1/rules/pack.hot/shadow?fleet=fleet-b', { token: viewerA })).status).toBe(404);
    const bad = await h.call('GET', '/v1/rules/pack.hot/shadow?from=yesterday', { token: viewerA });
    expect(bad.status).toBe(400);
  });

  it('refuses the active version as shadow, promotes with optimistic concurrency, keeps history', async () => {
    const itself = await h.call('POST', '/v1/rules/pack.hot/shadow', { token: engineer, body: { version: 1 } });
    expect(itself.status).toBe(409);
    expect(itself.body.error.code).toBe('RULE_SHADOW_IS_ACTIVE');
    const stale = await h.call('POST', '/v1/rules/pack.hot/promote', {
      token: engineer,
      headers: { 'if-match': '"7"' },
      body: {},
    });
    expect(stale.status).toBe(409);
    expect(stale.body.error.code).toBe('RULE_VERSION_CONFLICT');
    const promoted = await h.call<{ rule: RuleState; previousVersion: number }>('POST', '/v1/rules/pack.hot/promote', {
      token: engineer,
      headers: { 'if-match': '"1"' },
      body: { shadowVersion: 2 },
    });
    expect(promoted.status).toBe(200);
    expect(promoted.headers.get('etag')).toBe('"2"');
    expect(promoted.body).toMatchObject({ rule: { currentVersion: 2, shadowVersion: null }, previousVersion: 1 });
    const again = await h.call('POST', '/v1/rules/pack.hot/promote', { token: engineer, body: {} });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('RULE_SHADOW_NOT_FOUND');
    // The comparison still shows the promoted shadow's record.
    const after = await h.call<Comparison>('GET', '/v1/rules/pack.hot/shadow?from=0', { token: viewerA });
    expect(after.body).toMatchObject({ activeVersion: 2, shadowVersion: 2, shadowDeployed: false });

    // Version 1 back as shadow, then stopped (idempotently).
    const back = await h.call<Deployed>('POST', '/v1/rules/pack.hot/shadow', { token: engineer, body: { version: 1 } });
    expect(back.body.rule).toMatchObject({ currentVersion: 2, shadowVersion: 1 });
    const stopped = await h.call<RuleState>('DELETE', '/v1/rules/pack.hot/shadow', { token: engineer });
    expect(stopped.body).toMatchObject({ currentVersion: 2, shadowVersion: null });
    expect((await h.call('DELETE', '/v1/rules/pack.hot/shadow', { token: engineer })).status).toBe(200);
    const history = await h.call<{ audit: { action: string; version: number }[] }>(
      'GET',
      '/v1/rules/pack.hot/history',
      { token: viewerA },
    );
    expect(history.body.audit.map((a) => [a.action, a.version])).toEqual([
      ['create', 1],
      ['shadow', 2],
      ['promote', 2],
      ['shadow', 1],
      ['unshadow', 1],
    ]);
  });
});
