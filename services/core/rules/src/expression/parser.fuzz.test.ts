// The expression parser is fed text users type into the API. For any text it either returns an expression or
// throws a positioned RuleExpressionError (RULE_SYNTAX, RULE_TOO_COMPLEX) — never a RangeError from a deep
// recursion or a TypeError from a token it did not expect — and it answers in bounded time. What it returns the
// compiler takes without throwing either.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fuzzRuns } from '@telltale/platform/testing';
import { RuleExpressionError } from '../problems.js';
import { testCatalog } from '../test-support.js';
import { printExpr, type Expr } from './ast.js';
import { ExpressionCompiler, SignalUses } from './compile.js';
import { tokenize } from './lexer.js';
import { MAX_EXPRESSION_DEPTH, parseExpression } from './parser.js';

/** `npm run fuzz` asks for up to 100,000 cases per property: allow 20 ms each (deep nesting is the slowest). */
const TIMEOUT_MS = Math.max(60_000, fuzzRuns(0) * 20);

const catalog = testCatalog();
/** Generous: a case is at most a few hundred kilobytes, and the parser stops at the nesting bound. */
const CASE_BUDGET_MS = 1_000;

const stats = { cases: 0, parsed: 0, syntax: 0, tooComplex: 0 };

type Outcome = { readonly ok: true; readonly expr: Expr } | { readonly ok: false; readonly error: RuleExpressionError };

/** Parses `source`; any exception but a well-formed RuleExpressionError fails the property. */
function parse(source: string): Outcome {
  stats.cases++;
  const start = performance.now();
  let outcome: Outcome;
  try {
    outcome = { ok: true, expr: parseExpression(source) };
    stats.parsed++;
  } catch (error) {
    if (!(error instanceof RuleExpressionError)) throw error;
    expect(['RULE_SYNTAX', 'RULE_TOO_COMPLEX']).toContain(error.code);
    if (error.code === 'RULE_SYNTAX') stats.syntax++;
    else stats.tooComplex++;
    const { offset, line, column, length } = error.position;
    expect(offset).toBeGreaterThanOrEqual(0);
    expect(offset).toBeLessThanOrEqual(source.length);
    expect(line).toBeGreaterThanOrEqual(1);
    expect(column).toBeGreaterThanOrEqual(1);
    expect(length).toBeGreaterThanOrEqual(1);
    expect(error.bareMessage).not.toBe('');
    outcome = { ok: false, error };
  }
  expect(performance.now() - start).toBeLessThan(CASE_BUDGET_MS);
  return outcome;
}

/** The compiler takes every parsed expression: a compiled closure or rule problems, never an exception. */
function compiles(expr: Expr, source: string): void {
  const compiler = new ExpressionCompiler(catalog, new SignalUses());
  const compiled = compiler.compile(expr, source, 'boolean');
  if (compiled === undefined) {
    expect(compiler.errors.length).toBeGreaterThan(0);
    for (const e of compiler.errors) expect(e.code).toMatch(/^RULE_[A-Z_]+$/);
  } else expect(compiler.errors).toEqual([]);
}

/** The language's own tokens, valid and not, so that many soups get past the lexer and deep into the parser. */
const TOKENS = [
  ...['cellVoltageMax', 'cellVoltageMin', 'vehicleSpeed', 'gear', 'packCurrent', 'BMS_DtcConfirmed', 'nosuch'],
  ...['`bms/BMS_CellStats/BMS_CellVoltageMax`', '`Counter`', '``', '`open'],
  ...['abs', 'min', 'max', 'avg', 'count', 'delta', 'rate', 'stale', 'nofn'],
  ...['and', 'or', 'not', 'true', 'false'],
  ...['==', '!=', '<=', '>=', '&&', '||', '+', '-', '*', '/', '%', '(', ')', ',', '<', '>', '!'],
  ...['0', '1', '3.5', '.5', '1e-3', '1e400', '1.2.3', '0.05V', '30s', '1m30s', '0s', '2d', '5x'],
  ...['"R"', "'Yes'", '"un', '"a\\"b"'],
  ...['# a comment\n', '\n', '\t', '.', '@', '{', '}', '=', '&', '|', 'é'],
];

const tokenSoup = fc
  .array(fc.tuple(fc.constantFrom(...TOKENS), fc.constantFrom(' ', '', ' ', '\n')), { maxLength: 40 })
  .map((parts) => parts.map(([token, gap]) => token + gap).join(''));

/** Text that nests: prefixes that each open a level, a core, and closers in the right number (or not). */
const OPENERS = ['(', '-', 'not ', '!', 'abs(', 'max(1, ', 'avg(vehicleSpeed, 30s) + (', '1 + ('];
const deepNesting = fc
  .record({
    openers: fc.array(fc.constantFrom(...OPENERS), { minLength: 1, maxLength: 8 }),
    // Around the bound, and far past it, where an unbounded recursion would overflow the stack.
    depth: fc.oneof(fc.integer({ min: 1, max: 3 * MAX_EXPRESSION_DEPTH }), fc.integer({ min: 1, max: 20_000 })),
    core: fc.constantFrom('1', 'vehicleSpeed > 1', 'true', '', ')'),
    closersMissing: fc.integer({ min: -2, max: 2 }),
  })
  .map(({ openers, depth, core, closersMissing }) => {
    let prefix = '';
    let closers = 0;
    for (let i = 0; i < depth; i++) {
      const opener = openers[i % openers.length]!;
      prefix += opener;
      closers += opener.endsWith('(') ? 1 : 0;
    }
    return `${prefix}${core}${')'.repeat(Math.max(0, closers - closersMissing))}`;
  });

/** Long flat chains: the parser bounds the height of the tree, not only parentheses. */
const longChain = fc
  .record({
    operand: fc.constantFrom('a', '1', 'vehicleSpeed', '(a)', 'not true'),
    operator: fc.constantFrom(' + ', ' * ', ' and ', ' or ', ' - ', ' < '),
    length: fc.integer({ min: 1, max: 2 * MAX_EXPRESSION_DEPTH }),
  })
  .map(({ operand, operator, length }) => Array.from({ length }, () => operand).join(operator));

describe('parseExpression (property)', { timeout: TIMEOUT_MS }, () => {
  it('answers arbitrary text with an expression or a positioned RULE_* error', () => {
    const text = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.string({ unit: 'binary', maxLength: 200 }),
      fc.string({ unit: fc.constantFrom(...'()!-+*/%<>=&|,"\'`#\n 0123456789.eEsmhdabnotr'), maxLength: 300 }),
    );
    fc.assert(
      fc.property(text, (source) => {
        const outcome = parse(source);
        if (outcome.ok) compiles(outcome.expr, source);
      }),
      { numRuns: fuzzRuns(1500) },
    );
  });

  it('answers token soup the same way; what parses prints to text that parses to the same expression', () => {
    fc.assert(
      fc.property(tokenSoup, (source) => {
        const outcome = parse(source);
        if (!outcome.ok) return;
        compiles(outcome.expr, source);
        const printed = printExpr(outcome.expr);
        const again = parse(printed);
        expect(again.ok).toBe(true);
        if (again.ok) expect(printExpr(again.expr)).toBe(printed);
      }),
      { numRuns: fuzzRuns(2000) },
    );
  });

  it('refuses deep nesting and long chains with RULE_TOO_COMPLEX or RULE_SYNTAX, never a RangeError', () => {
    fc.assert(
      fc.property(fc.oneof(deepNesting, longChain), (source) => {
        const outcome = parse(source);
        if (outcome.ok) compiles(outcome.expr, source);
      }),
      { numRuns: fuzzRuns(200) },
    );
  });

  it('tokenizes any text or refuses it with a positioned RULE_SYNTAX error', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 200 }), tokenSoup), (source) => {
        try {
          const tokens = tokenize(source);
          expect(tokens.at(-1)?.kind).toBe('eof');
          for (const t of tokens) expect(t.position.offset).toBeLessThanOrEqual(source.length);
        } catch (error) {
          if (!(error instanceof RuleExpressionError)) throw error;
          expect(error.code).toBe('RULE_SYNTAX');
        }
      }),
      { numRuns: fuzzRuns(1500) },
    );
  });

  it('was not vacuous: some cases parsed, some failed to parse, some were too complex', () => {
    expect(stats.parsed).toBeGreaterThan(stats.cases / 50);
    expect(stats.syntax).toBeGreaterThan(stats.cases / 50);
    expect(stats.tooComplex).toBeGreaterThan(0);
    console.log(`parseExpression fuzz: ${JSON.stringify(stats)}`);
  });
});
