/**
 * A parsed feature set → one compiled set per vehicle model it names, each expression type-checked against that
 * model's catalog by the rule language's own compiler (same problem codes, same positions). A feature expression is
 * evaluated at every sample of the signals it reads and the values are aggregated by the feature's window, so the
 * rule language's own window functions and stale() are not allowed inside it (the window is the feature's).
 */
import {
  ExpressionCompiler,
  SignalUses,
  type EvalContext,
  type Expr,
  type RuleCatalog,
  type RuleProblem,
} from '@telltale/rules';
import type { Aggregate, ParsedFeatureSet } from './definition.js';

export interface CompiledFeature {
  readonly name: string;
  readonly source: string;
  readonly aggregate: Aggregate;
  readonly threshold: number;
  readonly unit: string;
  /** Its window: the set's, or its own (then a whole number of hops). */
  readonly windowMs: number;
  readonly evaluate: (c: EvalContext) => number;
  readonly deps: readonly number[];
}

export interface ModelFeatureSet {
  readonly setId: string;
  readonly version: number;
  readonly modelId: string;
  readonly catalogVersion: string;
  readonly windowMs: number;
  readonly hopMs: number;
  readonly allowedLatenessMs: number;
  readonly features: readonly CompiledFeature[];
  /** Signal id → indexes of the features that read it. */
  readonly bySignal: ReadonlyMap<number, readonly number[]>;
}

export interface CompileFeatureSetResult {
  readonly sets: ReadonlyMap<string, ModelFeatureSet>;
  readonly problems: readonly RuleProblem[];
  readonly ok: boolean;
}

const WINDOWED = new Set(['avg', 'count', 'delta', 'rate', 'stale']);

/** `catalogOf` returns undefined for a model that does not exist (a RULE_INVALID problem). */
export function compileFeatureSet(
  set: ParsedFeatureSet,
  catalogOf: (modelId: string) => RuleCatalog | undefined,
): CompileFeatureSetResult {
  const problems: RuleProblem[] = [];
  const sets = new Map<string, ModelFeatureSet>();
  for (const modelId of set.models) {
    const catalog = catalogOf(modelId);
    if (catalog === undefined) {
      problems.push({
        severity: 'error',
        code: 'RULE_INVALID',
        message: `/models names vehicle model ${modelId}, which the catalog does not have`,
        ruleId: set.id,
        path: '/models',
        modelId,
      });
      continue;
    }
    const compiled = compileForModel(set, catalog, problems);
    if (compiled !== undefined) sets.set(modelId, compiled);
  }
  return { sets, problems, ok: !problems.some((p) => p.severity === 'error') };
}

function compileForModel(
  set: ParsedFeatureSet,
  catalog: RuleCatalog,
  problems: RuleProblem[],
): ModelFeatureSet | undefined {
  const features: CompiledFeature[] = [];
  const bySignal = new Map<number, number[]>();
  let failed = false;
  for (const feature of set.features) {
    const windowed = findWindowCall(feature.expr);
    if (windowed !== undefined) {
      problems.push({
        severity: 'error',
        code: 'RULE_TYPE',
        message:
          `${windowed.kind === 'call' ? windowed.name : ''}() is not allowed in a feature expression: ` +
          'the feature aggregates over its own window (use "aggregate")',
        ruleId: set.id,
        path: feature.path,
        position: windowed.position,
        modelId: catalog.modelId,
      });
      failed = true;
      continue;
    }
    const uses = new SignalUses();
    const compiler = new ExpressionCompiler(catalog, uses);
    const result = compiler.compile(feature.expr, feature.source, undefined, `feature ${feature.name}`);
    for (const error of compiler.errors) {
      problems.push({
        severity: 'error',
        code: error.code as RuleProblem['code'],
        message: error.bareMessage,
        ruleId: set.id,
        path: feature.path,
        position: error.position,
        modelId: catalog.modelId,
        ...(error.suggestion === undefined ? {} : { suggestion: error.suggestion }),
      });
    }
    if (result === undefined) {
      failed = true;
      continue;
    }
    const index = features.length;
    const deps = [...uses.deps];
    for (const id of deps) {
      const list = bySignal.get(id);
      if (list === undefined) bySignal.set(id, [index]);
      else list.push(index);
    }
    features.push({
      name: feature.name,
      source: feature.source,
      aggregate: feature.aggregate,
      threshold: feature.threshold,
      unit: feature.unit,
      windowMs: feature.windowMs,
      evaluate: result.fn,
      deps,
    });
  }
  if (failed) return undefined;
  return {
    setId: set.id,
    version: set.version,
    modelId: catalog.modelId,
    catalogVersion: catalog.catalogVersion,
    windowMs: set.windowMs,
    hopMs: set.hopMs,
    allowedLatenessMs: set.allowedLatenessMs,
    features,
    bySignal,
  };
}

/** The first window function (`avg(x, 30s)`, `min(x, 1m)`, …) or stale() call in the expression. */
function findWindowCall(e: Expr): Expr | undefined {
  switch (e.kind) {
    case 'call': {
      const second = e.args[1];
      const windowMinMax = (e.name === 'min' || e.name === 'max') && e.args.length === 2 && second?.kind === 'duration';
      if (WINDOWED.has(e.name) || windowMinMax) return e;
      for (const a of e.args) {
        const found = findWindowCall(a);
        if (found !== undefined) return found;
      }
      return undefined;
    }
    case 'unary':
      return findWindowCall(e.operand);
    case 'binary':
      return findWindowCall(e.left) ?? findWindowCall(e.right);
    default:
      return undefined;
  }
}
