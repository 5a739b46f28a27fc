import { describe, expect, it } from 'vitest';
import { completionAt, rankNames, tokenize } from './expression.js';

describe('tokenize', () => {
  it('classifies keywords, signals, functions, numbers, durations, labels, operators and comments', () => {
    const tokens = tokenize('avg(packCurrent, 30s) > 300 and gear == "R" # why\nnot `bms/M/S`');
    expect(tokens.map((t) => [t.kind, t.text])).toEqual([
      ['function', 'avg'],
      ['operator', '('],
      ['signal', 'packCurrent'],
      ['operator', ','],
      ['duration', '30s'],
      ['operator', ')'],
      ['operator', '>'],
      ['number', '300'],
      ['keyword', 'and'],
      ['signal', 'gear'],
      ['operator', '=='],
      ['string', '"R"'],
      ['comment', '# why'],
      ['keyword', 'not'],
      ['signal', '`bms/M/S`'],
    ]);
  });

  it('never fails on half-typed text', () => {
    expect(tokenize('x == "unterminated').at(-1)).toMatchObject({ kind: 'string', text: '"unterminated' });
    expect(tokenize('a ~ b').map((t) => t.text)).toEqual(['a', 'b']);
  });
});

describe('completionAt', () => {
  it('completes a signal name being typed', () => {
    expect(completionAt('cellTemp', 8)).toEqual({ kind: 'signal', from: 0, prefix: 'cellTemp' });
    expect(completionAt('a > 1 and veh', 13)).toEqual({ kind: 'signal', from: 10, prefix: 'veh' });
  });

  it('completes a value label after == "', () => {
    expect(completionAt('gear == "D', 10)).toEqual({ kind: 'label', from: 9, prefix: 'D', signal: 'gear' });
    expect(completionAt('`pt/VCU/Gear` != "', 18)).toMatchObject({ kind: 'label', signal: 'pt/VCU/Gear' });
  });

  it('offers nothing inside a comment, after a number (a duration unit) or in a string', () => {
    expect(completionAt('x > 1 # note', 12).kind).toBe('none');
    expect(completionAt('avg(x, 30s', 10).kind).toBe('none');
    expect(completionAt('"abc', 4).kind).toBe('none');
  });
});

describe('rankNames', () => {
  it('puts prefix matches first, shortest first, then substring matches', () => {
    const names = ['vehicleSpeedRear', 'vehicleSpeed', 'wheelSpeedFL', 'VCU_VehicleSpeed', 'soc'];
    expect(rankNames(names, 'vehicleS')).toEqual(['vehicleSpeed', 'vehicleSpeedRear', 'VCU_VehicleSpeed']);
    expect(rankNames(names, 'speed', 2)).toEqual(['vehicleSpeed', 'wheelSpeedFL']);
  });
});
