/**
 * A vehicle model's catalog as the console's catalog browser and rule editor read it: buses → messages → signals
 * with each signal's bit layout (start bit and length in DBC numbering, byte order), scaling, unit, value labels and
 * staleness, plus the model-independent aliases. Pure: built from the loaded Catalog, once per catalog version.
 */
import { signalKey, type Catalog } from '@telltale/catalog';

export interface CatalogSignalView {
  readonly id: number | null;
  readonly name: string;
  readonly qualifiedName: string;
  readonly startBit: number;
  readonly length: number;
  readonly byteOrder: 'little_endian' | 'big_endian';
  readonly isSigned: boolean;
  readonly scale: number;
  readonly offset: number;
  readonly minimum: number | null;
  readonly maximum: number | null;
  readonly unit: string;
  readonly choices: Readonly<Record<string, string>>;
  readonly comment: string | null;
  readonly staleAfterMs: number | null;
  readonly isMultiplexer: boolean;
  readonly multiplexed: boolean;
}

export interface CatalogMessageView {
  readonly name: string;
  readonly frameId: number;
  readonly isExtended: boolean;
  readonly length: number;
  readonly cycleTimeMs: number | null;
  readonly senders: string[];
  readonly comment: string | null;
  readonly signals: CatalogSignalView[];
}

export interface CatalogView {
  readonly modelId: string;
  readonly displayName: string;
  readonly catalogVersion: string;
  readonly signalCount: number;
  readonly aliases: Readonly<Record<string, string>>;
  readonly buses: {
    readonly index: number;
    readonly name: string;
    readonly bitrate: number;
    readonly fd: boolean;
    readonly messages: CatalogMessageView[];
  }[];
}

export function catalogView(catalog: Catalog): CatalogView {
  return {
    modelId: catalog.modelId,
    displayName: catalog.displayName,
    catalogVersion: catalog.catalogVersion,
    signalCount: catalog.signalCount,
    aliases: Object.fromEntries([...catalog.aliases].map(([alias, s]) => [alias, s.qualifiedName])),
    buses: catalog.buses.map((bus) => ({
      index: bus.index,
      name: bus.name,
      bitrate: bus.bitrate,
      fd: bus.fd,
      messages: bus.database.messages.map((m) => ({
        name: m.name,
        frameId: m.frameId,
        isExtended: m.isExtended,
        length: m.length,
        cycleTimeMs: m.cycleTimeMs ?? null,
        senders: [...m.senders],
        comment: m.comment ?? null,
        signals: m.signals.map((s) => {
          const known = catalog.byQualifiedName.get(signalKey(bus.name, m.name, s.name));
          return {
            id: known?.id ?? null,
            name: s.name,
            qualifiedName: signalKey(bus.name, m.name, s.name),
            startBit: s.startBit,
            length: s.length,
            byteOrder: s.byteOrder,
            isSigned: s.isSigned,
            scale: s.scale,
            offset: s.offset,
            minimum: s.minimum ?? null,
            maximum: s.maximum ?? null,
            unit: s.unit,
            choices: Object.fromEntries(s.choices),
            comment: s.comment ?? null,
            staleAfterMs: known?.staleAfterMs ?? null,
            isMultiplexer: s.multiplexing.isMultiplexer,
            multiplexed: s.multiplexing.parent !== undefined,
          };
        }),
      })),
    })),
  };
}
