/**
 * Alert transitions: what the engine emits, one per lifecycle step of an alert (raised → escalated / de-escalated →
 * cleared). Plain data that maps one to one onto telltale.alerts.v1.Alert; the adapter adds emit time and origin.
 */
import { createHash } from 'node:crypto';
import type { Severity } from './severity.js';

export type AlertState = 'raised' | 'escalated' | 'deescalated' | 'cleared';

/** One signal value (or window aggregate) that made a condition true — or, for a clear, the clear condition. */
export interface Evidence {
  /** As the rule wrote it: `cellVoltageMax`, `avg(packCurrent, 30s)`. */
  readonly signal: string;
  readonly qualifiedName: string;
  /** null: no sample of the signal yet (e.g. a sensor silent since the vehicle came online), or an empty window. */
  readonly value: number | null;
  /** Event time of the sample; for a window, the evaluation time. */
  readonly eventTimeMs: number | null;
  readonly unit: string;
}

export interface AlertTransition {
  /** Deterministic: the same vehicle, rule and episode start give the same id on every replay and instance. */
  readonly alertId: string;
  readonly vin: string;
  readonly fleetId: string;
  readonly modelId: string;
  readonly catalogVersion: string;
  readonly ruleId: string;
  /** The version of the rule that made this transition. */
  readonly ruleVersion: number;
  readonly ruleName: string;
  readonly state: AlertState;
  readonly severity: Severity;
  /** The severity before an escalation or de-escalation; null on raise. */
  readonly previousSeverity: Severity | null;
  /** Event time of the transition: from the samples or from the deadline of a timer, never the wall clock. */
  readonly eventTimeMs: number;
  /** When the condition started to hold: the episode this alert is. */
  readonly episodeStartMs: number;
  /** 1 = raised, then one more per transition of this alert. */
  readonly transitionSeq: number;
  readonly evidence: readonly Evidence[];
  readonly message: string;
  /** Made by backfilled (store-and-forward) data, for a rule with backfill: "evaluate". Not a live alert. */
  readonly backfill: boolean;
  /** Fired by a timer (a `for`, clear delay, stale() or window deadline) rather than by a new sample. */
  readonly timer: boolean;
  /** "rule-removed": the rule was deleted, disabled or no longer covers this vehicle while the alert was active. */
  readonly reason: 'condition' | 'rule-removed';
}

/**
 * Deterministic alert id: SHA-256 of (vin, rule id, episode start) shaped as a UUID (version nibble 8, RFC 9562
 * custom), so it fits a uuid column and every replay of the same data yields the same id.
 */
export function alertId(vin: string, ruleId: string, episodeStartMs: number): string {
  const hex = createHash('sha256').update(`${vin}\u0000${ruleId}\u0000${episodeStartMs}`).digest('hex');
  const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return (
    `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-` +
    `${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`
  );
}
