import { describe, expect, it } from 'vitest';
import { testCatalog } from '@telltale/rules/testing';
import { compileFeatureSet } from './compile.js';
import { parseFeatureSet } from './definition.js';

const CATALOG = testCatalog('test-model');
const base = {
  id: 'health',
  models: ['test-model'],
  window: '5m',
  hop: '1m',
  features: [{ name: 'spread', expression: 'cellVoltageMax - cellVoltageMin', aggregate: 'avg' }],
};

describe('parseFeatureSet', () => {
  it('reads windows, hop, lateness and features', () => {
    const parsed = parseFeatureSet(base);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.set).toMatchObject({ id: 'health', windowMs: 300_000, hopMs: 60_000, allowedLatenessMs: 30_000 });
    expect(parsed.set.features.map((f) => f.name)).toEqual(['spread']);
  });

  it('names the JSON path of every problem', () => {
    const parsed = parseFeatureSet({
      ...base,
      hop: '7m',
      extra: 1,
      features: [
        { name: 'Bad Name', expression: 'x', aggregate: 'avg' },
        { name: 'hot', expression: 'cellTemperatureMax', aggregate: 'time-above' },
        { name: 'p50', expression: 'packCurrent', aggregate: 'median' },
      ],
    });
    expect(parsed.ok).toBe(false);
    expect(parsed.problems.map((p) => [p.code, p.path])).toEqual([
      ['RULE_INVALID', '/extra'],
      ['RULE_INVALID', '/hop'],
      ['RULE_INVALID', '/features/0/name'],
      ['RULE_INVALID', '/features/1/threshold'],
      ['RULE_INVALID', '/features/2/aggregate'],
    ]);
  });

  it("takes a feature's own window in whole hops, and refuses one that is not", () => {
    const window = (w: unknown, aggregate = 'avg') => ({
      name: `f${String(w).replace(/\W/g, '')}${aggregate}`,
      expression: 'packCurrent',
      aggregate,
      window: w,
    });
    const parsed = parseFeatureSet({
      ...base,
      features: [
        window('60m'),
        window('330s'),
        window('soon'),
        window('30m', 'p90'),
        window('2000m'),
        window(60),
        window('2m'),
      ],
    });
    expect(parsed.problems.map((p) => [p.path, p.message.replace(/^\S+ /, '')])).toEqual([
      ['/features/1/window', "must be whole hops of the set's hop"],
      ['/features/2/window', 'must be a duration like 30m or 2h'],
      ['/features/3/window', 'is not available for percentile aggregates'],
      ['/features/4/window', 'must be at most 1440 hops'],
      ['/features/5/window', 'must be a duration like 30m or 2h'],
      ['/features/6/window', "must be at least the set's window"],
    ]);
    const ok = parseFeatureSet({
      ...base,
      features: [window('60m'), { name: 'plain', expression: 'x', aggregate: 'avg' }],
    });
    expect(ok.ok && ok.set.features.map((f) => f.windowMs)).toEqual([3600_000, 300_000]);
  });

  it('reports a syntax error with line and column inside the expression, as rules do', () => {
    const parsed = parseFeatureSet({
      ...base,
      features: [{ name: 'spread', expression: 'cellVoltageMax -\n  * 2', aggregate: 'max' }],
    });
    expect(parsed.ok).toBe(false);
    expect(parsed.problems[0]).toMatchObject({
      code: 'RULE_SYNTAX',
      path: '/features/0/expression',
      ruleId: 'health',
      position: { line: 2, column: 3 },
    });
  });
});

describe('compileFeatureSet', () => {
  const compile = (features: unknown[]) => {
    const parsed = parseFeatureSet({ ...base, features });
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    return compileFeatureSet(parsed.set, (id) => (id === 'test-model' ? CATALOG : undefined));
  };

  it('checks signals against the catalog with the rule compiler: unknown names get a suggestion and a position', () => {
    const result = compile([{ name: 'spread', expression: 'cellVoltageMax - cellVoltagMin', aggregate: 'avg' }]);
    expect(result.ok).toBe(false);
    expect(result.problems[0]).toMatchObject({
      code: 'RULE_UNKNOWN_SIGNAL',
      path: '/features/0/expression',
      modelId: 'test-model',
      suggestion: 'cellVoltageMin',
      position: { line: 1, column: 18 },
    });
  });

  it("refuses the rule language window functions inside a feature (the window is the feature set's)", () => {
    const result = compile([{ name: 'x', expression: '1 + avg(packCurrent, 30s)', aggregate: 'max' }]);
    expect(result.problems[0]).toMatchObject({ code: 'RULE_TYPE', position: { column: 5 } });
  });

  it('compiles per model and indexes features by the signals they read', () => {
    const result = compile([
      { name: 'spread', expression: 'cellVoltageMax - cellVoltageMin', aggregate: 'avg' },
      { name: 'reverse', expression: 'gear == "R"', aggregate: 'avg' },
    ]);
    expect(result.ok).toBe(true);
    const set = result.sets.get('test-model')!;
    expect(set.features.map((f) => f.deps)).toEqual([[0, 1], [5]]);
    expect(set.bySignal.get(1)).toEqual([0]);
  });

  it('names a model the catalog does not have', () => {
    const parsed = parseFeatureSet({ ...base, models: ['test-model', 'nope'] });
    if (!parsed.ok) throw new Error('parse');
    const result = compileFeatureSet(parsed.set, (id) => (id === 'test-model' ? CATALOG : undefined));
    expect(result.problems.map((p) => [p.code, p.modelId])).toEqual([['RULE_INVALID', 'nope']]);
  });
});
