/**
 * lintCatalog: everything readCatalog finds, plus id stability against an earlier version's signal-ids.json (no id
 * changed, none dropped). `telltale catalog lint` prints the result; CI runs it on every model.
 */
import { readCatalog, SIGNAL_IDS_FILE, type CatalogReading } from './build.js';
import { jsonPointer } from './json-problems.js';
import type { CatalogDiagnostic, CatalogSources } from './model.js';
import { checkSignalIds, signalIdProblems } from './signal-ids.js';

export interface LintOptions {
  /** signal-ids.json text of the previous catalog version (e.g. from the last release tag). */
  readonly previousSignalIds?: string;
}

export interface LintResult extends CatalogReading {
  readonly errorCount: number;
  readonly warningCount: number;
}

export function lintCatalog(sources: CatalogSources, options: LintOptions = {}): LintResult {
  const reading = readCatalog(sources);
  const diagnostics: CatalogDiagnostic[] = [...reading.diagnostics];
  if (options.previousSignalIds !== undefined) {
    const previous = checkSignalIds(options.previousSignalIds);
    if (!previous.ok) {
      for (const problem of previous.problems) {
        diagnostics.push({
          severity: 'error',
          code: 'CATALOG_SIGNAL_IDS_INVALID',
          message: `previous ${SIGNAL_IDS_FILE}: ${problem}`,
        });
      }
    } else if (reading.signalIds) {
      for (const problem of signalIdProblems(reading.signalIds, previous.value)) {
        if (problem.code === 'CATALOG_SIGNAL_ID_COLLISION') continue; // already reported by readCatalog
        diagnostics.push({
          severity: 'error',
          code: problem.code,
          message: problem.message,
          file: SIGNAL_IDS_FILE,
          path: jsonPointer(['ids', problem.key]),
        });
      }
    }
  }
  const errorCount = diagnostics.filter((d) => d.severity === 'error').length;
  return {
    ...reading,
    catalog: errorCount > 0 ? undefined : reading.catalog,
    diagnostics,
    errorCount,
    warningCount: diagnostics.length - errorCount,
  };
}
