/**
 * Model directory contents → Catalog, strict: every problem becomes a diagnostic, and a catalog is built only when
 * none is an error. Pure: the files arrive as text (load.ts reads them).
 */
import { TelltaleError } from '@telltale/platform/errors';
import { checkDbc } from '@telltale/dbc';
import type { Database } from '@telltale/dbc';
import { checkBusMessages, fromDbcDiagnostic } from './checks.js';
import { checkManifest, type CatalogManifest } from './manifest.js';
import {
  formatCatalogDiagnostic,
  signalKey,
  type Catalog,
  type CatalogBus,
  type CatalogDiagnostic,
  type CatalogSignal,
  type CatalogSources,
} from './model.js';
import { checkSignalIds, signalIdProblems, type SignalIds } from './signal-ids.js';
import { jsonPointer } from './json-problems.js';
import { multiplexPageCount, staleAfterMs } from './stale.js';

export const MANIFEST_FILE = 'manifest.json';
export const SIGNAL_IDS_FILE = 'signal-ids.json';

export interface CatalogReading {
  /** Built only when no diagnostic is an error. */
  readonly catalog: Catalog | undefined;
  readonly diagnostics: readonly CatalogDiagnostic[];
  readonly manifest: CatalogManifest | undefined;
  /** Parsed buses (those whose DBC loaded), in manifest order. */
  readonly buses: readonly CatalogBus[];
  readonly signalIds: SignalIds | undefined;
}

const pointerProblem = (problem: string): { path: string; message: string } => {
  const space = problem.indexOf(' ');
  return { path: problem.slice(0, space), message: problem.slice(space + 1) };
};

/** The qualified names of every signal, in catalog order (buses in manifest order, then file order). */
export function catalogKeys(buses: readonly { readonly name: string; readonly database: Database }[]): string[] {
  return buses.flatMap((bus) =>
    bus.database.messages.flatMap((message) =>
      message.signals.map((signal) => signalKey(bus.name, message.name, signal.name)),
    ),
  );
}

export function readCatalog(sources: CatalogSources): CatalogReading {
  const diagnostics: CatalogDiagnostic[] = [];
  const manifestCheck = checkManifest(sources.manifest);
  if (!manifestCheck.ok) {
    for (const problem of manifestCheck.problems) {
      diagnostics.push({
        severity: 'error',
        code: 'CATALOG_MANIFEST_INVALID',
        file: MANIFEST_FILE,
        ...pointerProblem(problem),
      });
    }
    return { catalog: undefined, diagnostics, manifest: undefined, buses: [], signalIds: undefined };
  }
  const manifest = manifestCheck.value;
  if (sources.directoryName !== undefined && sources.directoryName !== manifest.modelId) {
    diagnostics.push({
      severity: 'warning',
      code: 'CATALOG_MODEL_MISMATCH',
      message: `modelId "${manifest.modelId}" differs from the directory name "${sources.directoryName}".`,
      file: MANIFEST_FILE,
      path: '/modelId',
    });
  }

  const buses = readBuses(manifest, sources, diagnostics);
  const signalIds = readSignalIds(manifest, sources, buses, diagnostics);
  checkReferences(manifest, buses, diagnostics);

  const failed = diagnostics.some((d) => d.severity === 'error');
  const catalog = failed || !signalIds ? undefined : assemble(manifest, buses, signalIds);
  return { catalog, diagnostics, manifest, buses, signalIds };
}

function readBuses(manifest: CatalogManifest, sources: CatalogSources, diagnostics: CatalogDiagnostic[]): CatalogBus[] {
  const buses: CatalogBus[] = [];
  manifest.buses.forEach((bus, i) => {
    const content = sources.dbcFiles.get(bus.dbc);
    if (content === undefined) {
      diagnostics.push({
        severity: 'error',
        code: 'CATALOG_FILE_MISSING',
        message: `Bus ${bus.name} names ${bus.dbc}, which is not in the model directory.`,
        file: MANIFEST_FILE,
        path: `/buses/${i}/dbc`,
      });
      return;
    }
    const parsed = checkDbc(content, { fileName: bus.dbc });
    const found = parsed.diagnostics.map((d) => fromDbcDiagnostic(bus.dbc, d));
    diagnostics.push(...found);
    if (found.some((d) => d.severity === 'error')) return;
    diagnostics.push(...checkBusMessages(bus.dbc, bus, parsed.database.messages));
    buses.push(toCatalogBus(bus, parsed.database));
  });
  const used = new Set(manifest.buses.map((b) => b.dbc));
  for (const file of sources.dbcFiles.keys()) {
    if (!used.has(file)) {
      diagnostics.push({
        severity: 'warning',
        code: 'CATALOG_FILE_UNUSED',
        message: `${file} is in the model directory but no bus in manifest.json uses it.`,
        file,
      });
    }
  }
  return buses;
}

function toCatalogBus(bus: CatalogManifest['buses'][number], database: Database): CatalogBus {
  return {
    index: bus.index,
    name: bus.name,
    dbcFile: bus.dbc,
    bitrate: bus.bitrate,
    fd: bus.fd,
    dataBitrate: bus.dataBitrate,
    database,
  };
}

function readSignalIds(
  manifest: CatalogManifest,
  sources: CatalogSources,
  buses: readonly CatalogBus[],
  diagnostics: CatalogDiagnostic[],
): SignalIds | undefined {
  const file = SIGNAL_IDS_FILE;
  if (sources.signalIds === undefined) {
    diagnostics.push({
      severity: 'error',
      code: 'CATALOG_SIGNAL_IDS_MISSING',
      message: `${file} is missing; run \`telltale catalog assign-ids\` to create it.`,
      file,
    });
    return undefined;
  }
  const checked = checkSignalIds(sources.signalIds);
  if (!checked.ok) {
    for (const problem of checked.problems) {
      diagnostics.push({ severity: 'error', code: 'CATALOG_SIGNAL_IDS_INVALID', file, ...pointerProblem(problem) });
    }
    return undefined;
  }
  const ids = checked.value;
  if (ids.modelId !== manifest.modelId) {
    diagnostics.push({
      severity: 'error',
      code: 'CATALOG_MODEL_MISMATCH',
      message: `${file} is for model "${ids.modelId}", the manifest for "${manifest.modelId}".`,
      file,
      path: '/modelId',
    });
  }
  if (ids.catalogVersion !== manifest.catalogVersion) {
    diagnostics.push({
      severity: 'warning',
      code: 'CATALOG_SIGNAL_IDS_OUTDATED',
      message:
        `${file} was assigned for catalog version ${ids.catalogVersion}; ` +
        `the manifest says ${manifest.catalogVersion}.`,
      file,
      path: '/catalogVersion',
    });
  }
  for (const problem of signalIdProblems(ids)) {
    diagnostics.push({
      severity: 'error',
      code: problem.code,
      message: problem.message,
      file,
      path: jsonPointer(['ids', problem.key]),
    });
  }
  const keys = catalogKeys(buses);
  const present = new Set(keys);
  for (const key of keys) {
    if (!ids.ids.has(key)) {
      diagnostics.push({
        severity: 'error',
        code: 'CATALOG_SIGNAL_ID_MISSING',
        message: `${key} has no id; run \`telltale catalog assign-ids\`.`,
        file,
        path: key,
      });
    } else if (ids.retired.has(key)) {
      diagnostics.push({
        severity: 'error',
        code: 'CATALOG_SIGNAL_ID_RETIRED',
        message: `${key} is listed as retired but is in the catalog; run \`telltale catalog assign-ids\` to revive it.`,
        file,
        path: jsonPointer(['retired', key]),
      });
    }
  }
  // Only meaningful when every bus loaded: a bus that failed to parse would make all of its ids look unused.
  if (buses.length === manifest.buses.length) {
    for (const key of ids.ids.keys()) {
      if (!present.has(key) && !ids.retired.has(key)) {
        diagnostics.push({
          severity: 'warning',
          code: 'CATALOG_SIGNAL_ID_UNUSED',
          message: `${key} has an id but is not in the catalog and not retired; run \`telltale catalog assign-ids\`.`,
          file,
          path: jsonPointer(['ids', key]),
        });
      }
    }
  }
  return ids;
}

/** Aliases and overrides must name a bus of the manifest and a message and signal of its DBC. */
function checkReferences(
  manifest: CatalogManifest,
  buses: readonly CatalogBus[],
  diagnostics: CatalogDiagnostic[],
): void {
  const check = (qualified: string, path: string): void => {
    const [busName, messageName, signalName] = qualified.split('/') as [string, string, string];
    let problem: string | undefined;
    if (!manifest.buses.some((b) => b.name === busName)) {
      problem = `names bus "${busName}", which the manifest does not define`;
    } else {
      const bus = buses.find((b) => b.name === busName);
      if (!bus) return; // its DBC did not load: already reported
      const message = bus.database.messages.find((m) => m.name === messageName);
      if (!message) problem = `names message "${messageName}", which ${bus.dbcFile} does not define`;
      else if (!message.signals.some((s) => s.name === signalName)) {
        problem = `names signal "${signalName}", which message ${messageName} does not have`;
      }
    }
    if (problem) {
      diagnostics.push({
        severity: 'error',
        code: 'CATALOG_UNKNOWN_REFERENCE',
        message: `${qualified} ${problem}.`,
        file: MANIFEST_FILE,
        path,
      });
    }
  };
  for (const [alias, qualified] of Object.entries(manifest.aliases)) check(qualified, jsonPointer(['aliases', alias]));
  for (const qualified of Object.keys(manifest.signalOverrides))
    check(qualified, jsonPointer(['signalOverrides', qualified]));
}

function assemble(manifest: CatalogManifest, buses: readonly CatalogBus[], ids: SignalIds): Catalog {
  let size = 0;
  for (const id of ids.ids.values()) size = Math.max(size, id + 1);
  const signals = new Array<CatalogSignal | undefined>(size).fill(undefined);
  const byQualifiedName = new Map<string, CatalogSignal>();
  for (const bus of buses) {
    for (const message of bus.database.messages) {
      const pages = multiplexPageCount(message);
      for (const signal of message.signals) {
        const qualifiedName = signalKey(bus.name, message.name, signal.name);
        const id = ids.ids.get(qualifiedName);
        if (id === undefined) throw new Error(`unreachable: ${qualifiedName} has no id`);
        const override = manifest.signalOverrides[qualifiedName];
        const stale = override?.staleAfterMs ?? staleAfterMs(message, signal, pages);
        const entry: CatalogSignal = Object.freeze({
          id,
          name: signal.name,
          qualifiedName,
          bus: bus.name,
          busIndex: bus.index,
          message: message.name,
          frameId: message.frameId,
          isExtended: message.isExtended,
          unit: override?.unit ?? signal.unit,
          minimum: signal.minimum,
          maximum: signal.maximum,
          choices: signal.choices,
          comment: signal.comment,
          cycleTimeMs: message.cycleTimeMs,
          staleAfterMs: stale === 0 ? undefined : stale,
          multiplexed: signal.multiplexing.parent !== undefined,
          isMultiplexer: signal.multiplexing.isMultiplexer,
        });
        signals[id] = entry;
        byQualifiedName.set(qualifiedName, entry);
      }
    }
  }
  const aliases = new Map<string, CatalogSignal>();
  for (const [alias, qualified] of Object.entries(manifest.aliases)) {
    const signal = byQualifiedName.get(qualified);
    if (signal) aliases.set(alias, signal);
  }
  return Object.freeze({
    modelId: manifest.modelId,
    displayName: manifest.displayName,
    catalogVersion: manifest.catalogVersion,
    buses: Object.freeze([...buses]),
    signals: Object.freeze(signals),
    signalCount: byQualifiedName.size,
    byQualifiedName,
    aliases,
  });
}

/** readCatalog, throwing CATALOG_INVALID with every error when the catalog cannot be built. */
export function buildCatalog(sources: CatalogSources): Catalog {
  const { catalog, diagnostics } = readCatalog(sources);
  if (catalog) return catalog;
  const errors = diagnostics.filter((d) => d.severity === 'error');
  const shown = errors.slice(0, 5).map((d) => formatCatalogDiagnostic(d));
  const more = errors.length > shown.length ? ` (and ${errors.length - shown.length} more)` : '';
  throw new TelltaleError('CATALOG_INVALID', `Catalog cannot be loaded: ${shown.join('; ')}${more}.`, {
    details: { diagnostics: errors },
  });
}

/** A signal by qualified name, alias, or plain signal name when only one signal of the model has it. */
export function findSignal(catalog: Catalog, name: string): CatalogSignal | undefined {
  const direct = catalog.byQualifiedName.get(name) ?? catalog.aliases.get(name);
  if (direct) return direct;
  let found: CatalogSignal | undefined;
  for (const signal of catalog.byQualifiedName.values()) {
    if (signal.name !== name) continue;
    if (found) return undefined;
    found = signal;
  }
  return found;
}
