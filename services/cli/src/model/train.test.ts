import { describe, expect, it } from 'vitest';
import { loadFaultModel, logisticMixtureOnnx } from '@telltale/features';
import type { DatasetRow } from './dataset.js';
import {
  chooseL2,
  chooseAlerting,
  fitFaultMixture,
  fitLogistic,
  predictLogistic,
  predictMixture,
  rocAuc,
} from './train.js';

/** A seeded uniform [0, 1) (mulberry32), and a standard normal from it. */
function random(seed: number): { next(): number; normal(): number } {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, normal: () => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next()) };
}

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

describe('fitLogistic', () => {
  it('recovers the slopes of a known logistic model', () => {
    const rng = random(7);
    const rows: DatasetRow[] = Array.from({ length: 6000 }, (_, i) => {
      const x1 = rng.normal();
      const x2 = rng.normal() * 3 + 10; // another scale and centre: the fit standardises
      const p = sigmoid(2 * x1 - 1.5 * ((x2 - 10) / 3));
      return { vin: 'V', windowEndMs: i, values: [x1, x2], label: rng.next() < p ? 1 : 0 };
    });
    const model = fitLogistic(rows, { l2: 0 });
    // Weights are on standardised inputs; per raw unit: weight / scale.
    const perUnit = model.weights.map((w, j) => w / model.scales[j]!);
    expect(perUnit[0]).toBeGreaterThan(1.7);
    expect(perUnit[0]).toBeLessThan(2.3);
    expect(perUnit[1]).toBeGreaterThan(-0.6);
    expect(perUnit[1]).toBeLessThan(-0.4);
  });

  it('stays finite and separates perfectly separable data with almost no penalty', () => {
    const rows: DatasetRow[] = Array.from({ length: 200 }, (_, i) => ({
      vin: 'V',
      windowEndMs: i,
      values: [i < 100 ? i / 100 : 5 + i / 100],
      label: i < 100 ? 0 : 1,
    }));
    const model = fitLogistic(rows, { l2: 1e-9 });
    expect(Number.isFinite(model.weights[0]!) && Number.isFinite(model.bias)).toBe(true);
    expect(predictLogistic(model, [0.5])).toBeLessThan(0.01);
    expect(predictLogistic(model, [5.5])).toBeGreaterThan(0.99);
  });

  it('stands the training mean in for a missing value', () => {
    const rows: DatasetRow[] = [0, 1, 2, 3, 4, 5].map((x, i) => ({
      vin: 'V',
      windowEndMs: i,
      values: [x + (i % 2) * 0.5],
      label: x >= 3 ? 1 : 0,
    }));
    const model = fitLogistic(rows);
    expect(predictLogistic(model, [NaN])).toBeCloseTo(predictLogistic(model, [model.means[0]!]), 12);
    expect(predictLogistic(model, [5])).toBeGreaterThan(0.9);
  });
});

describe('fitFaultMixture', () => {
  // Two fault kinds, each moving its own feature; a window is positive for one of them.
  const rng = random(11);
  const vehicles = Array.from({ length: 60 }, (_, v) => ['healthy', 'a', 'b'][v % 3]!);
  const rows: DatasetRow[] = vehicles.flatMap((fault, v) =>
    Array.from({ length: 40 }, (_, t) => {
      const active = fault !== 'healthy' && t >= 20;
      const x = [rng.normal(), rng.normal(), rng.normal()];
      if (active && fault === 'a') x[0] = x[0]! + 4;
      if (active && fault === 'b') x[1] = x[1]! - 4;
      return { vin: `V${v}`, windowEndMs: t, values: x, label: active ? 1 : 0 };
    }),
  );
  const faultOf = (vin: string): string => vehicles[Number(vin.slice(1))]!;

  it('scores either fault, where one linear score over both is weaker', () => {
    const mixture = fitFaultMixture(rows, faultOf, ['a', 'b']);
    const single = fitLogistic(rows);
    const labels = rows.map((r) => r.label);
    const mixtureAuc = rocAuc(
      rows.map((r) => predictMixture(mixture, r.values)),
      labels,
    );
    const singleAuc = rocAuc(
      rows.map((r) => predictLogistic(single, r.values)),
      labels,
    );
    expect(mixtureAuc).toBeGreaterThan(0.99);
    expect(mixtureAuc).toBeGreaterThan(singleAuc);
    // Each component leans on its own fault's feature.
    const [a, b] = mixture.components;
    expect(a!.weights[0]).toBeGreaterThan(Math.abs(a!.weights[1]!));
    expect(-b!.weights[1]!).toBeGreaterThan(Math.abs(b!.weights[0]!));
  });

  it('refuses a fault kind with no positive window', () => {
    expect(() => fitFaultMixture(rows, faultOf, ['a', 'c'])).toThrow(/no positive window of c/);
  });

  it('gives in ONNX Runtime the probabilities it gives here', async () => {
    const mixture = fitFaultMixture(rows, faultOf, ['a', 'b']);
    const runtime = await loadFaultModel(
      {
        modelId: 'mixture',
        version: 1,
        vehicleModel: 'test',
        fault: 'any',
        featureSetId: 'test',
        featureSetVersion: 1,
        onnx: logisticMixtureOnnx(mixture),
        card: { inputs: mixture.means.map((mean) => ({ mean })) },
      },
      3,
    );
    const sample = rows.slice(0, 200);
    const flat = Float32Array.from(sample.flatMap((r) => r.values));
    const scored = await runtime.score(flat, sample.length);
    sample.forEach((r, i) => {
      const expected = predictMixture(
        mixture,
        r.values.map((v) => Math.fround(v)),
      );
      expect(Math.abs(scored[i]! - expected)).toBeLessThan(1e-5);
    });
  });
});

describe('choices made on the training fleet', () => {
  const rng = random(5);
  const vehicles = Array.from({ length: 24 }, (_, v) => (v % 2 === 0 ? 'healthy' : 'a'));
  const rows: DatasetRow[] = vehicles.flatMap((fault, v) =>
    Array.from({ length: 30 }, (_, t) => {
      const active = fault === 'a' && t >= 10;
      return {
        vin: `V${v}`,
        windowEndMs: t * 60_000,
        values: [rng.normal() + (active ? 2 : 0)],
        label: active ? 1 : 0,
      };
    }),
  );
  const faultOf = (vin: string): string => vehicles[Number(vin.slice(1))]!;

  it('scores every training row out of fold and reports each candidate penalty', () => {
    const choice = chooseL2(rows, faultOf, ['a'], { grid: [1e-6, 10], folds: 3 });
    expect(choice.cvAuc.map((c) => c.l2)).toEqual([1e-6, 10]);
    expect(choice.outOfFold).toHaveLength(rows.length);
    expect(choice.outOfFold.every((p) => p > 0 && p < 1)).toBe(true);
    expect(choice.cvAuc.every((c) => c.auc > 0.8)).toBe(true);
    expect([1e-6, 10]).toContain(choice.l2);
  });

  const fleet = vehicles.map((fault, v) => ({
    vin: `V${v}`,
    fault,
    onsetMs: fault === 'healthy' ? null : 10 * 60_000,
    ruleFiredMs: fault === 'healthy' ? null : 25 * 60_000,
    startMs: 0,
    endMs: 30 * 60_000,
  }));

  it('takes the fewest false alerts, then the most cautious setting, among those with lead enough', () => {
    // Healthy vehicles reach 0.95 for 2 windows, then 0.85 for 2; faulty ones 0.995 from onset.
    const p = rows.map((r) => {
      if (r.label === 1) return 0.995;
      if (faultOf(r.vin) !== 'healthy') return 0.1;
      const minute = r.windowEndMs / 60_000;
      return minute >= 20 && minute < 24 ? (minute < 22 ? 0.95 : 0.85) : 0.1;
    });
    const options = { raiseAts: [0.8, 0.9, 0.99], raiseWindows: [3, 5] };
    // 0.8 × 3 raises on the healthy ones; the rest do not. Lead: rule at 25 min, raised at 12 (3 windows) or 14 (5).
    const pick = chooseAlerting(fleet, rows, p, 0.4, 0, { ...options, minLeadMin: 10 });
    expect(pick).toEqual({
      settings: { raiseAt: 0.99, raiseWindows: 5, clearAt: 0.4 },
      falsePer100h: 0,
      medianLeadMin: 11,
    });
    // Asking 12 min of lead leaves the 3-window settings only.
    const sooner = chooseAlerting(fleet, rows, p, 0.4, 0, { ...options, minLeadMin: 12 });
    expect(sooner.settings).toEqual({ raiseAt: 0.99, raiseWindows: 3, clearAt: 0.4 });
    // None with lead enough: the longest lead.
    const none = chooseAlerting(fleet, rows, p, 0.4, 0, { ...options, minLeadMin: 60 });
    expect(none.medianLeadMin).toBe(13);
  });

  it('takes the fewest false alerts when every setting raises some', () => {
    // Healthy: runs of three windows at 0.95, then at 0.999, each followed by a clearing 0.1.
    const cycle = [0.95, 0.95, 0.95, 0.1, 0.999, 0.999, 0.999, 0.1];
    const p = rows.map((r) =>
      r.label === 1 ? 0.995 : faultOf(r.vin) === 'healthy' ? cycle[(r.windowEndMs / 60_000) % 8]! : 0.1,
    );
    const pick = chooseAlerting(fleet, rows, p, 0.4, 0, { raiseAts: [0.9, 0.99], raiseWindows: [3], minLeadMin: 10 });
    expect(pick.settings.raiseAt).toBe(0.99); // half the raises of 0.9
    expect(pick.falsePer100h).toBeGreaterThan(0);
  });
});

describe('rocAuc', () => {
  it('is 1 for a perfect ranking, 0.5 for ties, and averages tied ranks', () => {
    expect(rocAuc([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1])).toBe(1);
    expect(rocAuc([0.5, 0.5], [0, 1])).toBe(0.5);
    expect(rocAuc([0.1, 0.5, 0.5, 0.9], [0, 1, 0, 1])).toBe(0.875);
    expect(rocAuc([0.3, 0.4], [1, 1])).toBeNaN();
  });
});
