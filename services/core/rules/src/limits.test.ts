// The bounds that keep a rule cheap to check: nesting depth (a positioned RULE_TOO_COMPLEX, never a RangeError),
// message templates compiled in linear time with at most MAX_PLACEHOLDERS placeholders, and a length limit on
// every string and list of a definition.
import { describe, expect, it } from 'vitest';
import { compileRules, type CompileRulesResult } from './compile-rules.js';
import { MAX_EXPRESSION_DEPTH, parseExpression } from './expression/parser.js';
import { formatRuleProblem, RuleExpressionError } from './problems.js';
import { parseRuleDefinition, RULE_LIMITS } from './rule-definition.js';
import { ExpressionCompiler, SignalUses } from './expression/compile.js';
import { compileTemplate, MAX_PLACEHOLDERS } from './template.js';
import { testCatalog } from './test-support.js';

const catalog = testCatalog();
const compile = (rule: Record<string, unknown>): CompileRulesResult =>
  compileRules([{ id: 'r', version: 1, condition: 'vehicleSpeed > 1', ...rule }], [catalog]);
const lines = (result: CompileRulesResult): string[] => result.problems.map(formatRuleProblem);

function parseFailure(source: string): RuleExpressionError {
  try {
    parseExpression(source);
  } catch (error) {
    if (error instanceof RuleExpressionError) return error;
    throw error;
  }
  throw new Error('parsed');
}

describe('expression nesting', () => {
  it('accepts the deepest allowed nesting', () => {
    const depth = MAX_EXPRESSION_DEPTH - 1;
    expect(() => parseExpression(`${'('.repeat(depth)}1${')'.repeat(depth)}`)).not.toThrow();
    expect(() => parseExpression(`${'-'.repeat(depth - 1)}1`)).not.toThrow();
  });

  it.each([
    ['parentheses', `${'('.repeat(20_000)}1${')'.repeat(20_000)}`, 1, MAX_EXPRESSION_DEPTH + 1],
    ['unary minus', `${'-'.repeat(20_000)}1`, 1, MAX_EXPRESSION_DEPTH + 1],
    ['not', `${'not '.repeat(5_000)}true`, 1, 4 * MAX_EXPRESSION_DEPTH + 1],
    ['nested calls', `${'abs('.repeat(5_000)}1${')'.repeat(5_000)}`, 1, 4 * MAX_EXPRESSION_DEPTH + 1],
  ])('refuses %s nested too deep with a positioned RULE_TOO_COMPLEX', (_what, source, line, column) => {
    const error = parseFailure(source);
    expect(error.code).toBe('RULE_TOO_COMPLEX');
    expect(error.position).toMatchObject({ line, column });
    expect(error.bareMessage).toContain(`more than ${MAX_EXPRESSION_DEPTH} levels`);
  });

  it('bounds a long left-leaning chain (a + a + … + a) by the height of its tree', () => {
    const error = parseFailure(Array.from({ length: 2_000 }, () => 'a').join(' + '));
    expect(error.code).toBe('RULE_TOO_COMPLEX');
    expect(error.position.offset).toBe(4 * (MAX_EXPRESSION_DEPTH - 1) + 2);
  });

  it('turns a too-deep rule condition into a rule problem with its path, not an exception', () => {
    const result = compile({ condition: `${'('.repeat(4_000)}vehicleSpeed > 1${')'.repeat(4_000)}` });
    expect(result.ok).toBe(false);
    expect(result.problems).toEqual([
      expect.objectContaining({
        code: 'RULE_TOO_COMPLEX',
        path: '/condition',
        position: expect.objectContaining({ line: 1, column: MAX_EXPRESSION_DEPTH + 1 }) as unknown,
      }),
    ]);
  });
});

describe('message templates', () => {
  it('refuses more than MAX_PLACEHOLDERS placeholders, pointing at the first one too many', () => {
    const message = 'v{{ vin }}'.repeat(MAX_PLACEHOLDERS + 5);
    expect(lines(compile({ message }))).toEqual([
      `rule r /message 1:${10 * MAX_PLACEHOLDERS + 2} [test-model]: error RULE_TOO_COMPLEX ` +
        `a message has at most ${MAX_PLACEHOLDERS} placeholders`,
    ]);
    expect(compile({ message: 'v{{ vin }}'.repeat(MAX_PLACEHOLDERS) }).ok).toBe(true);
  });

  it('positions errors across lines in the whole template', () => {
    const message = 'line one {{ vin }}\n  second {{ vehicleSpeed +\n * 2 }} and {{ gear | label }}';
    expect(lines(compile({ message }))).toEqual([
      'rule r /message 3:2 [test-model]: error RULE_SYNTAX expected a value, found "*"',
    ]);
  });

  it('keeps || inside a placeholder as an operator, and takes the last single | as the format', () => {
    const ok = compile({ message: '{{ vehicleSpeed > 1 || vehicleSpeed < 0 }} {{ vehicleSpeed | fixed( 2 ) }}' });
    expect(lines(ok)).toEqual([]);
  });

  it('stops at the first placeholder past the cap, however long the template (no work per placeholder after)', () => {
    // Straight through compileTemplate, without the definition's length limit: 80,000 failing placeholders.
    const compiler = new ExpressionCompiler(catalog, new SignalUses());
    const text = `${'x {{ nosuchSignal }} '.repeat(80_000)}{{ vehicleSpeed`;
    expect(compileTemplate(text, compiler, catalog)).toBeUndefined();
    expect(compiler.errors).toHaveLength(MAX_PLACEHOLDERS + 1);
    expect(compiler.errors.map((e) => e.code).slice(-2)).toEqual(['RULE_UNKNOWN_SIGNAL', 'RULE_TOO_COMPLEX']);
    expect(compiler.errors.at(-1)!.position.offset).toBe(21 * MAX_PLACEHOLDERS + 2);
  });
});

describe('definition limits', () => {
  const long = (n: number): string => 'x'.repeat(n + 1);
  it.each([
    ['/name', { name: long(RULE_LIMITS.nameLength) }],
    ['/description', { description: long(RULE_LIMITS.descriptionLength) }],
    ['/message', { message: long(RULE_LIMITS.messageLength) }],
    ['/condition', { condition: long(RULE_LIMITS.expressionLength) }],
    ['/tags', { tags: Array.from({ length: RULE_LIMITS.tags + 1 }, (_, i) => `t${i}`) }],
    ['/tags/1', { tags: ['a', long(RULE_LIMITS.tagLength)] }],
    ['/scope/vins', { scope: { vins: Array.from({ length: RULE_LIMITS.scopeEntries + 1 }, (_, i) => `v${i}`) } }],
    ['/scope/fleets/0', { scope: { fleets: [long(RULE_LIMITS.scopeEntryLength)] } }],
    ['/for', { for: `1${'0'.repeat(RULE_LIMITS.durationLength)}s` }],
  ])('refuses an over-long %s with RULE_INVALID naming the path', (path, fields) => {
    const { rule, problems } = parseRuleDefinition({ id: 'r', version: 1, condition: 'a > 1', ...fields });
    expect(rule).toBeUndefined();
    expect(problems).toEqual([expect.objectContaining({ code: 'RULE_INVALID', path })]);
  });

  it('reports a few unknown fields by name and counts the rest', () => {
    const extra = Object.fromEntries(Array.from({ length: 1_000 }, (_, i) => [`f${i}/${'k'.repeat(100)}`, i]));
    const { problems } = parseRuleDefinition({ id: 'r', version: 1, condition: 'a > 1', ...extra });
    expect(problems).toHaveLength(RULE_LIMITS.unknownFieldsShown + 1);
    expect(problems[0]!.path).toBe(`/f0~1${'k'.repeat(61)}…`);
    expect(problems.at(-1)!.message).toBe(
      `/ has ${1_000 - RULE_LIMITS.unknownFieldsShown} more fields that are not rule fields`,
    );
  });

  it('refuses a 1 MiB message at once', () => {
    const start = performance.now();
    const result = compile({ message: '{{ vin }}'.repeat(116_509) });
    expect(result.problems.map((p) => p.path)).toEqual(['/message']);
    expect(performance.now() - start).toBeLessThan(1_000);
  });
});
