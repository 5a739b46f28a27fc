/**
 * Alerts as the diagnostics service writes them (`alerts`, `alert_transitions`; services/core/migrations/0005): the
 * API reads them, filtered by fleet scope, and records acknowledgements. An alert belongs to the fleet it was raised
 * in (`alerts.fleet_id`), even when its vehicle moves to another fleet later.
 */
import type { Pool } from '@telltale/platform/db';
import { TelltaleError } from '@telltale/platform';
import type { Evidence, Severity } from '@telltale/rules';
import type { FleetScope } from '../domain/access.js';
import type { AlertCursor } from '../domain/alerts.js';

export type AlertStateName = 'raised' | 'escalated' | 'deescalated' | 'cleared';

export interface AlertView {
  readonly alertId: string;
  readonly vin: string;
  readonly fleetId: string;
  readonly modelId: string;
  readonly ruleId: string;
  readonly ruleVersion: number;
  readonly ruleName: string;
  readonly origin: string;
  readonly state: AlertStateName;
  readonly severity: Severity;
  readonly peakSeverity: Severity;
  readonly message: string;
  readonly episodeStartMs: number;
  readonly raisedMs: number;
  readonly updatedMs: number;
  readonly clearedMs: number | undefined;
  readonly lastSeq: number;
  readonly backfill: boolean;
  readonly acknowledgedMs: number | undefined;
  readonly acknowledgedBy: string | undefined;
  readonly acknowledgeNote: string | undefined;
}

export interface AlertTransitionView {
  readonly seq: number;
  readonly state: AlertStateName;
  readonly severity: Severity;
  readonly previousSeverity: Severity | undefined;
  readonly ruleId: string;
  readonly ruleVersion: number;
  readonly ruleName: string;
  readonly catalogVersion: string;
  readonly eventTimeMs: number;
  readonly emitTimeMs: number;
  readonly evidence: readonly Evidence[];
  readonly message: string;
  readonly backfill: boolean;
  readonly timer: boolean;
  readonly reason: string;
}

export interface AlertQuery {
  readonly scope: FleetScope;
  readonly vin?: string | undefined;
  readonly fleetId?: string | undefined;
  readonly modelId?: string | undefined;
  readonly ruleId?: string | undefined;
  /** Admitted severities; all when undefined. */
  readonly severities?: readonly Severity[] | undefined;
  readonly states?: readonly AlertStateName[] | undefined;
  /** true: not cleared; false: cleared. */
  readonly open?: boolean | undefined;
  readonly acknowledged?: boolean | undefined;
  /** Raised at or after (inclusive). */
  readonly fromMs?: number | undefined;
  /** Raised before (exclusive). */
  readonly toMs?: number | undefined;
  /** Keyset: alerts after this one in (raised_ms DESC, alert_id) order. */
  readonly after?: AlertCursor | undefined;
  readonly limit: number;
}

type AlertRow = {
  alert_id: string;
  vin: string;
  fleet_id: string;
  model_id: string;
  rule_id: string;
  rule_version: number;
  rule_name: string;
  origin: string;
  state: AlertStateName;
  severity: Severity;
  peak_severity: Severity;
  message: string;
  episode_start_ms: string;
  raised_ms: string;
  updated_ms: string;
  cleared_ms: string | null;
  last_seq: number;
  backfill: boolean;
  acknowledged_ms: string | null;
  acknowledged_by: string | null;
  acknowledge_note: string | null;
};

type TransitionRow = {
  transition_seq: number;
  state: AlertStateName;
  severity: Severity;
  previous_severity: Severity | null;
  rule_id: string;
  rule_version: number;
  rule_name: string;
  catalog_version: string;
  event_time_ms: string;
  emit_time_ms: string;
  evidence: unknown;
  message: string;
  backfill: boolean;
  timer: boolean;
  reason: string;
};

const COLUMNS = `alert_id, vin, fleet_id, model_id, rule_id, rule_version, rule_name, origin, state, severity,
  peak_severity, message, episode_start_ms, raised_ms, updated_ms, cleared_ms, last_seq, backfill, acknowledged_ms,
  acknowledged_by, acknowledge_note`;

const msOrUndefined = (v: string | null): number | undefined => (v === null ? undefined : Number(v));

const alertOf = (r: AlertRow): AlertView => ({
  alertId: r.alert_id,
  vin: r.vin,
  fleetId: r.fleet_id,
  modelId: r.model_id,
  ruleId: r.rule_id,
  ruleVersion: r.rule_version,
  ruleName: r.rule_name,
  origin: r.origin,
  state: r.state,
  severity: r.severity,
  peakSeverity: r.peak_severity,
  message: r.message,
  episodeStartMs: Number(r.episode_start_ms),
  raisedMs: Number(r.raised_ms),
  updatedMs: Number(r.updated_ms),
  clearedMs: msOrUndefined(r.cleared_ms),
  lastSeq: r.last_seq,
  backfill: r.backfill,
  acknowledgedMs: msOrUndefined(r.acknowledged_ms),
  acknowledgedBy: r.acknowledged_by ?? undefined,
  acknowledgeNote: r.acknowledge_note ?? undefined,
});

const transitionOf = (r: TransitionRow): AlertTransitionView => ({
  seq: r.transition_seq,
  state: r.state,
  severity: r.severity,
  previousSeverity: r.previous_severity ?? undefined,
  ruleId: r.rule_id,
  ruleVersion: r.rule_version,
  ruleName: r.rule_name,
  catalogVersion: r.catalog_version,
  eventTimeMs: Number(r.event_time_ms),
  emitTimeMs: Number(r.emit_time_ms),
  // jsonb written by diagnostics; anything but a list is shown as none.
  evidence: Array.isArray(r.evidence) ? (r.evidence as Evidence[]) : [],
  message: r.message,
  backfill: r.backfill,
  timer: r.timer,
  reason: r.reason,
});

function unavailable(cause: unknown): TelltaleError {
  return new TelltaleError('DATABASE_UNAVAILABLE', `Alert query failed: ${(cause as Error).message}`, {
    retryable: true,
    cause,
  });
}

/** `$1` is the all-fleets flag, `$2` the scope's fleets. */
const SCOPED = '($1 OR fleet_id = ANY ($2::text[]))';
const scopeParams = (scope: FleetScope): [boolean, string[]] => [scope.all, scope.all ? [] : [...scope.fleets]];

export class PgAlertReader {
  constructor(private readonly pool: Pool) {}

  /** One page, newest raise first (ties by alert id), and whether more follow. */
  async list(q: AlertQuery): Promise<{ alerts: AlertView[]; more: boolean }> {
    const params: unknown[] = scopeParams(q.scope);
    const where = [SCOPED];
    const add = (sql: (p: string) => string, value: unknown): void => {
      params.push(value);
      where.push(sql(`$${params.length}`));
    };
    if (q.vin !== undefined) add((p) => `vin = ${p}`, q.vin);
    if (q.fleetId !== undefined) add((p) => `fleet_id = ${p}`, q.fleetId);
    if (q.modelId !== undefined) add((p) => `model_id = ${p}`, q.modelId);
    if (q.ruleId !== undefined) add((p) => `rule_id = ${p}`, q.ruleId);
    if (q.severities !== undefined) add((p) => `severity = ANY (${p}::text[])`, q.severities);
    if (q.states !== undefined && q.states.length > 0) add((p) => `state = ANY (${p}::text[])`, q.states);
    if (q.open !== undefined) where.push(q.open ? 'cleared_ms IS NULL' : 'cleared_ms IS NOT NULL');
    if (q.acknowledged !== undefined)
      where.push(q.acknowledged ? 'acknowledged_ms IS NOT NULL' : 'acknowledged_ms IS NULL');
    if (q.fromMs !== undefined) add((p) => `raised_ms >= ${p}`, q.fromMs);
    if (q.toMs !== undefined) add((p) => `raised_ms < ${p}`, q.toMs);
    if (q.after !== undefined) {
      params.push(q.after.raisedMs, q.after.alertId);
      const ms = `$${params.length - 1}`;
      const id = `$${params.length}::uuid`;
      where.push(`(raised_ms < ${ms} OR (raised_ms = ${ms} AND alert_id > ${id}))`);
    }
    params.push(q.limit + 1);
    const { rows } = await this.pool
      .query<AlertRow>(
        `SELECT ${COLUMNS} FROM alerts WHERE ${where.join(' AND ')}
         ORDER BY raised_ms DESC, alert_id LIMIT $${params.length}`,
        params,
      )
      .catch((cause: unknown) => {
        throw unavailable(cause);
      });
    return { alerts: rows.slice(0, q.limit).map(alertOf), more: rows.length > q.limit };
  }

  /** The alert and its transitions (oldest first), if the scope includes its fleet. */
  async get(
    scope: FleetScope,
    alertId: string,
  ): Promise<{ alert: AlertView; transitions: AlertTransitionView[] } | undefined> {
    const alert = await this.find(scope, alertId);
    if (alert === undefined) return undefined;
    const { rows } = await this.pool
      .query<TransitionRow>(
        `SELECT transition_seq, state, severity, previous_severity, rule_id, rule_version, rule_name, catalog_version,
                event_time_ms, emit_time_ms, evidence, message, backfill, timer, reason
         FROM alert_transitions WHERE alert_id = $1 AND transition_seq > 0 ORDER BY transition_seq`,
        [alertId],
      )
      .catch((cause: unknown) => {
        throw unavailable(cause);
      });
    return { alert, transitions: rows.map(transitionOf) };
  }

  /**
   * Records the first acknowledgement; a later one changes nothing and returns the alert as the first left it.
   * undefined when the alert does not exist or is outside the scope.
   */
  async acknowledge(
    scope: FleetScope,
    alertId: string,
    actor: string,
    note: string | undefined,
    nowMs: number,
  ): Promise<{ alert: AlertView; first: boolean } | undefined> {
    const client = await this.pool.connect().catch((cause: unknown) => {
      throw unavailable(cause);
    });
    let acknowledged: AlertRow | undefined;
    try {
      await client.query('BEGIN');
      const { rows } = await client.query<AlertRow>(
        `UPDATE alerts SET acknowledged_ms = $4, acknowledged_by = $5, acknowledge_note = $6
         WHERE alert_id = $3 AND acknowledged_ms IS NULL AND ${SCOPED} RETURNING ${COLUMNS}`,
        [...scopeParams(scope), alertId, nowMs, actor, note ?? null],
      );
      acknowledged = rows[0];
      if (acknowledged !== undefined) {
        // The acknowledgement as an alert event (seq 0, state acknowledged) in the outbox: diagnostics publishes it
        // to vehicle.alerts.v1, so webhooks and live streams see it.
        await client.query(
          `INSERT INTO alert_transitions (alert_id, transition_seq, vin, fleet_id, model_id, catalog_version, rule_id,
             rule_version, rule_name, state, severity, previous_severity, event_time_ms, episode_start_ms, emit_time_ms,
             evidence, message, backfill, timer, reason, origin)
           SELECT a.alert_id, 0, a.vin, a.fleet_id, a.model_id,
             coalesce((SELECT t.catalog_version FROM alert_transitions t WHERE t.alert_id = a.alert_id
                       ORDER BY t.transition_seq DESC LIMIT 1), ''),
             a.rule_id, a.rule_version, a.rule_name, 'acknowledged', a.severity, NULL, $2, a.episode_start_ms, $2,
             '[]', $3, a.backfill, false, 'operator', 'operator'
           FROM alerts a WHERE a.alert_id = $1
           ON CONFLICT (alert_id, transition_seq) DO NOTHING`,
          [
            alertId,
            nowMs,
            `Acknowledged by ${actor}${note === undefined || note === '' ? '' : `: ${note}`}`.slice(0, 2000),
          ],
        );
      }
      await client.query('COMMIT');
    } catch (cause) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw unavailable(cause);
    } finally {
      client.release();
    }
    if (acknowledged !== undefined) return { alert: alertOf(acknowledged), first: true };
    const existing = await this.find(scope, alertId);
    return existing === undefined ? undefined : { alert: existing, first: false };
  }

  private async find(scope: FleetScope, alertId: string): Promise<AlertView | undefined> {
    const { rows } = await this.pool
      .query<AlertRow>(`SELECT ${COLUMNS} FROM alerts WHERE alert_id = $3 AND ${SCOPED}`, [
        ...scopeParams(scope),
        alertId,
      ])
      .catch((cause: unknown) => {
        throw unavailable(cause);
      });
    return rows[0] === undefined ? undefined : alertOf(rows[0]);
  }
}
