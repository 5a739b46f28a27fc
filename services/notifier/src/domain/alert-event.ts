/** A decoded telltale.alerts.v1.Alert → the AlertEvent every channel carries, or why the record is unusable. */
import { severityName, stateName, type AlertEvent } from '@telltale/rules/alerts';

/** The fields of the generated Alert the notifier reads (plain numbers: core unsets protobufjs' Long). */
export interface AlertRecord {
  alertId: string;
  vin: string;
  ruleId: string;
  ruleVersion: number;
  severity: number;
  state: number;
  eventTimeMsEpoch: number | { toNumber(): number };
  evidence: readonly {
    signal: string;
    value?: number | null;
    eventTimeMsEpoch: number | { toNumber(): number };
    unit: string;
    qualifiedName: string;
  }[];
  message: string;
  fleetId: string;
  modelId: string;
  catalogVersion: string;
  emitTimeMsEpoch: number | { toNumber(): number };
  transitionSeq: number;
  origin: string;
  previousSeverity: number;
  episodeStartMsEpoch: number | { toNumber(): number };
  backfill: boolean;
  timer: boolean;
  reason: string;
  ruleName: string;
}

export type AlertConversion =
  | { readonly ok: true; readonly alert: AlertEvent }
  | { readonly ok: false; readonly reason: 'ALERT_INVALID'; readonly detail: string };

const num = (v: number | { toNumber(): number }): number => (typeof v === 'number' ? v : v.toNumber());

export function alertEventOf(record: AlertRecord): AlertConversion {
  const severity = severityName(record.severity);
  const state = stateName(record.state);
  const missing = [
    record.alertId === '' && 'alert_id',
    record.vin === '' && 'vin',
    record.fleetId === '' && 'fleet_id',
    record.ruleId === '' && 'rule_id',
    // 1, 2, … for the engine's transitions; 0 for the acknowledgement (one per alert).
    (state === 'acknowledged' ? record.transitionSeq !== 0 : record.transitionSeq < 1) && 'transition_seq',
    severity === undefined && 'severity',
    state === undefined && 'state',
  ].filter((m): m is string => m !== false);
  if (missing.length > 0 || severity === undefined || state === undefined) {
    return { ok: false, reason: 'ALERT_INVALID', detail: `missing or invalid: ${missing.join(', ')}` };
  }
  return {
    ok: true,
    alert: {
      alertId: record.alertId,
      transitionSeq: record.transitionSeq,
      vin: record.vin,
      fleetId: record.fleetId,
      modelId: record.modelId,
      catalogVersion: record.catalogVersion,
      ruleId: record.ruleId,
      ruleVersion: record.ruleVersion,
      ruleName: record.ruleName,
      origin: record.origin === '' ? 'rule' : record.origin,
      state,
      severity,
      previousSeverity: severityName(record.previousSeverity) ?? null,
      message: record.message,
      eventTimeMs: num(record.eventTimeMsEpoch),
      episodeStartMs: num(record.episodeStartMsEpoch),
      emitTimeMs: num(record.emitTimeMsEpoch),
      backfill: record.backfill,
      timer: record.timer,
      reason: record.reason === '' ? 'condition' : record.reason,
      evidence: record.evidence.map((e) => ({
        signal: e.signal,
        qualifiedName: e.qualifiedName,
        value: e.value ?? null,
        eventTimeMs: num(e.eventTimeMsEpoch),
        unit: e.unit,
      })),
    },
  };
}
