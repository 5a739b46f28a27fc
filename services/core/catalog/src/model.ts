/**
 * The signal catalog of one vehicle model: every signal of every bus with its stable numeric id, unit, range and
 * staleness. Ids index `Catalog.signals` and travel in SignalBatch; names, units and choices come from here.
 */
import type { Database } from '@telltale/dbc';

export interface CatalogBus {
  /** The T-Box's CAN channel number: frames carry it as their bus id. */
  readonly index: number;
  readonly name: string;
  readonly dbcFile: string;
  /** Nominal (arbitration) bit rate, bit/s. */
  readonly bitrate: number;
  readonly fd: boolean;
  /** CAN FD data-phase bit rate, bit/s. */
  readonly dataBitrate: number | undefined;
  readonly database: Database;
}

export interface CatalogSignal {
  readonly id: number;
  readonly name: string;
  /** `<bus>/<message>/<signal>`: unique in the model, the key of the persisted id assignment. */
  readonly qualifiedName: string;
  readonly bus: string;
  readonly busIndex: number;
  readonly message: string;
  readonly frameId: number;
  readonly isExtended: boolean;
  readonly unit: string;
  readonly minimum: number | undefined;
  readonly maximum: number | undefined;
  /** VAL_ table: raw value (decimal string) → label. */
  readonly choices: ReadonlyMap<string, string>;
  readonly comment: string | undefined;
  /** GenMsgCycleTime of the message; undefined for an event-driven message. */
  readonly cycleTimeMs: number | undefined;
  /** No update for this long means the value is stale (see stale.ts); undefined: never stale. */
  readonly staleAfterMs: number | undefined;
  /** Present only for some multiplexer values. */
  readonly multiplexed: boolean;
  readonly isMultiplexer: boolean;
}

export interface Catalog {
  readonly modelId: string;
  readonly displayName: string;
  readonly catalogVersion: string;
  readonly buses: readonly CatalogBus[];
  /** Indexed by signal id. A retired id is a hole (undefined) and is never reused. */
  readonly signals: readonly (CatalogSignal | undefined)[];
  /** Signals present in this version (holes excluded). */
  readonly signalCount: number;
  readonly byQualifiedName: ReadonlyMap<string, CatalogSignal>;
  /** Model-independent names from the manifest (`vehicleSpeed`, `soc`, ...) → signal. */
  readonly aliases: ReadonlyMap<string, CatalogSignal>;
}

export type CatalogDiagnosticSeverity = 'error' | 'warning';

/** One finding of catalog validation; errors make loading fail, `telltale catalog lint` prints all of them. */
export interface CatalogDiagnostic {
  readonly severity: CatalogDiagnosticSeverity;
  /** Stable code: CATALOG_* for catalog rules, DBC_* passed through from the DBC parser. */
  readonly code: string;
  readonly message: string;
  /** File inside the model directory the finding is about. */
  readonly file?: string;
  readonly line?: number;
  /** JSON pointer (manifest.json, signal-ids.json) or qualified signal name. */
  readonly path?: string;
}

/** The files of one model directory, as text or bytes; reading them is load.ts's job. */
export interface CatalogSources {
  readonly manifest: string;
  /** undefined when signal-ids.json does not exist yet. */
  readonly signalIds: string | undefined;
  /** File name → content, every *.dbc of the directory. */
  readonly dbcFiles: ReadonlyMap<string, string | Uint8Array>;
  /** Directory name, checked against the manifest's modelId when given. */
  readonly directoryName?: string;
}

export const signalKey = (bus: string, message: string, signal: string): string => `${bus}/${message}/${signal}`;

/** `file:line: severity CODE message (path)`; `modelDir` prefixes the file (or stands in for it). */
export function formatCatalogDiagnostic(d: CatalogDiagnostic, modelDir?: string): string {
  const dir = modelDir === undefined ? '' : `${modelDir.replace(/[\\/]+$/, '')}/`;
  const where =
    d.file === undefined
      ? modelDir === undefined
        ? ''
        : `${modelDir}: `
      : `${dir}${d.file}${d.line === undefined ? '' : `:${d.line}`}: `;
  const path = d.path === undefined ? '' : ` (${d.path})`;
  return `${where}${d.severity} ${d.code} ${d.message}${path}`;
}
