/**
 * Catalog → one compiled decoder per bus, emitting the catalog's stable signal ids, so a SignalBatch decoded with
 * any bus's decoder indexes the same `Catalog.signals`.
 */
import { compileDatabase, type CompiledDatabase } from '@telltale/dbc';
import { signalKey, type Catalog, type CatalogBus } from './model.js';

export interface CompiledCatalog {
  readonly catalog: Catalog;
  /** Compiled decoders in manifest bus order. */
  readonly buses: readonly { readonly bus: CatalogBus; readonly compiled: CompiledDatabase }[];
  /** The decoder for a frame's bus id; undefined when the model has no such bus (count it, don't throw). */
  decoderFor(busIndex: number): CompiledDatabase | undefined;
}

export function compileCatalog(catalog: Catalog, options: { readonly codegen?: boolean } = {}): CompiledCatalog {
  const buses = catalog.buses.map((bus) => ({
    bus,
    compiled: compileDatabase(bus.database, {
      ...(options.codegen === undefined ? {} : { codegen: options.codegen }),
      signalId: (message, signal) => {
        const entry = catalog.byQualifiedName.get(signalKey(bus.name, message.name, signal.name));
        // buildCatalog gives every signal of every bus an id; a miss means the catalog was assembled by hand.
        if (!entry) throw new Error(`Signal ${signalKey(bus.name, message.name, signal.name)} is not in the catalog.`);
        return entry.id;
      },
    }),
  }));
  const byIndex: (CompiledDatabase | undefined)[] = [];
  for (const { bus, compiled } of buses) byIndex[bus.index] = compiled;
  return Object.freeze({
    catalog,
    buses: Object.freeze(buses),
    decoderFor: (busIndex: number) => byIndex[busIndex],
  });
}
