/**
 * What live diagnostics really recorded (`alert_transitions`, migration 0005) for a rule, vehicles and event-time
 * range: the other side of a backtest's diff. Acknowledgements (transition_seq 0) and "rule-removed" clears (a rule
 * edit, not the data) are left out: a replay of one rule version makes neither.
 */
import type pg from 'pg';
import { TelltaleError } from '@telltale/platform';
import type { AlertState, Severity } from '@telltale/rules';
import type { LiveTransition } from './report.js';

export async function liveTransitions(
  pool: Pick<pg.Pool, 'query'>,
  ruleId: string,
  vins: readonly string[],
  fromMs: number,
  toMs: number,
): Promise<LiveTransition[]> {
  try {
    const { rows } = await pool.query<{
      alert_id: string;
      transition_seq: number;
      vin: string;
      rule_id: string;
      rule_version: number;
      state: AlertState;
      severity: Severity;
      event_time_ms: string;
    }>(
      `SELECT alert_id, transition_seq, vin, rule_id, rule_version, state, severity, event_time_ms
       FROM alert_transitions
       WHERE rule_id = $1 AND vin = ANY($2) AND event_time_ms >= $3 AND event_time_ms < $4
         AND transition_seq >= 1 AND reason = 'condition'
       ORDER BY event_time_ms, alert_id, transition_seq`,
      [ruleId, vins, fromMs, toMs],
    );
    return rows.map((r) => ({
      alertId: r.alert_id,
      transitionSeq: r.transition_seq,
      vin: r.vin,
      ruleId: r.rule_id,
      ruleVersion: r.rule_version,
      state: r.state,
      severity: r.severity,
      eventTimeMs: Number(r.event_time_ms),
    }));
  } catch (cause) {
    throw new TelltaleError(
      'BACKTEST_ALERTS_UNAVAILABLE',
      `Reading the alerts live diagnostics recorded failed: ${(cause as Error).message}`,
      { retryable: true, cause },
    );
  }
}
