/**
 * AlertTransition (the rule engine's output) → the vehicle.alerts.v1 Alert message. Pure: the emit time is an
 * argument.
 */
import type { AlertState as TransitionState, AlertTransition, Severity as RuleSeverity } from '@telltale/core/rules';
import { AlertState, Severity, type IAlert } from '@telltale/core/proto';

const SEVERITY: Readonly<Record<RuleSeverity, number>> = {
  info: Severity.SEVERITY_INFO,
  warning: Severity.SEVERITY_WARNING,
  major: Severity.SEVERITY_MAJOR,
  critical: Severity.SEVERITY_CRITICAL,
};

const STATE: Readonly<Record<TransitionState, number>> = {
  raised: AlertState.ALERT_STATE_RAISED,
  escalated: AlertState.ALERT_STATE_ESCALATED,
  deescalated: AlertState.ALERT_STATE_DEESCALATED,
  cleared: AlertState.ALERT_STATE_CLEARED,
};

export function severityCode(severity: RuleSeverity): number {
  return SEVERITY[severity];
}

export function toAlertMessage(t: AlertTransition, emitTimeMs: number): IAlert {
  return {
    alertId: t.alertId,
    vin: t.vin,
    ruleId: t.ruleId,
    ruleVersion: t.ruleVersion,
    ruleName: t.ruleName,
    severity: SEVERITY[t.severity],
    previousSeverity: t.previousSeverity === null ? Severity.SEVERITY_UNSPECIFIED : SEVERITY[t.previousSeverity],
    state: STATE[t.state],
    eventTimeMsEpoch: t.eventTimeMs,
    episodeStartMsEpoch: t.episodeStartMs,
    emitTimeMsEpoch: emitTimeMs,
    transitionSeq: t.transitionSeq,
    evidence: t.evidence.map((e) => ({
      signal: e.signal,
      qualifiedName: e.qualifiedName,
      ...(e.value === null ? {} : { value: e.value }),
      eventTimeMsEpoch: e.eventTimeMs ?? 0,
      unit: e.unit,
    })),
    message: t.message,
    fleetId: t.fleetId,
    modelId: t.modelId,
    catalogVersion: t.catalogVersion,
    origin: 'rule',
    backfill: t.backfill,
    timer: t.timer,
    reason: t.reason,
  };
}
