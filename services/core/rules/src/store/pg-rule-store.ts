/**
 * Fault rules in PostgreSQL (tables from services/core/migrations/0004_rules.sql): every saved definition is an
 * immutable version, every change an audit entry, and the rules_changed trigger bumps rules_version and notifies
 * `telltale_rules` in the same transaction (see RuleReloader). Validating a definition (parseRuleDefinition,
 * compileRules) is the caller's job; the store only checks that the definition is an object naming the rule.
 */
import type { Pool, PoolClient } from '@telltale/platform/db';
import { TelltaleError } from '@telltale/platform/errors';
import { summarizeDefinition, diffDefinitions, type JsonObject } from '../rule-diff.js';

export type RuleAuditAction = 'create' | 'update' | 'enable' | 'disable' | 'shadow' | 'unshadow' | 'promote';

export interface StoredRule {
  readonly ruleId: string;
  readonly currentVersion: number;
  readonly enabled: boolean;
  /** The version deployed as shadow (evaluated live, notifies no one), if any; never the current one. */
  readonly shadowVersion: number | undefined;
  readonly shadowSince: Date | undefined;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface StoredRuleVersion {
  readonly ruleId: string;
  readonly version: number;
  /** The rule JSON, with `id` and `version` as stored. */
  readonly definition: JsonObject;
  readonly createdBy: string;
  readonly createdAt: Date;
  readonly comment: string | undefined;
}

export interface RuleAuditEntry {
  readonly id: number;
  readonly ruleId: string;
  readonly version: number;
  readonly actor: string;
  readonly action: RuleAuditAction;
  readonly at: Date;
  readonly summary: JsonObject;
}

export interface RuleHistory {
  readonly rule: StoredRule;
  /** Oldest first. */
  readonly versions: readonly StoredRuleVersion[];
  /** Oldest first. */
  readonly audit: readonly RuleAuditEntry[];
}

/**
 * The enabled rules' current definitions, read in one snapshot together with the store version they reflect, and the
 * definitions of the versions deployed as shadow (whether the rule is enabled or not).
 */
export interface ActiveRules {
  readonly version: number;
  readonly definitions: readonly JsonObject[];
  readonly shadows: readonly JsonObject[];
}

/** What to deploy as shadow: a saved version, or a new definition saved as the next version (not made current). */
export type ShadowDeployment = { readonly version: number } | { readonly definition: unknown };

const PG_UNIQUE_VIOLATION = '23505';
const PG_CHECK_VIOLATION = '23514';

function pgCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function toStoreError(cause: unknown): TelltaleError {
  if (cause instanceof TelltaleError) return cause;
  if (pgCode(cause) === PG_CHECK_VIOLATION) {
    return new TelltaleError('RULE_INVALID', `Rule store refused the change: ${(cause as Error).message}`, { cause });
  }
  return new TelltaleError('RULE_STORE_UNAVAILABLE', `Rule store query failed: ${(cause as Error).message}`, {
    retryable: true,
    cause,
  });
}

function notFound(ruleId: string, version?: number): TelltaleError {
  const what = version === undefined ? `Rule ${ruleId}` : `Version ${version} of rule ${ruleId}`;
  return new TelltaleError('RULE_NOT_FOUND', `${what} does not exist.`, {
    details: { ruleId, ...(version === undefined ? {} : { version }) },
  });
}

/** The definition as a JSON object whose `id` is `ruleId` (when given), with `version` set by the store. */
function checkedDefinition(definition: unknown, version: number, ruleId?: string): JsonObject {
  if (typeof definition !== 'object' || definition === null || Array.isArray(definition)) {
    throw new TelltaleError('RULE_INVALID', 'A rule definition must be a JSON object.');
  }
  const id = (definition as { id?: unknown }).id;
  if (typeof id !== 'string') throw new TelltaleError('RULE_INVALID', '/id must be a string.');
  if (ruleId !== undefined && id !== ruleId) {
    throw new TelltaleError(
      'RULE_ID_MISMATCH',
      `The definition's id "${id}" is not the rule being saved ("${ruleId}").`,
      { details: { ruleId, definitionId: id } },
    );
  }
  return { ...(definition as JsonObject), version };
}

function checkedActor(actor: string): string {
  if (actor.length === 0 || actor.length > 200)
    throw new TelltaleError('RULE_INVALID', 'The actor must be 1 to 200 characters.');
  return actor;
}

interface RuleRow {
  rule_id: string;
  current_version: number;
  enabled: boolean;
  shadow_version: number | null;
  shadow_since: Date | null;
  created_at: Date;
  updated_at: Date;
}
interface VersionRow {
  rule_id: string;
  version: number;
  definition: JsonObject;
  created_by: string;
  created_at: Date;
  comment: string | null;
}
interface AuditRow {
  id: string;
  rule_id: string;
  version: number;
  actor: string;
  action: RuleAuditAction;
  at: Date;
  summary: JsonObject;
}

const ruleOf = (r: RuleRow): StoredRule => ({
  ruleId: r.rule_id,
  currentVersion: r.current_version,
  enabled: r.enabled,
  shadowVersion: r.shadow_version ?? undefined,
  shadowSince: r.shadow_since ?? undefined,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});
const versionOf = (r: VersionRow): StoredRuleVersion => ({
  ruleId: r.rule_id,
  version: r.version,
  definition: r.definition,
  createdBy: r.created_by,
  createdAt: r.created_at,
  comment: r.comment ?? undefined,
});
const auditOf = (r: AuditRow): RuleAuditEntry => ({
  id: Number(r.id),
  ruleId: r.rule_id,
  version: r.version,
  actor: r.actor,
  action: r.action,
  at: r.at,
  summary: r.summary,
});

export class PgRuleStore {
  constructor(private readonly pool: Pool) {}

  /** Saves a new rule as version 1 (enabled). RULE_EXISTS when the id is taken. */
  async create(definition: unknown, actor: string, comment?: string): Promise<StoredRuleVersion> {
    const saved = checkedDefinition(definition, 1);
    const ruleId = saved.id as string;
    checkedActor(actor);
    return this.transaction(async (client) => {
      const inserted = await client.query(
        'INSERT INTO rules (rule_id, current_version) VALUES ($1, 1) ON CONFLICT (rule_id) DO NOTHING',
        [ruleId],
      );
      if (inserted.rowCount === 0)
        throw new TelltaleError('RULE_EXISTS', `Rule ${ruleId} already exists; save a new version instead.`, {
          details: { ruleId },
        });
      const version = await this.insertVersion(client, ruleId, 1, saved, actor, comment);
      await this.audit(client, ruleId, 1, actor, 'create', summarizeDefinition(saved));
      return version;
    });
  }

  /**
   * Saves `definition` as the rule's next version and makes it current. With `expectedVersion`, refuses
   * (RULE_VERSION_CONFLICT) when someone saved another version meanwhile.
   */
  async update(
    ruleId: string,
    definition: unknown,
    actor: string,
    comment?: string,
    options: { expectedVersion?: number } = {},
  ): Promise<StoredRuleVersion> {
    checkedDefinition(definition, 1, ruleId);
    checkedActor(actor);
    return this.transaction(async (client) => {
      const { rows } = await client.query<{ current_version: number }>(
        'SELECT current_version FROM rules WHERE rule_id = $1 FOR UPDATE',
        [ruleId],
      );
      const current = rows[0]?.current_version;
      if (current === undefined) throw notFound(ruleId);
      if (options.expectedVersion !== undefined && options.expectedVersion !== current) {
        throw new TelltaleError(
          'RULE_VERSION_CONFLICT',
          `Rule ${ruleId} is at version ${current}, not ${options.expectedVersion}; reload it and retry.`,
          {
            details: { ruleId, currentVersion: current, expectedVersion: options.expectedVersion },
          },
        );
      }
      const { rows: previous } = await client.query<{ definition: JsonObject }>(
        'SELECT definition FROM rule_versions WHERE rule_id = $1 AND version = $2',
        [ruleId, current],
      );
      const next = await this.nextVersion(client, ruleId);
      const saved = checkedDefinition(definition, next, ruleId);
      const version = await this.insertVersion(client, ruleId, next, saved, actor, comment);
      await client.query('UPDATE rules SET current_version = $2, updated_at = now() WHERE rule_id = $1', [
        ruleId,
        next,
      ]);
      await this.audit(client, ruleId, next, actor, 'update', diffDefinitions(previous[0]?.definition ?? {}, saved));
      return version;
    });
  }

  /** Enables or disables the rule; a no-op (no audit entry, no notification) when it already is. */
  async setEnabled(ruleId: string, enabled: boolean, actor: string): Promise<StoredRule> {
    checkedActor(actor);
    return this.transaction(async (client) => {
      const { rows } = await client.query<RuleRow>('SELECT * FROM rules WHERE rule_id = $1 FOR UPDATE', [ruleId]);
      const row = rows[0];
      if (row === undefined) throw notFound(ruleId);
      if (row.enabled === enabled) return ruleOf(row);
      const { rows: updated } = await client.query<RuleRow>(
        'UPDATE rules SET enabled = $2, updated_at = now() WHERE rule_id = $1 RETURNING *',
        [ruleId, enabled],
      );
      await this.audit(client, ruleId, row.current_version, actor, enabled ? 'enable' : 'disable', {});
      return ruleOf(updated[0]!);
    });
  }

  /**
   * Deploys a version as the rule's shadow (replacing the shadow it had): diagnostics evaluates it live beside the
   * current version and records its transitions apart, notifying no one. `{ definition }` saves it first as the
   * next version (not current). RULE_SHADOW_IS_ACTIVE for the current version itself; a no-op (not audited) when it
   * already is the shadow.
   */
  async deployShadow(
    ruleId: string,
    deployment: ShadowDeployment,
    actor: string,
    comment?: string,
  ): Promise<StoredRule & { readonly shadowVersion: number }> {
    if ('definition' in deployment) checkedDefinition(deployment.definition, 1, ruleId);
    checkedActor(actor);
    return this.transaction(async (client) => {
      const row = await this.lockedRule(client, ruleId);
      let version: number;
      if ('definition' in deployment) {
        version = await this.nextVersion(client, ruleId);
        const saved = checkedDefinition(deployment.definition, version, ruleId);
        await this.insertVersion(client, ruleId, version, saved, actor, comment);
      } else {
        version = deployment.version;
        const { rowCount } = await client.query('SELECT 1 FROM rule_versions WHERE rule_id = $1 AND version = $2', [
          ruleId,
          version,
        ]);
        if (rowCount === 0) throw notFound(ruleId, version);
      }
      if (version === row.current_version) {
        throw new TelltaleError(
          'RULE_SHADOW_IS_ACTIVE',
          `Version ${version} of rule ${ruleId} is its active version; deploy another version as shadow.`,
          { details: { ruleId, version } },
        );
      }
      if (row.shadow_version === version) return { ...ruleOf(row), shadowVersion: version };
      const { rows } = await client.query<RuleRow>(
        `UPDATE rules SET shadow_version = $2, shadow_since = now(), updated_at = now() WHERE rule_id = $1
         RETURNING *`,
        [ruleId, version],
      );
      await this.audit(client, ruleId, version, actor, 'shadow', {
        activeVersion: row.current_version,
        replacedShadow: row.shadow_version,
      });
      return { ...ruleOf(rows[0]!), shadowVersion: version };
    });
  }

  /** Stops the rule's shadow (diagnostics clears its shadow alerts); a no-op (not audited) when it has none. */
  async stopShadow(ruleId: string, actor: string): Promise<StoredRule> {
    checkedActor(actor);
    return this.transaction(async (client) => {
      const row = await this.lockedRule(client, ruleId);
      if (row.shadow_version === null) return ruleOf(row);
      const { rows } = await client.query<RuleRow>(
        `UPDATE rules SET shadow_version = NULL, shadow_since = NULL, updated_at = now() WHERE rule_id = $1
         RETURNING *`,
        [ruleId],
      );
      await this.audit(client, ruleId, row.shadow_version, actor, 'unshadow', { activeVersion: row.current_version });
      return ruleOf(rows[0]!);
    });
  }

  /**
   * Makes the shadow version the current one (and stops the shadow): its next transitions are live alerts. Versions
   * and audit stay as they were. RULE_SHADOW_NOT_FOUND without a shadow (or when `shadowVersion` is given and is not
   * it); RULE_VERSION_CONFLICT when `expectedVersion` is not the current version.
   */
  async promoteShadow(
    ruleId: string,
    actor: string,
    options: { expectedVersion?: number; shadowVersion?: number } = {},
  ): Promise<StoredRule & { readonly previousVersion: number }> {
    checkedActor(actor);
    return this.transaction(async (client) => {
      const row = await this.lockedRule(client, ruleId);
      const shadow = row.shadow_version;
      if (shadow === null || (options.shadowVersion !== undefined && options.shadowVersion !== shadow)) {
        throw new TelltaleError(
          'RULE_SHADOW_NOT_FOUND',
          shadow === null
            ? `Rule ${ruleId} has no shadow version to promote.`
            : `Version ${options.shadowVersion} is not the shadow of rule ${ruleId} (version ${shadow} is).`,
          { details: { ruleId, shadowVersion: shadow } },
        );
      }
      if (options.expectedVersion !== undefined && options.expectedVersion !== row.current_version) {
        throw new TelltaleError(
          'RULE_VERSION_CONFLICT',
          `Rule ${ruleId} is at version ${row.current_version}, not ${options.expectedVersion}; reload it and retry.`,
          { details: { ruleId, currentVersion: row.current_version, expectedVersion: options.expectedVersion } },
        );
      }
      const { rows } = await client.query<RuleRow>(
        `UPDATE rules SET current_version = shadow_version, shadow_version = NULL, shadow_since = NULL,
           updated_at = now() WHERE rule_id = $1 RETURNING *`,
        [ruleId],
      );
      await this.audit(client, ruleId, shadow, actor, 'promote', {
        previousVersion: row.current_version,
        shadowSince: row.shadow_since?.toISOString() ?? null,
      });
      return { ...ruleOf(rows[0]!), previousVersion: row.current_version };
    });
  }

  /** The rule's current version, or the given one. RULE_NOT_FOUND when either does not exist. */
  async get(
    ruleId: string,
    version?: number,
  ): Promise<
    StoredRuleVersion & {
      readonly enabled: boolean;
      readonly currentVersion: number;
      readonly shadowVersion: number | undefined;
    }
  > {
    const { rows } = await this.query<
      VersionRow & { enabled: boolean; current_version: number; shadow_version: number | null }
    >(
      `SELECT v.*, r.enabled, r.current_version, r.shadow_version FROM rules r
       JOIN rule_versions v ON v.rule_id = r.rule_id
       WHERE r.rule_id = $1 AND v.version = coalesce($2, r.current_version)`,
      [ruleId, version ?? null],
    );
    const row = rows[0];
    if (row === undefined) throw notFound(ruleId, version);
    return {
      ...versionOf(row),
      enabled: row.enabled,
      currentVersion: row.current_version,
      shadowVersion: row.shadow_version ?? undefined,
    };
  }

  /** Every rule, enabled or not, by id. */
  async list(): Promise<StoredRule[]> {
    const { rows } = await this.query<RuleRow>('SELECT * FROM rules ORDER BY rule_id');
    return rows.map(ruleOf);
  }

  /** The rule with all its versions and audit entries. */
  async history(ruleId: string): Promise<RuleHistory> {
    // One statement, one snapshot: versions and audit entries agree with the rule row.
    const { rows } = await this.query<{ rule: RuleRow | null; versions: VersionRow[]; audit: AuditRow[] }>(
      `SELECT (SELECT row_to_json(r) FROM rules r WHERE r.rule_id = $1) AS rule,
              coalesce((SELECT json_agg(v ORDER BY v.version) FROM rule_versions v WHERE v.rule_id = $1), '[]')
                AS versions,
              coalesce((SELECT json_agg(a ORDER BY a.id) FROM rule_audit a WHERE a.rule_id = $1), '[]') AS audit`,
      [ruleId],
    );
    const row = rows[0];
    if (row?.rule == null) throw notFound(ruleId);
    const date = <T extends object>(o: T, ...keys: (keyof T)[]): T => {
      const copy = { ...o };
      for (const k of keys) if (o[k] !== null) (copy as Record<keyof T, unknown>)[k] = new Date(o[k] as string);
      return copy;
    };
    return {
      rule: ruleOf(date(row.rule, 'created_at', 'updated_at', 'shadow_since')),
      versions: row.versions.map((v) => versionOf(date(v, 'created_at'))),
      audit: row.audit.map((a) => auditOf(date(a, 'at'))),
    };
  }

  /**
   * The enabled rules' current definitions, the shadow versions' definitions, and the store version they reflect
   * (one snapshot).
   */
  async loadActive(): Promise<ActiveRules> {
    const { rows } = await this.query<{ store_version: string; definition: JsonObject | null; shadow: boolean }>(
      `SELECT s.version AS store_version, v.definition, coalesce(v.version = r.shadow_version, false) AS shadow
       FROM rules_version s
       LEFT JOIN rules r ON r.enabled OR r.shadow_version IS NOT NULL
       LEFT JOIN rule_versions v ON v.rule_id = r.rule_id
         AND (v.version = r.shadow_version OR (r.enabled AND v.version = r.current_version))
       ORDER BY r.rule_id, v.version`,
    );
    const version = Number(rows[0]?.store_version ?? 0);
    const definitions: JsonObject[] = [];
    const shadows: JsonObject[] = [];
    for (const r of rows) if (r.definition !== null) (r.shadow ? shadows : definitions).push(r.definition);
    return { version, definitions, shadows };
  }

  /** The store version: bumped by every change, so equal versions mean equal active rules. */
  async version(): Promise<number> {
    const { rows } = await this.query<{ version: string }>('SELECT version FROM rules_version');
    return Number(rows[0]?.version ?? 0);
  }

  private async lockedRule(client: PoolClient, ruleId: string): Promise<RuleRow> {
    const { rows } = await client.query<RuleRow>('SELECT * FROM rules WHERE rule_id = $1 FOR UPDATE', [ruleId]);
    if (rows[0] === undefined) throw notFound(ruleId);
    return rows[0];
  }

  /** After the newest saved version, which a shadow may be (so not always current + 1). Under the rule's lock. */
  private async nextVersion(client: PoolClient, ruleId: string): Promise<number> {
    const { rows } = await client.query<{ max: number }>(
      'SELECT max(version) AS max FROM rule_versions WHERE rule_id = $1',
      [ruleId],
    );
    return (rows[0]?.max ?? 0) + 1;
  }

  private async insertVersion(
    client: PoolClient,
    ruleId: string,
    version: number,
    definition: JsonObject,
    actor: string,
    comment: string | undefined,
  ): Promise<StoredRuleVersion> {
    const { rows } = await client.query<VersionRow>(
      'INSERT INTO rule_versions (rule_id, version, definition, created_by, comment) ' +
        'VALUES ($1, $2, $3, $4, $5) RETURNING *',
      [ruleId, version, JSON.stringify(definition), actor, comment ?? null],
    );
    return versionOf(rows[0]!);
  }

  private async audit(
    client: PoolClient,
    ruleId: string,
    version: number,
    actor: string,
    action: RuleAuditAction,
    summary: JsonObject,
  ): Promise<void> {
    await client.query(
      'INSERT INTO rule_audit (rule_id, version, actor, action, summary) VALUES ($1, $2, $3, $4, $5)',
      [ruleId, version, actor, action, JSON.stringify(summary)],
    );
  }

  private async query<R extends object>(sql: string, params: unknown[] = []): Promise<{ rows: R[] }> {
    return this.pool.query<R>(sql, params).catch((cause: unknown) => {
      throw toStoreError(cause);
    });
  }

  private async transaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect().catch((cause: unknown) => {
      throw toStoreError(cause);
    });
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (cause) {
      await client.query('ROLLBACK').catch(() => undefined);
      if (pgCode(cause) === PG_UNIQUE_VIOLATION) {
        // Two writers saving the same rule at once: the loser retries against the new current version.
        throw new TelltaleError(
          'RULE_VERSION_CONFLICT',
          'Another change to this rule was saved at the same time; retry.',
          { retryable: true, cause },
        );
      }
      throw toStoreError(cause);
    } finally {
      client.release();
    }
  }
}
