import { describe, expect, it } from 'vitest';
import type { RuleProblem } from '@telltale/rules';
import { fleetScope } from './access.js';
import {
  canReadRule,
  checkRuleWrite,
  describeRuleErrors,
  expectedVersion,
  modelVerdicts,
  ruleFleets,
  ruleProblemView,
  ruleSummary,
} from './rules.js';

describe('rule fleets', () => {
  it('reads scope.fleets; absent or empty means every fleet, as the rule language reads it', () => {
    expect(ruleFleets({ id: 'r', scope: { fleets: ['a', 'b'] } })).toEqual(['a', 'b']);
    expect(ruleFleets({ id: 'r', scope: { fleets: [] } })).toBeUndefined();
    expect(ruleFleets({ id: 'r', scope: { models: ['m'] } })).toBeUndefined();
    expect(ruleFleets({ id: 'r' })).toBeUndefined();
    expect(ruleFleets('nonsense')).toBeUndefined();
  });

  it('lets a key read global rules and rules sharing one of its fleets', () => {
    const a = fleetScope(['a']);
    expect(canReadRule(a, undefined)).toBe(true);
    expect(canReadRule(a, ['a', 'b'])).toBe(true);
    expect(canReadRule(a, ['b'])).toBe(false);
    expect(canReadRule(fleetScope([]), ['b'])).toBe(false);
    expect(canReadRule(fleetScope(['*']), ['b'])).toBe(true);
  });

  it('lets a key write only rules within its fleets; a rule of every fleet needs "*"', () => {
    expect(checkRuleWrite(fleetScope(['a', 'b']), ['a', 'b'], ['a'])).toEqual({ ok: true });
    expect(checkRuleWrite(fleetScope(['*']), ['*'], undefined)).toEqual({ ok: true });
    const partly = checkRuleWrite(fleetScope(['a']), ['a'], ['a', 'c']);
    expect(partly.ok).toBe(false);
    expect(!partly.ok && partly.reason).toContain('(c)');
    const global = checkRuleWrite(fleetScope(['a']), ['a'], undefined);
    expect(!global.ok && global.reason).toContain('every fleet');
  });
});

describe('expected version', () => {
  it('takes an ETag, a weak ETag or a bare number from If-Match, or expectedVersion', () => {
    expect(expectedVersion('"3"', undefined)).toEqual({ ok: true, version: 3 });
    expect(expectedVersion('W/"4"', undefined)).toEqual({ ok: true, version: 4 });
    expect(expectedVersion('5', undefined)).toEqual({ ok: true, version: 5 });
    expect(expectedVersion(undefined, 6)).toEqual({ ok: true, version: 6 });
    expect(expectedVersion('*', undefined)).toEqual({ ok: true, version: undefined });
    expect(expectedVersion(undefined, undefined)).toEqual({ ok: true, version: undefined });
    expect(expectedVersion('"7"', 7)).toEqual({ ok: true, version: 7 });
  });

  it('refuses a malformed If-Match and one that disagrees with expectedVersion', () => {
    expect(expectedVersion('"abc"', undefined)).toMatchObject({ ok: false, path: '/headers/if-match' });
    expect(expectedVersion('"2"', 3)).toMatchObject({ ok: false, path: '/body/expectedVersion' });
  });
});

const unknownSignal: RuleProblem = {
  severity: 'error',
  code: 'RULE_UNKNOWN_SIGNAL',
  message: 'unknown signal "vehicleSped"',
  ruleId: 'r',
  path: '/condition',
  position: { offset: 0, line: 1, column: 1, length: 11 },
  modelId: 'aurora',
  suggestion: 'vehicleSpeed',
};

describe('rule problems', () => {
  it('shows a problem structured and on one line', () => {
    expect(ruleProblemView(unknownSignal)).toEqual({
      severity: 'error',
      code: 'RULE_UNKNOWN_SIGNAL',
      message: 'unknown signal "vehicleSped"',
      formatted: 'rule r /condition 1:1 [aurora]: error RULE_UNKNOWN_SIGNAL unknown signal "vehicleSped"',
      ruleId: 'r',
      path: '/condition',
      line: 1,
      column: 1,
      offset: 0,
      length: 11,
      modelId: 'aurora',
      suggestion: 'vehicleSpeed',
    });
    expect(
      ruleProblemView({ severity: 'error', code: 'RULE_INVALID', message: '/for must be a duration' }),
    ).toMatchObject({ path: null, line: null, suggestion: null });
  });

  it('says how many errors and shows the first three', () => {
    expect(describeRuleErrors('r', [unknownSignal])).toBe(
      `Rule r has 1 error: ${ruleProblemView(unknownSignal).formatted}.`,
    );
    expect(
      describeRuleErrors('r', [unknownSignal, unknownSignal, unknownSignal, unknownSignal, unknownSignal]),
    ).toMatch(/^Rule r has 5 errors: .*; and 2 more\.$/);
  });

  it('gives each model a verdict', () => {
    const models = [
      { modelId: 'aurora', catalogVersion: '1' },
      { modelId: 'van', catalogVersion: '2' },
      { modelId: 'bus', catalogVersion: '3' },
    ];
    const notApplicable: RuleProblem = {
      severity: 'warning',
      code: 'RULE_NOT_APPLICABLE',
      message: 'x',
      modelId: 'van',
    };
    expect(
      modelVerdicts(models, [unknownSignal, notApplicable], ['aurora', 'van']).map((m) => `${m.modelId} ${m.verdict}`),
    ).toEqual(['aurora error', 'bus out-of-scope', 'van not-applicable']);
    expect(modelVerdicts(models, [], null).map((m) => m.verdict)).toEqual(['applies', 'applies', 'applies']);
    const syntax: RuleProblem = { severity: 'error', code: 'RULE_SYNTAX', message: 'x', path: '/condition' };
    expect(modelVerdicts(models, [syntax], null).map((m) => m.verdict)).toEqual(['error', 'error', 'error']);
  });
});

describe('rule summary', () => {
  it('names the highest level, the scope and the tags', () => {
    expect(
      ruleSummary({
        id: 'r',
        ladder: [{ level: 'warning' }, { level: 'critical', when: 'x' }],
        scope: { fleets: ['a'] },
        tags: ['bms'],
      }),
    ).toEqual({
      name: 'r',
      severity: 'critical',
      fleets: ['a'],
      models: null,
      tags: ['bms'],
    });
    expect(ruleSummary({ id: 'r', name: 'R', severity: 'major' })).toMatchObject({
      name: 'R',
      severity: 'major',
      fleets: null,
    });
    expect(ruleSummary({ id: 'r' }).severity).toBe('warning');
  });
});
