import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createLogger } from '@telltale/platform';
import { BUNDLED_CATALOG_DIR, CatalogLibrary } from '@telltale/catalog';
import { compileRules, formatRuleProblem, type JsonObject } from '@telltale/rules';
import { compileFeatureSet, parseFeatureSet, type FeatureSetDefinition } from '@telltale/feature-sets';
import { PgFeatureStore } from '@telltale/feature-sets/pg';
import { loadFaultModel, logisticMixtureOnnx, validateHysteresis } from '@telltale/features';
import { CliUsageError, type CliIo, type Command } from '../command.js';
import { withCliDatabase } from '../lib/database.js';
import { repoRoot } from '../lib/repo.js';
import { csvToRows, rowsToCsv, simulateVehicle, type SimulatedVehicle } from '../model/dataset.js';
import {
  chooseL2,
  chooseAlerting,
  evaluateAlerts,
  fitFaultMixture,
  rocAuc,
  type FleetVehicle,
} from '../model/train.js';

const DEFAULT_FEATURE_SET = 'services/features/feature-sets/aurora-health.json';
const DEFAULT_RULES = 'services/features/threshold-rules';

interface DatasetMeta {
  readonly featureSet: FeatureSetDefinition;
  readonly featureNames: readonly string[];
  readonly horizonMin: number;
  readonly hours: number;
  /** Datasets written before the warm-up: absent (0). */
  readonly warmupMaxMin?: number;
  readonly trainSeed: string;
  readonly testSeed: string;
  readonly vehicles: readonly (Omit<SimulatedVehicle, 'rows'> & { split: 'train' | 'test'; windows: number })[];
}

async function compiledInputs(io: CliIo, featureSetPath: string, rulesDir: string) {
  // Relative to the working directory, else to the repository (the defaults).
  const find = (path: string): string =>
    existsSync(resolve(io.cwd, path)) ? resolve(io.cwd, path) : resolve(repoRoot(), path);
  const log = createLogger({ service: 'telltale-cli', level: 'warn', destination: 2 });
  const library = new CatalogLibrary(io.env.CATALOG_DIR ?? BUNDLED_CATALOG_DIR, log);
  const definition = JSON.parse(readFileSync(find(featureSetPath), 'utf8')) as FeatureSetDefinition;
  const parsed = parseFeatureSet(definition);
  if (!parsed.ok) throw new CliUsageError(parsed.problems.map(formatRuleProblem).join('\n'));
  const modelId = parsed.set.models[0]!;
  const lookup = (await library.latestPerModel()).find((c) => c.catalog.modelId === modelId);
  if (lookup === undefined) throw new CliUsageError(`no catalog for vehicle model ${modelId}`);
  const catalog = lookup.catalog;
  const compiled = compileFeatureSet(parsed.set, (id) => (id === modelId ? catalog : undefined));
  if (!compiled.ok) throw new CliUsageError(compiled.problems.map(formatRuleProblem).join('\n'));
  const dir = find(rulesDir);
  const ruleDefs = readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => ({ version: 1, ...(JSON.parse(readFileSync(join(dir, f), 'utf8')) as JsonObject) }));
  const rules = compileRules(ruleDefs, [catalog]);
  if (!rules.ok) throw new CliUsageError(rules.problems.map(formatRuleProblem).join('\n'));
  return { definition, set: compiled.sets.get(modelId)!, catalog, rules: rules.snapshot };
}

const datasetUsage = `Usage: telltale model dataset --out DIR [--train-vehicles 120] [--test-vehicles 96] [--hours 4.5]
       [--horizon 10] [--healthy 0.5] [--warmup-max 90] [--train-seed train-1] [--test-seed test-1]
       [--feature-set ${DEFAULT_FEATURE_SET}] [--threshold-rules ${DEFAULT_RULES}]

Simulates two fleets (different seeds: split by vehicle) of the feature set's vehicle model for --hours each: a
--healthy share healthy, the rest with one slowly developing fault (cell-self-discharge, coolant-pump-wear,
tyre-slow-leak) starting 15–60 min into the recording; each vehicle has been driving for a random 0 … --warmup-max
minutes when its recording starts (so a fault's start is not tied to a cold start). Runs every vehicle's signals
through the feature computation of the features service and through the threshold rules, and writes DIR/train.csv
and DIR/test.csv (one row per window: vin, window end, label = a fault is active or starts within --horizon
minutes, feature values) and DIR/meta.json (each vehicle's fault, its start, its warm-up and when a threshold rule
first fired).`;

const trainUsage = `Usage: telltale model train --dataset DIR --out DIR [--model-id aurora-slow-faults] [--l2 auto]
       [--raise-percent auto] [--raise-windows 3] [--clear-percent 40] [--register] [--activate] [--actor NAME]

Fits the baseline (one logistic regression per fault kind on standardised features, combined as a noisy-OR:
p = 1 − Π(1 − p_k)) on DIR/train.csv, writes OUT/model.onnx and OUT/model-card.json, and evaluates the ONNX file
with ONNX Runtime on the held-out fleet (DIR/test.csv): ROC AUC (overall and per fault kind), the predictive alerts'
lead time over the threshold rules (the features service's hysteresis, replayed) and false predictive alerts per
100 healthy vehicle-hours. --l2 auto picks the L2 penalty (1e-6 … 1e-3) by 4-fold cross-validation by vehicle
on the training fleet; a number fixes it. --raise-percent auto picks the alert threshold (90 … 99 %) and the
consecutive windows (3 … 15): of those whose out-of-fold probabilities on the training fleet give a median lead of
at least 30 min, the fewest false alerts, then the most cautious (then --raise-windows is ignored); a number fixes
the threshold. --register stores the model in the registry (DATABASE_SCHEMA) for
the feature set's current stored version, which must have the dataset's features; --activate makes it the one the
features service runs for its vehicle model.`;

export const modelCommands: readonly Command[] = [
  {
    path: ['model', 'dataset'],
    summary: 'Simulate fleets with slowly developing faults into a labelled feature dataset (split by vehicle)',
    usage: datasetUsage,
    run: async (args, io) => {
      const { values } = parseArgs({
        args: [...args],
        options: {
          out: { type: 'string' },
          'train-vehicles': { type: 'string', default: '120' },
          'test-vehicles': { type: 'string', default: '96' },
          hours: { type: 'string', default: '4.5' },
          horizon: { type: 'string', default: '10' },
          healthy: { type: 'string', default: '0.5' },
          'warmup-max': { type: 'string', default: '90' },
          'train-seed': { type: 'string', default: 'train-1' },
          'test-seed': { type: 'string', default: 'test-1' },
          'feature-set': { type: 'string', default: DEFAULT_FEATURE_SET },
          'threshold-rules': { type: 'string', default: DEFAULT_RULES },
        },
      });
      if (values.out === undefined) throw new CliUsageError('--out DIR is required');
      const { definition, set, catalog, rules } = await compiledInputs(
        io,
        values['feature-set'],
        values['threshold-rules'],
      );
      const out = resolve(io.cwd, values.out);
      mkdirSync(out, { recursive: true });
      const common = {
        hours: Number(values.hours),
        horizonMin: Number(values.horizon),
        healthyShare: Number(values.healthy),
        warmupMaxMin: Number(values['warmup-max']),
        set,
        catalog,
        rules,
      };
      for (const [flag, value, ok] of [
        ['--hours', common.hours, common.hours > 0],
        ['--horizon', common.horizonMin, common.horizonMin >= 0],
        ['--healthy', common.healthyShare, common.healthyShare >= 0 && common.healthyShare <= 1],
        ['--warmup-max', common.warmupMaxMin, common.warmupMaxMin >= 0],
      ] as const)
        if (!ok) throw new CliUsageError(`${flag} must be a number in its range, not ${String(value)}`);
      const meta: DatasetMeta['vehicles'][number][] = [];
      for (const [split, seed, count] of [
        ['train', values['train-seed'], Number(values['train-vehicles'])],
        ['test', values['test-seed'], Number(values['test-vehicles'])],
      ] as const) {
        const rows = [];
        for (let index = 0; index < count; index++) {
          const vehicle = simulateVehicle({ ...common, seed, index });
          rows.push(...vehicle.rows);
          const { rows: windows, ...rest } = vehicle;
          meta.push({ ...rest, split, windows: windows.length });
          io.stderr.write(
            `${split} ${index + 1}/${count} ${vehicle.vin} ${vehicle.fault}` +
              `${vehicle.ruleFiredMs === null ? '' : ` rule ${vehicle.ruleId} at +${minutesIn(vehicle)} min`}\n`,
          );
        }
        writeFileSync(
          join(out, `${split}.csv`),
          rowsToCsv(
            set.features.map((f) => f.name),
            rows,
          ),
        );
      }
      const full: DatasetMeta = {
        featureSet: definition,
        featureNames: set.features.map((f) => f.name),
        horizonMin: common.horizonMin,
        hours: common.hours,
        warmupMaxMin: common.warmupMaxMin,
        trainSeed: values['train-seed'],
        testSeed: values['test-seed'],
        vehicles: meta,
      };
      writeFileSync(join(out, 'meta.json'), `${JSON.stringify(full, null, 2)}\n`);
      io.stdout.write(
        `Dataset in ${out}: ${meta.length} vehicles (train ${values['train-seed']}, test ${values['test-seed']}).\n`,
      );
      return 0;
    },
  },
  {
    path: ['model', 'train'],
    summary: 'Train the baseline fault model (logistic regression → ONNX + model card), evaluate on the held-out fleet',
    usage: trainUsage,
    run: async (args, io) => {
      const { values } = parseArgs({
        args: [...args],
        options: {
          dataset: { type: 'string' },
          out: { type: 'string' },
          'model-id': { type: 'string', default: 'aurora-slow-faults' },
          l2: { type: 'string', default: 'auto' },
          'raise-percent': { type: 'string', default: 'auto' },
          'raise-windows': { type: 'string', default: '3' },
          'clear-percent': { type: 'string', default: '40' },
          register: { type: 'boolean', default: false },
          activate: { type: 'boolean', default: false },
          actor: { type: 'string' },
        },
      });
      if (values.dataset === undefined || values.out === undefined)
        throw new CliUsageError('--dataset DIR and --out DIR are required');
      const dir = resolve(io.cwd, values.dataset);
      const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as DatasetMeta;
      const train = csvToRows(readFileSync(join(dir, 'train.csv'), 'utf8'));
      const test = csvToRows(readFileSync(join(dir, 'test.csv'), 'utf8'));
      const faultOf = new Map(meta.vehicles.map((v) => [v.vin, v.fault]));
      const faults = [
        ...new Set(meta.vehicles.filter((v) => v.split === 'train' && v.fault !== 'healthy').map((v) => v.fault)),
      ].sort();
      if (faults.length === 0) throw new CliUsageError(`the dataset's training fleet has no faulty vehicle`);
      const faultOfVin = (vin: string): string => faultOf.get(vin) ?? 'healthy';
      let l2: number;
      let cv: ReturnType<typeof chooseL2> | undefined;
      if (values.l2 === 'auto') {
        cv = chooseL2(train.rows, faultOfVin, faults, { progress: (line) => io.stderr.write(`${line}\n`) });
        l2 = cv.l2;
      } else {
        l2 = Number(values.l2);
        if (!(l2 >= 0)) throw new CliUsageError(`--l2 must be auto or a number ≥ 0, not ${values.l2}`);
      }
      const model = fitFaultMixture(train.rows, faultOfVin, faults, { l2 });
      let settings = {
        raiseAt: Number(values['raise-percent']) / 100,
        raiseWindows: Number(values['raise-windows']),
        clearAt: Number(values['clear-percent']) / 100,
      };
      let alertingChosenBy = 'given';
      if (values['raise-percent'] === 'auto') {
        const outOfFold = cv?.outOfFold ?? chooseL2(train.rows, faultOfVin, faults, { grid: [l2] }).outOfFold;
        const trainFleet: FleetVehicle[] = meta.vehicles.filter((v) => v.split === 'train');
        const pick = chooseAlerting(trainFleet, train.rows, outOfFold, settings.clearAt, meta.horizonMin);
        settings = { ...pick.settings };
        alertingChosenBy =
          `fewest false alerts, then most cautious, with a median lead of at least 30 min, out of fold on the ` +
          `training fleet (${pick.falsePer100h.toFixed(2)} per 100 healthy vehicle-hours, ` +
          `median lead ${pick.medianLeadMin.toFixed(1)} min)`;
        io.stderr.write(
          `alerting: raise at ${settings.raiseAt} for ${settings.raiseWindows} windows, ${alertingChosenBy}\n`,
        );
      }
      const invalid = validateHysteresis(settings);
      if (invalid !== undefined) throw new CliUsageError(`alert hysteresis: ${invalid}`);
      const card = {
        modelId: values['model-id'],
        kind:
          'one logistic regression per fault kind on standardised features, combined as a noisy-OR ' +
          '(p = 1 − Π(1 − p_k)); baseline trained by telltale model train',
        fault: `any of ${faults.join(', ')}`,
        vehicleModel: meta.featureSet.models[0],
        featureSet: { id: meta.featureSet.id, window: meta.featureSet.window, hop: meta.featureSet.hop ?? null },
        inputs: meta.featureNames.map((name, i) => ({
          name,
          mean: model.means[i],
          scale: model.scales[i],
          weights: Object.fromEntries(model.components.map((c) => [c.fault, c.weights[i]])),
        })),
        components: model.components.map((c) => ({ fault: c.fault, bias: c.bias })),
        output: 'probability [N, 1]: a fault is active or starts within the horizon',
        training: {
          rows: train.rows.length,
          positives: train.rows.filter((r) => r.label === 1).length,
          vehicles: meta.vehicles.filter((v) => v.split === 'train').length,
          seed: meta.trainSeed,
          hours: meta.hours,
          warmupMaxMin: meta.warmupMaxMin ?? 0,
          horizonMin: meta.horizonMin,
          l2,
          ...(cv === undefined ? {} : { l2ChosenBy: `${cv.folds}-fold cross-validation by vehicle`, cvAuc: cv.cvAuc }),
        },
        alerting: { ...settings, chosenBy: alertingChosenBy },
        metrics: {} as Record<string, unknown>,
      };
      const onnx = logisticMixtureOnnx({
        ...model,
        docString: `Telltale baseline fault model ${values['model-id']}`,
        metadata: { featureSet: meta.featureSet.id, features: meta.featureNames.join(',') },
      });
      // Evaluate what is deployed: the ONNX file in ONNX Runtime.
      const runtime = await loadFaultModel(
        {
          modelId: card.modelId,
          version: 0,
          vehicleModel: String(card.vehicleModel),
          fault: 'any',
          featureSetId: meta.featureSet.id,
          featureSetVersion: 0,
          onnx,
          card,
        },
        meta.featureNames.length,
      );
      const width = meta.featureNames.length;
      const rows = new Float32Array(test.rows.length * width);
      test.rows.forEach((r, i) =>
        r.values.forEach((v, j) => (rows[i * width + j] = Number.isFinite(v) ? v : runtime.fillValues[j]!)),
      );
      const probabilities = Array.from(await runtime.score(rows, test.rows.length));
      const auc = rocAuc(
        probabilities,
        test.rows.map((r) => r.label),
      );
      // Per fault kind: its positive windows against every negative one.
      const rocAucByFault = Object.fromEntries(
        faults.map((fault) => {
          const own = test.rows.flatMap((r, i) =>
            r.label === 0 || faultOf.get(r.vin) === fault ? [{ p: probabilities[i]!, label: r.label }] : [],
          );
          return [
            fault,
            rocAuc(
              own.map((x) => x.p),
              own.map((x) => x.label),
            ),
          ];
        }),
      );
      const fleet: FleetVehicle[] = meta.vehicles.filter((v) => v.split === 'test');
      const alerts = evaluateAlerts(fleet, test.rows, probabilities, settings, meta.horizonMin);
      card.metrics = {
        heldOutSeed: meta.testSeed,
        heldOutVehicles: fleet.length,
        heldOutWindows: test.rows.length,
        rocAuc: auc,
        rocAucByFault,
        medianLeadTimeMin: alerts.medianLeadMin,
        leadTimesMin: alerts.leadTimesMin,
        faultyVehiclesRuleFired: alerts.leadTimesMin.length,
        missedBeforeRule: alerts.missedBeforeRule,
        healthyVehicleHours: alerts.healthyVehicleHours,
        falseAlerts: alerts.falseAlerts,
        falseAlertsPer100VehicleHours: alerts.falseAlertsPer100VehicleHours,
      };
      const out = resolve(io.cwd, values.out);
      mkdirSync(out, { recursive: true });
      writeFileSync(join(out, 'model.onnx'), onnx);
      writeFileSync(join(out, 'model-card.json'), `${JSON.stringify(card, null, 2)}\n`);
      io.stdout.write(
        `held-out fleet (seed ${meta.testSeed}, ${fleet.length} vehicles, ${test.rows.length} windows): ` +
          `ROC AUC ${auc.toFixed(4)} (${faults.map((f) => `${f} ${rocAucByFault[f]!.toFixed(3)}`).join(', ')}); ` +
          `median lead time over the threshold rules ` +
          `${alerts.medianLeadMin.toFixed(1)} min (${alerts.leadTimesMin.length} faulty vehicles the rules caught, ` +
          `${alerts.missedBeforeRule} not alerted before the rule); false predictive alerts ${alerts.falseAlerts} ` +
          `in ${alerts.healthyVehicleHours.toFixed(1)} healthy vehicle-hours ` +
          `= ${alerts.falseAlertsPer100VehicleHours.toFixed(2)} per 100\n` +
          `wrote ${join(out, 'model.onnx')} and model-card.json\n`,
      );
      if (values.register) {
        const saved = await withStore(io, async (store) => {
          const stored = await store.featureSet(meta.featureSet.id);
          if (stored === undefined)
            throw new CliUsageError(
              `feature set ${meta.featureSet.id} is not stored: telltale features apply it first`,
            );
          const names = stored.definition.features.map((f) => f.name);
          if (names.join(',') !== meta.featureNames.join(','))
            throw new CliUsageError(
              `stored feature set ${stored.setId} v${stored.version} has features ${names.join(', ')}, ` +
                `the dataset ${meta.featureNames.join(', ')}`,
            );
          const registered = await store.registerModel({
            modelId: card.modelId,
            vehicleModel: String(card.vehicleModel),
            featureSetId: stored.setId,
            featureSetVersion: stored.version,
            fault: 'slow-fault',
            onnx,
            card,
            createdBy: values.actor ?? `cli:${io.env.USER ?? 'unknown'}`,
          });
          if (values.activate)
            await store.activateModel(
              registered.modelId,
              registered.version,
              values.actor ?? `cli:${io.env.USER ?? 'unknown'}`,
            );
          return registered;
        });
        io.stdout.write(
          `registered ${saved.modelId} v${saved.version} for ${saved.vehicleModel} ` +
            `(feature set ${saved.featureSetId} v${saved.featureSetVersion})${values.activate ? ', active' : ''}\n`,
        );
      }
      return 0;
    },
  },
  {
    path: ['model', 'register'],
    summary: 'Register an ONNX fault model trained elsewhere (any binary classifier with the feature set inputs)',
    usage: `Usage: telltale model register --onnx FILE --model-id ID --feature-set ID [--card FILE] [--fault NAME]
       [--activate] [--actor NAME]

Stores the model as the next version of ID for the vehicle model of the feature set's current stored version. The
graph must take one float input [N, features] in the feature set's order and output "probability" ([N] or [N, 1])
or "probabilities" ([N, 2]); it is loaded into ONNX Runtime first, so a model that does not load is refused.`,
    run: async (args, io) => {
      const { values } = parseArgs({
        args: [...args],
        options: {
          onnx: { type: 'string' },
          card: { type: 'string' },
          'model-id': { type: 'string' },
          'feature-set': { type: 'string' },
          fault: { type: 'string', default: 'any' },
          activate: { type: 'boolean', default: false },
          actor: { type: 'string' },
        },
      });
      if (values.onnx === undefined || values['model-id'] === undefined || values['feature-set'] === undefined)
        throw new CliUsageError('--onnx, --model-id and --feature-set are required');
      const onnx = new Uint8Array(readFileSync(resolve(io.cwd, values.onnx)));
      const card =
        values.card === undefined
          ? {}
          : (JSON.parse(readFileSync(resolve(io.cwd, values.card), 'utf8')) as Record<string, unknown>);
      const actor = values.actor ?? `cli:${io.env.USER ?? 'unknown'}`;
      const saved = await withStore(io, async (store) => {
        const stored = await store.featureSet(values['feature-set']!);
        if (stored === undefined) throw new CliUsageError(`feature set ${values['feature-set']} is not stored`);
        const source = {
          modelId: values['model-id']!,
          version: 0,
          vehicleModel: stored.definition.models[0]!,
          fault: values.fault,
          featureSetId: stored.setId,
          featureSetVersion: stored.version,
          onnx,
          card,
        };
        const runtime = await loadFaultModel(source, stored.definition.features.length);
        await runtime.score(new Float32Array(stored.definition.features.length), 1); // refuse a model that cannot run
        const registered = await store.registerModel({ ...source, createdBy: actor });
        if (values.activate) await store.activateModel(registered.modelId, registered.version, actor);
        return registered;
      });
      io.stdout.write(`registered ${saved.modelId} v${saved.version}${values.activate ? ', active' : ''}\n`);
      return 0;
    },
  },
  {
    path: ['model', 'activate'],
    summary: 'Make a registered fault model version the active one for its vehicle model',
    usage: `Usage: telltale model activate <model-id> <version> [--actor NAME]

Running features instances load it within a second; the registry keeps who activated which version when.`,
    run: async (args, io) => {
      const { values, positionals } = parseArgs({
        args: [...args],
        allowPositionals: true,
        options: { actor: { type: 'string' } },
      });
      const [modelId, versionText] = positionals;
      const version = Number(versionText);
      if (modelId === undefined || !Number.isInteger(version)) throw new CliUsageError('name a model id and a version');
      const model = await withStore(io, (store) =>
        store.activateModel(modelId, version, values.actor ?? `cli:${io.env.USER ?? 'unknown'}`),
      );
      io.stdout.write(`active for ${model.vehicleModel}: ${model.modelId} v${model.version}\n`);
      return 0;
    },
  },
  {
    path: ['model', 'list'],
    summary: 'List registered fault models, their versions and which is active',
    usage: 'Usage: telltale model list',
    run: async (_args, io) => {
      const models = await withStore(io, (store) => store.listModels());
      for (const m of models)
        io.stdout.write(
          `${m.active ? '*' : ' '} ${m.modelId} v${m.version} ${m.vehicleModel} ` +
            `features ${m.featureSetId} v${m.featureSetVersion} by ${m.createdBy}` +
            `${m.activatedBy === null ? '' : ` (activated by ${m.activatedBy})`}\n`,
        );
      return 0;
    },
  },
];

function minutesIn(vehicle: SimulatedVehicle): string {
  return (((vehicle.ruleFiredMs ?? vehicle.startMs) - vehicle.startMs) / 60_000).toFixed(0);
}

function withStore<T>(io: CliIo, work: (store: PgFeatureStore) => Promise<T>): Promise<T> {
  return withCliDatabase(io, (pool) => work(new PgFeatureStore(pool)));
}
