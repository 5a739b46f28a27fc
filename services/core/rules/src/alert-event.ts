/**
 * The alert as JSON, shared by everything that carries alerts past Kafka: webhook bodies, the Redis live streams and
 * the API's SSE/WebSocket events. Also the filter language of subscriptions and streams, and the Redis stream keys
 * (the contract between the notifier, which writes them, and the API, which reads them).
 */
import type { IAlert } from '@telltale/platform/proto';
import type { AlertTransition } from './alert.js';
import { SEVERITIES, isSeverity, severityRank, type Severity } from './severity.js';

export const ALERT_SEVERITIES = SEVERITIES;
export type AlertSeverity = Severity;
export { severityRank };
export const isAlertSeverity = isSeverity;
export const ALERT_STATES = ['raised', 'escalated', 'deescalated', 'cleared', 'acknowledged'] as const;
export type AlertStateName = (typeof ALERT_STATES)[number];

/**
 * One lifecycle transition of an alert (one vehicle.alerts.v1 record): the engine's AlertTransition as it travels,
 * with its emit time and origin, and any state a later producer may add (acknowledged).
 */
export type AlertEvent = Omit<AlertTransition, 'state' | 'reason'> & {
  readonly state: AlertStateName;
  readonly reason: string;
  /** "rule" (diagnostics) or "model" (fault-probability model). */
  readonly origin: string;
  /** When the engine emitted the transition (ms since the Unix epoch): the start of delivery latency. */
  readonly emitTimeMs: number;
};

/** Proto enum number (telltale.alerts.v1.Severity: 1 info … 4 critical) → name; 0 or unknown → undefined. */
export const severityName = (n: number): AlertSeverity | undefined => ALERT_SEVERITIES[n - 1];
/** Proto enum number (telltale.alerts.v1.AlertState: 1 raised … 5 acknowledged) → name. */
export const stateName = (n: number): AlertStateName | undefined => ALERT_STATES[n - 1];
export const isAlertState = (v: unknown): v is AlertStateName =>
  typeof v === 'string' && (ALERT_STATES as readonly string[]).includes(v);

/**
 * What a subscriber wants. Empty lists mean "any"; fleets are always explicit ('*' = every fleet) because they
 * are the subscriber's authority, checked against its API key when the filter is stored.
 */
export interface AlertFilter {
  readonly fleets: readonly string[];
  readonly models: readonly string[];
  readonly vins: readonly string[];
  readonly rules: readonly string[];
  readonly minSeverity: AlertSeverity;
  readonly states: readonly AlertStateName[];
  /** Alerts made by store-and-forward data are not live; most subscribers do not want them. */
  readonly includeBackfill: boolean;
}

export const ANY_FLEET = '*';

export function alertMatches(filter: AlertFilter, alert: AlertEvent): boolean {
  if (!filter.fleets.includes(ANY_FLEET) && !filter.fleets.includes(alert.fleetId)) return false;
  if (filter.models.length > 0 && !filter.models.includes(alert.modelId)) return false;
  if (filter.vins.length > 0 && !filter.vins.includes(alert.vin)) return false;
  if (filter.rules.length > 0 && !filter.rules.includes(alert.ruleId)) return false;
  if (filter.states.length > 0 && !filter.states.includes(alert.state)) return false;
  if (alert.backfill && !filter.includeBackfill) return false;
  return severityRank(alert.severity) >= severityRank(filter.minSeverity);
}

/**
 * Redis stream of one fleet's alerts ('*': every fleet's, for all-fleet keys). The notifier appends each alert to
 * its fleet's stream and to the '*' stream; stream ids are the resume cursors of the live API.
 */
export function alertStreamKey(redisKeyPrefix: string, fleet: string): string {
  const prefix = redisKeyPrefix === '-' ? '' : redisKeyPrefix;
  return fleet === ANY_FLEET ? `${prefix}alerts:stream:all` : `${prefix}alerts:stream:fleet:${fleet}`;
}

/** The field of a stream entry that holds the AlertEvent JSON. */
export const ALERT_STREAM_FIELD = 'alert';

const SEVERITY_CODE: Readonly<Record<AlertSeverity, number>> = { info: 1, warning: 2, major: 3, critical: 4 };
const STATE_CODE: Readonly<Record<AlertStateName, number>> = {
  raised: 1,
  escalated: 2,
  deescalated: 3,
  cleared: 4,
  acknowledged: 5,
};

/**
 * An alert transition as the vehicle.alerts.v1 Alert message (plain object for `Alert.encode`). Used by diagnostics
 * (engine transitions) and the API (acknowledgements, transition seq 0).
 */
export function alertMessageOf(event: AlertEvent): IAlert {
  return {
    alertId: event.alertId,
    vin: event.vin,
    ruleId: event.ruleId,
    ruleVersion: event.ruleVersion,
    ruleName: event.ruleName,
    severity: SEVERITY_CODE[event.severity],
    previousSeverity: event.previousSeverity === null ? 0 : SEVERITY_CODE[event.previousSeverity],
    state: STATE_CODE[event.state],
    eventTimeMsEpoch: event.eventTimeMs,
    episodeStartMsEpoch: event.episodeStartMs,
    emitTimeMsEpoch: event.emitTimeMs,
    transitionSeq: event.transitionSeq,
    evidence: event.evidence.map((e) => ({
      signal: e.signal,
      qualifiedName: e.qualifiedName,
      ...(e.value === null ? {} : { value: e.value }),
      eventTimeMsEpoch: e.eventTimeMs ?? 0,
      unit: e.unit,
    })),
    message: event.message,
    fleetId: event.fleetId,
    modelId: event.modelId,
    catalogVersion: event.catalogVersion,
    origin: event.origin,
    backfill: event.backfill,
    timer: event.timer,
    reason: event.reason,
  };
}

/** Transition seq of an acknowledgement: outside the engine's 1, 2, … so (alert id, seq) stays a unique key. */
export const ACKNOWLEDGEMENT_SEQ = 0;
