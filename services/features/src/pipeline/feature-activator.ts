/**
 * Turns what the store holds (enabled feature sets, active fault models) into what the pipeline runs: each set
 * compiled against the newest catalog of every model it names, each model loaded into ONNX Runtime — all first, then
 * swapped into the pipeline whole. A set that no longer compiles or a model that does not load keeps nothing
 * half-applied: the problem is logged and that set or model is left out.
 */
import type { Logger } from '@telltale/platform';
import type { RuleCatalog } from '@telltale/rules';
import { formatRuleProblem } from '@telltale/rules';
import { compileFeatureSet, parseFeatureSet, type ModelFeatureSet } from '@telltale/feature-sets';
import type { ActiveFeatures } from '@telltale/feature-sets/pg';
import type { FaultModelSource } from '../adapters/onnx-fault-model.js';
import type { FaultModelRuntime } from './ports.js';

export interface FeatureActivatorOptions {
  readonly catalogs: () => Promise<readonly RuleCatalog[]>;
  readonly loadModel: (source: FaultModelSource, featureCount: number) => Promise<FaultModelRuntime>;
  readonly apply: (sets: ReadonlyMap<string, ModelFeatureSet>, models: ReadonlyMap<string, FaultModelRuntime>) => void;
  readonly log: Logger;
}

export async function activateFeatures(active: ActiveFeatures, options: FeatureActivatorOptions): Promise<void> {
  const catalogs = new Map((await options.catalogs()).map((c) => [c.modelId, c]));
  const sets = new Map<string, ModelFeatureSet>();
  for (const stored of active.sets) {
    const parsed = parseFeatureSet(stored.definition, stored.version);
    const compiled = parsed.ok ? compileFeatureSet(parsed.set, (id) => catalogs.get(id)) : undefined;
    const problems = compiled?.problems ?? parsed.problems;
    if (problems.length > 0)
      options.log.warn(
        { set: stored.setId, version: stored.version, problems: problems.map(formatRuleProblem) },
        'Feature set has problems; models it cannot compile for are left out.',
      );
    for (const [model, set] of compiled?.sets ?? []) {
      if (!sets.has(model)) sets.set(model, set);
    }
  }
  const models = new Map<string, FaultModelRuntime>();
  for (const model of active.models) {
    const set = sets.get(model.vehicleModel);
    if (set === undefined || set.setId !== model.featureSetId || set.version !== model.featureSetVersion) {
      options.log.warn(
        {
          model: model.modelId,
          version: model.version,
          featureSet: `${model.featureSetId} v${model.featureSetVersion}`,
        },
        'Fault model reads a feature set version that is not active for its vehicle model; not serving it.',
      );
      continue;
    }
    try {
      models.set(model.vehicleModel, await options.loadModel(model, set.features.length));
    } catch (err) {
      options.log.warn({ err, model: model.modelId, version: model.version }, 'Fault model does not load.');
    }
  }
  options.apply(sets, models);
}
