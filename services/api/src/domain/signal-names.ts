/**
 * Signal names as people type them, resolved against one vehicle model's catalog: a qualified name
 * (`powertrain/VCU_VehicleStatus/VCU_VehicleSpeed`), a manifest alias (`vehicleSpeed`), `message/signal`, or a plain
 * signal name (`VCU_VehicleSpeed`). A plain name shared by several messages is ambiguous and resolves to nothing:
 * the caller gets the qualified candidates to choose from. An unknown name gets close matches as hints.
 */
import type { Catalog, CatalogSignal } from '@telltale/catalog';

export type NameResolution =
  | { readonly kind: 'found'; readonly signal: CatalogSignal }
  | { readonly kind: 'ambiguous'; readonly candidates: readonly string[] }
  | { readonly kind: 'unknown'; readonly hints: readonly string[] };

interface NameIndex {
  /** Plain signal name and `message/signal` → signals carrying it. */
  readonly byShortName: ReadonlyMap<string, readonly CatalogSignal[]>;
  /** Every name a signal answers to, lowercased, for hints. */
  readonly searchable: readonly { readonly text: string; readonly display: string }[];
}

const indexes = new WeakMap<Catalog, NameIndex>();

function nameIndex(catalog: Catalog): NameIndex {
  let index = indexes.get(catalog);
  if (index) return index;
  const byShortName = new Map<string, CatalogSignal[]>();
  const add = (key: string, signal: CatalogSignal): void => {
    const list = byShortName.get(key);
    if (list) list.push(signal);
    else byShortName.set(key, [signal]);
  };
  const searchable: { text: string; display: string }[] = [];
  for (const signal of catalog.byQualifiedName.values()) {
    add(signal.name, signal);
    add(`${signal.message}/${signal.name}`, signal);
    searchable.push({ text: signal.qualifiedName.toLowerCase(), display: signal.qualifiedName });
  }
  for (const alias of catalog.aliases.keys()) searchable.push({ text: alias.toLowerCase(), display: alias });
  index = { byShortName, searchable };
  indexes.set(catalog, index);
  return index;
}

export function resolveSignalName(catalog: Catalog, name: string): NameResolution {
  const direct = catalog.byQualifiedName.get(name) ?? catalog.aliases.get(name);
  if (direct) return { kind: 'found', signal: direct };
  const index = nameIndex(catalog);
  const matches = index.byShortName.get(name) ?? [];
  if (matches.length === 1) return { kind: 'found', signal: matches[0]! };
  if (matches.length > 1) return { kind: 'ambiguous', candidates: matches.map((s) => s.qualifiedName).sort() };
  return { kind: 'unknown', hints: nameHints(index, name) };
}

const MAX_HINTS = 5;

/** Names containing the query case-insensitively (the query's last path segment), shortest first. */
function nameHints(index: NameIndex, name: string): string[] {
  const query = (name.split('/').pop() ?? name).trim().toLowerCase();
  if (query.length < 2) return [];
  return index.searchable
    .filter((entry) => entry.text.includes(query))
    .sort((a, b) => a.display.length - b.display.length || a.display.localeCompare(b.display))
    .slice(0, MAX_HINTS)
    .map((entry) => entry.display);
}

/** `?names=a,b&names=c` → ['a', 'b', 'c'], trimmed, empty entries and repeats dropped. */
export function splitNameList(values: readonly string[]): string[] {
  const out = new Set<string>();
  for (const value of values) {
    for (const part of value.split(',')) {
      const name = part.trim();
      if (name !== '') out.add(name);
    }
  }
  return [...out];
}
