/** PgRuleStore against the real PostgreSQL: versions are kept, every change is audited, errors have stable codes. */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isTelltaleError } from '@telltale/platform';
import { createPgPool, migrate, type Pool } from '@telltale/platform/db';
import { LOCAL, uniqueName } from '@telltale/platform/testing';
import { PgRuleStore } from '@telltale/rules/pg';
import { dropSchema } from '../helpers.js';

const EXAMPLES_DIR = join(dirname(fileURLToPath(import.meta.url)), '../../services/diagnostics/rules/examples');
const example = (file: string): Record<string, unknown> =>
  JSON.parse(readFileSync(join(EXAMPLES_DIR, file), 'utf8')) as Record<string, unknown>;

const schema = uniqueName('rules');
let pool: Pool;
let store: PgRuleStore;

beforeAll(async () => {
  pool = createPgPool({ url: LOCAL.postgresUrl, schema, max: 3 });
  await migrate(pool, { schema });
  store = new PgRuleStore(pool);
});

afterAll(async () => {
  await dropSchema(pool, schema);
});

async function code(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (err) {
    return isTelltaleError(err) ? err.code : `not a TelltaleError: ${String(err)}`;
  }
}

describe('PgRuleStore', () => {
  it('creates, versions and audits a rule', async () => {
    const overTemp = example('cell-over-temperature.json');
    const before = await store.version();
    const created = await store.create({ ...overTemp, version: 7 }, 'alice@example.com', 'first cut');
    expect(created).toMatchObject({
      ruleId: 'bms.cell-over-temperature',
      version: 1,
      createdBy: 'alice@example.com',
      comment: 'first cut',
    });
    // The store sets the version, whatever the definition said.
    expect(created.definition.version).toBe(1);
    expect(await store.version()).toBe(before + 1);

    const edited = {
      ...overTemp,
      ladder: [
        { level: 'warning', when: 'cellTemperatureMax > 57' },
        { level: 'critical', when: 'cellTemperatureMax > 62', for: '5s' },
      ],
    };
    const v2 = await store.update('bms.cell-over-temperature', edited, 'bob@example.com', 'fewer false alarms');
    expect(v2.version).toBe(2);
    expect(v2.definition.version).toBe(2);
    await store.setEnabled('bms.cell-over-temperature', false, 'carol@example.com');
    await store.setEnabled('bms.cell-over-temperature', false, 'carol@example.com'); // no-op, not audited
    await store.setEnabled('bms.cell-over-temperature', true, 'carol@example.com');

    const current = await store.get('bms.cell-over-temperature');
    expect(current).toMatchObject({ version: 2, currentVersion: 2, enabled: true });
    expect(current.definition).toEqual({ ...edited, version: 2 });
    expect((await store.get('bms.cell-over-temperature', 1)).definition).toEqual({ ...overTemp, version: 1 });

    const history = await store.history('bms.cell-over-temperature');
    expect(history.rule).toMatchObject({ currentVersion: 2, enabled: true });
    expect(history.versions.map((v) => [v.version, v.createdBy, v.comment])).toEqual([
      [1, 'alice@example.com', 'first cut'],
      [2, 'bob@example.com', 'fewer false alarms'],
    ]);
    expect(history.audit.map((a) => [a.action, a.actor, a.version])).toEqual([
      ['create', 'alice@example.com', 1],
      ['update', 'bob@example.com', 2],
      ['disable', 'carol@example.com', 2],
      ['enable', 'carol@example.com', 2],
    ]);
    for (const entry of history.audit) {
      expect(entry.at).toBeInstanceOf(Date);
      expect(Math.abs(entry.at.getTime() - Date.now())).toBeLessThan(60_000);
    }
    expect(history.audit[0]!.summary).toMatchObject({ name: 'Cell over-temperature' });
    expect(history.audit[1]!.summary).toEqual({
      changed: ['ladder'],
      added: [],
      removed: [],
      before: { ladder: overTemp.ladder },
      after: { ladder: edited.ladder },
    });
    expect(await store.version()).toBe(before + 4);
  });

  it('lists rules and loads only the enabled ones, at their current version', async () => {
    await store.create(example('cell-imbalance.json'), 'alice@example.com');
    await store.create(example('bms-dtc-confirmed.json'), 'alice@example.com');
    await store.setEnabled('bms.dtc-confirmed', false, 'alice@example.com');
    expect((await store.list()).map((r) => [r.ruleId, r.enabled])).toEqual([
      ['bms.cell-imbalance', true],
      ['bms.cell-over-temperature', true],
      ['bms.dtc-confirmed', false],
    ]);
    const active = await store.loadActive();
    expect(active.version).toBe(await store.version());
    expect(active.definitions.map((d) => [d.id, d.version])).toEqual([
      ['bms.cell-imbalance', 1],
      ['bms.cell-over-temperature', 2],
    ]);
  });

  it('refuses with stable codes', async () => {
    const imbalance = example('cell-imbalance.json');
    expect(await code(store.create(imbalance, 'alice@example.com'))).toBe('RULE_EXISTS');
    expect(await code(store.update('nope', { ...imbalance, id: 'nope' }, 'alice@example.com'))).toBe('RULE_NOT_FOUND');
    expect(await code(store.update('bms.cell-imbalance', example('bms-dtc-confirmed.json'), 'alice@example.com'))).toBe(
      'RULE_ID_MISMATCH',
    );
    expect(
      await code(store.update('bms.cell-imbalance', imbalance, 'alice@example.com', undefined, { expectedVersion: 5 })),
    ).toBe('RULE_VERSION_CONFLICT');
    expect(await code(store.setEnabled('nope', true, 'alice@example.com'))).toBe('RULE_NOT_FOUND');
    expect(await code(store.get('bms.cell-imbalance', 9))).toBe('RULE_NOT_FOUND');
    expect(await code(store.history('nope'))).toBe('RULE_NOT_FOUND');
    expect(await code(store.create({ ...imbalance, id: 'bad id with spaces' }, 'alice@example.com'))).toBe(
      'RULE_INVALID',
    );
    expect(await code(store.create([], 'alice@example.com'))).toBe('RULE_INVALID');
    // Nothing of the refused changes was written.
    expect((await store.history('bms.cell-imbalance')).versions).toHaveLength(1);
  });

  it('deploys a shadow version beside the active one, loads it apart, promotes it, keeps the history', async () => {
    const id = 'bms.cell-imbalance';
    const before = await store.version();
    const draft = { ...example('cell-imbalance.json'), name: 'tighter' };
    const deployed = await store.deployShadow(id, { definition: draft }, 'bob@example.com', 'try it');
    expect(deployed).toMatchObject({ ruleId: id, currentVersion: 1, shadowVersion: 2 });
    expect(await store.version()).toBe(before + 1); // reloaders are told
    const active = await store.loadActive();
    expect(active.definitions.find((d) => d.id === id)?.version).toBe(1);
    expect(active.shadows.map((d) => [d.id, d.version, d.name])).toEqual([[id, 2, 'tighter']]);
    // An edit of the active version meanwhile takes the next free number; the shadow stays.
    const edited = await store.update(id, { ...example('cell-imbalance.json'), name: 'edited' }, 'alice@example.com');
    expect(edited.version).toBe(3);
    expect((await store.get(id)).shadowVersion).toBe(2);
    expect(await code(store.deployShadow(id, { version: 3 }, 'bob@example.com'))).toBe('RULE_SHADOW_IS_ACTIVE');
    expect(await code(store.deployShadow(id, { version: 9 }, 'bob@example.com'))).toBe('RULE_NOT_FOUND');
    expect(await code(store.promoteShadow(id, 'bob@example.com', { expectedVersion: 1 }))).toBe(
      'RULE_VERSION_CONFLICT',
    );
    expect(await code(store.promoteShadow(id, 'bob@example.com', { shadowVersion: 3 }))).toBe('RULE_SHADOW_NOT_FOUND');
    const promoted = await store.promoteShadow(id, 'bob@example.com', { expectedVersion: 3 });
    expect(promoted).toMatchObject({ currentVersion: 2, previousVersion: 3, shadowVersion: undefined });
    expect(await code(store.promoteShadow(id, 'bob@example.com'))).toBe('RULE_SHADOW_NOT_FOUND');
    expect((await store.loadActive()).shadows).toEqual([]);
    // A disabled rule's shadow still runs; stopping it is audited once.
    await store.deployShadow(id, { version: 1 }, 'bob@example.com');
    await store.setEnabled(id, false, 'bob@example.com');
    expect((await store.loadActive()).shadows.map((d) => d.version)).toEqual([1]);
    await store.stopShadow(id, 'bob@example.com');
    await store.stopShadow(id, 'bob@example.com');
    await store.setEnabled(id, true, 'bob@example.com');
    const history = await store.history(id);
    expect(history.versions.map((v) => v.version)).toEqual([1, 2, 3]);
    expect(history.audit.map((a) => [a.action, a.version])).toEqual([
      ['create', 1],
      ['shadow', 2],
      ['update', 3],
      ['promote', 2],
      ['shadow', 1],
      ['disable', 2],
      ['unshadow', 1],
      ['enable', 2],
    ]);
    expect(history.audit[3]!.summary).toMatchObject({ previousVersion: 3 });
  });

  it('keeps history immutable', async () => {
    await expect(pool.query("UPDATE rule_versions SET comment = 'rewritten'")).rejects.toThrow(/immutable/);
    await expect(pool.query('DELETE FROM rule_audit')).rejects.toThrow(/immutable/);
  });

  it('is RULE_STORE_UNAVAILABLE (retryable) when PostgreSQL cannot be reached', async () => {
    const dead = createPgPool({ url: 'postgres://postgres@127.0.0.1:1/postgres', schema, max: 1 });
    try {
      const err = await new PgRuleStore(dead).list().catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'RULE_STORE_UNAVAILABLE', retryable: true });
    } finally {
      await dead.end();
    }
  });
});
