/**
 * The diagnostics service's PostgreSQL state (migration 0005_alerts.sql): alert transitions (also the outbox of
 * vehicle.alerts.v1) and the current row of every alert; per partition of vehicle.signals.v1 the offset the persisted
 * vehicle state reflects, with an epoch that fences a former owner; the rule engine's state per vehicle.
 */
import { TelltaleError } from '@telltale/platform';
import type { Pool, PoolClient } from '@telltale/platform/db';
import type { AlertEvent } from '@telltale/rules/alerts';
import { severityRank, type AlertTransition, type Evidence, type Severity } from '@telltale/rules';
import type { CheckpointStore, VehicleStateRow } from '../pipeline/checkpoint-writer.js';
import type { ClaimStore, PartitionClaim } from '../pipeline/partition-claims.js';
import type { PartitionRef } from '../pipeline/records.js';
import type { TransitionStore } from '../pipeline/transition-outbox.js';

export class PgDiagnosticsStore implements ClaimStore, CheckpointStore, TransitionStore {
  constructor(private readonly pool: Pool) {}

  /** Takes ownership of a partition: bumps its epoch (fencing the former owner's later writes). */
  async claimPartition(ref: PartitionRef, owner: string): Promise<PartitionClaim> {
    const { rows } = await this.query<{ epoch: string; next_offset: string | null }>(
      `INSERT INTO diagnostics_partitions (topic, partition, epoch, owner) VALUES ($1, $2, 1, $3)
       ON CONFLICT (topic, partition) DO UPDATE SET epoch = diagnostics_partitions.epoch + 1, owner = EXCLUDED.owner
       RETURNING epoch, next_offset`,
      [ref.topic, ref.partition, owner],
    );
    const row = rows[0]!;
    return { epoch: Number(row.epoch), nextOffset: row.next_offset === null ? null : BigInt(row.next_offset) };
  }

  /**
   * The persisted state of the vehicles `owns(vin)` picks among those of the topic. Ownership is decided by the
   * caller from the VIN (the producers' partitioner and today's partition count), not by the partition the state was
   * written under: after the topic's partitions grew, a vehicle's state follows it to its new partition.
   */
  async loadStates(topic: string, owns: (vin: string) => boolean): Promise<{ vin: string; state: unknown }[]> {
    const { rows: all } = await this.query<{ vin: string }>(
      'SELECT vin FROM diagnostics_vehicle_state WHERE topic = $1',
      [topic],
    );
    const vins = all.map((r) => r.vin).filter(owns);
    if (vins.length === 0) return [];
    const { rows } = await this.query<{ vin: string; state: unknown }>(
      'SELECT vin, state FROM diagnostics_vehicle_state WHERE vin = ANY($1::text[])',
      [vins],
    );
    return rows;
  }

  /**
   * Persists vehicle states as of `nextOffset` of their partition, in one transaction, if `epoch` is still the
   * partition's. False: another instance claimed the partition since (nothing was written).
   */
  async checkpoint(
    ref: PartitionRef,
    epoch: number,
    nextOffset: bigint,
    states: readonly VehicleStateRow[],
    nowMs: number,
  ): Promise<boolean> {
    return this.fenced([{ ...ref, epoch }], async (client) => {
      if (states.length > 0) {
        await client.query(
          `INSERT INTO diagnostics_vehicle_state (vin, topic, partition, state, updated_ms)
           SELECT s.vin, $2, $3, s.state::jsonb, $4 FROM unnest($1::text[], $5::text[]) AS s (vin, state)
           ON CONFLICT (vin) DO UPDATE SET topic = EXCLUDED.topic, partition = EXCLUDED.partition,
             state = EXCLUDED.state, updated_ms = EXCLUDED.updated_ms`,
          [states.map((s) => s.vin), ref.topic, ref.partition, nowMs, states.map((s) => s.state)],
        );
      }
      await client.query(
        'UPDATE diagnostics_partitions SET next_offset = $3, checkpoint_ms = $4 WHERE topic = $1 AND partition = $2',
        [ref.topic, ref.partition, nextOffset.toString(), nowMs],
      );
    });
  }

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
    const ok = await this.fenced([{ ...ref, epoch }], async (client) => {
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
    await this.query(
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
    const client = await this.connect();
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
      throw unavailable(cause);
    } finally {
      client.release();
    }
  }

  private async fenced(
    fences: readonly (PartitionRef & { epoch: number })[],
    work: (client: PoolClient) => Promise<void>,
  ): Promise<boolean> {
    const client = await this.connect();
    try {
      await client.query('BEGIN');
      for (const f of fences) {
        const { rows } = await client.query<{ epoch: string }>(
          'SELECT epoch FROM diagnostics_partitions WHERE topic = $1 AND partition = $2 FOR SHARE',
          [f.topic, f.partition],
        );
        if (rows[0] === undefined || Number(rows[0].epoch) !== f.epoch) {
          await client.query('ROLLBACK');
          return false;
        }
      }
      await work(client);
      await client.query('COMMIT');
      return true;
    } catch (cause) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw unavailable(cause);
    } finally {
      client.release();
    }
  }

  private async connect(): Promise<PoolClient> {
    try {
      return await this.pool.connect();
    } catch (cause) {
      throw unavailable(cause);
    }
  }

  private async query<R extends object>(sql: string, params: unknown[]): Promise<{ rows: R[] }> {
    try {
      return await this.pool.query<R>(sql, params);
    } catch (cause) {
      throw unavailable(cause);
    }
  }
}

function unavailable(cause: unknown): TelltaleError {
  if (cause instanceof TelltaleError) return cause;
  return new TelltaleError(
    'DIAGNOSTICS_STORE_UNAVAILABLE',
    `PostgreSQL write of diagnostics state failed: ${(cause as Error).message}`,
    { retryable: true, cause },
  );
}

async function insertTransitions(
  client: PoolClient,
  transitions: readonly AlertTransition[],
  emitTimeMs: number,
): Promise<AlertTransition[]> {
  if (transitions.length === 0) return [];
  const col = <T>(f: (t: AlertTransition) => T): T[] => transitions.map(f);
  const { rows } = await client.query<{ alert_id: string; transition_seq: number }>(
    `INSERT INTO alert_transitions (alert_id, transition_seq, vin, fleet_id, model_id, catalog_version, rule_id,
       rule_version, rule_name, state, severity, previous_severity, event_time_ms, episode_start_ms, emit_time_ms,
       evidence, message, backfill, timer, reason)
     SELECT a, s, vin, fleet, model, cv, rule, rv, rn, st, sev, psev, et, ep, $20, ev::jsonb, msg, bf, tm, rs
     FROM unnest($1::uuid[], $2::int[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::int[],
       $9::text[], $10::text[], $11::text[], $12::text[], $13::bigint[], $14::bigint[], $15::text[], $16::text[],
       $17::boolean[], $18::boolean[], $19::text[])
       AS t (a, s, vin, fleet, model, cv, rule, rv, rn, st, sev, psev, et, ep, ev, msg, bf, tm, rs)
     ON CONFLICT (alert_id, transition_seq) DO NOTHING
     RETURNING alert_id, transition_seq`,
    [
      col((t) => t.alertId),
      col((t) => t.transitionSeq),
      col((t) => t.vin),
      col((t) => t.fleetId),
      col((t) => t.modelId),
      col((t) => t.catalogVersion),
      col((t) => t.ruleId),
      col((t) => t.ruleVersion),
      col((t) => t.ruleName),
      col((t) => t.state),
      col((t) => t.severity),
      col((t) => t.previousSeverity),
      col((t) => t.eventTimeMs),
      col((t) => t.episodeStartMs),
      col((t) => JSON.stringify(t.evidence)),
      col((t) => t.message),
      col((t) => t.backfill),
      col((t) => t.timer),
      col((t) => t.reason),
      emitTimeMs,
    ],
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
