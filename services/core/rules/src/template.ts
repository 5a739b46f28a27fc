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
import { RuleExpressionError, positionAt } from './problems.js';
import type { EvalContext } from './signal-state.js';
import type { ExpressionCompiler } from './expression/compile.js';
import { parseExpression } from './expression/parser.js';
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

/**
 * Compiles a template with the rule's expression compiler (errors land in compiler.errors, positioned in the
 * template text). The template's signals are kept for the vehicle but do not make the rule evaluate.
 */
export function compileTemplate(
  text: string,
  compiler: ExpressionCompiler,
  catalog: RuleCatalog,
): CompiledTemplate | undefined {
  const parts: Part[] = [];
  let failed = false;
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
          new RuleExpressionError('RULE_SYNTAX', '"{{" is not closed with "}}"', positionAt(text, open, 2)),
        );
        failed = true;
        break;
      }
      const inner = text.slice(open + 2, close);
      // Positions of errors inside a placeholder count in the whole template: parse it with the rest blanked out.
      const pipe = /(?<!\|)\|(?!\|)\s*([A-Za-z]+(?:\(\s*\d+\s*\))?)\s*$/.exec(inner);
      const exprEnd = pipe === null ? close : open + 2 + pipe.index;
      const masked =
        text
          .slice(0, exprEnd)
          .replace(/[^\n]/g, ' ')
          .slice(0, open + 2) + text.slice(open + 2, exprEnd);
      const exprText = text.slice(open + 2, exprEnd).trim();
      const format = pipe?.[1]?.replace(/\s+/g, '');
      i = close + 2;
      if (VARIABLES.has(exprText)) {
        const name = exprText as keyof TemplateVariables;
        parts.push((_c, v) => v[name]);
        continue;
      }
      let expr;
      try {
        expr = parseExpression(masked);
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
        compiler.errors.push(new RuleExpressionError('RULE_TYPE', fmt, positionAt(text, exprEnd, close - exprEnd)));
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
