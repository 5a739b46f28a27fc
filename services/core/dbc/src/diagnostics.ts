/**
 * Where the parser and the assembler put diagnostics. Memory stays bounded whatever the input: the first
 * MAX_DIAGNOSTICS_PER_KIND diagnostics of each (severity, code) are kept, the rest only counted and summarised in one
 * diagnostic per kind ("… and K more"), and every message is cut to MAX_MESSAGE_LENGTH characters. A file with
 * 4,000 mutually overlapping signals thus yields a few hundred diagnostics, not millions.
 */
import type { DbcDiagnostic, DbcDiagnosticSeverity } from './model.js';

export const MAX_DIAGNOSTICS_PER_KIND = 100;
export const MAX_MESSAGE_LENGTH = 1000;

interface KindCount {
  readonly severity: DbcDiagnosticSeverity;
  readonly code: string;
  kept: number;
  omitted: number;
  firstOmitted: { readonly line: number; readonly column: number } | undefined;
}

export class DiagnosticLog {
  private readonly kept: DbcDiagnostic[] = [];
  private readonly kinds = new Map<string, KindCount>();

  add(
    severity: DbcDiagnosticSeverity,
    code: string,
    message: string,
    at: { readonly line: number; readonly column: number },
  ): void {
    const key = `${severity} ${code}`;
    let kind = this.kinds.get(key);
    if (kind === undefined) {
      kind = { severity, code, kept: 0, omitted: 0, firstOmitted: undefined };
      this.kinds.set(key, kind);
    }
    if (kind.kept >= MAX_DIAGNOSTICS_PER_KIND) {
      kind.omitted++;
      kind.firstOmitted ??= { line: at.line, column: at.column };
      return;
    }
    kind.kept++;
    this.kept.push({ severity, code, message: boundedMessage(message), line: at.line, column: at.column });
  }

  /** The kept diagnostics in file order (stable for one position), then one summary per kind that overflowed. */
  list(): DbcDiagnostic[] {
    const ordered = this.kept
      .map((d, i) => ({ d, i }))
      .sort((a, b) => a.d.line - b.d.line || a.d.column - b.d.column || a.i - b.i)
      .map((x) => x.d);
    for (const kind of this.kinds.values()) {
      if (kind.omitted === 0) continue;
      const at = kind.firstOmitted!;
      ordered.push({
        severity: kind.severity,
        code: kind.code,
        message:
          `… and ${kind.omitted} more ${kind.code} ${kind.severity}${kind.omitted === 1 ? '' : 's'} ` +
          `(only the first ${MAX_DIAGNOSTICS_PER_KIND} of each kind are listed; the first omitted is here).`,
        line: at.line,
        column: at.column,
        omitted: kind.omitted,
      });
    }
    return ordered;
  }
}

/**
 * Cuts a message to MAX_MESSAGE_LENGTH characters. The cut is copied character by character so that the kept
 * message does not hold on to a huge name it was built from (engines share the memory of sliced strings).
 */
function boundedMessage(message: string): string {
  if (message.length <= MAX_MESSAGE_LENGTH) return message;
  return `${Array.from(message.slice(0, MAX_MESSAGE_LENGTH - 1)).join('')}…`;
}
