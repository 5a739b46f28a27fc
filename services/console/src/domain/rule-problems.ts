/**
 * The problems `POST /v1/rules/validate` reports, placed in the rule editor's JSON text: a problem with a position
 * inside an expression marks those characters of that string; one with only a path marks the field's value; one
 * without either marks the start of the document. Pure, so the placement is unit-tested.
 */
import { stringSpans, textRange } from './json-spans.js';

export interface RuleProblem {
  readonly severity: 'error' | 'warning';
  readonly code: string;
  readonly message: string;
  readonly path: string | null;
  readonly offset: number | null;
  readonly length: number | null;
  readonly modelId: string | null;
  readonly suggestion: string | null;
}

export interface PlacedProblem {
  readonly from: number;
  readonly to: number;
  readonly severity: 'error' | 'warning';
  readonly message: string;
  readonly suggestion: string | null;
}

/** The pointer's nearest ancestor that the text has a string for (`/ladder/0/for` → itself or none). */
export function placeProblems(text: string, problems: readonly RuleProblem[]): PlacedProblem[] {
  const spans = stringSpans(text);
  const placed = new Map<string, { place: Omit<PlacedProblem, 'message'>; problem: RuleProblem; models: string[] }>();
  for (const p of problems) {
    const span = p.path === null ? undefined : spans.get(p.path);
    let from = 0;
    let to = Math.min(1, text.length);
    if (span !== undefined && p.offset !== null) ({ from, to } = textRange(span, p.offset, p.length ?? 1));
    else if (span !== undefined) ({ from, to } = span);
    else if (p.path !== null) {
      const key = p.path.split('/').at(-1) ?? '';
      const at = key === '' ? -1 : text.indexOf(`"${key}"`);
      if (at >= 0) [from, to] = [at, at + key.length + 2];
    }
    // The same problem reported for several models lands on the same characters once, naming every model.
    const k = `${from}:${to}:${p.code}:${p.message}`;
    const models = [...(placed.get(k)?.models ?? []), ...(p.modelId === null ? [] : [p.modelId])];
    placed.set(k, { place: { from, to, severity: p.severity, suggestion: p.suggestion }, problem: p, models });
  }
  return [...placed.values()].map(({ place, problem, models }) => ({
    ...place,
    message: `${problem.code}${models.length > 0 ? ` [${models.join(', ')}]` : ''}: ${problem.message}`,
  }));
}
