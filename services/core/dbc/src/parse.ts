/**
 * parseDbc: bytes or text → Database + diagnostics. Loading is strict: any error diagnostic makes it throw
 * DbcError('DBC_INVALID') naming the first problem as file:line:column; warnings come back with the database.
 */
import { DbcError } from './errors.js';
import { assembleDatabase } from './assemble.js';
import { DiagnosticLog } from './diagnostics.js';
import type { Database, DbcDiagnostic } from './model.js';
import { parseDocument } from './parser.js';
import { decodeDbcText } from './text.js';

export interface ParseDbcOptions {
  /** Used in messages (`file.dbc:12:5: ...`); defaults to `<dbc>`. */
  readonly fileName?: string;
  /**
   * Default true. With false, a signal that reaches past its message's length is a warning instead of an error
   * and never decodes (opendbc and OEM files carry such signals; cantools' `strict=False`).
   */
  readonly strict?: boolean;
  /**
   * A statement left without its closing ';' at the end of a line (real files do this with VAL_ and CM_): 'recover'
   * (default) reads it, 'drop' ignores it as cantools does. Either way with a DBC_MISSING_SEMICOLON warning.
   */
  readonly missingSemicolons?: 'recover' | 'drop';
}

export interface ParseDbcResult {
  readonly database: Database;
  /**
   * Warnings (errors throw), in file order; past the first 100 of one code, a last summary diagnostic counts the
   * rest (`omitted`).
   */
  readonly diagnostics: DbcDiagnostic[];
}

/** `file:line:column severity CODE message`, the form editors and CI annotations pick up. */
export function formatDiagnostic(fileName: string, diagnostic: DbcDiagnostic): string {
  const { line, column, severity, code, message } = diagnostic;
  return `${fileName}:${line}:${column} ${severity} ${code} ${message}`;
}

/** How many problems a diagnostic list stands for: a summary diagnostic counts the ones it omits. */
export function countDiagnostics(diagnostics: readonly DbcDiagnostic[], severity: DbcDiagnostic['severity']): number {
  let count = 0;
  for (const d of diagnostics) if (d.severity === severity) count += d.omitted ?? 1;
  return count;
}

/**
 * Parses without throwing: the diagnostics (errors included, capped per code as in ParseDbcResult) are returned;
 * `database` is best effort.
 */
export function checkDbc(
  input: string | Uint8Array,
  options: ParseDbcOptions = {},
): { database: Database; diagnostics: DbcDiagnostic[] } {
  const diagnostics = new DiagnosticLog();
  let text: string;
  let encoding: 'utf-8' | 'cp1252' = 'utf-8';
  if (typeof input === 'string') {
    text = input;
  } else {
    const decoded = decodeDbcText(input);
    text = decoded.text;
    encoding = decoded.encoding;
  }
  const document = parseDocument(text, diagnostics, { missingSemicolons: options.missingSemicolons ?? 'recover' });
  const database = { ...assembleDatabase(document, diagnostics, { strict: options.strict ?? true }), encoding };
  return { database, diagnostics: diagnostics.list() };
}

export function parseDbc(input: string | Uint8Array, options: ParseDbcOptions = {}): ParseDbcResult {
  const fileName = options.fileName ?? '<dbc>';
  const { database, diagnostics } = checkDbc(input, options);
  const errors = diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0) {
    const first = errors[0]!;
    const others = countDiagnostics(errors, 'error') - 1;
    const more = others > 0 ? ` (and ${others} more error${others > 1 ? 's' : ''})` : '';
    throw new DbcError('DBC_INVALID', `${fileName}:${first.line}:${first.column}: ${first.message}${more}`, {
      fileName,
      diagnostics,
    });
  }
  return { database, diagnostics };
}
