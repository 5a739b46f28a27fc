/**
 * The baseline fault model of `telltale model train`: logistic regression on standardised features (missing values
 * replaced by the training mean), fitted by full-batch gradient descent with L2 and class weights, exported as an
 * ONNX graph; and the evaluation that goes into its model card: ROC AUC on the held-out fleet, and — by replaying the
 * test fleet's windows through the service's hysteresis — lead time over the threshold rules and false predictive
 * alerts per 100 healthy vehicle-hours.
 */
import { stepHysteresis, initialHysteresis, type HysteresisSettings } from '@telltale/features';
import type { DatasetRow } from './dataset.js';

export interface LogisticModel {
  readonly means: number[];
  readonly scales: number[];
  readonly weights: number[];
  readonly bias: number;
}

export function fitLogistic(
  rows: readonly DatasetRow[],
  options: { iterations?: number; l2?: number } = {},
): LogisticModel {
  const f = rows[0]?.values.length ?? 0;
  const means = Array.from({ length: f }, (_, j) => mean(rows.map((r) => r.values[j]!).filter(Number.isFinite)));
  const scales = Array.from({ length: f }, (_, j) => {
    const xs = rows.map((r) => r.values[j]!).filter(Number.isFinite);
    const m = means[j]!;
    const sd = Math.sqrt(mean(xs.map((x) => (x - m) ** 2)));
    return sd > 1e-12 ? sd : 1;
  });
  const z = rows.map((r) => r.values.map((v, j) => (Number.isFinite(v) ? (v - means[j]!) / scales[j]! : 0)));
  const y = rows.map((r) => r.label);
  const positives = y.filter((v) => v === 1).length;
  const wPos = rows.length / (2 * Math.max(1, positives));
  const wNeg = rows.length / (2 * Math.max(1, rows.length - positives));
  const weights = new Array<number>(f).fill(0);
  let bias = 0;
  const iterations = options.iterations ?? 800;
  const l2 = options.l2 ?? 1e-3;
  const rate = 0.5;
  for (let it = 0; it < iterations; it++) {
    const grad = new Array<number>(f).fill(0);
    let gradBias = 0;
    let total = 0;
    for (let i = 0; i < z.length; i++) {
      const zi = z[i]!;
      let logit = bias;
      for (let j = 0; j < f; j++) logit += weights[j]! * zi[j]!;
      const p = 1 / (1 + Math.exp(-logit));
      const w = y[i] === 1 ? wPos : wNeg;
      const err = (p - y[i]!) * w;
      for (let j = 0; j < f; j++) grad[j] = grad[j]! + err * zi[j]!;
      gradBias += err;
      total += w;
    }
    for (let j = 0; j < f; j++) weights[j] = weights[j]! - rate * (grad[j]! / total + l2 * weights[j]!);
    bias -= (rate * gradBias) / total;
  }
  return { means, scales, weights, bias };
}

export function predictLogistic(model: LogisticModel, values: readonly number[]): number {
  let logit = model.bias;
  for (let j = 0; j < model.weights.length; j++) {
    const v = Number.isFinite(values[j]!) ? values[j]! : model.means[j]!;
    logit += (model.weights[j]! * (v - model.means[j]!)) / model.scales[j]!;
  }
  return 1 / (1 + Math.exp(-logit));
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
