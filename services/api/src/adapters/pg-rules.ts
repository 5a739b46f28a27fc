/**
 * The rule list with each rule's current definition in one query (tables of services/core/migrations/0004_rules.sql).
 * Writes and single-rule reads go through core's PgRuleStore; the list needs the definitions (names, scopes) that
 * PgRuleStore.list() does not return, and one query beats a get() per rule.
 */
import type { Pool } from '@telltale/platform/db';
import { TelltaleError } from '@telltale/platform';
import type { JsonObject } from '@telltale/rules';
import type { StoredRule } from '@telltale/rules/pg';

export interface CurrentRule extends StoredRule {
  readonly definition: JsonObject;
  /** Who saved the current version. */
  readonly updatedBy: string;
}

type Row = {
  rule_id: string;
  current_version: number;
  enabled: boolean;
  shadow_version: number | null;
  shadow_since: Date | null;
  created_at: Date;
  updated_at: Date;
  definition: JsonObject;
  created_by: string;
};

export class PgRuleReader {
  constructor(private readonly pool: Pool) {}

  /** Every rule, enabled or not, by id, with its current definition. */
  async listCurrent(): Promise<CurrentRule[]> {
    const { rows } = await this.pool
      .query<Row>(
        `SELECT r.rule_id, r.current_version, r.enabled, r.shadow_version, r.shadow_since, r.created_at, r.updated_at,
           v.definition, v.created_by
         FROM rules r JOIN rule_versions v ON v.rule_id = r.rule_id AND v.version = r.current_version
         ORDER BY r.rule_id`,
      )
      .catch((cause: unknown) => {
        throw new TelltaleError('RULE_STORE_UNAVAILABLE', `Rule store query failed: ${(cause as Error).message}`, {
          retryable: true,
          cause,
        });
      });
    return rows.map((r) => ({
      ruleId: r.rule_id,
      currentVersion: r.current_version,
      enabled: r.enabled,
      shadowVersion: r.shadow_version ?? undefined,
      shadowSince: r.shadow_since ?? undefined,
      createdAt: r.created_at,
      updatedAt: r.updated_at,
      definition: r.definition,
      updatedBy: r.created_by,
    }));
  }
}
