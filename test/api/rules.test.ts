// Fault rules through the API against a real server and PostgreSQL: validation against the bundled catalogs,
// versions and optimistic concurrency, the audit trail, enable/disable, roles and fleet scopes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiHarness, type ApiHarness, type ErrorJson } from './harness.js';

interface Problem {
  severity: string;
  code: string;
  message: string;
  formatted: string;
  ruleId: string | null;
  path: string | null;
  line: number | null;
  column: number | null;
  modelId: string | null;
  suggestion: string | null;
}
interface ModelVerdict {
  modelId: string;
  catalogVersion: string;
  verdict: string;
}
interface RuleVersion {
  ruleId: string;
  version: number;
  currentVersion: number;
  enabled: boolean;
  definition: Record<string, unknown>;
  createdBy: string;
  comment: string | null;
}
interface Saved {
  rule: RuleVersion;
  warnings: Problem[];
  models: ModelVerdict[];
}
interface Summary {
  ruleId: string;
  name: string;
  currentVersion: number;
  enabled: boolean;
  severity: string;
  fleets: string[] | null;
  updatedBy: string;
}
interface History {
  rule: { ruleId: string; currentVersion: number; enabled: boolean };
  versions: { version: number; definition: Record<string, unknown>; createdBy: string; comment: string | null }[];
  audit: { version: number; actor: string; action: string; summary: Record<string, unknown> }[];
}
type RuleError = {
  error: ErrorJson['error'] & { details: { ruleId: string; problems: Problem[]; models: ModelVerdict[] } };
};

const overTemperature = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  name: 'Cell over-temperature',
  condition: 'cellTemperatureMax > 55',
  clear: { condition: 'cellTemperatureMax < 50', for: '30s' },
  message: 'Cell temperature {{ cellTemperatureMax | fixed(1) }} °C',
  ...extra,
});

describe('rules', () => {
  let h: ApiHarness;
  let engineer: string;
  let engineerId: string;
  let engineerA: string;
  let viewerA: string;
  let viewerB: string;

  beforeAll(async () => {
    h = await startApiHarness();
    ({ token: engineer, keyId: engineerId } = await h.key('engineer', ['fleet-a', 'fleet-b'], 'rule-author'));
    engineerA = (await h.key('engineer', ['fleet-a'], 'fleet-a-engineer')).token;
    viewerA = (await h.key('viewer', ['fleet-a'])).token;
    viewerB = (await h.key('viewer', ['fleet-b'])).token;
  });
  afterAll(() => h?.close());

  const admin = async (): Promise<string> => (await h.key('admin', ['*'], 'ops')).token;

  it('creates a rule as version 1, enabled, checked against every model, and lists it', async () => {
    const token = await admin();
    const created = await h.call<Saved>('POST', '/v1/rules', {
      token,
      body: { rule: overTemperature('bms.over-temp'), comment: 'first cut' },
    });
    expect(created.status).toBe(201);
    expect(created.headers.get('etag')).toBe('"1"');
    expect(created.headers.get('location')).toBe('/v1/rules/bms.over-temp');
    expect(created.body.rule).toMatchObject({
      ruleId: 'bms.over-temp',
      version: 1,
      currentVersion: 1,
      enabled: true,
      comment: 'first cut',
    });
    expect(created.body.rule.definition).toMatchObject({
      id: 'bms.over-temp',
      version: 1,
      condition: 'cellTemperatureMax > 55',
    });
    expect(created.body.warnings).toEqual([]);
    expect(created.body.models).toEqual([
      { modelId: 'aurora-ev-2026', catalogVersion: '1.0.0', verdict: 'applies' },
      { modelId: 'cargo-van-e-2025', catalogVersion: '1.0.0', verdict: 'applies' },
    ]);
    const stored = await h.pool.query<{ definition: Record<string, unknown> }>(
      "SELECT definition FROM rule_versions WHERE rule_id = 'bms.over-temp'",
    );
    expect(stored.rows[0]!.definition).toMatchObject({ id: 'bms.over-temp', version: 1 });

    const list = await h.call<{ rules: Summary[] }>('GET', '/v1/rules', { token: viewerA });
    expect(list.status).toBe(200);
    expect(list.body.rules.find((r) => r.ruleId === 'bms.over-temp')).toMatchObject({
      name: 'Cell over-temperature',
      currentVersion: 1,
      enabled: true,
      severity: 'warning',
      fleets: null,
    });

    const again = await h.call('POST', '/v1/rules', { token, body: { rule: overTemperature('bms.over-temp') } });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('RULE_EXISTS');
  });

  it("refuses a bad rule: 400 RULE_INVALID, each problem's position, model, suggestion; nothing saved", async () => {
    const rule = overTemperature('bms.typo', {
      condition: 'vehicleSpeed > 20 and\n  cellTemperatureMx > 55',
      scope: { fleets: ['fleet-a'] },
    });
    const r = await h.call<RuleError>('POST', '/v1/rules', { token: engineer, body: { rule } });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('RULE_INVALID');
    expect(r.body.error.message).toContain('Rule bms.typo has 2 errors');
    expect(r.body.error.message).toContain('/condition 2:3');
    const problems = r.body.error.details.problems;
    expect(problems.map((p) => p.modelId).sort()).toEqual(['aurora-ev-2026', 'cargo-van-e-2025']);
    for (const p of problems) {
      expect(p).toMatchObject({
        severity: 'error',
        code: 'RULE_UNKNOWN_SIGNAL',
        ruleId: 'bms.typo',
        path: '/condition',
        line: 2,
        column: 3,
        suggestion: 'cellTemperatureMax',
      });
      expect(p.formatted).toBe(`rule bms.typo /condition 2:3 [${p.modelId}]: error RULE_UNKNOWN_SIGNAL ${p.message}`);
    }
    expect(r.body.error.details.models.map((m) => m.verdict)).toEqual(['error', 'error']);
    expect((await h.pool.query("SELECT 1 FROM rules WHERE rule_id = 'bms.typo'")).rows).toEqual([]);

    const shape = await h.call<RuleError>('POST', '/v1/rules', {
      token: engineer,
      body: { rule: overTemperature('bms.shape', { for: 'soon', colour: 'red', scope: { fleets: ['fleet-a'] } }) },
    });
    expect(shape.status).toBe(400);
    expect(shape.body.error.details.problems.map((p) => [p.code, p.path])).toEqual(
      expect.arrayContaining([
        ['RULE_INVALID', '/colour'],
        ['RULE_INVALID', '/for'],
      ]),
    );
  });

  it('saves a rule that fits only some models with a RULE_NOT_APPLICABLE warning', async () => {
    const token = await admin();
    const r = await h.call<Saved>('POST', '/v1/rules', {
      token,
      body: { rule: { id: 'van.cargo-warm', condition: 'cargoTemperature > 8', for: '5m' } },
    });
    expect(r.status).toBe(201);
    expect(r.body.warnings).toEqual([
      expect.objectContaining({ severity: 'warning', code: 'RULE_NOT_APPLICABLE', modelId: 'aurora-ev-2026' }),
    ]);
    expect(r.body.models).toEqual([
      { modelId: 'aurora-ev-2026', catalogVersion: '1.0.0', verdict: 'not-applicable' },
      { modelId: 'cargo-van-e-2025', catalogVersion: '1.0.0', verdict: 'applies' },
    ]);
  });

  it('validates without saving', async () => {
    const bad = await h.call<{ ok: boolean; ruleId: string; problems: Problem[]; models: ModelVerdict[] }>(
      'POST',
      '/v1/rules/validate',
      {
        token: viewerA,
        body: { rule: { id: 'draft', condition: 'gear == "Reverse" and vehicleSpeed > ' } },
      },
    );
    expect(bad.status).toBe(200);
    expect(bad.body.ok).toBe(false);
    expect(bad.body.problems[0]).toMatchObject({ code: 'RULE_SYNTAX', path: '/condition', line: 1 });
    expect(bad.body.problems[0]!.column).toBeGreaterThan(30);
    const label = await h.call<{ ok: boolean; problems: Problem[] }>('POST', '/v1/rules/validate', {
      token: viewerA,
      body: { rule: { id: 'draft', condition: 'gear == "Reverse"' } },
    });
    expect(label.body.ok).toBe(false);
    expect(label.body.problems[0]).toMatchObject({ code: 'RULE_UNKNOWN_LABEL', line: 1, column: 9 });
    const good = await h.call<{ ok: boolean; problems: Problem[] }>('POST', '/v1/rules/validate', {
      token: viewerA,
      body: { rule: { id: 'draft', condition: 'gear == "R" and vehicleSpeed > 20' } },
    });
    expect(good.body).toMatchObject({ ok: true, problems: [] });
    expect((await h.pool.query("SELECT 1 FROM rules WHERE rule_id = 'draft'")).rows).toEqual([]);
  });

  it('updates to a new version with optimistic concurrency, and keeps every version', async () => {
    const token = await admin();
    await h.call('POST', '/v1/rules', {
      token: engineer,
      body: { rule: overTemperature('bms.versions', { scope: { fleets: ['fleet-a'] } }) },
    });
    const current = await h.call<RuleVersion>('GET', '/v1/rules/bms.versions', { token: viewerA });
    expect(current.headers.get('etag')).toBe('"1"');
    const v2 = await h.call<Saved>('PUT', '/v1/rules/bms.versions', {
      token: engineer,
      headers: { 'if-match': current.headers.get('etag')! },
      body: {
        rule: overTemperature('bms.versions', { scope: { fleets: ['fleet-a'] }, condition: 'cellTemperatureMax > 57' }),
        comment: 'fewer false alarms',
      },
    });
    expect(v2.status).toBe(200);
    expect(v2.headers.get('etag')).toBe('"2"');
    expect(v2.body.rule).toMatchObject({ version: 2, currentVersion: 2, comment: 'fewer false alarms' });

    // Someone else edited version 1 too: their save is refused.
    const stale = await h.call('PUT', '/v1/rules/bms.versions', {
      token: engineer,
      headers: { 'if-match': '"1"' },
      body: {
        rule: overTemperature('bms.versions', { scope: { fleets: ['fleet-a'] }, condition: 'cellTemperatureMax > 60' }),
      },
    });
    expect(stale.status).toBe(409);
    expect(stale.body.error).toMatchObject({
      code: 'RULE_VERSION_CONFLICT',
      details: { currentVersion: 2, expectedVersion: 1 },
    });
    const staleBody = await h.call('PUT', '/v1/rules/bms.versions', {
      token: engineer,
      body: { rule: { condition: 'cellTemperatureMax > 60', scope: { fleets: ['fleet-a'] } }, expectedVersion: 1 },
    });
    expect(staleBody.status).toBe(409);
    const disagree = await h.call('PUT', '/v1/rules/bms.versions', {
      token: engineer,
      headers: { 'if-match': '"2"' },
      body: { rule: overTemperature('bms.versions'), expectedVersion: 1 },
    });
    expect(disagree.status).toBe(400);
    expect(disagree.body.error.details).toMatchObject({ problems: [{ path: '/body/expectedVersion' }] });

    // Without a precondition (id taken from the path), the save goes on top of the current version.
    const v3 = await h.call<Saved>('PUT', '/v1/rules/bms.versions', {
      token: engineer,
      body: { rule: { condition: 'cellTemperatureMax > 58', scope: { fleets: ['fleet-a'] } } },
    });
    expect(v3.body.rule).toMatchObject({
      version: 3,
      definition: { id: 'bms.versions', version: 3, condition: 'cellTemperatureMax > 58' },
    });

    const old = await h.call<RuleVersion>('GET', '/v1/rules/bms.versions?version=2', { token: viewerA });
    expect(old.body).toMatchObject({
      version: 2,
      currentVersion: 3,
      definition: { condition: 'cellTemperatureMax > 57' },
    });
    expect(old.headers.get('etag')).toBeNull();
    const missing = await h.call('GET', '/v1/rules/bms.versions?version=9', { token: viewerA });
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('RULE_NOT_FOUND');

    const mismatch = await h.call('PUT', '/v1/rules/bms.versions', {
      token,
      body: { rule: overTemperature('bms.other') },
    });
    expect(mismatch.status).toBe(400);
    expect(mismatch.body.error.code).toBe('RULE_ID_MISMATCH');
    const invalid = await h.call<RuleError>('PUT', '/v1/rules/bms.versions', {
      token,
      body: { rule: { condition: 'cellTemperatureMax >' } },
    });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error.details.problems[0]).toMatchObject({ code: 'RULE_SYNTAX', path: '/condition' });
    expect((await h.call<RuleVersion>('GET', '/v1/rules/bms.versions', { token })).body.currentVersion).toBe(3);
    expect(
      (await h.call('PUT', '/v1/rules/no.such-rule', { token, body: { rule: overTemperature('no.such-rule') } }))
        .status,
    ).toBe(404);
  });

  it('enables and disables, idempotently, and the audit trail shows who did what', async () => {
    await h.call('POST', '/v1/rules', {
      token: engineer,
      body: { rule: overTemperature('bms.audited', { scope: { fleets: ['fleet-a', 'fleet-b'] } }), comment: 'new' },
    });
    await h.call('PUT', '/v1/rules/bms.audited', {
      token: engineer,
      body: { rule: overTemperature('bms.audited', { scope: { fleets: ['fleet-a', 'fleet-b'] }, severity: 'major' }) },
    });
    const off = await h.call<{ enabled: boolean; currentVersion: number }>('POST', '/v1/rules/bms.audited/disable', {
      token: engineer,
    });
    expect(off.status).toBe(200);
    expect(off.body).toMatchObject({ enabled: false, currentVersion: 2 });
    expect(
      (await h.call<{ enabled: boolean }>('POST', '/v1/rules/bms.audited/disable', { token: engineer })).body.enabled,
    ).toBe(false);
    const listed = await h.call<{ rules: Summary[] }>('GET', '/v1/rules?enabled=false', { token: engineer });
    expect(listed.body.rules.map((r) => r.ruleId)).toContain('bms.audited');
    expect(
      (await h.call<{ rules: Summary[] }>('GET', '/v1/rules?enabled=true', { token: engineer })).body.rules.map(
        (r) => r.ruleId,
      ),
    ).not.toContain('bms.audited');
    const on = await h.call<{ enabled: boolean }>('POST', '/v1/rules/bms.audited/enable', { token: engineer });
    expect(on.body.enabled).toBe(true);

    const history = await h.call<History>('GET', '/v1/rules/bms.audited/history', { token: viewerA });
    expect(history.status).toBe(200);
    const actor = `key:${engineerId} (rule-author)`;
    expect(history.body.rule).toMatchObject({ currentVersion: 2, enabled: true });
    expect(history.body.versions.map((v) => [v.version, v.createdBy, v.comment])).toEqual([
      [1, actor, 'new'],
      [2, actor, null],
    ]);
    expect(history.body.audit.map((a) => [a.action, a.version, a.actor])).toEqual([
      ['create', 1, actor],
      ['update', 2, actor],
      ['disable', 2, actor],
      ['enable', 2, actor],
    ]);
    expect(history.body.audit[1]!.summary).toMatchObject({
      changed: ['severity'],
      added: ['severity'],
      before: { severity: null },
      after: { severity: 'major' },
    });
    const summary = (await h.call<{ rules: Summary[] }>('GET', '/v1/rules', { token: viewerA })).body.rules.find(
      (r) => r.ruleId === 'bms.audited',
    );
    expect(summary).toMatchObject({ severity: 'major', fleets: ['fleet-a', 'fleet-b'], updatedBy: actor });
  });

  it('refuses to enable a rule that no longer compiles', async () => {
    const token = await admin();
    // Written past the API (as the CLI or an old catalog might have), then disabled.
    await h.pool.query(`
      WITH r AS (INSERT INTO rules (rule_id, current_version, enabled) VALUES ('legacy.rule', 1, false))
      INSERT INTO rule_versions (rule_id, version, definition, created_by)
      VALUES ('legacy.rule', 1, '{"id":"legacy.rule","version":1,"condition":"retiredSignal > 1"}', 'cli')`);
    const r = await h.call<RuleError>('POST', '/v1/rules/legacy.rule/enable', { token });
    expect(r.status).toBe(400);
    expect(r.body.error.details.problems[0]).toMatchObject({ code: 'RULE_UNKNOWN_SIGNAL', path: '/condition' });
    expect((await h.call<{ enabled: boolean }>('POST', '/v1/rules/legacy.rule/disable', { token })).body.enabled).toBe(
      false,
    );
  });

  describe('roles and fleet scopes', () => {
    beforeAll(async () => {
      const token = await admin();
      for (const [id, fleets] of [
        ['scope.global', undefined],
        ['scope.a', ['fleet-a']],
        ['scope.b', ['fleet-b']],
        ['scope.ab', ['fleet-a', 'fleet-b']],
      ] as const) {
        const r = await h.call('POST', '/v1/rules', {
          token,
          body: { rule: overTemperature(id, fleets === undefined ? {} : { scope: { fleets } }) },
        });
        expect(r.status, id).toBe(201);
      }
    });

    it('lets a viewer read but not write', async () => {
      expect((await h.call('GET', '/v1/rules/scope.a', { token: viewerA })).status).toBe(200);
      for (const [method, path, body] of [
        ['POST', '/v1/rules', { rule: overTemperature('viewer.rule', { scope: { fleets: ['fleet-a'] } }) }],
        ['PUT', '/v1/rules/scope.a', { rule: overTemperature('scope.a', { scope: { fleets: ['fleet-a'] } }) }],
        ['POST', '/v1/rules/scope.a/disable', undefined],
        ['POST', '/v1/rules/scope.a/enable', undefined],
      ] as const) {
        const r = await h.call(method, path, { token: viewerA, body });
        expect(r.status, `${method} ${path}`).toBe(403);
        expect(r.body.error.message).toContain('engineer role');
      }
      expect((await h.call('GET', '/v1/rules')).status).toBe(401);
    });

    it('shows a fleet-limited key the global rules and those sharing a fleet; others are 404', async () => {
      const ids = async (token: string): Promise<string[]> =>
        (await h.call<{ rules: Summary[] }>('GET', '/v1/rules', { token })).body.rules
          .map((r) => r.ruleId)
          .filter((id) => id.startsWith('scope.'));
      expect(await ids(viewerA)).toEqual(['scope.a', 'scope.ab', 'scope.global']);
      expect(await ids(viewerB)).toEqual(['scope.ab', 'scope.b', 'scope.global']);
      const hidden = await h.call('GET', '/v1/rules/scope.b', { token: viewerA });
      const missing = await h.call('GET', '/v1/rules/scope.nothing', { token: viewerA });
      expect(hidden.status).toBe(404);
      expect(hidden.body.error).toMatchObject({ code: 'RULE_NOT_FOUND', message: 'Rule scope.b does not exist.' });
      expect(missing.body.error.message).toBe('Rule scope.nothing does not exist.');
      expect((await h.call('GET', '/v1/rules/scope.b/history', { token: viewerA })).status).toBe(404);
      expect((await h.call('GET', '/v1/rules/scope.b?version=1', { token: viewerA })).status).toBe(404);
      expect((await h.call('POST', '/v1/rules/scope.b/disable', { token: engineerA })).status).toBe(404);
    });

    it('lets a fleet-limited engineer write only rules within its fleets', async () => {
      const a = await h.call<Saved>('POST', '/v1/rules', {
        token: engineerA,
        body: { rule: overTemperature('mine.a', { scope: { fleets: ['fleet-a'] } }) },
      });
      expect(a.status).toBe(201);
      const refused: [string, string, unknown][] = [
        ['POST', '/v1/rules', { rule: overTemperature('mine.global') }],
        ['POST', '/v1/rules', { rule: overTemperature('mine.empty', { scope: { fleets: [] } }) }],
        ['POST', '/v1/rules', { rule: overTemperature('mine.ab', { scope: { fleets: ['fleet-a', 'fleet-b'] } }) }],
        // Widening its own rule, or narrowing a shared or global one to itself, is beyond it too.
        ['PUT', '/v1/rules/mine.a', { rule: overTemperature('mine.a', { scope: { fleets: ['fleet-a', 'fleet-b'] } }) }],
        ['PUT', '/v1/rules/mine.a', { rule: overTemperature('mine.a') }],
        ['PUT', '/v1/rules/scope.ab', { rule: overTemperature('scope.ab', { scope: { fleets: ['fleet-a'] } }) }],
        [
          'PUT',
          '/v1/rules/scope.global',
          { rule: overTemperature('scope.global', { scope: { fleets: ['fleet-a'] } }) },
        ],
        ['POST', '/v1/rules/scope.global/disable', undefined],
        ['POST', '/v1/rules/scope.ab/disable', undefined],
      ];
      for (const [method, path, body] of refused) {
        const r = await h.call(method, path, { token: engineerA, body });
        expect(r.status, `${method} ${path} ${JSON.stringify(body)}`).toBe(403);
        expect(r.body.error.code).toBe('FORBIDDEN');
      }
      const { rows } = await h.pool.query<{ rule_id: string }>("SELECT rule_id FROM rules WHERE rule_id LIKE 'mine.%'");
      expect(rows.map((r) => r.rule_id)).toEqual(['mine.a']);
      expect(
        (
          await h.call('PUT', '/v1/rules/mine.a', {
            token: engineerA,
            body: { rule: overTemperature('mine.a', { scope: { fleets: ['fleet-a'] }, severity: 'major' }) },
          })
        ).status,
      ).toBe(200);
      expect((await h.call('POST', '/v1/rules/mine.a/disable', { token: engineerA })).status).toBe(200);
      // A key for fleets a and b may write the shared rule, but not the global one.
      expect((await h.call('POST', '/v1/rules/scope.ab/disable', { token: engineer })).status).toBe(200);
      expect((await h.call('POST', '/v1/rules/scope.global/disable', { token: engineer })).status).toBe(403);
    });
  });

  it('answers 503 RULE_STORE_UNAVAILABLE, retryable, when the rule tables are gone', async () => {
    const token = await admin();
    await h.pool.query('ALTER TABLE rules RENAME TO rules_away');
    try {
      const r = await h.call('GET', '/v1/rules', { token });
      expect(r.status).toBe(503);
      expect(r.body.error).toMatchObject({ code: 'RULE_STORE_UNAVAILABLE', retryable: true });
      expect(r.headers.get('retry-after')).toBe('1');
    } finally {
      await h.pool.query('ALTER TABLE rules_away RENAME TO rules');
    }
  });
});
