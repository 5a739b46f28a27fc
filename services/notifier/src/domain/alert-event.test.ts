import { describe, expect, it } from 'vitest';
import { alertEventOf, type AlertRecord } from './alert-event.js';

const record = (over: Partial<AlertRecord>): AlertRecord => ({
  alertId: 'a1',
  vin: 'LRW3E7FS1RC000001',
  ruleId: 'r',
  ruleVersion: 1,
  severity: 3,
  state: 1,
  eventTimeMsEpoch: 10,
  evidence: [],
  message: 'm',
  fleetId: 'fleet-a',
  modelId: 'aurora-ev-2026',
  catalogVersion: '1.0.0',
  emitTimeMsEpoch: 11,
  transitionSeq: 1,
  origin: 'rule',
  previousSeverity: 0,
  episodeStartMsEpoch: 10,
  backfill: false,
  timer: false,
  reason: 'condition',
  ruleName: 'R',
  ...over,
});

describe('alertEventOf', () => {
  it('reads an engine transition (seq from 1) and an acknowledgement (seq 0)', () => {
    expect(alertEventOf(record({}))).toMatchObject({
      ok: true,
      alert: { state: 'raised', transitionSeq: 1, severity: 'major', previousSeverity: null },
    });
    expect(alertEventOf(record({ state: 5, transitionSeq: 0, origin: 'operator', reason: 'operator' }))).toMatchObject({
      ok: true,
      alert: { state: 'acknowledged', transitionSeq: 0, origin: 'operator' },
    });
  });

  it('refuses seq 0 for a transition, another seq for an acknowledgement, and missing fields', () => {
    expect(alertEventOf(record({ transitionSeq: 0 }))).toEqual({
      ok: false,
      reason: 'ALERT_INVALID',
      detail: 'missing or invalid: transition_seq',
    });
    expect(alertEventOf(record({ state: 5, transitionSeq: 2 }))).toEqual({
      ok: false,
      reason: 'ALERT_INVALID',
      detail: 'missing or invalid: transition_seq',
    });
    expect(alertEventOf(record({ fleetId: '', severity: 9 }))).toEqual({
      ok: false,
      reason: 'ALERT_INVALID',
      detail: 'missing or invalid: fleet_id, severity',
    });
  });
});
