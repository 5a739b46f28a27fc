/**
 * The signal catalog: vehicle model directories (manifest.json, one DBC per bus, signal-ids.json) → a Catalog with
 * stable numeric signal ids → per-bus compiled decoders emitting those ids. See signal-catalog/README.md.
 */
export type {
  Catalog,
  CatalogBus,
  CatalogDiagnostic,
  CatalogDiagnosticSeverity,
  CatalogSignal,
  CatalogSources,
} from './model.js';
export { formatCatalogDiagnostic, signalKey } from './model.js';
export { checkManifest, parseManifest, ManifestSchema, type CatalogManifest, type ManifestBus } from './manifest.js';
export {
  assignSignalIds,
  checkSignalIds,
  formatSignalIds,
  parseSignalIds,
  signalIdProblems,
  type SignalIdProblem,
  type SignalIds,
} from './signal-ids.js';
export { multiplexPageCount, staleAfterMs, updatePeriodMs, STALE_AFTER_CYCLES, STALE_AFTER_FLOOR_MS } from './stale.js';
export {
  buildCatalog,
  catalogKeys,
  findSignal,
  readCatalog,
  MANIFEST_FILE,
  SIGNAL_IDS_FILE,
  type CatalogReading,
} from './build.js';
export { lintCatalog, type LintOptions, type LintResult } from './lint.js';
export { compileCatalog, type CompiledCatalog } from './compile.js';
export { encodeMessage, type EncodeOptions } from './encode.js';
export { catalogStats, formatCatalogStats, type BusStats, type CatalogStats } from './stats.js';
export { loadCatalog, loadCatalogSources } from './load.js';
export { CatalogLibrary, BUNDLED_CATALOG_DIR, type CatalogLookup } from './library.js';
