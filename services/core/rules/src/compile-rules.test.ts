import { describe, expect, it } from 'vitest';
import { compileRules } from './compile-rules.js';
import { formatRuleProblem } from './problems.js';
import { parseRuleDefinition } from './rule-definition.js';
import { CATALOG, testCatalog } from './test-support.js';

const problemsOf = (definition: unknown): string[] => parseRuleDefinition(definition).problems.map(formatRuleProblem);
const base = { id: 'r', version: 1, condition: 'vehicleSpeed > 1' };

describe('rule definitions', () => {
  it('accept the full format', () => {
    const { rule, problems } = parseRuleDefinition({
      id: 'over-temp',
      version: 3,
      name: 'Cell over-temperature',
      description: 'x',
      tags: ['bms'],
      enabled: true,
      scope: { fleets: ['f'], models: ['m'], vins: ['v'] },
      condition: 'cellTemperatureMax > 55',
      for: '1m30s',
      ladder: [{ level: 'warning' }, { level: 'critical', when: 'cellTemperatureMax > 60', for: '5s' }],
      clear: { condition: 'cellTemperatureMax < 50', for: '30s' },
      reraiseAfter: '5m',
      message: 'hot',
      backfill: 'evaluate',
    });
    expect(problems).toEqual([]);
    expect(rule).toMatchObject({
      forMs: 90_000,
      reraiseAfterMs: 300_000,
      clear: { forMs: 30_000 },
      ladder: [{ level: 'warning' }, { level: 'critical', forMs: 5000 }],
      backfill: 'evaluate',
    });
  });

  it('name the JSON path of every problem', () => {
    expect(problemsOf({ id: 'bad id!', version: 0, condition: 'x > 1', colour: 'red' })).toEqual([
      'error RULE_INVALID /id must be a string of letters, digits and . _ : - ' +
        '(at most 128, starting with a letter or digit)',
      'error RULE_INVALID /colour is not a rule field; expected one of id, version, name, description, tags, ' +
        'enabled, scope, condition, sequence, for, severity, ladder, clear, reraiseAfter, message, backfill',
      'error RULE_INVALID /version must be a whole number from 1',
    ]);
    expect(problemsOf({ ...base, for: '10 sec' })).toEqual([
      'rule r: error RULE_INVALID /for must be a duration like "500ms", "30s", "5m", "1h" or "1m30s", not "10 sec"',
    ]);
    expect(problemsOf({ ...base, severity: 'fatal' })[0]).toMatch(
      /\/severity must be one of info, warning, major, critical/,
    );
    expect(
      problemsOf({
        ...base,
        ladder: [
          { level: 'critical', when: 'x > 1' },
          { level: 'warning', when: 'x > 2' },
        ],
      })[0],
    ).toMatch(/\/ladder\/1\/level must be more severe than the step before \(critical\)/);
    expect(problemsOf({ ...base, ladder: [{ level: 'warning' }, { level: 'critical' }] })[0]).toMatch(
      /\/ladder\/1\/when is required/,
    );
    expect(problemsOf({ ...base, ladder: [{ level: 'warning', for: '5s' }] })[0]).toMatch(
      /\/ladder\/0\/for does not apply to the first step/,
    );
    expect(problemsOf({ id: 'r', version: 1 })[0]).toMatch(/\/condition is required/);
    expect(problemsOf({ ...base, sequence: { first: 'a > 1', then: 'b > 1', within: '5s' } })[0]).toMatch(
      /\/sequence and \/condition exclude each other/,
    );
    expect(problemsOf({ id: 'r', version: 1, sequence: { first: 'a > 1', then: 'b > 1' } })[0]).toMatch(
      /\/sequence\/within is required/,
    );
    expect(problemsOf({ ...base, backfill: 'yes' })[0]).toMatch(/\/backfill must be "ignore"/);
    expect(problemsOf({ ...base, scope: { fleets: 'f' } })[0]).toMatch(/\/scope\/fleets must be a list/);
    expect(problemsOf([])).toEqual(['error RULE_INVALID a rule must be a JSON object']);
  });

  it('report syntax errors with the field path, line and column', () => {
    expect(problemsOf({ ...base, clear: { condition: 'vehicleSpeed <\n  = 3' } })).toEqual([
      'rule r /clear/condition 2:3: error RULE_SYNTAX use == to compare',
    ]);
  });
});

describe('compileRules', () => {
  const van = testCatalog('van', [
    ['powertrain/VCU_Status/VCU_VehicleSpeed', 'km/h', 'vehicleSpeed', 2000],
    ['body/BBM_CargoStatus/BBM_CargoTemp', '°C', 'cargoTemperature', 3000],
  ]);

  it('compiles per model, with signal ids of each model', () => {
    const { snapshot, ok } = compileRules([{ ...base, id: 'speed' }], [CATALOG, van]);
    expect(ok).toBe(true);
    expect(snapshot.models.get('test-model')!.rules[0]!.deps).toEqual([4]);
    expect(snapshot.models.get('van')!.rules[0]!.deps).toEqual([0]);
    expect(snapshot.models.get('van')!.interest).toEqual(new Map([[0, 0]]));
  });

  it('reports type errors with rule, path, position and model; leaves the rule out', () => {
    const { snapshot, problems, ok } = compileRules(
      [{ id: 'r', version: 1, condition: 'vehicleSpeed > 1 and cellVoltageMaks > 4' }],
      [CATALOG],
    );
    expect(ok).toBe(false);
    expect(problems.map(formatRuleProblem)).toEqual([
      'rule r /condition 1:22 [test-model]: error RULE_UNKNOWN_SIGNAL ' +
        'unknown signal "cellVoltageMaks" in model test-model (did you mean cellVoltageMax?)',
    ]);
    expect(problems[0]).toMatchObject({ suggestion: 'cellVoltageMax', position: { offset: 21, length: 15 } });
    expect(snapshot.rules).toEqual([]);
  });

  it('positions message template errors in the template', () => {
    const { problems } = compileRules(
      [{ ...base, message: 'Speed {{ vehicleSped }} and {{ vehicleSpeed | round }}' }],
      [CATALOG],
    );
    expect(problems.map(formatRuleProblem)).toEqual([
      'rule r /message 1:10 [test-model]: error RULE_UNKNOWN_SIGNAL ' +
        'unknown signal "vehicleSped" in model test-model (did you mean vehicleSpeed?)',
      'rule r /message 1:45 [test-model]: error RULE_TYPE ' +
        'unknown format "round"; formats: fixed(N), int, hex, dtc, label',
    ]);
  });

  it('applies an unscoped rule only to models that have its signals, with a warning for the others', () => {
    const { snapshot, problems, ok } = compileRules(
      [{ id: 'cargo', version: 1, condition: 'cargoTemperature > 8' }],
      [CATALOG, van],
    );
    expect(ok).toBe(true);
    expect(problems.map(formatRuleProblem)).toEqual([
      'rule cargo [test-model]: warning RULE_NOT_APPLICABLE ' +
        'does not apply to model test-model, which has no signal cargoTemperature',
    ]);
    expect(snapshot.models.get('van')!.rules.map((r) => r.id)).toEqual(['cargo']);
    expect(snapshot.models.get('test-model')!.rules).toEqual([]);
  });

  it('makes a missing signal an error when the rule names its models, or fits none', () => {
    expect(
      compileRules(
        [{ id: 'cargo', version: 1, condition: 'cargoTemperature > 8', scope: { models: ['test-model', 'van'] } }],
        [CATALOG, van],
      ).ok,
    ).toBe(false);
    expect(compileRules([{ id: 'x', version: 1, condition: 'nothing > 8' }], [CATALOG, van]).ok).toBe(false);
  });

  it('rejects a duplicate id and keeps disabled rules out of the engine', () => {
    const { snapshot, problems } = compileRules(
      [base, { ...base, version: 2 }, { ...base, id: 'off', enabled: false }],
      [CATALOG],
    );
    expect(problems.map((p) => p.code)).toEqual(['RULE_DUPLICATE_ID']);
    expect(snapshot.rules.map((r) => r.id)).toEqual(['r', 'off']);
    expect(snapshot.models.get('test-model')!.rules.map((r) => r.id)).toEqual(['r']);
  });
});
