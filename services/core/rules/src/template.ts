/**
 * Message templates: text with `{{ expression }}` placeholders, each optionally formatted with `| format`:
 *
 *   "Cell spread {{ cellVoltageMax - cellVoltageMin | fixed(3) }} V on {{ vin }}"
 *
 * Placeholders are expressions of the rule language, type-checked and compiled with the rule, so a template can
 * show only signal values and numbers, never run code. Variables: vin, fleetId, modelId, ruleId, ruleName, severity.
 * Formats: fixed(N) (N decimals), int, hex (0x0A7F00), dtc (SAE J2012: P0A7F-00), label (the VAL_ label of a
 * signal's value). Unknown values render as "?".
 */
import { RuleExpressionError, type SourcePosition } from './problems.js';
import type { EvalContext } from './signal-state.js';
import type { ExpressionCompiler } from './expression/compile.js';
import { parseExpression } from './expression/parser.js';
import type { TextOrigin } from './expression/lexer.js';
import { lookupSignal, type RuleCatalog } from './catalog-view.js';

export interface TemplateVariables {
  readonly vin: string;
  readonly fleetId: string;
  readonly modelId: string;
  readonly ruleId: string;
  readonly ruleName: string;
  readonly severity: string;
}

const VARIABLES: ReadonlySet<string> = new Set(['vin', 'fleetId', 'modelId', 'ruleId', 'ruleName', 'severity']);
const MAX_MESSAGE_LENGTH = 2000;

export type CompiledTemplate = (c: EvalContext, variables: TemplateVariables) => string;

type Part = string | ((c: EvalContext, v: TemplateVariables) => string);

/** Default number rendering: integers as they are, others with up to 3 decimals (1 from 100 up). */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return '?';
  if (Number.isInteger(value)) return String(value);
  return String(Number(value.toFixed(Math.abs(value) >= 100 ? 1 : 3)));
}

/** SAE J2012 / ISO 14229 DTC: 24 bits, the high 16 the code (P0A7F), the low 8 the failure type (-00). */
export function formatDtc(value: number): string {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffff) return formatNumber(value);
  const code = value >>> 8;
  const letter = 'PCBU'[code >>> 14]!;
  const rest = (code & 0x3fff).toString(16).toUpperCase().padStart(4, '0');
  return `${letter}${rest}-${(value & 0xff).toString(16).toUpperCase().padStart(2, '0')}`;
}

function formatter(format: string, labels: ReadonlyMap<string, string> | undefined): ((v: number) => string) | string {
  const fixed = /^fixed\((\d{1,2})\)$/.exec(format);
  if (fixed !== null) {
    const digits = Number(fixed[1]);
    return (v) => (Number.isFinite(v) ? v.toFixed(digits) : '?');
  }
  switch (format) {
    case 'int':
      return (v) => (Number.isFinite(v) ? String(Math.round(v)) : '?');
    case 'hex':
      return (v) => {
        if (!Number.isInteger(v) || v < 0) return formatNumber(v);
        const hex = v.toString(16).toUpperCase();
        return `0x${hex.padStart(hex.length + (hex.length % 2), '0')}`;
      };
    case 'dtc':
      return formatDtc;
    case 'label':
      if (labels === undefined)
        return 'the label format needs a signal name with value labels, e.g. {{ gear | label }}';
      return (v) => labels.get(String(v)) ?? formatNumber(v);
    default:
      return `unknown format "${format}"; formats: fixed(N), int, hex, dtc, label`;
  }
}

/** Most placeholders one message may have. */
export const MAX_PLACEHOLDERS = 64;

const FORMAT_SUFFIX = /^\s*([A-Za-z]+(?:\(\s*\d+\s*\))?)\s*$/;

/** Where the `| format` of a placeholder starts inside its text, or -1: the last `|` that is not part of `||`. */
function formatPipe(inner: string): { readonly at: number; readonly format: string } | undefined {
  const at = inner.lastIndexOf('|');
  if (at < 0 || inner[at - 1] === '|') return undefined;
  const match = FORMAT_SUFFIX.exec(inner.slice(at + 1));
  return match === null ? undefined : { at, format: match[1]!.replace(/\s+/g, '') };
}

/**
 * Line and column of offsets in one text, asked in increasing order: each character is looked at once, so a
 * template costs time linear in its length however many placeholders (or errors) it has.
 */
class PositionTracker {
  private offset = 0;
  private line = 1;
  private column = 1;

  constructor(private readonly text: string) {}

  at(offset: number): TextOrigin {
    for (; this.offset < offset && this.offset < this.text.length; this.offset++) {
      if (this.text.charCodeAt(this.offset) === 10) {
        this.line++;
        this.column = 1;
      } else this.column++;
    }
    return { offset, line: this.line, column: this.column };
  }

  position(offset: number, length: number): SourcePosition {
    return { ...this.at(offset), length: Math.max(1, length) };
  }
}

/**
 * Compiles a template with the rule's expression compiler (errors land in compiler.errors, positioned in the
 * template text). The template's signals are kept for the vehicle but do not make the rule evaluate. Linear in the
 * length of the text: each placeholder is parsed where it stands, with its origin in the template.
 */
export function compileTemplate(
  text: string,
  compiler: ExpressionCompiler,
  catalog: RuleCatalog,
): CompiledTemplate | undefined {
  const parts: Part[] = [];
  const where = new PositionTracker(text);
  let failed = false;
  let placeholders = 0;
  let i = 0;
  compiler.uses.triggers = false;
  try {
    while (i < text.length) {
      const open = text.indexOf('{{', i);
      if (open < 0) {
        parts.push(text.slice(i));
        break;
      }
      parts.push(text.slice(i, open));
      const close = text.indexOf('}}', open + 2);
      if (close < 0) {
        compiler.errors.push(
          new RuleExpressionError('RULE_SYNTAX', '"{{" is not closed with "}}"', where.position(open, 2)),
        );
        failed = true;
        break;
      }
      if (++placeholders > MAX_PLACEHOLDERS) {
        const message = `a message has at most ${MAX_PLACEHOLDERS} placeholders`;
        compiler.errors.push(new RuleExpressionError('RULE_TOO_COMPLEX', message, where.position(open, 2)));
        failed = true;
        break;
      }
      const inner = text.slice(open + 2, close);
      const pipe = formatPipe(inner);
      const exprEnd = pipe === undefined ? close : open + 2 + pipe.at;
      const source = text.slice(open + 2, exprEnd);
      const exprText = source.trim();
      const format = pipe?.format;
      i = close + 2;
      if (VARIABLES.has(exprText)) {
        const name = exprText as keyof TemplateVariables;
        parts.push((_c, v) => v[name]);
        continue;
      }
      let expr;
      try {
        // Parsed where it stands: positions of its errors count in the whole template.
        expr = parseExpression(source, where.at(open + 2));
      } catch (error) {
        if (!(error instanceof RuleExpressionError)) throw error;
        compiler.errors.push(error);
        failed = true;
        continue;
      }
      const compiled = compiler.compile(expr, exprText, undefined, 'the placeholder');
      if (compiled === undefined) {
        failed = true;
        continue;
      }
      const labels =
        expr.kind === 'signal'
          ? (() => {
              const found = lookupSignal(catalog, expr.name);
              return found.kind === 'found' && found.signal.choices.size > 0 ? found.signal.choices : undefined;
            })()
          : undefined;
      const fmt = format === undefined ? formatNumber : formatter(format, labels);
      if (typeof fmt === 'string') {
        compiler.errors.push(new RuleExpressionError('RULE_TYPE', fmt, where.position(exprEnd, close - exprEnd)));
        failed = true;
        continue;
      }
      const fn = compiled.fn;
      parts.push(
        compiled.type === 'boolean'
          ? (c) => {
              const v = fn(c);
              return v !== v ? '?' : v === 1 ? 'true' : 'false';
            }
          : (c) => fmt(fn(c)),
      );
    }
  } finally {
    compiler.uses.triggers = true;
  }
  if (failed) return undefined;
  return (c, v) => {
    let out = '';
    for (const part of parts) out += typeof part === 'string' ? part : part(c, v);
    return out.length > MAX_MESSAGE_LENGTH ? `${out.slice(0, MAX_MESSAGE_LENGTH - 1)}…` : out;
  };
}
