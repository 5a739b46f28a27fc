/**
 * A stored signal value joined with its catalog entry: name, unit, the label of an enumerated value, and whether the
 * value is stale (no update for longer than the signal's staleAfterMs, measured from its event time).
 */
import type { Catalog, CatalogSignal } from '@telltale/catalog';
import { isoTime } from './time.js';

export interface StoredValue {
  readonly signalId: number;
  readonly value: number;
  readonly eventTimeMs: number;
  readonly receiveTimeMs: number;
}

export interface SignalDescription {
  readonly id: number;
  readonly name: string;
  readonly qualifiedName: string;
  readonly bus: string;
  readonly message: string;
  readonly unit: string;
  readonly staleAfterMs: number | null;
  readonly choices: Readonly<Record<string, string>> | null;
}

export interface SignalValueView {
  readonly id: number;
  readonly name: string;
  readonly qualifiedName: string;
  readonly unit: string;
  readonly value: number;
  readonly label: string | null;
  readonly eventTimeMs: number;
  readonly eventTime: string;
  readonly receiveTimeMs: number;
  readonly receiveTime: string;
  readonly ageMs: number;
  readonly staleAfterMs: number | null;
  readonly stale: boolean;
}

export function isStale(signal: Pick<CatalogSignal, 'staleAfterMs'>, eventTimeMs: number, nowMs: number): boolean {
  return signal.staleAfterMs !== undefined && nowMs - eventTimeMs > signal.staleAfterMs;
}

/** Physical value → raw value, per signal id; enumerations are declared on raw values (DBC VAL_). */
type Scaling = { readonly scale: number; readonly offset: number };
const scalings = new WeakMap<Catalog, ReadonlyMap<number, Scaling>>();

function scalingOf(catalog: Catalog, signal: CatalogSignal): Scaling {
  let byId = scalings.get(catalog);
  if (!byId) {
    const map = new Map<number, Scaling>();
    for (const bus of catalog.buses) {
      for (const message of bus.database.messages) {
        for (const s of message.signals) {
          if (s.choices.size === 0) continue;
          const entry = catalog.byQualifiedName.get(`${bus.name}/${message.name}/${s.name}`);
          if (entry) map.set(entry.id, { scale: s.scale, offset: s.offset });
        }
      }
    }
    byId = map;
    scalings.set(catalog, byId);
  }
  return byId.get(signal.id) ?? { scale: 1, offset: 0 };
}

export function choiceLabel(catalog: Catalog, signal: CatalogSignal, value: number): string | null {
  if (signal.choices.size === 0) return null;
  const { scale, offset } = scalingOf(catalog, signal);
  const raw = Math.round(scale === 0 ? value : (value - offset) / scale);
  return signal.choices.get(String(raw)) ?? null;
}

export function describeSignal(signal: CatalogSignal): SignalDescription {
  return {
    id: signal.id,
    name: signal.name,
    qualifiedName: signal.qualifiedName,
    bus: signal.bus,
    message: signal.message,
    unit: signal.unit,
    staleAfterMs: signal.staleAfterMs ?? null,
    choices: signal.choices.size === 0 ? null : Object.fromEntries(signal.choices),
  };
}

export function signalValueView(
  catalog: Catalog,
  signal: CatalogSignal,
  stored: StoredValue,
  nowMs: number,
): SignalValueView {
  return {
    id: signal.id,
    name: signal.name,
    qualifiedName: signal.qualifiedName,
    unit: signal.unit,
    value: stored.value,
    label: choiceLabel(catalog, signal, stored.value),
    eventTimeMs: stored.eventTimeMs,
    eventTime: isoTime(stored.eventTimeMs),
    receiveTimeMs: stored.receiveTimeMs,
    receiveTime: isoTime(stored.receiveTimeMs),
    ageMs: nowMs - stored.eventTimeMs,
    staleAfterMs: signal.staleAfterMs ?? null,
    stale: isStale(signal, stored.eventTimeMs, nowMs),
  };
}
