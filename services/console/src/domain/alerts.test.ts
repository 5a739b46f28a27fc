import { describe, expect, it } from 'vitest';
import { alertMatches, alertQuery, mergeAlert, NO_FILTERS, streamQuery, type AlertRow } from './alerts.js';
import { diffLines } from './diff.js';

const alert = (id: string, extra: Partial<AlertRow> = {}): AlertRow => ({
  alertId: id,
  vin: 'LRW3E7FS1RC000001',
  fleetId: 'fleet-a',
  ruleId: 'r1',
  ruleVersion: 1,
  severity: 'major',
  state: 'raised',
  message: 'm',
  raisedMs: 1000,
  updatedMs: 1000,
  acknowledged: false,
  seq: 1,
  ...extra,
});

describe('alert filters', () => {
  const f = { ...NO_FILTERS, severity: 'major', state: 'open', vin: 'lrw3e7fs1rc000001' };

  it('build the list query and the stream query (which has no "open": it must see clears)', () => {
    expect(alertQuery(f, { limit: '100' })).toBe('minSeverity=major&open=true&vin=LRW3E7FS1RC000001&limit=100');
    expect(streamQuery(f)).toBe('minSeverity=major&vin=LRW3E7FS1RC000001');
    expect(alertQuery({ ...NO_FILTERS, state: 'cleared' })).toBe('state=cleared');
  });

  it('decide whether a live alert belongs in the list', () => {
    expect(alertMatches(f, alert('a'))).toBe(true);
    expect(alertMatches(f, alert('a', { severity: 'warning' }))).toBe(false);
    expect(alertMatches(f, alert('a', { state: 'cleared' }))).toBe(false);
    expect(alertMatches(f, alert('a', { vin: 'LRW3E7FS1RC000002' }))).toBe(false);
  });
});

describe('mergeAlert', () => {
  it('keeps one row per alert, newest raise first, a later transition replacing an earlier one', () => {
    let list = mergeAlert([], alert('a', { raisedMs: 1000 }));
    list = mergeAlert(list, alert('b', { raisedMs: 2000 }));
    list = mergeAlert(list, alert('a', { seq: 2, state: 'escalated', severity: 'critical', raisedMs: 1500 }));
    expect(list.map((a) => [a.alertId, a.state, a.raisedMs])).toEqual([
      ['b', 'raised', 2000],
      ['a', 'escalated', 1000], // the raise time stays the first transition's
    ]);
    expect(mergeAlert(list, alert('a', { seq: 1, state: 'raised' })).find((a) => a.alertId === 'a')?.state).toBe(
      'escalated',
    );
  });

  it('turns an acknowledgement (seq 0) into the flag, and ignores one for an alert not shown', () => {
    const list = [alert('a', { seq: 3, state: 'escalated' })];
    const acked = mergeAlert(list, alert('a', { seq: 0, state: 'acknowledged', acknowledged: true }));
    expect(acked[0]).toMatchObject({ state: 'escalated', acknowledged: true, seq: 3 });
    expect(mergeAlert(list, alert('z', { seq: 0, state: 'acknowledged' }))).toHaveLength(1);
  });
});

describe('diffLines', () => {
  it('marks removed and added lines around the common ones', () => {
    expect(diffLines('a\nb\nc', 'a\nx\nc\nd')).toEqual([
      { kind: 'same', text: 'a' },
      { kind: 'removed', text: 'b' },
      { kind: 'added', text: 'x' },
      { kind: 'same', text: 'c' },
      { kind: 'added', text: 'd' },
    ]);
  });
});
