import { describe, expect, it } from 'vitest';
import { isExpressionPath, stringSpans, textRange } from './json-spans.js';
import { placeProblems, type RuleProblem } from './rule-problems.js';

const problem = (p: Partial<RuleProblem>): RuleProblem => ({
  severity: 'error',
  code: 'RULE_UNKNOWN_SIGNAL',
  message: 'unknown signal',
  path: null,
  offset: null,
  length: null,
  modelId: null,
  suggestion: null,
  ...p,
});

describe('stringSpans', () => {
  it('finds string values by JSON pointer, nested in objects and arrays', () => {
    const text = '{ "id": "r1", "ladder": [ { "when": "a > 1" }, { "when": "b > 2", "for": "5s" } ], "n": 3 }';
    const spans = stringSpans(text);
    expect(spans.get('/id')?.value).toBe('r1');
    expect(spans.get('/ladder/1/when')?.value).toBe('b > 2');
    expect(spans.get('/ladder/1/for')?.value).toBe('5s');
    const when = spans.get('/ladder/0/when')!;
    expect(text.slice(when.from, when.to)).toBe('"a > 1"');
  });

  it('maps offsets inside a string with escapes to offsets in the text', () => {
    const text = String.raw`{"condition": "gear == \"R\" and x > 1"}`;
    const span = stringSpans(text).get('/condition')!;
    expect(span.value).toBe('gear == "R" and x > 1');
    // "x" is at offset 16 of the decoded expression; two escapes earlier move it two characters in the text.
    const { from, to } = textRange(span, 16, 1);
    expect(text.slice(from, to)).toBe('x');
  });

  it('escapes pointer segments and keeps the spans before a syntax error', () => {
    const spans = stringSpans('{"a/b": "x", "c": "y", oops');
    expect(spans.get('/a~1b')?.value).toBe('x');
    expect(spans.get('/c')?.value).toBe('y');
  });

  it('knows which rule fields hold expressions', () => {
    for (const p of ['/condition', '/clear/condition', '/ladder/3/when', '/sequence/first', '/sequence/then'])
      expect(isExpressionPath(p)).toBe(true);
    for (const p of ['/message', '/ladder/0/for', '/id', '/clear/for']) expect(isExpressionPath(p)).toBe(false);
  });
});

describe('placeProblems', () => {
  const text = JSON.stringify({ id: 'r', condition: 'vehicleSpeeed > 3', for: 'soon' }, null, 2);

  it('marks exactly the characters a problem names inside an expression', () => {
    const [placed] = placeProblems(text, [problem({ path: '/condition', offset: 0, length: 13 })]);
    expect(text.slice(placed!.from, placed!.to)).toBe('vehicleSpeeed');
  });

  it('marks the whole value for a problem with a path only, and the start without one', () => {
    const [onField, nowhere] = placeProblems(text, [
      problem({ path: '/for', code: 'RULE_INVALID', message: '/for must be a duration' }),
      problem({ code: 'RULE_INVALID', message: 'something' }),
    ]);
    expect(text.slice(onField!.from, onField!.to)).toBe('"soon"');
    expect(nowhere).toMatchObject({ from: 0, to: 1 });
  });

  it('places a problem once when several models report it, naming the model', () => {
    const placed = placeProblems(text, [
      problem({ path: '/condition', offset: 0, length: 13, modelId: 'a' }),
      problem({ path: '/condition', offset: 0, length: 13, modelId: 'b' }),
    ]);
    expect(placed).toHaveLength(1);
    expect(placed[0]!.message).toBe('RULE_UNKNOWN_SIGNAL [a, b]: unknown signal');
  });
});
