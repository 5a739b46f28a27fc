/**
 * The rule expression language as the editor sees it: tokens for highlighting and the completion context at the
 * cursor (a signal name being typed, or a value label after `signal == "`). A lexer of its own, not the engine's:
 * it must never fail on half-typed text, and the console does not ship the engine.
 */
export type TokenKind = 'keyword' | 'number' | 'duration' | 'string' | 'signal' | 'function' | 'operator' | 'comment';

export interface Token {
  readonly kind: TokenKind;
  readonly from: number;
  readonly to: number;
  readonly text: string;
}

const KEYWORDS = new Set(['and', 'or', 'not', 'true', 'false']);
export const FUNCTIONS = ['abs', 'min', 'max', 'avg', 'count', 'delta', 'rate', 'stale'] as const;

export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    const rest = text.slice(i);
    let m: RegExpExecArray | null;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '#') {
      const end = text.indexOf('\n', i);
      const to = end < 0 ? text.length : end;
      tokens.push({ kind: 'comment', from: i, to, text: text.slice(i, to) });
      i = to;
    } else if (c === '"' || c === '`') {
      const end = text.indexOf(c, i + 1);
      const to = end < 0 ? text.length : end + 1;
      tokens.push({ kind: c === '"' ? 'string' : 'signal', from: i, to, text: text.slice(i, to) });
      i = to;
    } else if ((m = /^\d+(\.\d+)?([eE][+-]?\d+)?((ms|s|m|h|d)(\d+(ms|s|m|h|d))*)?(?![A-Za-z_])/.exec(rest))) {
      tokens.push({ kind: m[3] ? 'duration' : 'number', from: i, to: i + m[0].length, text: m[0] });
      i += m[0].length;
    } else if ((m = /^[A-Za-z_][A-Za-z0-9_.]*/.exec(rest))) {
      const word = m[0];
      const after = text.slice(i + word.length).trimStart();
      const kind: TokenKind = KEYWORDS.has(word) ? 'keyword' : after.startsWith('(') ? 'function' : 'signal';
      tokens.push({ kind, from: i, to: i + word.length, text: word });
      i += word.length;
    } else if ((m = /^(==|!=|<=|>=|&&|\|\||[-+*/%<>!(),])/.exec(rest))) {
      tokens.push({ kind: 'operator', from: i, to: i + m[0].length, text: m[0] });
      i += m[0].length;
    } else i++;
  }
  return tokens;
}

export type CompletionContext =
  | { readonly kind: 'signal'; readonly from: number; readonly prefix: string }
  | { readonly kind: 'label'; readonly from: number; readonly prefix: string; readonly signal: string }
  | { readonly kind: 'none' };

/** What is being typed at `offset` of `text` (an expression). */
export function completionAt(text: string, offset: number): CompletionContext {
  const before = text.slice(0, offset);
  const label = /([A-Za-z_][A-Za-z0-9_.]*|`[^`]*`)\s*(==|!=)\s*"([^"]*)$/.exec(before);
  if (label) {
    const signal = label[1]!.replace(/^`|`$/g, '');
    return { kind: 'label', from: offset - label[3]!.length, prefix: label[3]!, signal };
  }
  const quotes = (before.match(/"/g) ?? []).length;
  if (quotes % 2 === 1 || /#[^\n]*$/.test(before)) return { kind: 'none' };
  const word = /[A-Za-z_][A-Za-z0-9_.]*$/.exec(before);
  if (word === null) return { kind: 'none' };
  if (/\d$/.test(before.slice(0, word.index))) return { kind: 'none' }; // a duration's unit: 30s
  return { kind: 'signal', from: word.index, prefix: word[0] };
}

/**
 * Candidates for `prefix`, best first: those starting with it (case-insensitive), then those containing it;
 * shorter names first within each group. At most `limit`.
 */
export function rankNames(names: readonly string[], prefix: string, limit = 50): string[] {
  const p = prefix.toLowerCase();
  const starts: string[] = [];
  const contains: string[] = [];
  for (const n of names) {
    const l = n.toLowerCase();
    if (l.startsWith(p)) starts.push(n);
    else if (p.length > 1 && l.includes(p)) contains.push(n);
  }
  const byLength = (a: string, b: string): number => a.length - b.length || a.localeCompare(b);
  return [...starts.sort(byLength), ...contains.sort(byLength)].slice(0, limit);
}
