import { describe, expect, it } from 'vitest';
import { CATALOG, signalId } from '../test-support.js';
import { VehicleSignals } from '../signal-state.js';
import { ExpressionCompiler, SignalUses, type CompiledExpression } from './compile.js';
import { parseExpression } from './parser.js';

function compile(
  source: string,
  expected: 'number' | 'boolean' | 'any' = 'boolean',
): {
  compiled: CompiledExpression | undefined;
  errors: string[];
  uses: SignalUses;
  suggestions: (string | undefined)[];
} {
  const uses = new SignalUses();
  const compiler = new ExpressionCompiler(CATALOG, uses);
  const compiled = compiler.compile(parseExpression(source), source, expected === 'any' ? undefined : expected);
  return {
    compiled,
    uses,
    errors: compiler.errors.map((e) => `${e.code} ${e.position.line}:${e.position.column} ${e.bareMessage}`),
    suggestions: compiler.errors.map((e) => e.suggestion),
  };
}

/**
 * Evaluates at `nowMs` over signals given by name:
 * a number is one sample at time 0, an array is [time, value] samples.
 */
function evaluate(
  source: string,
  values: Readonly<Record<string, number | readonly (readonly [number, number])[]>>,
  nowMs = 0,
): number {
  const { compiled, errors, uses } = compile(source, 'any');
  if (compiled === undefined) throw new Error(errors.join('\n'));
  const signals = new VehicleSignals();
  signals.firstEventTimeMs = 0;
  for (const [name, v] of Object.entries(values)) {
    const id = signalId(name);
    for (const [t, x] of typeof v === 'number' ? [[0, v] as const] : v)
      signals.apply(id, x, t, uses.windows.get(id) ?? 0, 10_000);
  }
  return compiled.fn({ nowMs, signals });
}

describe('type checker', () => {
  it('reports an unknown signal with its position and the nearest known name', () => {
    const { errors, suggestions } = compile('vehicleSpeed > 3 and cellVoltageMaks - cellVoltageMin > 0.05');
    expect(errors).toEqual([
      'RULE_UNKNOWN_SIGNAL 1:22 unknown signal "cellVoltageMaks" in model test-model (did you mean cellVoltageMax?)',
    ]);
    expect(suggestions).toEqual(['cellVoltageMax']);
    expect(compile('`bms/BMS_CellStats/BMS_CellVoltageMaxx` > 1').errors[0]).toMatch(
      /did you mean bms\/BMS_CellStats\/BMS_CellVoltageMax\?/,
    );
    expect(compile('completelyDifferent > 1').errors[0]).toBe(
      'RULE_UNKNOWN_SIGNAL 1:1 unknown signal "completelyDifferent" in model test-model',
    );
  });

  it('reports every unknown signal of an expression, not just the first', () => {
    expect(compile('foo > 1 or bar > 2').errors.map((e) => e.slice(0, 24))).toEqual([
      'RULE_UNKNOWN_SIGNAL 1:1 ',
      'RULE_UNKNOWN_SIGNAL 1:12',
    ]);
  });

  it('lists the qualified candidates of an ambiguous short name, and accepts them in backticks', () => {
    expect(compile('Counter > 3').errors).toEqual([
      'RULE_AMBIGUOUS_SIGNAL 1:1 signal name "Counter" is used by 2 messages; ' +
        'write the qualified name in backticks: `body/BCM_Doors/Counter`, `body/BCM_Lights/Counter`',
    ]);
    expect(compile('`body/BCM_Doors/Counter` > 3').errors).toEqual([]);
  });

  it('resolves aliases, unique short names and qualified names to the same signal', () => {
    for (const name of [
      'cellVoltageMax',
      'BMS_CellVoltageMax',
      '`bms/BMS_CellStats/BMS_CellVoltageMax`',
      '`cellVoltageMax`',
    ]) {
      expect([...compile(`${name} > 4`).uses.deps]).toEqual([signalId('cellVoltageMax')]);
    }
  });

  it('keeps numbers and booleans apart', () => {
    expect(compile('cellVoltageMax').errors).toEqual([
      'RULE_TYPE 1:1 the condition is a number, but must be true or false: compare it (e.g. "cellVoltageMax > 0")',
    ]);
    expect(compile('BMS_DtcConfirmed and vehicleSpeed > 0').errors).toEqual([
      'RULE_TYPE 1:1 and needs true/false on both sides, but this is a number: compare it (e.g. "x == 1")',
    ]);
    expect(compile('not vehicleSpeed').errors[0]).toMatch(/^RULE_TYPE 1:5 not needs true\/false/);
    expect(compile('(vehicleSpeed > 1) + 2 > 0').errors[0]).toMatch(/^RULE_TYPE 1:2 \+ needs numbers/);
    expect(compile('vehicleSpeed == true').errors[0]).toMatch(/^RULE_TYPE 1:1 == compares a number with true\/false/);
    expect(compile('vehicleSpeed > 30s').errors[0]).toMatch(/^RULE_TYPE 1:16 a duration \(30s\) is only allowed/);
  });

  it('checks labels against the signal value table, per model', () => {
    expect(compile('gear == "R"').errors).toEqual([]);
    expect(compile('gear == "Rev"').errors).toEqual([
      'RULE_UNKNOWN_LABEL 1:9 gear has no label "Rev" (did you mean "R"?); its labels: P, R, N, D, B, SNA',
    ]);
    expect(compile('vehicleSpeed == "R"').errors[0]).toMatch(/^RULE_TYPE 1:17 vehicleSpeed has no value labels/);
    expect(compile('"R" == abs(gear)').errors[0]).toMatch(/a label \("R"\) compares only with a signal name/);
  });

  it('checks functions and their arguments', () => {
    expect(compile('avrg(packCurrent, 30s) > 1').errors[0]).toMatch(
      /^RULE_UNKNOWN_FUNCTION 1:1 unknown function avrg\(\) \(did you mean avg\?\)/,
    );
    expect(compile('avg(packCurrent) > 1').errors[0]).toMatch(/avg\(\) takes a signal and a duration/);
    expect(compile('avg(packCurrent + 1, 30s) > 1').errors[0]).toMatch(
      /^RULE_TYPE 1:5 the first argument of avg\(\) must be a signal name/,
    );
    expect(compile('count(packCurrent, 3) > 1').errors[0]).toMatch(
      /^RULE_TYPE 1:20 the second argument of count\(\) must be a duration/,
    );
    expect(compile('stale(odometer)').errors[0]).toMatch(
      /is event-driven and never stale by the catalog; give a duration: stale\(odometer, 10s\)/,
    );
    expect(compile('stale(odometer, 1h)').errors).toEqual([]);
    expect(compile('min(cellVoltageMin) > 1').errors[0]).toMatch(/min\(\) takes two or more numbers/);
    expect(compile('avg(packCurrent, 2d) > 1').errors[0]).toMatch(/at most 1d/);
  });
});

describe('compiled expressions', () => {
  it('compute arithmetic with precedence, abs, min and max', () => {
    expect(
      evaluate('cellVoltageMax - cellVoltageMin * 2 + 1', { cellVoltageMax: 4.2, cellVoltageMin: 1.5 }),
    ).toBeCloseTo(2.2);
    expect(evaluate('abs(packCurrent) % 7', { packCurrent: -30 })).toBe(2);
    expect(
      evaluate('max(cellVoltageMax, cellVoltageMin, 5) - min(1, cellVoltageMin)', {
        cellVoltageMax: 4.2,
        cellVoltageMin: 3,
      }),
    ).toBe(4);
    expect(evaluate('-cellVoltageMax / 2', { cellVoltageMax: 4 })).toBe(-2);
  });

  it('compare with a relative tolerance for ==, exactly for < and >', () => {
    expect(evaluate('cellVoltageMax == 0.3', { cellVoltageMax: 0.1 + 0.2 })).toBe(1);
    expect(evaluate('cellVoltageMax != 0.3', { cellVoltageMax: 0.1 + 0.2 })).toBe(0);
    expect(evaluate('cellVoltageMax > 0.3', { cellVoltageMax: 0.1 + 0.2 })).toBe(1);
  });

  it('treat missing data and division by zero as unknown, with three-valued and/or/not', () => {
    expect(evaluate('vehicleSpeed > 3', {})).toBeNaN();
    expect(evaluate('vehicleSpeed / cellVoltageMax > 1', { vehicleSpeed: 10, cellVoltageMax: 0 })).toBeNaN();
    expect(evaluate('vehicleSpeed > 3 and cellVoltageMax > 4', { cellVoltageMax: 3 })).toBe(0);
    expect(evaluate('vehicleSpeed > 3 and cellVoltageMax > 4', { cellVoltageMax: 5 })).toBeNaN();
    expect(evaluate('vehicleSpeed > 3 or cellVoltageMax > 4', { cellVoltageMax: 5 })).toBe(1);
    expect(evaluate('not (vehicleSpeed > 3)', {})).toBeNaN();
    expect(evaluate('not (vehicleSpeed > 3) and true', { vehicleSpeed: 1 })).toBe(1);
  });

  it('compare a signal with a value label through its raw value', () => {
    expect(evaluate('gear == "R"', { gear: 1 })).toBe(1);
    expect(evaluate('gear != "r"', { gear: 3 })).toBe(1);
    expect(evaluate('"D" == gear', { gear: 3 })).toBe(1);
  });

  it('compute windows over (now − duration, now]', () => {
    const packCurrent = [
      [1000, 10],
      [2000, 20],
      [3000, 60],
      [4000, 30],
    ] as const;
    expect(evaluate('avg(packCurrent, 3s)', { packCurrent }, 4000)).toBeCloseTo(110 / 3);
    expect(evaluate('min(packCurrent, 3s)', { packCurrent }, 4000)).toBe(20);
    expect(evaluate('max(packCurrent, 2s)', { packCurrent }, 4000)).toBe(60);
    expect(evaluate('count(packCurrent, 10s)', { packCurrent }, 4000)).toBe(4);
    expect(evaluate('delta(packCurrent, 3s)', { packCurrent }, 4000)).toBe(10);
    expect(evaluate('rate(packCurrent, 3s)', { packCurrent }, 4000)).toBe(5);
    expect(evaluate('count(packCurrent, 1s)', { packCurrent }, 9000)).toBe(0);
    expect(evaluate('avg(packCurrent, 1s)', { packCurrent }, 9000)).toBeNaN();
    expect(evaluate('delta(packCurrent, 1s)', { packCurrent }, 4000)).toBeNaN();
  });

  it("compute stale(): no update for the duration, counting from the vehicle's first sample when never seen", () => {
    expect(evaluate('stale(vehicleSpeed, 5s)', { vehicleSpeed: [[1000, 3]] }, 5999)).toBe(0);
    expect(evaluate('stale(vehicleSpeed, 5s)', { vehicleSpeed: [[1000, 3]] }, 6000)).toBe(1);
    expect(evaluate('stale(vehicleSpeed)', { vehicleSpeed: [[1000, 3]] }, 3000)).toBe(1);
    expect(evaluate('stale(tyrePressureFrontLeft, 5s)', { vehicleSpeed: 1 }, 5000)).toBe(1);
  });
});
