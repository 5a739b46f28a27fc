/**
 * signal-ids.json: the persisted, append-only assignment of numeric signal ids. An id, once given to a qualified
 * signal name, belongs to it forever: new signals get ids after the highest ever assigned, a removed signal keeps
 * its id reserved (listed under `retired`), and a signal that comes back gets its old id again. That is what lets
 * stored SignalBatches and rules written against one catalog version stay valid in every later one.
 */
import { z } from 'zod';
import { TelltaleError } from '@telltale/platform/errors';
import { checkJson, type JsonCheck } from './json-problems.js';

export interface SignalIds {
  readonly modelId: string;
  /** Catalog version the assignment was last extended for. */
  readonly catalogVersion: string;
  /** Every qualified name ever assigned, active or retired → id, in id order. */
  readonly ids: ReadonlyMap<string, number>;
  /** Qualified names no longer in the catalog → the catalog version that dropped them. */
  readonly retired: ReadonlyMap<string, string>;
}

const SignalIdsSchema = z.strictObject({
  modelId: z.string().min(1, { error: 'must not be empty' }),
  catalogVersion: z.string().min(1, { error: 'must not be empty' }),
  ids: z.record(
    z.string(),
    z
      .number()
      .int({ error: 'must be an integer id' })
      .min(0, { error: 'must be ≥ 0' })
      .max(0xffffffff, { error: 'must fit in 32 bits' }),
  ),
  retired: z.record(z.string(), z.string()).default({}),
});

export function checkSignalIds(text: string): JsonCheck<SignalIds> {
  const result = checkJson(SignalIdsSchema, text);
  if (!result.ok) return result;
  const { modelId, catalogVersion, ids, retired } = result.value;
  const unknownRetired = Object.keys(retired).filter((key) => !(key in ids));
  if (unknownRetired.length > 0) {
    return {
      ok: false,
      problems: unknownRetired.map(
        (key) => `/retired/${key.replace(/~/g, '~0').replace(/\//g, '~1')} has no id in /ids`,
      ),
    };
  }
  return {
    ok: true,
    value: {
      modelId,
      catalogVersion,
      ids: new Map(Object.entries(ids).sort((a, b) => a[1] - b[1])),
      retired: new Map(Object.entries(retired)),
    },
  };
}

export function parseSignalIds(text: string): SignalIds {
  const result = checkSignalIds(text);
  if (result.ok) return result.value;
  throw new TelltaleError('CATALOG_INVALID', `Invalid signal-ids.json: ${result.problems.join('; ')}.`, {
    details: { problems: result.problems },
  });
}

/** Deterministic text: one id per line in id order, so a regeneration diff shows only what changed. */
export function formatSignalIds(assignment: SignalIds): string {
  const sorted = [...assignment.ids].sort((a, b) => a[1] - b[1]);
  const retired = [...assignment.retired].sort(
    (a, b) => (assignment.ids.get(a[0]) ?? 0) - (assignment.ids.get(b[0]) ?? 0),
  );
  return `${JSON.stringify(
    {
      modelId: assignment.modelId,
      catalogVersion: assignment.catalogVersion,
      ids: Object.fromEntries(sorted),
      retired: Object.fromEntries(retired),
    },
    null,
    2,
  )}\n`;
}

/**
 * Extends `previous` for a catalog whose signals are `keys` (qualified names in catalog order): existing keys keep
 * their ids, new keys get consecutive ids after the highest ever assigned (in `keys` order), keys that disappeared
 * are retired with `catalogVersion` (or keep the version that first retired them), returning keys are revived.
 */
export function assignSignalIds(
  previous: SignalIds | undefined,
  keys: readonly string[],
  target: { readonly modelId: string; readonly catalogVersion: string },
): SignalIds {
  const ids = new Map(previous?.ids ?? []);
  let next = 0;
  for (const id of ids.values()) next = Math.max(next, id + 1);
  const present = new Set(keys);
  for (const key of keys) {
    if (!ids.has(key)) {
      ids.set(key, next);
      next += 1;
    }
  }
  const retired = new Map<string, string>();
  for (const key of ids.keys()) {
    if (!present.has(key)) retired.set(key, previous?.retired.get(key) ?? target.catalogVersion);
  }
  return { modelId: target.modelId, catalogVersion: target.catalogVersion, ids, retired };
}

export interface SignalIdProblem {
  readonly code: 'CATALOG_SIGNAL_ID_COLLISION' | 'CATALOG_SIGNAL_ID_CHANGED' | 'CATALOG_SIGNAL_ID_DROPPED';
  readonly key: string;
  readonly message: string;
}

/**
 * What breaks id stability: two names sharing an id, and, against an earlier version's assignment, a name whose
 * id changed or that vanished from the file (its id would be free for reuse).
 */
export function signalIdProblems(current: SignalIds, previous?: SignalIds): SignalIdProblem[] {
  const problems: SignalIdProblem[] = [];
  const owner = new Map<number, string>();
  for (const [key, id] of current.ids) {
    const first = owner.get(id);
    if (first === undefined) owner.set(id, key);
    else
      problems.push({
        code: 'CATALOG_SIGNAL_ID_COLLISION',
        key,
        message: `Id ${id} is assigned to both ${first} and ${key}.`,
      });
  }
  if (previous) {
    for (const [key, id] of previous.ids) {
      const now = current.ids.get(key);
      if (now === undefined) {
        problems.push({
          code: 'CATALOG_SIGNAL_ID_DROPPED',
          key,
          message:
            `${key} had id ${id} in ${previous.catalogVersion} and is missing now; ` +
            'retire it instead so the id stays reserved.',
        });
      } else if (now !== id) {
        problems.push({
          code: 'CATALOG_SIGNAL_ID_CHANGED',
          key,
          message: `${key} had id ${id} in ${previous.catalogVersion} and has id ${now} now; ids never change.`,
        });
      }
    }
  }
  return problems;
}
