/**
 * Tokenizer of the rule expression language. Every token knows its offset, line and column, so every later error
 * can point at the text the user wrote.
 */
import { DURATION_UNITS_MS, parseDuration } from '../duration.js';
import { RuleExpressionError, type SourcePosition } from '../problems.js';

export type TokenKind = 'number' | 'duration' | 'string' | 'ident' | 'name' | 'keyword' | 'op' | 'eof';

export interface Token {
  readonly kind: TokenKind;
  /** The source text of the token. */
  readonly text: string;
  /** number: the number; duration: milliseconds; string/name: the unquoted text; otherwise the text. */
  readonly value: number | string;
  readonly position: SourcePosition;
}

export const KEYWORDS: ReadonlySet<string> = new Set(['and', 'or', 'not', 'true', 'false']);

const OPERATORS = ['==', '!=', '<=', '>=', '&&', '||', '+', '-', '*', '/', '%', '(', ')', ',', '<', '>', '!'] as const;

const isDigit = (c: string): boolean => c >= '0' && c <= '9';
const isIdentStart = (c: string): boolean => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_';
const isIdentPart = (c: string): boolean => isIdentStart(c) || isDigit(c);

/** Where a piece of text starts inside a larger one (a placeholder inside a message template). */
export interface TextOrigin {
  /** 0-based offset of the first character. */
  readonly offset: number;
  /** 1-based. */
  readonly line: number;
  /** 1-based. */
  readonly column: number;
}

export const TEXT_START: TextOrigin = { offset: 0, line: 1, column: 1 };

/** Tokens of `source`; positions count from `origin`, so errors point into the text `source` was cut from. */
export function tokenize(source: string, origin: TextOrigin = TEXT_START): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = origin.line;
  // The column of a local offset is `offset - lineStart + 1`; on the first line it continues the origin's.
  let lineStart = 1 - origin.column;
  const pos = (offset: number, length: number): SourcePosition => ({
    offset: origin.offset + offset,
    line,
    column: offset - lineStart + 1,
    length: Math.max(1, length),
  });
  const fail = (offset: number, length: number, message: string): never => {
    throw new RuleExpressionError('RULE_SYNTAX', message, pos(offset, length));
  };

  while (i < source.length) {
    const c = source[i]!;
    if (c === '\n') {
      i++;
      line++;
      lineStart = i;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r') {
      i++;
      continue;
    }
    if (c === '#') {
      while (i < source.length && source[i] !== '\n') i++;
      continue;
    }
    const start = i;
    if (isDigit(c) || (c === '.' && isDigit(source[i + 1] ?? ''))) {
      while (i < source.length && (isDigit(source[i]!) || source[i] === '.')) i++;
      if (
        (source[i] === 'e' || source[i] === 'E') &&
        (isDigit(source[i + 1] ?? '') ||
          ((source[i + 1] === '+' || source[i + 1] === '-') && isDigit(source[i + 2] ?? '')))
      ) {
        i += 2;
        while (i < source.length && isDigit(source[i]!)) i++;
      }
      // Letters glued to a number: a duration (`30s`, `1m30s`) or a mistake (`0.05V`).
      if (i < source.length && isIdentStart(source[i]!)) {
        while (i < source.length && (isIdentPart(source[i]!) || source[i] === '.')) i++;
        const text = source.slice(start, i);
        const ms = parseDuration(text);
        if (ms === undefined) {
          const units = Object.keys(DURATION_UNITS_MS).join(', ');
          fail(
            start,
            i - start,
            `"${text}" is neither a number nor a duration: numbers take no unit, and durations use ${units} ` +
              '(e.g. 30s, 1m30s)',
          );
        }
        tokens.push({ kind: 'duration', text, value: ms!, position: pos(start, i - start) });
        continue;
      }
      const text = source.slice(start, i);
      const value = Number(text);
      if (!/^(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(text) || !Number.isFinite(value))
        fail(start, i - start, `"${text}" is not a number`);
      tokens.push({ kind: 'number', text, value, position: pos(start, i - start) });
      continue;
    }
    if (isIdentStart(c)) {
      while (i < source.length && isIdentPart(source[i]!)) i++;
      const text = source.slice(start, i);
      tokens.push({
        kind: KEYWORDS.has(text) ? 'keyword' : 'ident',
        text,
        value: text,
        position: pos(start, i - start),
      });
      continue;
    }
    if (c === '`' || c === '"' || c === "'") {
      i++;
      let value = '';
      while (i < source.length && source[i] !== c) {
        if (source[i] === '\n')
          fail(start, i - start, `${c === '`' ? 'signal name' : 'string'} is not closed before the end of the line`);
        if (source[i] === '\\' && c !== '`' && i + 1 < source.length) i++;
        value += source[i];
        i++;
      }
      if (i >= source.length)
        fail(start, i - start, `${c === '`' ? 'signal name' : 'string'} is not closed: add a ${c}`);
      i++;
      if (c === '`' && value.trim() === '') fail(start, i - start, 'empty signal name');
      tokens.push({
        kind: c === '`' ? 'name' : 'string',
        text: source.slice(start, i),
        value: c === '`' ? value.trim() : value,
        position: pos(start, i - start),
      });
      continue;
    }
    const op = OPERATORS.find((o) => source.startsWith(o, i));
    if (op !== undefined) {
      i += op.length;
      tokens.push({ kind: 'op', text: op, value: op, position: pos(start, op.length) });
      continue;
    }
    if (c === '=') fail(start, 1, 'use == to compare');
    if (c === '&') fail(start, 1, 'use "and" (or &&)');
    if (c === '|') fail(start, 1, 'use "or" (or ||)');
    fail(start, 1, `unexpected character "${c}"`);
  }
  tokens.push({ kind: 'eof', text: '', value: '', position: pos(i, 1) });
  return tokens;
}
