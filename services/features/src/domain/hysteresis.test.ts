import { describe, expect, it } from 'vitest';
import { initialHysteresis, stepHysteresis, validateHysteresis, type HysteresisStep } from './hysteresis.js';

const settings = { raiseAt: 0.8, raiseWindows: 3, clearAt: 0.4 };

function run(probabilities: number[]): HysteresisStep['kind'][] {
  const state = initialHysteresis();
  return probabilities.map((p, i) => stepHysteresis(state, p, (i + 1) * 60_000, settings).kind);
}

describe('stepHysteresis', () => {
  it('raises after N consecutive windows at or above the raise threshold', () => {
    expect(run([0.9, 0.85, 0.8])).toEqual(['none', 'none', 'raise']);
  });

  it('starts counting again after a window below the raise threshold', () => {
    expect(run([0.9, 0.9, 0.7, 0.9, 0.9, 0.9])).toEqual(['none', 'none', 'none', 'none', 'none', 'raise']);
  });

  it('holds between the thresholds and clears at or below the clear threshold', () => {
    expect(run([0.9, 0.9, 0.9, 0.5, 0.79, 0.41, 0.4, 0.9])).toEqual([
      'none',
      'none',
      'raise',
      'none',
      'none',
      'none',
      'clear',
      'none',
    ]);
  });

  it('names the episode by the raising window and numbers its transitions', () => {
    const state = initialHysteresis();
    const steps = [0.9, 0.9, 0.2].map((p, i) =>
      stepHysteresis(state, p, (i + 1) * 1000, { ...settings, raiseWindows: 2 }),
    );
    expect(steps).toEqual([
      { kind: 'none' },
      { kind: 'raise', episodeStartMs: 2000, seq: 1 },
      { kind: 'clear', episodeStartMs: 2000, seq: 2 },
    ]);
  });

  it('ignores a window without a score', () => {
    expect(run([0.9, NaN, 0.9, 0.9])).toEqual(['none', 'none', 'none', 'raise']);
  });

  it('refuses thresholds that would flap', () => {
    expect(validateHysteresis({ raiseAt: 0.5, clearAt: 0.6, raiseWindows: 1 })).toMatch(/clearAt/);
    expect(validateHysteresis(settings)).toBeUndefined();
  });
});
