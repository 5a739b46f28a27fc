/**
 * DBC tokenizer. Same token classes as cantools' (the reference DBC reader), a little more forgiving on number
 * notation: `1E+002`, `+5`, `.5` and `10.` are numbers. Strings may span lines; `\"` inside a string is a quote and
 * every other backslash is literal (Vector's tools never escape anything else). `//` starts a comment to the end of
 * the line. Every token carries its line and column (1-based) for diagnostics, and whether it is the first token on
 * its line: sections always start a line, which lets the parser resynchronise after a broken statement and end
 * unterminated lists without knowing every section's grammar.
 */

export type TokenKind = 'word' | 'number' | 'string' | 'punct' | 'eof';

export interface Token {
  readonly kind: TokenKind;
  /** The text as written; for strings, the content without quotes and with `\"` unescaped. */
  readonly text: string;
  readonly line: number;
  readonly column: number;
  readonly firstOnLine: boolean;
}

export class DbcLexError extends Error {
  constructor(
    message: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(message);
  }
}

const PUNCTUATION = new Set(['(', ')', '[', ']', ',', '|', '@', ';', ':', '+', '-']);

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

function isWordChar(code: number): boolean {
  return (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95;
}

function isWhitespace(code: number): boolean {
  // Includes vertical tab, form feed, no-break space and a stray BOM: all seen in hand-edited OEM files.
  return code === 32 || (code >= 9 && code <= 13) || code === 0xa0 || code === 0xfeff;
}

export class Lexer {
  private pos = 0;
  private line = 1;
  private lineStart = 0;
  private lastTokenLine = 0;
  private readonly buffer: Token[] = [];

  constructor(private readonly text: string) {}

  /** The k-th token ahead (0 = next) without consuming it. */
  peek(k = 0): Token {
    while (this.buffer.length <= k) this.buffer.push(this.scan());
    return this.buffer[k]!;
  }

  next(): Token {
    const token = this.peek();
    this.buffer.shift();
    return token;
  }

  private scan(): Token {
    const text = this.text;
    // Skip whitespace and // comments, counting lines (\r\n, \n and a lone \r all end a line).
    for (;;) {
      if (this.pos >= text.length) break;
      const code = text.charCodeAt(this.pos);
      if (code === 10 || code === 13) {
        this.pos += code === 13 && text.charCodeAt(this.pos + 1) === 10 ? 2 : 1;
        this.line++;
        this.lineStart = this.pos;
      } else if (isWhitespace(code)) {
        this.pos++;
      } else if (code === 47 && text.charCodeAt(this.pos + 1) === 47) {
        while (this.pos < text.length && text.charCodeAt(this.pos) !== 10 && text.charCodeAt(this.pos) !== 13) {
          this.pos++;
        }
      } else {
        break;
      }
    }
    const line = this.line;
    const column = this.pos - this.lineStart + 1;
    if (this.pos >= text.length) return { kind: 'eof', text: '', line, column, firstOnLine: true };
    const firstOnLine = line !== this.lastTokenLine;
    const token = this.token(line, column, firstOnLine);
    // A string may end on a later line: the next token is first on its line only if it starts another one.
    this.lastTokenLine = this.line;
    return token;
  }

  private token(line: number, column: number, firstOnLine: boolean): Token {
    const text = this.text;
    const start = this.pos;
    const code = text.charCodeAt(start);
    if (code === 34 /* " */) return { kind: 'string', text: this.scanString(line, column), line, column, firstOnLine };

    const numberEnd = this.numberEnd(start);
    if (numberEnd > start) {
      // A run like `3ABC` is a word that happens to start with a digit, not a number followed by a word.
      if (!isWordChar(text.charCodeAt(numberEnd)) || !isDigit(code)) {
        this.pos = numberEnd;
        return { kind: 'number', text: text.slice(start, numberEnd), line, column, firstOnLine };
      }
    }
    if (isWordChar(code)) {
      let end = start + 1;
      while (end < text.length && isWordChar(text.charCodeAt(end))) end++;
      this.pos = end;
      return { kind: 'word', text: text.slice(start, end), line, column, firstOnLine };
    }
    const ch = text[start]!;
    if (PUNCTUATION.has(ch)) {
      this.pos++;
      return { kind: 'punct', text: ch, line, column, firstOnLine };
    }
    // Step over the bad character so that a caller that reports the error and goes on makes progress.
    this.pos++;
    throw new DbcLexError(`Unexpected character ${JSON.stringify(ch)}.`, line, column);
  }

  /** End of a number starting at `start` (sign? digits? (. digits?)? exponent?), or `start` when there is none. */
  private numberEnd(start: number): number {
    const text = this.text;
    let i = start;
    const first = text.charCodeAt(i);
    if (first === 43 || first === 45) i++;
    let digits = 0;
    while (isDigit(text.charCodeAt(i))) {
      i++;
      digits++;
    }
    if (text.charCodeAt(i) === 46 /* . */) {
      let j = i + 1;
      while (isDigit(text.charCodeAt(j))) {
        j++;
        digits++;
      }
      if (digits > 0) i = j;
    }
    if (digits === 0) return start;
    const e = text.charCodeAt(i);
    if (e === 69 || e === 101) {
      let j = i + 1;
      const sign = text.charCodeAt(j);
      if (sign === 43 || sign === 45) j++;
      if (isDigit(text.charCodeAt(j))) {
        while (isDigit(text.charCodeAt(j))) j++;
        i = j;
      }
    }
    return i;
  }

  private scanString(line: number, column: number): string {
    const text = this.text;
    let i = this.pos + 1;
    let out = '';
    let chunkStart = i;
    for (;;) {
      if (i >= text.length) {
        this.pos = text.length;
        throw new DbcLexError('Unterminated string.', line, column);
      }
      const code = text.charCodeAt(i);
      if (code === 92 /* \ */ && text.charCodeAt(i + 1) === 34) {
        out += text.slice(chunkStart, i) + '"';
        i += 2;
        chunkStart = i;
        continue;
      }
      if (code === 34) break;
      // A line ends at \n or at a lone \r; in \r\n the \n counts it.
      if (code === 10 || (code === 13 && text.charCodeAt(i + 1) !== 10)) {
        this.line++;
        this.lineStart = i + 1;
      }
      i++;
    }
    out += text.slice(chunkStart, i);
    this.pos = i + 1;
    return out;
  }
}
