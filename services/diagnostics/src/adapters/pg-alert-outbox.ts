/**
 * Alert transitions in PostgreSQL (migration 0005_alerts.sql): `alert_transitions` (also the outbox of
 * vehicle.alerts.v1; key alert id + transition seq, so a replay inserts nothing) and the current row of every alert
 * in `alerts`, written together while the partition's epoch is still this instance's.
 */
import type { Pool, PoolClient } from '@telltale/platform/db';
import type { AlertEvent } from '@telltale/rules/alerts';
import { severityRank, type AlertTransition, type Evidence, type Severity } from '@telltale/rules';
import type { PartitionRef } from '../pipeline/records.js';
import type { TransitionStore } from '../pipeline/transition-outbox.js';
import { connectClient, fencedTransaction, queryRows, storeUnavailable } from './pg-fenced-transaction.js';
import { TRANSITION_UNNEST, transitionColumns } from './pg-transition-columns.js';

export class PgAlertOutbox implements TransitionStore {
  constructor(private readonly pool: Pool) {}

  /**
   * Records transitions (of vehicles of one partition, while `epoch` is its current one) and updates their alerts'
   * rows. Returns the transitions that were new: a replay inserts nothing. undefined: fenced, nothing written.
   */
  async recordTransitions(
    ref: PartitionRef,
    epoch: number,
    transitions: readonly AlertTransition[],
    emitTimeMs: number,
  ): Promise<AlertTransition[] | undefined> {
    let inserted: AlertTransition[] = [];
    const ok = await fencedTransaction(this.pool, [{ ...ref, epoch }], async (client) => {
      inserted = await insertTransitions(client, transitions, emitTimeMs);
      await upsertAlerts(client, inserted);
    });
    return ok ? inserted : undefined;
  }

  async markPublished(
    transitions: readonly { alertId: string; transitionSeq: number }[],
    nowMs: number,
  ): Promise<void> {
    if (transitions.length === 0) return;
    await queryRows(
      this.pool,
      `UPDATE alert_transitions t SET published_ms = $3
       FROM unnest($1::uuid[], $2::int[]) AS k (alert_id, transition_seq)
       WHERE t.alert_id = k.alert_id AND t.transition_seq = k.transition_seq AND t.published_ms IS NULL`,
      [transitions.map((t) => t.alertId), transitions.map((t) => t.transitionSeq), nowMs],
    );
  }

  /**
   * Publishes recorded transitions that are not on Kafka yet — engine transitions emitted before `beforeMs` (a crash
   * between recording and publishing) and acknowledgements (seq 0, written by the API) emitted before `ackBeforeMs`
   * — and marks them, oldest first. Rows are locked while published (SKIP LOCKED), so instances relaying at once
   * never send the same row twice. Returns how many were published.
   */
  async relay(
    beforeMs: number,
    ackBeforeMs: number,
    limit: number,
    publish: (events: AlertEvent[]) => Promise<void>,
    nowMs: () => number,
  ): Promise<number> {
    const client = await connectClient(this.pool);
    try {
      await client.query('BEGIN');
      const { rows } = await client.query<TransitionRow>(
        `SELECT * FROM alert_transitions
         WHERE published_ms IS NULL AND emit_time_ms < CASE WHEN transition_seq = 0 THEN $2::bigint ELSE $1::bigint END
         ORDER BY emit_time_ms, alert_id, transition_seq LIMIT $3 FOR UPDATE SKIP LOCKED`,
        [beforeMs, ackBeforeMs, limit],
      );
      if (rows.length > 0) {
        await publish(rows.map(fromRow));
        await client.query(
          `UPDATE alert_transitions t SET published_ms = $3
           FROM unnest($1::uuid[], $2::int[]) AS k (alert_id, transition_seq)
           WHERE t.alert_id = k.alert_id AND t.transition_seq = k.transition_seq`,
          [rows.map((r) => r.alert_id), rows.map((r) => r.transition_seq), nowMs()],
        );
      }
      await client.query('COMMIT');
      return rows.length;
    } catch (cause) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw storeUnavailable(cause);
    } finally {
      client.release();
    }
  }
}

async function insertTransitions(
  client: PoolClient,
  transitions: readonly AlertTransition[],
  emitTimeMs: number,
): Promise<AlertTransition[]> {
  if (transitions.length === 0) return [];
  const { rows } = await client.query<{ alert_id: string; transition_seq: number }>(
    `INSERT INTO alert_transitions (alert_id, transition_seq, vin, fleet_id, model_id, catalog_version, rule_id,
       rule_version, rule_name, state, severity, previous_severity, event_time_ms, episode_start_ms, emit_time_ms,
       evidence, message, backfill, timer, reason)
     SELECT a, s, vin, fleet, model, cv, rule, rv, rn, st, sev, psev, et, ep, $20, ev::jsonb, msg, bf, tm, rs
     FROM ${TRANSITION_UNNEST}
     ON CONFLICT (alert_id, transition_seq) DO NOTHING
     RETURNING alert_id, transition_seq`,
    [...transitionColumns(transitions), emitTimeMs],
  );
  const fresh = new Set(rows.map((r) => `${r.alert_id}/${r.transition_seq}`));
  return transitions.filter((t) => fresh.has(`${t.alertId}/${t.transitionSeq}`));
}

/** One row per alert from its newest transition; the peak severity over all of them; never moves a row backwards. */
async function upsertAlerts(client: PoolClient, transitions: readonly AlertTransition[]): Promise<void> {
  if (transitions.length === 0) return;
  const byAlert = new Map<string, { last: AlertTransition; first: AlertTransition; peak: Severity }>();
  for (const t of transitions) {
    const seen = byAlert.get(t.alertId);
    if (seen === undefined) {
      byAlert.set(t.alertId, { last: t, first: t, peak: t.severity });
      continue;
    }
    if (t.transitionSeq > seen.last.transitionSeq) seen.last = t;
    if (t.transitionSeq < seen.first.transitionSeq) seen.first = t;
    if (severityRank(t.severity) > severityRank(seen.peak)) seen.peak = t.severity;
  }
  const list = [...byAlert.values()];
  const col = <T>(f: (a: (typeof list)[number]) => T): T[] => list.map(f);
  await client.query(
    `INSERT INTO alerts AS a (alert_id, vin, fleet_id, model_id, rule_id, rule_version, rule_name, state, severity,
       peak_severity, message, episode_start_ms, raised_ms, updated_ms, cleared_ms, last_seq, backfill)
     SELECT id, vin, fleet, model, rule, rv, rn, st, sev, peak, msg, ep, raised, upd,
       CASE WHEN st = 'cleared' THEN upd END, seq, bf
     FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int[], $7::text[], $8::text[],
       $9::text[], $10::text[], $11::text[], $12::bigint[], $13::bigint[], $14::bigint[], $15::int[], $16::boolean[])
       AS t (id, vin, fleet, model, rule, rv, rn, st, sev, peak, msg, ep, raised, upd, seq, bf)
     ON CONFLICT (alert_id) DO UPDATE SET
       rule_version = EXCLUDED.rule_version, rule_name = EXCLUDED.rule_name, state = EXCLUDED.state,
       severity = EXCLUDED.severity, message = EXCLUDED.message, updated_ms = EXCLUDED.updated_ms,
       cleared_ms = EXCLUDED.cleared_ms, last_seq = EXCLUDED.last_seq,
       peak_severity = CASE
         WHEN array_position($17::text[], EXCLUDED.peak_severity) > array_position($17::text[], a.peak_severity)
         THEN EXCLUDED.peak_severity ELSE a.peak_severity END
     WHERE a.last_seq < EXCLUDED.last_seq`,
    [
      col((a) => a.last.alertId),
      col((a) => a.last.vin),
      col((a) => a.last.fleetId),
      col((a) => a.last.modelId),
      col((a) => a.last.ruleId),
      col((a) => a.last.ruleVersion),
      col((a) => a.last.ruleName),
      col((a) => a.last.state),
      col((a) => a.last.severity),
      col((a) => a.peak),
      col((a) => a.last.message),
      col((a) => a.last.episodeStartMs),
      col((a) => (a.first.state === 'raised' ? a.first.eventTimeMs : a.last.episodeStartMs)),
      col((a) => a.last.eventTimeMs),
      col((a) => a.last.transitionSeq),
      col((a) => a.last.backfill),
      ['info', 'warning', 'major', 'critical'],
    ],
  );
}

interface TransitionRow {
  alert_id: string;
  transition_seq: number;
  vin: string;
  fleet_id: string;
  model_id: string;
  catalog_version: string;
  rule_id: string;
  rule_version: number;
  rule_name: string;
  state: AlertEvent['state'];
  severity: Severity;
  previous_severity: Severity | null;
  event_time_ms: string;
  episode_start_ms: string;
  emit_time_ms: string;
  evidence: Evidence[];
  message: string;
  backfill: boolean;
  timer: boolean;
  reason: string;
  origin: string;
}

function fromRow(r: TransitionRow): AlertEvent {
  return {
    origin: r.origin,
    emitTimeMs: Number(r.emit_time_ms),
    alertId: r.alert_id,
    vin: r.vin,
    fleetId: r.fleet_id,
    modelId: r.model_id,
    catalogVersion: r.catalog_version,
    ruleId: r.rule_id,
    ruleVersion: r.rule_version,
    ruleName: r.rule_name,
    state: r.state,
    severity: r.severity,
    previousSeverity: r.previous_severity,
    eventTimeMs: Number(r.event_time_ms),
    episodeStartMs: Number(r.episode_start_ms),
    transitionSeq: r.transition_seq,
    evidence: r.evidence,
    message: r.message,
    backfill: r.backfill,
    timer: r.timer,
    reason: r.reason,
  };
}
