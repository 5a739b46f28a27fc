import { describe, expect, it } from 'vitest';
import { topContributions } from './contributions.js';

describe('topContributions', () => {
  it('ranks features by how much the probability falls without them', async () => {
    // p = sigmoid(2·x0 + 0.5·x1 − 1·x2), fill values 0
    const model = {
      fillValues: new Float32Array(3),
      score: (rows: Float32Array, n: number) =>
        Promise.resolve(
          Float32Array.from(
            { length: n },
            (_, r) => 1 / (1 + Math.exp(-(2 * rows[r * 3]! + 0.5 * rows[r * 3 + 1]! - rows[r * 3 + 2]!))),
          ),
        ),
    };
    const top = await topContributions(model, Float64Array.from([1, 1, 1]), ['a', 'b', 'c'], 2);
    expect(top.map((t) => t.name)).toEqual(['a', 'b']);
    expect(top[0]!.contribution).toBeCloseTo(1 / (1 + Math.exp(-1.5)) - 1 / (1 + Math.exp(0.5)), 6);
  });
});
