/** What the audit trail records about a definition: a short summary on create, the changed fields on update. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** The fields a person scanning the audit trail recognises a rule by. */
export function summarizeDefinition(definition: JsonObject): JsonObject {
  const summary: JsonObject = {};
  for (const key of ['name', 'severity', 'enabled'] as const) {
    const value = definition[key];
    if (value !== undefined) summary[key] = value;
  }
  summary.fields = Object.keys(definition).sort();
  return summary;
}

/**
 * The top-level fields that differ between two versions (`version` itself excluded), with their values before and
 * after; a field absent on one side is `null` there and listed in `removed` / `added`.
 */
export function diffDefinitions(before: JsonObject, after: JsonObject): JsonObject {
  const changed: string[] = [];
  const added: string[] = [];
  const removed: string[] = [];
  const was: JsonObject = {};
  const now: JsonObject = {};
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].filter((k) => k !== 'version').sort();
  for (const key of keys) {
    const a = before[key];
    const b = after[key];
    if (a !== undefined && b !== undefined && canonical(a) === canonical(b)) continue;
    changed.push(key);
    if (a === undefined) added.push(key);
    if (b === undefined) removed.push(key);
    was[key] = a ?? null;
    now[key] = b ?? null;
  }
  return { changed, added, removed, before: was, after: now };
}

/** JSON with object keys sorted, so key order (jsonb reorders them) is not a change. */
function canonical(value: JsonValue): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(value[k]!)}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}
