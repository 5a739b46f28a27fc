/** Alert rows as `telltale diagnostics` writes them (0005_alerts.sql), inserted directly: the API only reads them. */
import { createHash } from 'node:crypto';
import type { Pool } from '@telltale/platform/db';

export interface AlertRow {
  readonly vin: string;
  readonly fleetId: string;
  readonly ruleId: string;
  readonly raisedMs: number;
  readonly modelId?: string;
  readonly ruleVersion?: number;
  readonly severity?: 'info' | 'warning' | 'major' | 'critical';
  /** cleared: the alert is closed at raisedMs + 60 s with a second transition. */
  readonly state?: 'raised' | 'escalated' | 'cleared';
  readonly alertId?: string;
}

/** A UUID-shaped id derived from the name, like diagnostics' deterministic alert ids. */
export function alertIdFor(name: string): string {
  const h = createHash('sha256').update(name).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

export async function insertAlert(pool: Pool, row: AlertRow): Promise<string> {
  const alertId = row.alertId ?? alertIdFor(`${row.vin}|${row.ruleId}|${row.raisedMs}`);
  const { modelId = 'aurora-ev-2026', ruleVersion = 1, severity = 'warning', state = 'raised' } = row;
  const clearedMs = state === 'cleared' ? row.raisedMs + 60_000 : null;
  const evidence = [
    {
      signal: 'cellTemperatureMax',
      qualifiedName: 'bms/BMS_CellStats/BMS_CellTemperatureMax',
      value: 57.5,
      eventTimeMs: row.raisedMs,
      unit: '°C',
    },
  ];
  const transitions: [number, string, number][] = [[1, 'raised', row.raisedMs]];
  if (state === 'escalated') transitions.push([2, 'escalated', row.raisedMs + 5_000]);
  if (state === 'cleared') transitions.push([2, 'cleared', clearedMs!]);
  for (const [seq, transitionState, eventTimeMs] of transitions) {
    await pool.query(
      `INSERT INTO alert_transitions (alert_id, transition_seq, vin, fleet_id, model_id, catalog_version, rule_id,
         rule_version, rule_name, state, severity, previous_severity, event_time_ms, episode_start_ms, emit_time_ms,
         evidence, message, backfill, timer, reason)
       VALUES ($1, $2, $3, $4, $5, '1.0.0', $6, $7, $8, $9, $10, NULL, $11::bigint, $12, $11::bigint + 200, $13, $14,
         false, $15, 'condition')`,
      [
        alertId,
        seq,
        row.vin,
        row.fleetId,
        modelId,
        row.ruleId,
        ruleVersion,
        `Rule ${row.ruleId}`,
        transitionState,
        severity,
        eventTimeMs,
        row.raisedMs,
        JSON.stringify(evidence),
        `Cell temperature 57.5 °C (${transitionState})`,
        transitionState === 'cleared',
      ],
    );
  }
  await pool.query(
    `INSERT INTO alerts (alert_id, vin, fleet_id, model_id, rule_id, rule_version, rule_name, state, severity,
       peak_severity, message, episode_start_ms, raised_ms, updated_ms, cleared_ms, last_seq, backfill)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, 'Cell temperature 57.5 °C', $10, $10, $11, $12, $13, false)`,
    [
      alertId,
      row.vin,
      row.fleetId,
      modelId,
      row.ruleId,
      ruleVersion,
      `Rule ${row.ruleId}`,
      state,
      severity,
      row.raisedMs,
      transitions.at(-1)![2],
      clearedMs,
      transitions.length,
    ],
  );
  return alertId;
}
