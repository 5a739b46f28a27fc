// `telltale rules apply`: example rules checked against the bundled catalogs and saved; re-applying changes
// nothing; a rule with an unknown signal saves nothing and names the nearest signal.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPgPool, type Pool } from '@telltale/platform/db';
import { PgRuleStore } from '@telltale/rules/pg';
import { LOCAL, uniqueName } from '@telltale/platform/testing';
import { dropSchema } from '../helpers.js';

const root = join(import.meta.dirname, '../..');
const schema = uniqueName('rulescli');
const examples = join(root, 'services/diagnostics/rules/examples');

function telltale(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [join(root, 'services/cli/bin/telltale.js'), ...args], {
    env: { ...process.env, DATABASE_SCHEMA: schema, USER: 'tester' },
    encoding: 'utf8',
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('telltale rules apply', () => {
  let pool: Pool;
  beforeAll(() => {
    pool = createPgPool({ url: LOCAL.postgresUrl, schema, max: 1 });
  });
  afterAll(async () => {
    await dropSchema(pool, schema);
  });

  it('creates the example rules, leaves unchanged ones alone and versions a changed one', async () => {
    const first = telltale('rules', 'apply', examples);
    expect(first.stderr).toBe('');
    expect(first.status).toBe(0);
    expect(first.stdout.match(/^created /gm)).toHaveLength(4);

    const dir = mkdtempSync(join(tmpdir(), 'rules-'));
    copyFileSync(join(examples, 'cell-imbalance.json'), join(dir, 'a.json'));
    const changed = JSON.parse(readFileSync(join(examples, 'cell-over-temperature.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    writeFileSync(join(dir, 'b.json'), JSON.stringify({ ...changed, reraiseAfter: '20m' }));
    const second = telltale('rules', 'apply', join(dir, 'a.json'), join(dir, 'b.json'), '--actor', 'ci');
    expect(second.status).toBe(0);
    expect(second.stdout).toMatch(/^unchanged bms\.cell-imbalance v1$/m);
    expect(second.stdout).toMatch(/^updated {3}bms\.cell-over-temperature v2$/m);

    const history = await new PgRuleStore(pool).history('bms.cell-over-temperature');
    expect(history.audit.map((a) => [a.action, a.actor])).toEqual([
      ['create', 'cli:tester'],
      ['update', 'ci'],
    ]);
  });

  it('saves nothing when a rule has an error, and says where', async () => {
    const before = await new PgRuleStore(pool).list();
    const result = telltale(
      'rules',
      'apply',
      join(examples, 'bms-dtc-confirmed.json'),
      join(import.meta.dirname, 'fixtures/bad-rule.json'),
    );
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('RULE_UNKNOWN_SIGNAL');
    expect(result.stderr).toContain('cellTemperatureMax');
    expect(result.stderr).toContain('Nothing saved');
    expect(await new PgRuleStore(pool).list()).toEqual(before);
  });

  it('deploys a shadow from a file, refuses a bad one, promotes it and stops a shadow', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shadow-'));
    const base = JSON.parse(readFileSync(join(examples, 'cell-imbalance.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ ...base, condition: 'cellVoltageMaks > 1' }));
    const bad = telltale('rules', 'shadow', 'bms.cell-imbalance', '--file', join(dir, 'bad.json'));
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/RULE_UNKNOWN_SIGNAL/);
    writeFileSync(join(dir, 'next.json'), JSON.stringify({ ...base, name: 'tighter' }));
    const shadow = telltale('rules', 'shadow', 'bms.cell-imbalance', '--file', join(dir, 'next.json'));
    expect(shadow.stdout).toBe('bms.cell-imbalance: shadow v2 beside active v1\n');
    const stale = telltale('rules', 'promote', 'bms.cell-imbalance', '--expected-version', '5');
    expect(stale.status).toBe(1);
    expect(stale.stderr).toMatch(/not 5/);
    const promoted = telltale('rules', 'promote', 'bms.cell-imbalance', '--expected-version', '1');
    expect(promoted.stdout).toBe('bms.cell-imbalance: active v2 (was v1)\n');
    expect(telltale('rules', 'promote', 'bms.cell-imbalance').status).toBe(1); // no shadow left
    expect(telltale('rules', 'shadow', 'bms.cell-imbalance', '--version', '1').stdout).toMatch(/shadow v1 beside/);
    expect(telltale('rules', 'shadow', 'bms.cell-imbalance', '--stop').stdout).toMatch(/no shadow; active v2/);
    const history = await new PgRuleStore(pool).history('bms.cell-imbalance');
    expect(history.audit.map((a) => a.action)).toEqual(['create', 'shadow', 'promote', 'shadow', 'unshadow']);
  });
});
