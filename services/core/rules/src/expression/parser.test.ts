import { describe, expect, it } from 'vitest';
import { RuleExpressionError } from '../problems.js';
import { printExpr } from './ast.js';
import { parseExpression } from './parser.js';

const print = (source: string): string => printExpr(parseExpression(source));

function syntaxError(source: string): { where: string; message: string } {
  try {
    parseExpression(source);
  } catch (error) {
    if (!(error instanceof RuleExpressionError)) throw error;
    expect(error.code).toBe('RULE_SYNTAX');
    return { where: `${error.position.line}:${error.position.column}`, message: error.bareMessage };
  }
  throw new Error(`"${source}" parsed`);
}

describe('expression parser', () => {
  it('binds operators by precedence: or < and < not < comparison < + - < * / % < unary minus', () => {
    expect(print('a + b * c > 3 and not d < 2 or e == 1')).toBe('((((a + (b * c)) > 3) and not (d < 2)) or (e == 1))');
    expect(print('-a * b - c % 2')).toBe('((-a * b) - (c % 2))');
    expect(print('a - b - c')).toBe('((a - b) - c)');
    expect(print('(a or b) and c')).toBe('((a or b) and c)');
    expect(print('a && b || !c')).toBe('((a and b) or not c)');
  });

  it('reads durations, strings, booleans, backticked qualified names and calls', () => {
    expect(print('avg(packCurrent, 30s) > 1.5e2')).toBe('(avg(packCurrent, 30s) > 150)');
    expect(print('stale(`chassis/TPMS_Pressures/TPMS_PressureFL`, 1m30s)')).toBe(
      'stale(`chassis/TPMS_Pressures/TPMS_PressureFL`, 1m30s)',
    );
    expect(print(`gear == "R" or gear == 'D' or true`)).toBe('(((gear == "R") or (gear == "D")) or true)');
    expect(parseExpression('count(x, 500ms)')).toMatchObject({
      kind: 'call',
      args: [{ kind: 'signal' }, { kind: 'duration', ms: 500 }],
    });
    expect(print('max()')).toBe('max()');
  });

  it('allows comments and newlines, and keeps positions across lines', () => {
    const e = parseExpression('# spread\ncellVoltageMax - cellVoltageMin\n  > 0.05');
    expect(e).toMatchObject({ kind: 'binary', op: '>', position: { line: 2, column: 1 } });
    expect(e.kind === 'binary' && e.right.position).toMatchObject({ line: 3, column: 5 });
  });

  it('names the line and column of every syntax error', () => {
    expect(syntaxError('cellVoltageMax >')).toEqual({
      where: '1:17',
      message: 'the expression ends where a value is expected',
    });
    expect(syntaxError('a = 1')).toEqual({ where: '1:3', message: 'use == to compare' });
    expect(syntaxError('x > 0.05V')).toMatchObject({
      where: '1:5',
      message: expect.stringMatching(/numbers take no unit/) as unknown,
    });
    expect(syntaxError('(a > 1 and b')).toMatchObject({
      where: '1:13',
      message: expect.stringMatching(/expected "\)" to close the "\(" at 1:1/) as unknown,
    });
    expect(syntaxError('0 < a < 5')).toMatchObject({
      where: '1:7',
      message: expect.stringMatching(/comparisons do not chain/) as unknown,
    });
    expect(syntaxError('a > 1 b')).toMatchObject({
      where: '1:7',
      message: expect.stringMatching(/unexpected "b" after a complete expression \(an operator is missing/) as unknown,
    });
    expect(syntaxError('gear == "R')).toMatchObject({
      where: '1:9',
      message: expect.stringMatching(/string is not closed/) as unknown,
    });
    expect(syntaxError('a > 1\n  and $')).toEqual({ where: '2:7', message: 'unexpected character "$"' });
    expect(syntaxError('avg(x 30s)')).toMatchObject({
      where: '1:7',
      message: expect.stringMatching(/expected "," or "\)" in the arguments of avg\(\)/) as unknown,
    });
    expect(syntaxError('')).toMatchObject({ message: 'empty expression' });
    expect(syntaxError('a & b')).toMatchObject({ where: '1:3', message: 'use "and" (or &&)' });
    expect(syntaxError('``')).toMatchObject({ message: 'empty signal name' });
  });

  it('accepts (a < b) == c but not a < b == c', () => {
    expect(print('(a < b) == c')).toBe('((a < b) == c)');
    expect(syntaxError('a < b == c').where).toBe('1:7');
  });
});
