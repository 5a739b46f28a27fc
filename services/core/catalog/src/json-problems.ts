/** Validation of the catalog's JSON files: zod issues become "<JSON pointer> <sentence>" lines. */
import type { z } from 'zod';

/** RFC 6901: qualified signal names contain '/', which a pointer must escape. */
export function jsonPointer(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '/';
  return path.map((p) => `/${String(p).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}

/** Per-parse messages for what the schemas leave to zod's defaults (missing or mistyped values). */
const errorMap = (issue: { code?: string; input?: unknown; expected?: unknown }): string | undefined => {
  if (issue.code !== 'invalid_type') return undefined;
  if (issue.input === undefined) return 'is required';
  const expected = String(issue.expected);
  return `must be ${/^[aeiou]/.test(expected) ? 'an' : 'a'} ${expected}`;
};

export type JsonCheck<T> = { ok: true; value: T } | { ok: false; problems: string[] };

/** Parses JSON text and validates it; every problem names its JSON pointer. */
export function checkJson<T>(schema: z.ZodType<T>, text: string): JsonCheck<T> {
  let data: unknown;
  try {
    data = JSON.parse(text) as unknown;
  } catch (error) {
    return { ok: false, problems: [`/ is not valid JSON: ${error instanceof Error ? error.message : String(error)}`] };
  }
  const result = schema.safeParse(data, { error: errorMap });
  if (result.success) return { ok: true, value: result.data };
  return {
    ok: false,
    problems: result.error.issues.map((issue) => {
      if (issue.code === 'unrecognized_keys') {
        return issue.keys.map((key) => `${jsonPointer([...issue.path, key])} is not a known property`).join('; ');
      }
      return `${jsonPointer(issue.path)} ${issue.message}`;
    }),
  };
}
