/**
 * parseDbc: bytes or text → Database + diagnostics. Loading is strict: any error diagnostic makes it throw
 * DbcError('DBC_INVALID') naming the first problem as file:line:column; warnings come back with the database.
 */
import { DbcError } from './errors.js';
import { assembleDatabase } from './assemble.js';
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
}

export interface ParseDbcResult {
  readonly database: Database;
  /** Warnings (errors throw), in file order. */
  readonly diagnostics: DbcDiagnostic[];
}

/** `file:line:column severity CODE message`, the form editors and CI annotations pick up. */
export function formatDiagnostic(fileName: string, diagnostic: DbcDiagnostic): string {
  return `${fileName}:${diagnostic.line}:${diagnostic.column} ${diagnostic.severity} ${diagnostic.code} ${diagnostic.message}`;
}

/** Parses without throwing: every diagnostic (errors included) is returned; `database` is best effort. */
export function checkDbc(
  input: string | Uint8Array,
  options: ParseDbcOptions = {},
): { database: Database; diagnostics: DbcDiagnostic[] } {
  const diagnostics: DbcDiagnostic[] = [];
  let text: string;
  let encoding: 'utf-8' | 'cp1252' = 'utf-8';
  if (typeof input === 'string') {
    text = input;
  } else {
    const decoded = decodeDbcText(input);
    text = decoded.text;
    encoding = decoded.encoding;
  }
  const document = parseDocument(text, diagnostics);
  const database = { ...assembleDatabase(document, diagnostics, { strict: options.strict ?? true }), encoding };
  const ordered = diagnostics
    .map((d, i) => ({ d, i }))
    .sort((a, b) => a.d.line - b.d.line || a.d.column - b.d.column || a.i - b.i)
    .map((x) => x.d);
  return { database, diagnostics: ordered };
}

export function parseDbc(input: string | Uint8Array, options: ParseDbcOptions = {}): ParseDbcResult {
  const fileName = options.fileName ?? '<dbc>';
  const { database, diagnostics } = checkDbc(input, options);
  const errors = diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0) {
    const first = errors[0]!;
    const more = errors.length > 1 ? ` (and ${errors.length - 1} more error${errors.length > 2 ? 's' : ''})` : '';
    throw new DbcError('DBC_INVALID', `${fileName}:${first.line}:${first.column}: ${first.message}${more}`, {
      fileName,
      diagnostics,
    });
  }
  return { database, diagnostics };
}
