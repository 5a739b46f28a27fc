import { describe, expect, it } from 'vitest';
import { compareShadow, type ComparedTransition } from './shadow-comparison.js';

const t = (
  alertId: string,
  seq: number,
  vin: string,
  state: ComparedTransition['state'],
  ruleVersion: number,
  eventTimeMs = 1000,
): ComparedTransition => ({
  alertId,
  transitionSeq: seq,
  vin,
  fleetId: 'fleet-a',
  ruleId: 'r',
  ruleVersion,
  state,
  severity: 'warning',
  eventTimeMs,
});

describe('compareShadow', () => {
  it('counts each side, per vehicle, and matches episodes by alert id and sequence', () => {
    const active = [t('a1', 1, 'V1', 'raised', 1), t('a1', 2, 'V1', 'cleared', 1, 2000), t('a2', 1, 'V2', 'raised', 2)];
    const shadow = [t('a1', 1, 'V1', 'raised', 3), t('a1', 2, 'V1', 'cleared', 3, 2500), t('s1', 1, 'V3', 'raised', 3)];
    const c = compareShadow(active, shadow);
    expect(c.active).toEqual({
      transitions: 3,
      byState: { raised: 2, escalated: 0, deescalated: 0, cleared: 1 },
      vehiclesAlerted: 2,
      versions: [1, 2],
    });
    expect(c.shadow).toMatchObject({ transitions: 3, vehiclesAlerted: 2, versions: [3] });
    expect(c.diff.matched).toBe(1);
    expect(c.diff.changed.items.map((i) => [i.shadow.eventTimeMs, i.active.eventTimeMs])).toEqual([[2500, 2000]]);
    expect(c.diff.onlyShadow.items.map((e) => e.alertId)).toEqual(['s1']);
    expect(c.diff.onlyActive.items.map((e) => e.alertId)).toEqual(['a2']);
    expect(c.vehicles.map((v) => v.vin)).toEqual(['V2', 'V3', 'V1']);
  });

  it('lists at most the limit, keeping the counts exact', () => {
    const shadow = Array.from({ length: 5 }, (_, i) => t(`s${i}`, 1, `V${i}`, 'raised', 2));
    const c = compareShadow([], shadow, 2);
    expect(c.diff.onlyShadow).toMatchObject({ count: 5 });
    expect(c.diff.onlyShadow.items).toHaveLength(2);
    expect(c.vehicles).toHaveLength(2);
    expect(c.vehiclesTotal).toBe(5);
  });
});
