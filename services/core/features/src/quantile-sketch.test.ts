import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { QuantileSketch, type QuantileSketchJson } from './quantile-sketch.js';

/** The nearest-rank quantile of the exact values, as the sketch defines it. */
function exact(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.round(q * (sorted.length - 1))]!;
}

describe('QuantileSketch', () => {
  it('answers every quantile within 1 % of the exact nearest-rank value, signs and zeros included', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.constant(0)), { minLength: 1 }),
        fc.constantFrom(0, 0.5, 0.9, 0.95, 0.99, 1),
        (values, q) => {
          const sketch = new QuantileSketch();
          for (const x of values) sketch.add(x);
          const truth = exact(values, q);
          const got = sketch.quantile(q);
          if (Math.abs(truth) < 1e-12) expect(got).toBe(0);
          else expect(Math.abs(got - truth)).toBeLessThanOrEqual(Math.abs(truth) * 0.0100001);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('is order-independent, survives JSON, and is NaN when empty', () => {
    const values = Array.from({ length: 1000 }, (_, i) => Math.sin(i) * 100 + 20);
    const forward = new QuantileSketch();
    const backward = new QuantileSketch();
    for (const x of values) forward.add(x);
    for (const x of [...values].reverse()) backward.add(x);
    expect(backward.toJSON()).toEqual(forward.toJSON());
    const restored = QuantileSketch.fromJSON(JSON.parse(JSON.stringify(forward.toJSON())) as QuantileSketchJson);
    for (const q of [0.5, 0.9, 0.99]) expect(restored.quantile(q)).toBe(forward.quantile(q));
    expect(restored.count).toBe(1000);
    expect(new QuantileSketch().quantile(0.5)).toBeNaN();
    const withNaN = new QuantileSketch();
    withNaN.add(NaN);
    expect(withNaN.count).toBe(0);
  });
});
