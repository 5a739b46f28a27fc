/** VAL_ (value labels of a signal or environment variable) and VAL_TABLE_ (named tables). */
import type { RawChoiceEntries } from '../parser.js';
import { signalKey, type AssemblyContext } from './context.js';

export type Choices = ReadonlyMap<string, string>;

export interface ChoicesByObject {
  /** Keyed by signalKey. */
  readonly signals: Map<string, Choices>;
  readonly environmentVariables: Map<string, Choices>;
}

/** Normalises a VAL_ number to a decimal integer string (`+5`, `05`, `1E2` → `5`, `5`, `100`), 64-bit safe. */
export function normalizeChoiceValue(text: string): string | undefined {
  if (/^[+-]?\d+$/.test(text)) {
    // Normalised as text: BigInt would take quadratic time on a number with millions of digits.
    const signed = text[0] === '-' || text[0] === '+';
    let start = signed ? 1 : 0;
    while (start < text.length - 1 && text[start] === '0') start++;
    const digits = text.slice(start);
    return text[0] === '-' && digits !== '0' ? `-${digits}` : digits;
  }
  const value = Number(text);
  if (!Number.isFinite(value) || !Number.isInteger(value)) return undefined;
  return BigInt(value).toString();
}

/** VAL_ tables; the last one per object wins. */
export function collectChoices(context: AssemblyContext): ChoicesByObject {
  const choices: ChoicesByObject = { signals: new Map(), environmentVariables: new Map() };
  for (const { target, entries, pos } of context.doc.choices) {
    // cantools ignores an empty VAL_ (it keeps any earlier table for the signal).
    if (entries.length === 0) continue;
    if (target.kind === 'signal') {
      if (context.isKnownSignal(target.rawId, target.signal, 'VAL_', pos)) {
        choices.signals.set(signalKey(target.rawId, target.signal), choiceMap(context, entries));
      }
    } else {
      context.isKnownEnvironmentVariable(target.name, 'VAL_', pos);
      choices.environmentVariables.set(target.name, choiceMap(context, entries));
    }
  }
  return choices;
}

export function collectValueTables(context: AssemblyContext): Map<string, Choices> {
  const tables = new Map<string, Choices>();
  for (const table of context.doc.valueTables) tables.set(table.name, choiceMap(context, table.entries));
  return tables;
}

function choiceMap(context: AssemblyContext, entries: RawChoiceEntries): Choices {
  const map = new Map<string, string>();
  for (const [text, label, pos] of entries) {
    const value = normalizeChoiceValue(text);
    if (value === undefined) {
      context.warn('DBC_BAD_CHOICE', `Value ${text} is not an integer; its label "${label}" is ignored.`, pos);
      continue;
    }
    map.set(value, label);
  }
  return map;
}
