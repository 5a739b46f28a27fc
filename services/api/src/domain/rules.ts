/**
 * Rules through the API, the pure part: which fleets a rule covers and who may read or change it, the version a
 * writer expects (If-Match or expectedVersion), what a rule list shows of a definition, and rule problems as the API
 * shows them, with a verdict per vehicle model.
 *
 * A rule covers the fleets in its `scope.fleets`; without them (absent or empty, as the rule language reads it) it
 * covers every fleet. A key sees a rule that covers all fleets or shares a fleet with it. A key changes a rule only
 * when its fleets include every fleet the rule covers, before and after the change: a rule of all fleets needs '*'.
 */
import { formatRuleProblem, isSeverity, severityRank, type RuleProblem, type Severity } from '@telltale/rules';
import { describeFleets, type FleetScope } from './access.js';

/** The fleets a rule definition covers; undefined means every fleet. */
export function ruleFleets(definition: unknown): readonly string[] | undefined {
  if (typeof definition !== 'object' || definition === null) return undefined;
  const scope = (definition as { scope?: unknown }).scope;
  if (typeof scope !== 'object' || scope === null) return undefined;
  const fleets = (scope as { fleets?: unknown }).fleets;
  if (!Array.isArray(fleets) || fleets.length === 0) return undefined;
  return fleets.filter((f): f is string => typeof f === 'string');
}

/** Whether a key with `scope` sees a rule covering `fleets` (undefined: every fleet). */
export function canReadRule(scope: FleetScope, fleets: readonly string[] | undefined): boolean {
  if (scope.all || fleets === undefined) return true;
  return fleets.some((f) => scope.fleets.has(f));
}

export type RuleWriteCheck = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/** Whether a key with `keyFleets` may save or switch a rule covering `fleets` (undefined: every fleet). */
export function checkRuleWrite(
  scope: FleetScope,
  keyFleets: readonly string[],
  fleets: readonly string[] | undefined,
): RuleWriteCheck {
  if (scope.all) return { ok: true };
  if (fleets === undefined) {
    return {
      ok: false,
      reason:
        'the rule covers every fleet (no scope.fleets), which needs a key for all fleets ("*"); ' +
        `this key has ${describeFleets(keyFleets)}`,
    };
  }
  const outside = fleets.filter((f) => !scope.fleets.has(f));
  if (outside.length > 0)
    return {
      ok: false,
      reason:
        `the rule covers fleets this key does not have (${outside.join(', ')}); ` +
        `this key has ${describeFleets(keyFleets)}`,
    };
  return { ok: true };
}

export type ExpectedVersion =
  | { readonly ok: true; readonly version: number | undefined }
  | { readonly ok: false; readonly path: string; readonly message: string };

const ENTITY_TAG = /^(?:W\/)?"?(\d{1,9})"?$/;

/**
 * The version a writer expects the rule to be at, from `If-Match` (an ETag `"3"`, `W/"3"`, a bare `3`, or `*` for
 * any) and the body's `expectedVersion`; when both are given they must agree.
 */
export function expectedVersion(ifMatch: string | undefined, bodyVersion: number | undefined): ExpectedVersion {
  let fromHeader: number | undefined;
  const header = ifMatch?.trim();
  if (header !== undefined && header !== '' && header !== '*') {
    const match = ENTITY_TAG.exec(header);
    if (!match)
      return {
        ok: false,
        path: '/headers/if-match',
        message: 'must be the rule\'s ETag, e.g. "3" (its current version), or *',
      };
    fromHeader = Number(match[1]);
  }
  if (fromHeader !== undefined && bodyVersion !== undefined && fromHeader !== bodyVersion) {
    return {
      ok: false,
      path: '/body/expectedVersion',
      message: `(${bodyVersion}) disagrees with If-Match (${fromHeader})`,
    };
  }
  return { ok: true, version: fromHeader ?? bodyVersion };
}

export const ruleEtag = (version: number): string => `"${version}"`;

/** A rule problem as the API shows it: structured, and formatted as one line. */
export interface RuleProblemView {
  readonly severity: 'error' | 'warning';
  readonly code: string;
  readonly message: string;
  /** `rule r /condition 1:22 [aurora-ev-2026]: error RULE_UNKNOWN_SIGNAL …` */
  readonly formatted: string;
  readonly ruleId: string | null;
  /** JSON pointer into the rule (`/condition`, `/ladder/1/when`), not into the request. */
  readonly path: string | null;
  readonly line: number | null;
  readonly column: number | null;
  readonly offset: number | null;
  readonly length: number | null;
  readonly modelId: string | null;
  readonly suggestion: string | null;
}

export function ruleProblemView(p: RuleProblem): RuleProblemView {
  return {
    severity: p.severity,
    code: p.code,
    message: p.message,
    formatted: formatRuleProblem(p),
    ruleId: p.ruleId ?? null,
    path: p.path ?? null,
    line: p.position?.line ?? null,
    column: p.position?.column ?? null,
    offset: p.position?.offset ?? null,
    length: p.position?.length ?? null,
    modelId: p.modelId ?? null,
    suggestion: p.suggestion ?? null,
  };
}

/** One sentence for a refused rule: how many errors, and the first ones in full. */
export function describeRuleErrors(ruleId: string, errors: readonly RuleProblem[]): string {
  const shown = errors.slice(0, 3).map(formatRuleProblem).join('; ');
  const more = errors.length > 3 ? `; and ${errors.length - 3} more` : '';
  return `Rule ${ruleId} has ${errors.length} error${errors.length === 1 ? '' : 's'}: ${shown}${more}.`;
}

const strings = (v: unknown): string[] | null =>
  Array.isArray(v) && v.length > 0 ? v.filter((x): x is string => typeof x === 'string') : null;

/** What a rule list shows of a stored definition (read defensively: a stored definition is JSON, not a promise). */
export function ruleSummary(definition: Readonly<Record<string, unknown>>): {
  name: string;
  severity: Severity;
  fleets: string[] | null;
  models: string[] | null;
  tags: string[];
} {
  const scope =
    typeof definition.scope === 'object' && definition.scope !== null
      ? (definition.scope as Record<string, unknown>)
      : {};
  const levels = Array.isArray(definition.ladder)
    ? definition.ladder.map((s: unknown) => (s as { level?: unknown } | null)?.level)
    : [definition.severity ?? 'warning'];
  const severities = levels.filter(isSeverity);
  return {
    name: typeof definition.name === 'string' ? definition.name : String(definition.id),
    severity: severities.reduce<Severity>(
      (top, s) => (severityRank(s) > severityRank(top) ? s : top),
      severities[0] ?? 'warning',
    ),
    fleets: strings(scope.fleets),
    models: strings(scope.models),
    tags: strings(definition.tags) ?? [],
  };
}

export type ModelVerdict = 'applies' | 'error' | 'not-applicable' | 'out-of-scope';

/**
 * Per vehicle model, what the rule's problems mean: `error` (a problem of the rule itself, or of its expressions
 * against this model's catalog), `not-applicable` (it reads signals the model lacks: warning), `out-of-scope`
 * (scope.models leaves the model out), else `applies`. By model id.
 */
export function modelVerdicts(
  models: readonly { readonly modelId: string; readonly catalogVersion: string }[],
  problems: readonly RuleProblem[],
  scopeModels: readonly string[] | null,
): { modelId: string; catalogVersion: string; verdict: ModelVerdict }[] {
  const general = problems.some((p) => p.severity === 'error' && p.modelId === undefined);
  const byId = [...models].sort((a, b) => (a.modelId < b.modelId ? -1 : a.modelId > b.modelId ? 1 : 0));
  return byId.map(({ modelId, catalogVersion }) => {
    const own = problems.filter((p) => p.modelId === modelId);
    let verdict: ModelVerdict = 'applies';
    if (scopeModels !== null && !scopeModels.includes(modelId)) verdict = 'out-of-scope';
    else if (general || own.some((p) => p.severity === 'error')) verdict = 'error';
    else if (own.some((p) => p.code === 'RULE_NOT_APPLICABLE')) verdict = 'not-applicable';
    return { modelId, catalogVersion, verdict };
  });
}
