/** Per-message and per-signal details stated outside BO_: SIG_VALTYPE_, BO_TX_BU_ and SIG_GROUP_. */
import type { SignalGroup, ValueType } from '../model.js';
import { getOrCreate, signalKey, type AssemblyContext } from './context.js';

/** Keyed by signalKey. */
export type ValueTypes = Map<string, ValueType>;
/** Keyed by raw message id. */
export type ExtraSenders = Map<number, string[]>;
/** Keyed by raw message id. */
export type SignalGroups = Map<number, SignalGroup[]>;

/** SIG_VALTYPE_: the float signals, keyed by signalKey (a signal not listed is an integer). */
export function collectValueTypes(context: AssemblyContext): ValueTypes {
  const valueTypes: ValueTypes = new Map();
  for (const entry of context.doc.signalValueTypes) {
    if (context.isKnownSignal(entry.rawId, entry.signal, 'SIG_VALTYPE_', entry.pos)) {
      valueTypes.set(
        signalKey(entry.rawId, entry.signal),
        entry.type === 1 ? 'float32' : entry.type === 2 ? 'float64' : 'integer',
      );
    }
  }
  return valueTypes;
}

/** BO_TX_BU_: senders beyond the BO_ line's one, per raw message id, in file order. */
export function collectExtraSenders(context: AssemblyContext): ExtraSenders {
  const senders: ExtraSenders = new Map();
  for (const entry of context.doc.extraSenders) {
    if (context.isKnownMessage(entry.rawId, 'BO_TX_BU_', entry.pos)) {
      const list = getOrCreate(senders, entry.rawId, () => []);
      for (const sender of entry.senders) list.push(sender); // no spread: a huge list would overflow the stack
    }
  }
  return senders;
}

/** SIG_GROUP_ per raw message id, in file order. */
export function collectSignalGroups(context: AssemblyContext): SignalGroups {
  const groups: SignalGroups = new Map();
  for (const group of context.doc.signalGroups) {
    if (context.isKnownMessage(group.rawId, 'SIG_GROUP_', group.pos)) {
      getOrCreate(groups, group.rawId, () => []).push({
        name: group.name,
        repetitions: group.repetitions,
        signalNames: group.signals,
      });
    }
  }
  return groups;
}
