/**
 * Shadow transitions in PostgreSQL (migration 0017_rule_shadow.sql): `shadow_transitions`, keyed by rule, version,
 * alert id and transition seq (a replay inserts nothing), written while the partition's epoch is this instance's.
 * There is no outbox column: nothing here is ever published.
 */
import type { Pool } from '@telltale/platform/db';
import type { AlertTransition } from '@telltale/rules';
import type { PartitionRef } from '../pipeline/records.js';
import type { ShadowTransitionStore } from '../pipeline/shadow-recorder.js';
import { fencedTransaction } from './pg-fenced-transaction.js';
import { TRANSITION_UNNEST, transitionColumns } from './pg-transition-columns.js';

export class PgShadowTransitions implements ShadowTransitionStore {
  constructor(private readonly pool: Pool) {}

  async recordShadowTransitions(
    ref: PartitionRef,
    epoch: number,
    transitions: readonly AlertTransition[],
    emitTimeMs: number,
  ): Promise<number | undefined> {
    let inserted = 0;
    const ok = await fencedTransaction(this.pool, [{ ...ref, epoch }], async (client) => {
      const result = await client.query(
        `INSERT INTO shadow_transitions (alert_id, transition_seq, vin, fleet_id, model_id, catalog_version, rule_id,
           rule_version, rule_name, state, severity, previous_severity, event_time_ms, episode_start_ms,
           emit_time_ms, evidence, message, backfill, timer, reason)
         SELECT a, s, vin, fleet, model, cv, rule, rv, rn, st, sev, psev, et, ep, $20, ev::jsonb, msg, bf, tm, rs
         FROM ${TRANSITION_UNNEST}
         ON CONFLICT DO NOTHING`,
        [...transitionColumns(transitions), emitTimeMs],
      );
      inserted = result.rowCount ?? 0;
    });
    return ok ? inserted : undefined;
  }
}
