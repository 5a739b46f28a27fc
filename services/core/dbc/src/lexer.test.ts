import { describe, expect, it } from 'vitest';
import { DbcLexError, Lexer, type Token } from './lexer.js';

function tokens(text: string): Token[] {
  const lexer = new Lexer(text);
  const out: Token[] = [];
  for (;;) {
    const token = lexer.next();
    if (token.kind === 'eof') return out;
    out.push(token);
  }
}

const texts = (text: string): string[] => tokens(text).map((t) => `${t.kind}:${t.text}`);

describe('Lexer', () => {
  it('reads every number notation real files use', () => {
    expect(texts('1E+002 +5 .5 10. -1e-3 1.000000E-05 0')).toEqual([
      'number:1E+002',
      'number:+5',
      'number:.5',
      'number:10.',
      'number:-1e-3',
      'number:1.000000E-05',
      'number:0',
    ]);
  });

  it('splits a signal layout into numbers and punctuation, keeping the sign after the byte order apart', () => {
    expect(texts('18|8@1- (-1,0)')).toEqual([
      'number:18',
      'punct:|',
      'number:8',
      'punct:@',
      'number:1',
      'punct:-',
      'punct:(',
      'number:-1',
      'punct:,',
      'number:0',
      'punct:)',
    ]);
  });

  it('reads a multiplexer range 3-5 as 3 and -5, as cantools does', () => {
    expect(texts('3-5, 8-8;')).toEqual(['number:3', 'number:-5', 'punct:,', 'number:8', 'number:-8', 'punct:;']);
  });

  it('reads words, including ones that start with a digit', () => {
    expect(texts('BO_ m15M 3ABC Vector__XXX')).toEqual(['word:BO_', 'word:m15M', 'word:3ABC', 'word:Vector__XXX']);
  });

  it('unescapes \\" in strings, keeps other backslashes and lets strings span lines', () => {
    const [token] = tokens('"say \\"hi\\"\\n C:\\\\dir\nnext line"');
    expect(token?.kind).toBe('string');
    expect(token?.text).toBe('say "hi"\\n C:\\\\dir\nnext line');
  });

  it('skips // comments and odd whitespace, and tracks line, column and line starts across CRLF and CR', () => {
    const result = tokens('// header\r\nBO_\t\u00a0 1 //x\r\n  SG_\rVAL_');
    expect(result.map((t) => [t.text, t.line, t.column, t.firstOnLine])).toEqual([
      ['BO_', 2, 1, true],
      ['1', 2, 7, false],
      ['SG_', 3, 3, true],
      ['VAL_', 4, 1, true],
    ]);
  });

  it('counts lines inside multi-line strings', () => {
    const result = tokens('CM_ "a\r\nb\nc";\nX');
    expect(result.at(-1)).toMatchObject({ text: 'X', line: 4, column: 1, firstOnLine: true });
  });

  it('reports an unterminated string where it starts', () => {
    const lexer = new Lexer('VERSION\n  "never closed');
    lexer.next();
    let error: unknown;
    try {
      lexer.next();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DbcLexError);
    expect(error).toMatchObject({ line: 2, column: 3, message: 'Unterminated string.' });
  });

  it('reports a stray character with its position and can continue after it', () => {
    const lexer = new Lexer('BO_ # 1');
    expect(lexer.next().text).toBe('BO_');
    expect(() => lexer.next()).toThrow(/Unexpected character "#"/);
    expect(lexer.next().text).toBe('1');
  });
});
