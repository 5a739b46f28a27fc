/**
 * Engine transitions as the column arrays of an `unnest(...)` insert, shared by alert_transitions (the outbox) and
 * shadow_transitions: $1 alert id (uuid[]), $2 seq (int[]), $3 vin, $4 fleet, $5 model, $6 catalog version,
 * $7 rule id, $8 rule version (int[]), $9 rule name, $10 state, $11 severity, $12 previous severity,
 * $13 event time (bigint[]), $14 episode start (bigint[]), $15 evidence (JSON text), $16 message,
 * $17 backfill (boolean[]), $18 timer (boolean[]), $19 reason.
 */
import type { AlertTransition } from '@telltale/rules';

export const TRANSITION_UNNEST = `unnest($1::uuid[], $2::int[], $3::text[], $4::text[], $5::text[], $6::text[],
  $7::text[], $8::int[], $9::text[], $10::text[], $11::text[], $12::text[], $13::bigint[], $14::bigint[], $15::text[],
  $16::text[], $17::boolean[], $18::boolean[], $19::text[])
  AS t (a, s, vin, fleet, model, cv, rule, rv, rn, st, sev, psev, et, ep, ev, msg, bf, tm, rs)`;

export function transitionColumns(transitions: readonly AlertTransition[]): unknown[] {
  const col = <T>(f: (t: AlertTransition) => T): T[] => transitions.map(f);
  return [
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
  ];
}
