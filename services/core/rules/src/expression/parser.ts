/**
 * Pratt parser of the rule expression language. Precedence, loosest first:
 *
 *   or  ||   →   and  &&   →   not  !   →   == != < <= > >= (not chainable)   →   + -   →   * / %   →   unary -
 *
 * The first error ends the parse with a RuleExpressionError that names the line and column.
 *
 * Nesting is bounded (MAX_EXPRESSION_DEPTH): the parser, the compiler and the compiled closures all recurse once per
 * level, so a deeper expression would overflow the stack (a RangeError) instead of getting a positioned error.
 * The bound counts both parentheses and the height of the tree (`a + a + … + a` is as deep as it is long).
 */
import { RuleExpressionError, type SourcePosition } from '../problems.js';
import { COMPARISONS, type BinaryOperator, type Expr } from './ast.js';
import { tokenize, TEXT_START, type TextOrigin, type Token } from './lexer.js';

/** Most levels of nesting an expression may have; real rules stay far below it. */
export const MAX_EXPRESSION_DEPTH = 256;

/** Left and right binding power of the infix operators. */
const INFIX: Readonly<Record<string, readonly [number, number, BinaryOperator]>> = {
  or: [1, 2, 'or'],
  '||': [1, 2, 'or'],
  and: [3, 4, 'and'],
  '&&': [3, 4, 'and'],
  '==': [7, 8, '=='],
  '!=': [7, 8, '!='],
  '<': [7, 8, '<'],
  '<=': [7, 8, '<='],
  '>': [7, 8, '>'],
  '>=': [7, 8, '>='],
  '+': [9, 10, '+'],
  '-': [9, 10, '-'],
  '*': [11, 12, '*'],
  '/': [11, 12, '/'],
  '%': [11, 12, '%'],
};
const NOT_BP = 5;
const NEGATE_BP = 13;

/** From the start of `a` to the end of `b`. */
function span(a: SourcePosition, b: SourcePosition): SourcePosition {
  return { offset: a.offset, line: a.line, column: a.column, length: Math.max(1, b.offset + b.length - a.offset) };
}

const describe = (t: Token): string => (t.kind === 'eof' ? 'the end of the expression' : `"${t.text}"`);

class Parser {
  private index = 0;
  /** Nodes written in parentheses: `(a < b) == c` is fine, `a < b == c` is not. */
  private readonly grouped = new WeakSet<Expr>();
  /** Height of each node built: a leaf is 1. */
  private readonly heights = new WeakMap<Expr, number>();
  /** Nested parse() calls in progress. */
  private depth = 0;

  constructor(private readonly tokens: readonly Token[]) {}

  private peek(): Token {
    return this.tokens[this.index]!;
  }

  private next(): Token {
    const token = this.tokens[this.index]!;
    if (token.kind !== 'eof') this.index++;
    return token;
  }

  private fail(token: Token, message: string): never {
    throw new RuleExpressionError('RULE_SYNTAX', message, token.position);
  }

  private tooDeep(token: Token): never {
    throw new RuleExpressionError(
      'RULE_TOO_COMPLEX',
      `the expression nests more than ${MAX_EXPRESSION_DEPTH} levels deep here; split it or drop parentheses`,
      token.position,
    );
  }

  /** Records the node's height; refuses it when the tree grows deeper than the bound. */
  private built(node: Expr, at: Token, ...children: readonly Expr[]): Expr {
    let height = 1;
    for (const child of children) height = Math.max(height, (this.heights.get(child) ?? 1) + 1);
    if (height > MAX_EXPRESSION_DEPTH) this.tooDeep(at);
    this.heights.set(node, height);
    return node;
  }

  parseAll(): Expr {
    if (this.peek().kind === 'eof') this.fail(this.peek(), 'empty expression');
    const expr = this.parse(0);
    const rest = this.peek();
    if (rest.kind !== 'eof') {
      const hint =
        rest.kind === 'ident' || rest.kind === 'name' || rest.kind === 'number' || rest.text === '('
          ? ' (an operator is missing before it?)'
          : '';
      this.fail(rest, `unexpected ${describe(rest)} after a complete expression${hint}`);
    }
    return expr;
  }

  private parse(minBp: number): Expr {
    if (++this.depth > MAX_EXPRESSION_DEPTH) this.tooDeep(this.peek());
    let left = this.prefix();
    for (;;) {
      const token = this.peek();
      const infix = token.kind === 'op' || token.kind === 'keyword' ? INFIX[token.text] : undefined;
      if (infix === undefined || infix[0] < minBp) break;
      const [, rightBp, op] = infix;
      if (COMPARISONS.has(op) && left.kind === 'binary' && COMPARISONS.has(left.op) && !this.grouped.has(left)) {
        this.fail(token, `comparisons do not chain: write "a < b and b < c" instead of "a < b < c"`);
      }
      this.next();
      const right = this.parse(rightBp);
      left = this.built(
        { kind: 'binary', op, left, right, position: span(left.position, right.position) },
        token,
        left,
        right,
      );
    }
    this.depth--;
    return left;
  }

  private prefix(): Expr {
    const token = this.next();
    switch (token.kind) {
      case 'number':
        return { kind: 'number', value: token.value as number, position: token.position };
      case 'duration':
        return { kind: 'duration', ms: token.value as number, text: token.text, position: token.position };
      case 'string':
        return { kind: 'string', value: token.value as string, position: token.position };
      case 'name':
        return { kind: 'signal', name: token.value as string, quoted: true, position: token.position };
      case 'keyword':
        if (token.text === 'true' || token.text === 'false')
          return { kind: 'bool', value: token.text === 'true', position: token.position };
        if (token.text === 'not') return this.unary('not', token, NOT_BP);
        return this.fail(token, `expected a value before "${token.text}"`);
      case 'ident':
        return this.peek().text === '(' && this.peek().kind === 'op'
          ? this.call(token)
          : { kind: 'signal', name: token.text, quoted: false, position: token.position };
      case 'op':
        if (token.text === '-') return this.unary('-', token, NEGATE_BP);
        if (token.text === '!') return this.unary('not', token, NOT_BP);
        if (token.text === '(') {
          const inner = this.parse(0);
          const close = this.next();
          if (close.text !== ')' || close.kind !== 'op') {
            const opened = `${token.position.line}:${token.position.column}`;
            this.fail(close, `expected ")" to close the "(" at ${opened}, found ${describe(close)}`);
          }
          this.grouped.add(inner);
          return inner;
        }
        return this.fail(token, `expected a value, found ${describe(token)}`);
      case 'eof':
        return this.fail(token, 'the expression ends where a value is expected');
    }
  }

  private unary(op: '-' | 'not', token: Token, bp: number): Expr {
    const operand = this.parse(bp);
    return this.built({ kind: 'unary', op, operand, position: span(token.position, operand.position) }, token, operand);
  }

  private call(name: Token): Expr {
    this.next(); // (
    const args: Expr[] = [];
    if (this.peek().text !== ')') {
      for (;;) {
        args.push(this.parse(0));
        const sep = this.next();
        if (sep.kind === 'op' && sep.text === ')') break;
        if (sep.kind !== 'op' || sep.text !== ',')
          this.fail(sep, `expected "," or ")" in the arguments of ${name.text}(), found ${describe(sep)}`);
      }
    } else this.next();
    const close = this.tokens[this.index - 1]!;
    const node: Expr = { kind: 'call', name: name.text, args, position: span(name.position, close.position) };
    return this.built(node, name, ...args);
  }
}

/**
 * Parses one expression; throws RuleExpressionError (RULE_SYNTAX, or RULE_TOO_COMPLEX past MAX_EXPRESSION_DEPTH)
 * with the line and column of the problem, counted from `origin` when the text was cut from a larger one.
 */
export function parseExpression(source: string, origin: TextOrigin = TEXT_START): Expr {
  return new Parser(tokenize(source, origin)).parseAll();
}
