/**
 * The rule list with each rule's current definition in one query (tables of services/core/migrations/0004_rules.sql).
 * Writes and single-rule reads go through core's PgRuleStore; the list needs the definitions (names, scopes) that
 * PgRuleStore.list() does not return, and one query beats a get() per rule.
 *
 * Also the two sides of a shadow comparison (migration 0017): what the active version recorded (`alert_transitions`,
 * engine transitions only) and what a shadow version recorded (`shadow_transitions`), by rule, event time and fleet.
 */
import type { Pool } from '@telltale/platform/db';
import { TelltaleError } from '@telltale/platform';
import type { AlertState, Evidence, JsonObject, Severity } from '@telltale/rules';
import type { FleetScope } from '../domain/access.js';
import type { ComparedTransition } from '../domain/shadow-comparison.js';
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
    const { rows } = await this.query<Row>(
      `SELECT r.rule_id, r.current_version, r.enabled, r.shadow_version, r.shadow_since, r.created_at, r.updated_at,
         v.definition, v.created_by
       FROM rules r JOIN rule_versions v ON v.rule_id = r.rule_id AND v.version = r.current_version
       ORDER BY r.rule_id`,
      [],
    );
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

  /** The newest version that recorded shadow transitions for the rule, if any (a promoted or stopped shadow). */
  async lastShadowVersion(ruleId: string): Promise<number | undefined> {
    const { rows } = await this.query<{ version: number | null }>(
      'SELECT max(rule_version) AS version FROM shadow_transitions WHERE rule_id = $1',
      [ruleId],
    );
    return rows[0]?.version ?? undefined;
  }

  /**
   * One side's transitions in [fromMs, toMs) of event time, oldest first, at most `limit` (the caller asks one more
   * to know it cut). "Rule-removed" clears (an edit, not the data) and acknowledgements are left out.
   */
  async comparedTransitions(side: ComparisonSide, q: ComparisonQuery, limit: number): Promise<ComparedTransition[]> {
    const { rows } = await this.query<TransitionRow>(
      `SELECT alert_id, transition_seq, vin, fleet_id, rule_id, rule_version, state, severity, event_time_ms
       FROM ${TABLE[side]} WHERE ${WHERE} ORDER BY event_time_ms, alert_id, transition_seq LIMIT $7`,
      [...whereParams(q), limit],
    );
    return rows.map(comparedOf);
  }

  /** One side's newest `limit` transitions in the range, with evidence and message. */
  async listedTransitions(side: ComparisonSide, q: ComparisonQuery, limit: number): Promise<ListedTransition[]> {
    const { rows } = await this.query<
      TransitionRow & { evidence: Evidence[]; message: string; timer: boolean; episode_start_ms: string }
    >(
      `SELECT alert_id, transition_seq, vin, fleet_id, rule_id, rule_version, state, severity, event_time_ms,
         episode_start_ms, evidence, message, timer
       FROM ${TABLE[side]} WHERE ${WHERE} ORDER BY event_time_ms DESC, alert_id, transition_seq LIMIT $7`,
      [...whereParams(q), limit],
    );
    return rows.map((r) => ({
      ...comparedOf(r),
      episodeStartMs: Number(r.episode_start_ms),
      evidence: r.evidence,
      message: r.message,
      timer: r.timer,
    }));
  }

  private async query<R extends object>(sql: string, params: unknown[]): Promise<{ rows: R[] }> {
    return this.pool.query<R>(sql, params).catch((cause: unknown) => {
      throw new TelltaleError('RULE_STORE_UNAVAILABLE', `Rule store query failed: ${(cause as Error).message}`, {
        retryable: true,
        cause,
      });
    });
  }
}

export type ComparisonSide = 'active' | 'shadow';

export interface ComparisonQuery {
  readonly ruleId: string;
  /** The shadow side: the version deployed as shadow; the active side: undefined (whatever version was current). */
  readonly version: number | undefined;
  readonly fromMs: number;
  readonly toMs: number;
  readonly scope: FleetScope;
  /** One fleet within the scope; undefined: all of the scope's. */
  readonly fleetId: string | undefined;
}

export type ListedTransition = ComparedTransition & {
  readonly episodeStartMs: number;
  readonly evidence: Evidence[];
  readonly message: string;
  readonly timer: boolean;
};

const TABLE: Record<ComparisonSide, string> = { active: 'alert_transitions', shadow: 'shadow_transitions' };
const WHERE = `rule_id = $1 AND ($2::int IS NULL OR rule_version = $2) AND event_time_ms >= $3 AND event_time_ms < $4
  AND ($5 OR fleet_id = ANY ($6::text[])) AND transition_seq >= 1 AND reason = 'condition'`;

function whereParams(q: ComparisonQuery): unknown[] {
  const fleets = q.fleetId !== undefined ? [q.fleetId] : q.scope.all ? [] : [...q.scope.fleets];
  return [q.ruleId, q.version ?? null, q.fromMs, q.toMs, q.scope.all && q.fleetId === undefined, fleets];
}

interface TransitionRow {
  alert_id: string;
  transition_seq: number;
  vin: string;
  fleet_id: string;
  rule_id: string;
  rule_version: number;
  state: AlertState;
  severity: Severity;
  event_time_ms: string;
}

const comparedOf = (r: TransitionRow): ComparedTransition => ({
  alertId: r.alert_id,
  transitionSeq: r.transition_seq,
  vin: r.vin,
  fleetId: r.fleet_id,
  ruleId: r.rule_id,
  ruleVersion: r.rule_version,
  state: r.state,
  severity: r.severity,
  eventTimeMs: Number(r.event_time_ms),
});
