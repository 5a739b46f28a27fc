/**
 * Where each string value of a JSON document sits in its text, by JSON pointer (`/ladder/1/when`), with the map
 * from an offset inside the decoded string to the offset in the text (escapes make them differ). The rule editor
 * edits a rule as JSON; the API reports expression problems as (pointer, offset into the expression), and this is
 * how they land on the right characters. Lenient: a document that does not parse yields the spans before the error.
 */
export interface StringSpan {
  /** Offset of the opening quote. */
  readonly from: number;
  /** Offset after the closing quote (or the end of the text for an unterminated string). */
  readonly to: number;
  readonly value: string;
  /** Text offset of each decoded character, plus one entry for the end of the string. */
  readonly offsets: readonly number[];
}

const escapePointer = (key: string): string => key.replace(/~/g, '~0').replace(/\//g, '~1');

/** Every string value (not key) in `text`, by pointer. */
export function stringSpans(text: string): Map<string, StringSpan> {
  const spans = new Map<string, StringSpan>();
  let i = 0;
  const ws = (): void => {
    while (i < text.length && /\s/.test(text[i]!)) i++;
  };
  const readString = (): StringSpan => {
    const from = i;
    i++; // opening quote
    let value = '';
    const offsets: number[] = [];
    while (i < text.length && text[i] !== '"') {
      offsets.push(i);
      if (text[i] === '\\') {
        const next = text[i + 1];
        const simple: Record<string, string> = {
          n: '\n',
          t: '\t',
          r: '\r',
          b: '\b',
          f: '\f',
          '"': '"',
          '\\': '\\',
          '/': '/',
        };
        if (next === 'u') {
          value += String.fromCharCode(parseInt(text.slice(i + 2, i + 6), 16) || 0);
          i += 6;
        } else {
          value += simple[next ?? ''] ?? next ?? '';
          i += 2;
        }
      } else {
        value += text[i];
        i++;
      }
    }
    offsets.push(i);
    if (i < text.length) i++; // closing quote
    return { from, to: i, value, offsets };
  };
  const readValue = (pointer: string, depth: number): boolean => {
    ws();
    const c = text[i];
    if (c === undefined || depth > 64) return false;
    if (c === '"') {
      spans.set(pointer, readString());
      return true;
    }
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') {
        i++;
        return true;
      }
      while (i < text.length) {
        ws();
        if (text[i] !== '"') return false;
        const key = readString().value;
        ws();
        if (text[i] !== ':') return false;
        i++;
        if (!readValue(`${pointer}/${escapePointer(key)}`, depth + 1)) return false;
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === '}') {
          i++;
          return true;
        } else return false;
      }
      return false;
    }
    if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') {
        i++;
        return true;
      }
      for (let index = 0; i < text.length; index++) {
        if (!readValue(`${pointer}/${index}`, depth + 1)) return false;
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === ']') {
          i++;
          return true;
        } else return false;
      }
      return false;
    }
    const literal = /^(-?\d+(\.\d+)?([eE][+-]?\d+)?|true|false|null)/.exec(text.slice(i, i + 64));
    if (!literal) return false;
    i += literal[0].length;
    return true;
  };
  readValue('', 0);
  return spans;
}

/** Pointers of the rule fields that hold expressions in the rule language. */
export function isExpressionPath(pointer: string): boolean {
  return /^\/(condition|clear\/condition|sequence\/(first|then)|ladder\/\d+\/when)$/.test(pointer);
}

/** Text range of `[offset, offset + length)` inside the span's decoded value, clamped to the string. */
export function textRange(span: StringSpan, offset: number, length: number): { from: number; to: number } {
  const last = span.offsets.length - 1;
  const start = Math.max(0, Math.min(offset, last));
  const end = Math.max(start, Math.min(offset + Math.max(length, 0), last));
  const from = span.offsets[start]!;
  const to = end === start ? Math.min(from + 1, span.offsets[last]!) : span.offsets[end]!;
  return { from, to: Math.max(to, from) };
}
