import { describe, expect, it } from 'vitest';
import { shadowRequest, shadowVerdict, sideBySide, type ShadowComparisonJson } from './shadow.js';

const side = (raised: number, cleared: number, versions: number[]) => ({
  transitions: raised + cleared,
  byState: { raised, escalated: 0, deescalated: 0, cleared },
  vehiclesAlerted: raised,
  versions,
  truncated: false,
});

const comparison = (over: Partial<ShadowComparisonJson> = {}): ShadowComparisonJson => ({
  activeVersion: 3,
  shadowVersion: 4,
  shadowDeployed: true,
  shadowSince: '2026-12-06T10:00:00.000Z',
  from: '2026-12-06T10:00:00.000Z',
  to: '2026-12-06T11:00:00.000Z',
  active: side(1, 1, [3]),
  shadow: side(3, 2, [4]),
  vehicles: [],
  vehiclesTotal: 3,
  diff: { matched: 2, onlyShadow: { count: 3 }, onlyActive: { count: 0 }, changed: { count: 0 } },
  ...over,
});

describe('shadow comparison', () => {
  it('lays both sides out row by row', () => {
    const rows = sideBySide(comparison({ shadow: { ...side(3, 2, [4]), truncated: true } }));
    expect(rows[0]).toEqual({ label: 'version', active: 'v3', shadow: 'v4' });
    expect(rows.find((r) => r.label === 'transitions')).toEqual({ label: 'transitions', active: '2', shadow: '≥ 5' });
    expect(rows.find((r) => r.label === 'raised')).toEqual({ label: 'raised', active: '1', shadow: '3' });
  });

  it('says what only one side did', () => {
    expect(shadowVerdict(comparison())).toBe(
      '2 matched; the shadow made 3 transitions the active version did not; ' +
        'the active version made 0 the shadow did not.',
    );
    const same = comparison({
      diff: { matched: 1, onlyShadow: { count: 0 }, onlyActive: { count: 0 }, changed: { count: 0 } },
    });
    expect(shadowVerdict(same)).toBe('Both versions made the same 1 transition.');
    expect(shadowVerdict(comparison({ shadowVersion: null }))).toBe('No shadow version has run for this rule.');
  });

  it('deploys the saved version while the editor holds it, else the editor text as a new version', () => {
    expect(shadowRequest('{"id":"r"}', { version: 2, text: '{"id":"r"}' })).toEqual({ version: 2 });
    expect(shadowRequest('{"id":"r","for":"5s"}', { version: 2, text: '{"id":"r"}' })).toEqual({
      rule: { id: 'r', for: '5s' },
    });
    expect(() => shadowRequest('{', null)).toThrow(SyntaxError);
  });
});
