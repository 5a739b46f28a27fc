/**
 * The baseline fault model of `telltale model train`: one logistic regression per fault kind on standardised
 * features (missing values replaced by the training mean), fitted by Newton's method with L2 and class weights,
 * combined as a noisy-OR and exported as an ONNX graph; the choices made on the training fleet alone by
 * cross-validation by vehicle (the L2 penalty: chooseL2; the alert hysteresis: chooseAlerting); and the evaluation
 * that goes into its model card: ROC AUC on the held-out fleet, and — by replaying the test fleet's windows through
 * the service's hysteresis — lead time over the threshold rules and false predictive alerts per 100 healthy
 * vehicle-hours.
 */
import { stepHysteresis, initialHysteresis, type HysteresisSettings } from '@telltale/features';
import type { DatasetRow } from './dataset.js';

export interface LogisticModel {
  readonly means: number[];
  readonly scales: number[];
  readonly weights: number[];
  readonly bias: number;
}

/** One logistic regression per fault kind over the same standardised inputs, combined as a noisy-OR. */
export interface FaultMixtureModel {
  readonly means: number[];
  readonly scales: number[];
  readonly components: readonly { readonly fault: string; readonly weights: number[]; readonly bias: number }[];
}

export interface FitOptions {
  /** L2 penalty on the weights (not the bias), on standardised inputs. */
  readonly l2?: number;
  /** Newton steps at most (each solves the (features + 1)² system exactly); stops once a step is below 1e-10. */
  readonly iterations?: number;
}

/** Means and standard deviations of each column over its finite values (scale 1 for a constant column). */
export function standardiser(rows: readonly DatasetRow[]): { means: number[]; scales: number[] } {
  const f = rows[0]?.values.length ?? 0;
  const means = Array.from({ length: f }, (_, j) => mean(rows.map((r) => r.values[j]!).filter(Number.isFinite)));
  const scales = Array.from({ length: f }, (_, j) => {
    const xs = rows.map((r) => r.values[j]!).filter(Number.isFinite);
    const m = means[j]!;
    const sd = Math.sqrt(mean(xs.map((x) => (x - m) ** 2)));
    return sd > 1e-12 ? sd : 1;
  });
  return { means, scales };
}

/** Logistic regression on standardised features (missing values → the training mean), class-balanced, with L2. */
export function fitLogistic(rows: readonly DatasetRow[], options: FitOptions = {}): LogisticModel {
  const { means, scales } = standardiser(rows);
  return { means, scales, ...fitStandardised(rows, means, scales, options) };
}

/**
 * The baseline: for each fault kind, a logistic regression of "this fault is active or starts within the horizon"
 * against every negative window (healthy vehicles, and faulty ones before onset − horizon); positives of the other
 * kinds are left out of that kind's fit. p = 1 − Π(1 − p_k): a vehicle is at risk when any of its faults is, which a
 * single linear score over all three faults' evidence cannot express (each fault moves different features).
 */
export function fitFaultMixture(
  rows: readonly DatasetRow[],
  faultOf: (vin: string) => string,
  faults: readonly string[],
  options: FitOptions = {},
): FaultMixtureModel {
  const { means, scales } = standardiser(rows);
  const components = faults.map((fault) => {
    const own = rows.filter((r) => r.label === 0 || faultOf(r.vin) === fault);
    if (!own.some((r) => r.label === 1)) throw new Error(`the training fleet has no positive window of ${fault}`);
    return { fault, ...fitStandardised(own, means, scales, options) };
  });
  return { means, scales, components };
}

export interface L2Choice {
  readonly l2: number;
  /** Per candidate penalty: mean ROC AUC over the folds. */
  readonly cvAuc: readonly { readonly l2: number; readonly auc: number }[];
  readonly folds: number;
  /** The chosen penalty's out-of-fold probability of each training row (in `rows` order). */
  readonly outOfFold: Float64Array;
}

/**
 * The L2 penalty of the mixture, chosen on the training fleet alone: K folds by vehicle (no vehicle's windows on both
 * sides), each candidate fitted on K − 1 folds and scored on the left-out one; the highest mean ROC AUC wins (ties:
 * the larger penalty). The held-out test fleet plays no part.
 */
export function chooseL2(
  rows: readonly DatasetRow[],
  faultOf: (vin: string) => string,
  faults: readonly string[],
  options: { grid?: readonly number[]; folds?: number; progress?: (line: string) => void } = {},
): L2Choice {
  const grid = options.grid ?? [1e-6, 1e-5, 1e-4, 1e-3];
  const folds = options.folds ?? 4;
  const vins = [...new Set(rows.map((r) => r.vin))].sort();
  const foldOf = new Map(vins.map((vin, i) => [vin, i % folds]));
  const candidates = grid.map((l2) => {
    let sum = 0;
    const outOfFold = new Float64Array(rows.length);
    for (let k = 0; k < folds; k++) {
      const fit = rows.filter((r) => foldOf.get(r.vin) !== k);
      const model = fitFaultMixture(fit, faultOf, faults, { l2 });
      const held: number[] = [];
      rows.forEach((r, i) => {
        if (foldOf.get(r.vin) === k) held.push(i);
      });
      for (const i of held) outOfFold[i] = predictMixture(model, rows[i]!.values);
      sum += rocAuc(
        held.map((i) => outOfFold[i]!),
        held.map((i) => rows[i]!.label),
      );
    }
    const auc = sum / folds;
    options.progress?.(`L2 ${l2}: mean ROC AUC ${auc.toFixed(4)} over ${folds} folds by vehicle`);
    return { l2, auc, outOfFold };
  });
  let best = candidates[0]!;
  for (const c of candidates) if (c.auc > best.auc || (c.auc === best.auc && c.l2 > best.l2)) best = c;
  return { l2: best.l2, cvAuc: candidates.map(({ l2, auc }) => ({ l2, auc })), folds, outOfFold: best.outOfFold };
}

/**
 * The alert hysteresis, chosen on the training fleet from its out-of-fold probabilities replayed through the
 * hysteresis: among raise thresholds × consecutive windows whose median lead time is at least `minLeadMin` (default
 * 30, three times the 10 minutes asked), the fewest false alerts per 100 healthy vehicle-hours, and of those the most
 * cautious (highest threshold, then most windows): a few hundred healthy hours cannot tell 0 from 1 per 100 apart, so
 * lead time beyond what is needed is traded for margin. None long enough: the longest lead.
 */
export function chooseAlerting(
  vehicles: readonly FleetVehicle[],
  rows: readonly DatasetRow[],
  outOfFold: ArrayLike<number>,
  clearAt: number,
  horizonMin: number,
  options: { raiseAts?: readonly number[]; raiseWindows?: readonly number[]; minLeadMin?: number } = {},
): { settings: HysteresisSettings; falsePer100h: number; medianLeadMin: number } {
  const minLead = options.minLeadMin ?? 30;
  const probabilities = Array.from(outOfFold);
  const tried = (options.raiseAts ?? [0.9, 0.95, 0.98, 0.99]).flatMap((raiseAt) =>
    (options.raiseWindows ?? [3, 5, 10, 15]).map((raiseWindows) => {
      const settings = { raiseAt, raiseWindows, clearAt: Math.min(clearAt, raiseAt / 2) };
      const e = evaluateAlerts(vehicles, rows, probabilities, settings, horizonMin);
      return { settings, falsePer100h: e.falseAlertsPer100VehicleHours, medianLeadMin: e.medianLeadMin };
    }),
  );
  const enough = tried.filter((t) => t.medianLeadMin >= minLead);
  if (enough.length === 0) return tried.reduce((a, b) => (b.medianLeadMin > a.medianLeadMin ? b : a));
  const cautious = (a: (typeof tried)[number], b: (typeof tried)[number]): boolean =>
    b.settings.raiseAt > a.settings.raiseAt ||
    (b.settings.raiseAt === a.settings.raiseAt && b.settings.raiseWindows > a.settings.raiseWindows);
  return enough.reduce((a, b) =>
    b.falsePer100h < a.falsePer100h || (b.falsePer100h === a.falsePer100h && cautious(a, b)) ? b : a,
  );
}

export function predictLogistic(model: LogisticModel, values: readonly number[]): number {
  return 1 / (1 + Math.exp(-logit(model.means, model.scales, model.weights, model.bias, values)));
}

export function predictMixture(model: FaultMixtureModel, values: readonly number[]): number {
  let none = 1;
  for (const c of model.components)
    none *= 1 - 1 / (1 + Math.exp(-logit(model.means, model.scales, c.weights, c.bias, values)));
  return 1 - none;
}

function logit(
  means: readonly number[],
  scales: readonly number[],
  weights: readonly number[],
  bias: number,
  values: readonly number[],
): number {
  let z = bias;
  for (let j = 0; j < weights.length; j++) {
    const v = Number.isFinite(values[j]!) ? values[j]! : means[j]!;
    z += (weights[j]! * (v - means[j]!)) / scales[j]!;
  }
  return z;
}

/** Newton's method (iteratively reweighted least squares) on the class-weighted, L2-penalised log loss. */
function fitStandardised(
  rows: readonly DatasetRow[],
  means: readonly number[],
  scales: readonly number[],
  options: FitOptions,
): { weights: number[]; bias: number } {
  const f = means.length;
  const d = f + 1; // the last coefficient is the bias
  const z = rows.map((r) => {
    const zi = new Float64Array(d);
    r.values.forEach((v, j) => (zi[j] = Number.isFinite(v) ? (v - means[j]!) / scales[j]! : 0));
    zi[f] = 1;
    return zi;
  });
  const positives = rows.filter((r) => r.label === 1).length;
  const wPos = rows.length / (2 * Math.max(1, positives));
  const wNeg = rows.length / (2 * Math.max(1, rows.length - positives));
  const l2 = options.l2 ?? 1e-3;
  const beta = new Float64Array(d);
  let total = 0;
  for (const r of rows) total += r.label === 1 ? wPos : wNeg;
  for (let it = 0; it < (options.iterations ?? 60); it++) {
    const grad = new Float64Array(d);
    const hessian = Array.from({ length: d }, () => new Float64Array(d));
    for (let i = 0; i < z.length; i++) {
      const zi = z[i]!;
      let s = 0;
      for (let j = 0; j < d; j++) s += beta[j]! * zi[j]!;
      const p = 1 / (1 + Math.exp(-s));
      const w = rows[i]!.label === 1 ? wPos : wNeg;
      const err = ((p - rows[i]!.label) * w) / total;
      const curvature = (w * p * (1 - p)) / total;
      for (let j = 0; j < d; j++) {
        grad[j] = grad[j]! + err * zi[j]!;
        if (zi[j] === 0) continue;
        const hj = hessian[j]!;
        const cj = curvature * zi[j]!;
        for (let k = 0; k <= j; k++) hj[k] = hj[k]! + cj * zi[k]!;
      }
    }
    for (let j = 0; j < d; j++) {
      for (let k = 0; k < j; k++) hessian[k]![j] = hessian[j]![k]!;
      if (j < f) {
        grad[j] = grad[j]! + l2 * beta[j]!;
        hessian[j]![j] = hessian[j]![j]! + l2;
      }
    }
    const step = solve(hessian, grad);
    // Backtracking: a full Newton step can overshoot on (nearly) separable data; halve it until the loss does not grow.
    const before = loss(beta);
    const next = new Float64Array(d);
    let scale = 1;
    for (let halvings = 0; ; halvings++) {
      for (let j = 0; j < d; j++) next[j] = beta[j]! - scale * step[j]!;
      if (loss(next) <= before + 1e-12 || halvings === 30) break;
      scale /= 2;
    }
    let largest = 0;
    for (let j = 0; j < d; j++) {
      largest = Math.max(largest, Math.abs(next[j]! - beta[j]!));
      beta[j] = next[j]!;
    }
    if (largest < 1e-10) break;
  }
  if (!beta.every(Number.isFinite))
    throw new Error('the logistic regression did not converge (a weight is not finite)');
  return { weights: Array.from(beta.subarray(0, f)), bias: beta[f]! };

  /** The class-weighted mean log loss plus the L2 term, at coefficients b. */
  function loss(b: Float64Array): number {
    let sum = 0;
    for (let i = 0; i < z.length; i++) {
      const zi = z[i]!;
      let s = 0;
      for (let j = 0; j < d; j++) s += b[j]! * zi[j]!;
      // log(1 + e^s) − y·s, stable for large |s|
      const softplus = s > 0 ? s + Math.log1p(Math.exp(-s)) : Math.log1p(Math.exp(s));
      sum += (rows[i]!.label === 1 ? wPos : wNeg) * (softplus - rows[i]!.label * s);
    }
    let penalty = 0;
    for (let j = 0; j < f; j++) penalty += b[j]! * b[j]!;
    return sum / total + (l2 / 2) * penalty;
  }
}

/** Solves A·x = b by Gaussian elimination with partial pivoting (A is small and, with L2, positive definite). */
function solve(a: readonly Float64Array[], b: Float64Array): Float64Array {
  const n = b.length;
  const m = a.map((row, i) => Float64Array.from([...row, b[i]!]));
  for (let c = 0; c < n; c++) {
    let pivot = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r]![c]!) > Math.abs(m[pivot]![c]!)) pivot = r;
    [m[c], m[pivot]] = [m[pivot]!, m[c]!];
    const pc = m[c]!;
    if (Math.abs(pc[c]!) < 1e-300) continue;
    for (let r = c + 1; r < n; r++) {
      const row = m[r]!;
      const factor = row[c]! / pc[c]!;
      if (factor === 0) continue;
      for (let k = c; k <= n; k++) row[k] = row[k]! - factor * pc[k]!;
    }
  }
  const x = new Float64Array(n);
  for (let r = n - 1; r >= 0; r--) {
    const row = m[r]!;
    let s = row[n]!;
    for (let k = r + 1; k < n; k++) s -= row[k]! * x[k]!;
    x[r] = Math.abs(row[r]!) < 1e-300 ? 0 : s / row[r]!;
  }
  return x;
}

/** ROC AUC by ranks (Mann–Whitney U), ties averaged. */
export function rocAuc(scores: readonly number[], labels: readonly (0 | 1)[]): number {
  const order = scores.map((s, i) => [s, i] as const).sort((a, b) => a[0] - b[0]);
  const ranks = new Array<number>(scores.length);
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j + 1 < order.length && order[j + 1]![0] === order[i]![0]) j++;
    for (let k = i; k <= j; k++) ranks[order[k]![1]] = (i + j) / 2 + 1;
    i = j + 1;
  }
  let positives = 0;
  let rankSum = 0;
  labels.forEach((l, i) => {
    if (l === 1) {
      positives++;
      rankSum += ranks[i]!;
    }
  });
  const negatives = labels.length - positives;
  if (positives === 0 || negatives === 0) return NaN;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

export interface FleetVehicle {
  readonly vin: string;
  readonly fault: string;
  readonly onsetMs: number | null;
  readonly ruleFiredMs: number | null;
  readonly startMs: number;
  readonly endMs: number;
}

export interface AlertEvaluation {
  readonly faultyVehicles: number;
  /** Per faulty vehicle whose threshold rule fired: rule time − first predictive alert (−∞: never alerted). */
  readonly leadTimesMin: number[];
  readonly medianLeadMin: number;
  /** Faulty vehicles the threshold rule caught but the model did not alert (before the rule). */
  readonly missedBeforeRule: number;
  readonly healthyVehicleHours: number;
  /** Raises on healthy vehicles, and on faulty ones before onset − horizon. */
  readonly falseAlerts: number;
  readonly falseAlertsPer100VehicleHours: number;
}

/** Replays each test vehicle's windows in event order through the service's hysteresis. */
export function evaluateAlerts(
  vehicles: readonly FleetVehicle[],
  rows: readonly DatasetRow[],
  probabilities: readonly number[],
  settings: HysteresisSettings,
  horizonMin: number,
): AlertEvaluation {
  const byVin = new Map<string, { row: DatasetRow; p: number }[]>();
  rows.forEach((row, i) => {
    const list = byVin.get(row.vin) ?? [];
    list.push({ row, p: probabilities[i]! });
    byVin.set(row.vin, list);
  });
  const leadTimesMin: number[] = [];
  let missedBeforeRule = 0;
  let falseAlerts = 0;
  let healthyMs = 0;
  let faultyVehicles = 0;
  for (const v of vehicles) {
    const list = (byVin.get(v.vin) ?? []).sort((a, b) => a.row.windowEndMs - b.row.windowEndMs);
    const state = initialHysteresis();
    const raises: number[] = [];
    for (const { row, p } of list) {
      const step = stepHysteresis(state, p, row.windowEndMs, settings);
      if (step.kind === 'raise') raises.push(row.windowEndMs);
    }
    if (v.onsetMs === null) {
      healthyMs += v.endMs - v.startMs;
      falseAlerts += raises.length;
      continue;
    }
    faultyVehicles++;
    const earliestTrue = v.onsetMs - horizonMin * 60_000;
    falseAlerts += raises.filter((t) => t < earliestTrue).length;
    const first = raises.find((t) => t >= earliestTrue);
    if (v.ruleFiredMs !== null) {
      // Never alerted: counted as an infinitely late alert, so the median is not flattered by leaving it out.
      leadTimesMin.push(first === undefined ? -Infinity : (v.ruleFiredMs - first) / 60_000);
      if (first === undefined || first > v.ruleFiredMs) missedBeforeRule++;
    }
  }
  const healthyVehicleHours = healthyMs / 3_600_000;
  return {
    faultyVehicles,
    leadTimesMin,
    medianLeadMin: median(leadTimesMin),
    missedBeforeRule,
    healthyVehicleHours,
    falseAlerts,
    falseAlertsPer100VehicleHours: healthyVehicleHours > 0 ? (100 * falseAlerts) / healthyVehicleHours : NaN,
  };
}

function mean(xs: readonly number[]): number {
  return xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length;
}

function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}
