/**
 * Rules → an immutable RuleSnapshot: every valid, enabled rule compiled against the catalog of every vehicle model it
 * covers (signal ids and value labels differ per model), indexed for the engine (which rules read which signal, which
 * signals a vehicle of the model must keep). The engine swaps a snapshot whole (`engine.setRules`).
 *
 * Which models a rule covers: those in `scope.models`, or every model given. A rule without `scope.models` that
 * reads a signal some models lack (say `cargoTemperature`, only in the van) applies to the models that have them and
 * gets a RULE_NOT_APPLICABLE warning for the others; it is an error only when it fits no model at all. Any other
 * problem (syntax, types, labels, ambiguous names) is an error, and a rule with an error is left out of the snapshot.
 * Signal ids are stable across catalog versions, so one snapshot serves every catalog version of a model: compile
 * against the newest.
 */
import type { RuleCatalog } from './catalog-view.js';
import type { RuleProblem } from './problems.js';
import { ExpressionCompiler, SignalUses, type CompiledExpression, type Probe } from './expression/compile.js';
import { SignalLayout } from './signal-state.js';
import { compileTemplate, type CompiledTemplate } from './template.js';
import {
  parseRuleDefinition,
  type ParsedExpression,
  type ParsedRule,
  type Step,
  type Trigger,
} from './rule-definition.js';

export type CompiledStep = Step<CompiledExpression>;
export type CompiledTrigger = Trigger<CompiledExpression>;

/** A rule compiled for one model; id, version, name and the timing fields are the parsed rule's. */
export interface CompiledRule extends Pick<
  ParsedRule,
  'id' | 'version' | 'name' | 'forMs' | 'reraiseAfterMs' | 'backfill'
> {
  readonly rule: ParsedRule;
  readonly modelId: string;
  readonly trigger: CompiledTrigger;
  /** Probes that explain a raise: the condition's signals (for a sequence, those of `then`). */
  readonly triggerProbes: readonly Probe[];
  readonly steps: readonly CompiledStep[];
  readonly clear: CompiledExpression | undefined;
  readonly clearForMs: number;
  readonly template: CompiledTemplate;
  /** Signals whose new samples make the rule evaluate. */
  readonly deps: readonly number[];
  readonly stale: readonly { readonly id: number; readonly ms: number }[];
  readonly windows: readonly { readonly id: number; readonly ms: number }[];
  /** Every signal the rule reads, message included: id → window retention in ms (0: latest value only). */
  readonly kept: ReadonlyMap<number, number>;
}

export interface ModelRuleSet {
  readonly modelId: string;
  readonly catalogVersion: string;
  /** Enabled rules that fit this model, in a stable order (by rule id). */
  readonly rules: readonly CompiledRule[];
  /** Signal id → indexes into `rules` of the rules it triggers. */
  readonly bySignal: ReadonlyMap<number, readonly number[]>;
  /**
   * Signal id → the rules that read its update time (stale()): a new sample with an unchanged value triggers only
   * these; for the others an unchanged value cannot change the outcome.
   */
  readonly byUpdate: ReadonlyMap<number, readonly number[]>;
  /** Signals a vehicle of this model keeps: id → window retention in ms (0: latest value only). */
  readonly interest: ReadonlyMap<number, number>;
  /**
   * The same, numbered: the interest's signal ids (ascending) → slots 0…n-1, shared by the vehicles of the model;
   * the engine's per-sample path reads these arrays by slot instead of the Maps above.
   */
  readonly layout: SignalLayout;
  /** Slot → window retention in ms (0: latest value only). */
  readonly windowMsBySlot: Float64Array;
  /** Slot → `bySignal` of its id (empty: none). */
  readonly bySlot: readonly (readonly number[])[];
  /** Slot → `byUpdate` of its id (empty: none). */
  readonly byUpdateSlot: readonly (readonly number[])[];
}

export interface RuleSnapshot {
  /** Every valid rule, enabled or not. */
  readonly rules: readonly ParsedRule[];
  readonly models: ReadonlyMap<string, ModelRuleSet>;
}

export interface CompileRulesResult {
  readonly snapshot: RuleSnapshot;
  readonly problems: readonly RuleProblem[];
  /** No error (warnings allowed). */
  readonly ok: boolean;
}

export const EMPTY_SNAPSHOT: RuleSnapshot = Object.freeze({ rules: [], models: new Map() });

/** Compiles one validated rule for one model; problems are positioned and carry the rule, path and model. */
export function compileRuleForModel(
  rule: ParsedRule,
  catalog: RuleCatalog,
): { compiled: CompiledRule | undefined; problems: RuleProblem[] } {
  const uses = new SignalUses();
  const compiler = new ExpressionCompiler(catalog, uses);
  const problems: RuleProblem[] = [];
  const take = (path: string): void => {
    for (const e of compiler.errors.splice(0)) {
      problems.push({
        severity: 'error',
        code: e.code as RuleProblem['code'],
        message: e.bareMessage,
        ruleId: rule.id,
        path,
        position: e.position,
        modelId: catalog.modelId,
        ...(e.suggestion === undefined ? {} : { suggestion: e.suggestion }),
      });
    }
  };
  const condition = (p: ParsedExpression, what: string): CompiledExpression | undefined => {
    const out = compiler.compile(p.expr, p.source, 'boolean', what);
    take(p.path);
    return out;
  };

  let trigger: CompiledTrigger | undefined;
  const t = rule.trigger;
  if (t.kind === 'condition') {
    const c = condition(t.condition, 'the condition');
    if (c !== undefined) trigger = { kind: 'condition', condition: c };
  } else if (t.kind === 'sequence') {
    const first = condition(t.first, 'sequence.first');
    const then = condition(t.then, 'sequence.then');
    if (first !== undefined && then !== undefined) trigger = { kind: 'sequence', first, then, withinMs: t.withinMs };
  } else trigger = { kind: 'any-step' };

  const steps: CompiledStep[] = [];
  rule.ladder.forEach((step, i) => {
    const when = step.when === undefined ? undefined : condition(step.when, `ladder step ${i} (${step.level})`);
    steps.push({ level: step.level, when, forMs: step.forMs });
  });
  const clear = rule.clear.condition === undefined ? undefined : condition(rule.clear.condition, 'the clear condition');
  const template = compileTemplate(rule.message, compiler, catalog);
  take('/message');

  if (problems.length > 0 || trigger === undefined || template === undefined) return { compiled: undefined, problems };
  const triggerProbes =
    trigger.kind === 'condition'
      ? trigger.condition.probes
      : trigger.kind === 'sequence'
        ? trigger.then.probes
        : steps.flatMap((s) => s.when?.probes ?? []);
  return {
    compiled: {
      id: rule.id,
      version: rule.version,
      name: rule.name,
      rule,
      modelId: catalog.modelId,
      trigger,
      triggerProbes,
      steps,
      clear,
      clearForMs: rule.clear.forMs,
      forMs: rule.forMs,
      reraiseAfterMs: rule.reraiseAfterMs,
      backfill: rule.backfill,
      template,
      deps: [...uses.deps].sort((a, b) => a - b),
      stale: uses.stale,
      windows: [...uses.windows].map(([id, ms]) => ({ id, ms })),
      kept: new Map([...uses.signals.keys()].map((id) => [id, uses.windows.get(id) ?? 0])),
    },
    problems: [],
  };
}

function modelRuleSet(catalog: RuleCatalog, rules: CompiledRule[]): ModelRuleSet {
  rules.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const bySignal = new Map<number, number[]>();
  const byUpdate = new Map<number, number[]>();
  const add = (map: Map<number, number[]>, id: number, index: number): void => {
    const list = map.get(id);
    if (list === undefined) map.set(id, [index]);
    else if (list[list.length - 1] !== index) list.push(index);
  };
  const interest = new Map<number, number>();
  rules.forEach((rule, index) => {
    for (const id of rule.deps) add(bySignal, id, index);
    for (const { id } of rule.stale) add(byUpdate, id, index);
    for (const [id, ms] of rule.kept) interest.set(id, Math.max(ms, interest.get(id) ?? 0));
  });
  const layout = SignalLayout.of([...interest.keys()].sort((a, b) => a - b));
  const none: readonly number[] = [];
  return {
    modelId: catalog.modelId,
    catalogVersion: catalog.catalogVersion,
    rules,
    bySignal,
    byUpdate,
    interest,
    layout,
    windowMsBySlot: Float64Array.from(layout.ids, (id) => interest.get(id)!),
    bySlot: layout.ids.map((id) => bySignal.get(id) ?? none),
    byUpdateSlot: layout.ids.map((id) => byUpdate.get(id) ?? none),
  };
}

/** Validates and compiles rule definitions against the catalogs of the vehicle models (one catalog per model). */
export function compileRules(definitions: readonly unknown[], catalogs: readonly RuleCatalog[]): CompileRulesResult {
  const problems: RuleProblem[] = [];
  const valid: ParsedRule[] = [];
  const seen = new Set<string>();
  for (const definition of definitions) {
    const parsed = parseRuleDefinition(definition);
    problems.push(...parsed.problems);
    if (parsed.rule === undefined) continue;
    if (seen.has(parsed.rule.id)) {
      problems.push({
        severity: 'error',
        code: 'RULE_DUPLICATE_ID',
        message: `rule id "${parsed.rule.id}" is used by more than one rule; the first one is kept`,
        ruleId: parsed.rule.id,
        path: '/id',
      });
      continue;
    }
    seen.add(parsed.rule.id);
    valid.push(parsed.rule);
  }

  const byModel = new Map<string, RuleCatalog>();
  for (const catalog of catalogs) byModel.set(catalog.modelId, catalog);
  const perModel = new Map<string, CompiledRule[]>([...byModel.keys()].map((m) => [m, []]));
  const accepted: ParsedRule[] = [];

  for (const rule of valid) {
    const scoped = rule.scope.models;
    const targets = scoped === undefined ? [...byModel.values()] : [...scoped].flatMap((m) => byModel.get(m) ?? []);
    if (scoped !== undefined) {
      for (const m of scoped) {
        if (!byModel.has(m))
          problems.push({
            severity: 'warning',
            code: 'RULE_NOT_APPLICABLE',
            message: `scope names model "${m}", which has no catalog here`,
            ruleId: rule.id,
            path: '/scope/models',
            modelId: m,
          });
      }
    }
    const results = targets.map((catalog) => ({ catalog, ...compileRuleForModel(rule, catalog) }));
    const fits = results.filter((r) => r.compiled !== undefined);
    const onlyUnknownSignals = (r: (typeof results)[number]): boolean =>
      r.problems.every((p) => p.code === 'RULE_UNKNOWN_SIGNAL');
    const lenient = scoped === undefined && fits.length > 0;
    let failed = false;
    for (const r of results) {
      if (r.compiled !== undefined) continue;
      if (lenient && onlyUnknownSignals(r)) {
        const names = [...new Set(r.problems.map((p) => /"([^"]+)"/.exec(p.message)?.[1] ?? '?'))];
        problems.push({
          severity: 'warning',
          code: 'RULE_NOT_APPLICABLE',
          message: `does not apply to model ${r.catalog.modelId}, which has no signal ${names.join(', ')}`,
          ruleId: rule.id,
          modelId: r.catalog.modelId,
        });
      } else {
        failed = true;
        problems.push(...r.problems);
      }
    }
    if (failed) continue;
    if (targets.length > 0 && fits.length === 0) continue;
    accepted.push(rule);
    if (!rule.enabled) continue;
    for (const r of fits) perModel.get(r.catalog.modelId)!.push(r.compiled!);
  }

  const models = new Map<string, ModelRuleSet>();
  for (const [modelId, rules] of perModel) models.set(modelId, modelRuleSet(byModel.get(modelId)!, rules));
  const snapshot: RuleSnapshot = Object.freeze({ rules: accepted, models });
  return { snapshot, problems: dedupe(problems), ok: !problems.some((p) => p.severity === 'error') };
}

/** The same syntax or type error is found once per model; report it once. */
function dedupe(problems: RuleProblem[]): RuleProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.ruleId}|${p.path}|${p.position?.offset}|${p.code}|${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
