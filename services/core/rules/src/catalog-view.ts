/**
 * What rules need of a vehicle model's catalog, and how a name in a rule finds its signal. `Catalog` from
 * @telltale/core/catalog satisfies RuleCatalog; tests can hand in a small literal.
 *
 * A name resolves, in this order: a manifest alias (`cellVoltageMax`), a qualified name (`bms/BMS_CellStats/…`), a
 * signal name that is unique in the model (`BMS_DtcConfirmed`). A short name used by several messages is ambiguous
 * and the error lists the qualified candidates; an unknown name gets the nearest known name as a suggestion.
 */
export interface RuleCatalogSignal {
  readonly id: number;
  readonly name: string;
  readonly qualifiedName: string;
  readonly unit: string;
  /** VAL_ table: raw value (decimal string) → label. */
  readonly choices: ReadonlyMap<string, string>;
  readonly staleAfterMs: number | undefined;
}

export interface RuleCatalog {
  readonly modelId: string;
  readonly catalogVersion: string;
  readonly signals: readonly (RuleCatalogSignal | undefined)[];
  readonly byQualifiedName: ReadonlyMap<string, RuleCatalogSignal>;
  readonly aliases: ReadonlyMap<string, RuleCatalogSignal>;
}

export type SignalLookup =
  | { readonly kind: 'found'; readonly signal: RuleCatalogSignal }
  | { readonly kind: 'ambiguous'; readonly candidates: readonly string[] }
  | { readonly kind: 'unknown'; readonly suggestion: string | undefined };

interface NameIndex {
  readonly byName: ReadonlyMap<string, readonly RuleCatalogSignal[]>;
  /** Aliases and unique short names, for suggestions. */
  readonly suggestable: readonly string[];
}

const indexes = new WeakMap<RuleCatalog, NameIndex>();

function nameIndex(catalog: RuleCatalog): NameIndex {
  let index = indexes.get(catalog);
  if (index === undefined) {
    const byName = new Map<string, RuleCatalogSignal[]>();
    for (const signal of catalog.byQualifiedName.values()) {
      const list = byName.get(signal.name);
      if (list === undefined) byName.set(signal.name, [signal]);
      else list.push(signal);
    }
    const suggestable = [
      ...catalog.aliases.keys(),
      ...[...byName].filter(([, list]) => list.length === 1).map(([name]) => name),
    ];
    index = { byName, suggestable };
    indexes.set(catalog, index);
  }
  return index;
}

/** Longest name a suggestion is looked for: edit distance costs its length times each candidate's. */
const MAX_SUGGESTED_NAME_LENGTH = 64;

/** `suggest: false` skips the nearest-name search (the compiler stops suggesting after a few unknown names). */
export function lookupSignal(catalog: RuleCatalog, name: string, suggest = true): SignalLookup {
  const direct = catalog.aliases.get(name) ?? catalog.byQualifiedName.get(name);
  if (direct !== undefined) return { kind: 'found', signal: direct };
  const index = nameIndex(catalog);
  const byName = index.byName.get(name);
  if (byName !== undefined && byName.length === 1) return { kind: 'found', signal: byName[0]! };
  if (byName !== undefined && byName.length > 1)
    return { kind: 'ambiguous', candidates: byName.map((s) => s.qualifiedName).sort() };
  if (!suggest || name.length > MAX_SUGGESTED_NAME_LENGTH) return { kind: 'unknown', suggestion: undefined };
  const pool = name.includes('/') ? [...catalog.byQualifiedName.keys()] : index.suggestable;
  return { kind: 'unknown', suggestion: nearest(name, pool) };
}

/** The candidate closest to `word` (case-insensitive edit distance), when it is close enough to be a likely typo. */
export function nearest(word: string, candidates: Iterable<string>): string | undefined {
  const target = word.toLowerCase();
  const limit = Math.max(2, Math.floor(target.length / 3));
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const candidate of candidates) {
    if (Math.abs(candidate.length - target.length) >= bestDistance) continue;
    const d = editDistance(target, candidate.toLowerCase(), bestDistance);
    if (d < bestDistance || (d === bestDistance && best !== undefined && candidate < best)) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

/** Levenshtein distance with an early exit once every path exceeds `cap`. */
function editDistance(a: string, b: string, cap: number): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const value = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
      current.push(value);
      if (value < rowMin) rowMin = value;
    }
    if (rowMin > cap) return cap + 1;
    previous = current;
  }
  return previous[b.length]!;
}
