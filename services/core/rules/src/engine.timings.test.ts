/** Per-rule evaluation counts and time: measured only when asked, drained and reset by each read. */
import { describe, expect, it } from 'vitest';
import { Drive } from './test-support.js';

const RULES = [
  { id: 'hot', condition: 'cellVoltageMax > 4.1' },
  { id: 'slow', condition: 'vehicleSpeed > 200' },
];

describe('rule timings', () => {
  it('counts each rule the samples touched and the time spent in it; a drain resets', () => {
    const d = Drive.of(RULES, { measureRules: true });
    d.at(0, { cellVoltageMax: 4.0, vehicleSpeed: 10 });
    d.at(1000, { cellVoltageMax: 4.2 });
    d.at(2000, { cellVoltageMax: 4.0 });
    const timings = new Map(d.engine.drainRuleTimings().map((t) => [t.ruleId, t]));
    expect(timings.get('hot')?.evaluations).toBe(3);
    expect(timings.get('slow')?.evaluations).toBe(1);
    expect(timings.get('hot')!.seconds).toBeGreaterThanOrEqual(0);
    expect(timings.get('hot')!.seconds).toBeLessThan(1);
    expect(d.engine.drainRuleTimings()).toEqual([]);
    d.at(3000, { vehicleSpeed: 250 });
    const [slow, ...others] = d.engine.drainRuleTimings();
    expect(others).toEqual([]);
    expect(slow).toMatchObject({ ruleId: 'slow', evaluations: 1 });
  });

  it('measures nothing unless asked', () => {
    const d = Drive.of(RULES);
    d.at(0, { cellVoltageMax: 4.2, vehicleSpeed: 10 });
    expect(d.transitions).toHaveLength(1);
    expect(d.engine.drainRuleTimings()).toEqual([]);
  });
});
