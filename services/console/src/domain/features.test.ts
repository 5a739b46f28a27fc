import { describe, expect, it } from 'vitest';
import { featureRows, formatFeature, rankedScores, riskLevel } from './features.js';

describe('formatFeature', () => {
  it('shows integers whole, fractions to 4 significant digits, tiny and huge values in exponent form', () => {
    expect(formatFeature(12)).toBe('12');
    expect(formatFeature(12345)).toBe('12,345');
    expect(formatFeature(3.14159)).toBe('3.142');
    expect(formatFeature(-0.123456)).toBe('-0.1235');
    expect(formatFeature(0.00001234)).toBe('1.234e-5');
    expect(formatFeature(1234567.5)).toBe('1.235e+6');
  });
  it('shows a dash for no value', () => {
    expect(formatFeature(null)).toBe('–');
    expect(formatFeature(Number.NaN)).toBe('–');
  });
});

describe('featureRows', () => {
  const features = { 'speed.max': 88.25, 'batt.temp.mean': 31.5, 'brake.count': null, 'speed.mean': 42 };
  it('sorts by name with missing values last', () => {
    expect(featureRows(features).map((r) => r.name)).toEqual([
      'batt.temp.mean',
      'speed.max',
      'speed.mean',
      'brake.count',
    ]);
    expect(featureRows(features).at(-1)).toEqual({ name: 'brake.count', text: '–', missing: true });
  });
  it('filters by a case-insensitive substring of the name', () => {
    expect(featureRows(features, ' SPEED ').map((r) => r.name)).toEqual(['speed.max', 'speed.mean']);
    expect(featureRows(features, 'nothing')).toEqual([]);
  });
});

describe('scores', () => {
  it('labels risk by probability thresholds', () => {
    expect(riskLevel(0.0)).toBe('low');
    expect(riskLevel(0.299)).toBe('low');
    expect(riskLevel(0.3)).toBe('elevated');
    expect(riskLevel(0.7)).toBe('high');
  });
  it('ranks the most probable fault first, with a percentage', () => {
    const ranked = rankedScores([
      { modelId: 'm', modelVersion: 1, fault: 'battery', probability: 0.12 },
      { modelId: 'm', modelVersion: 1, fault: 'brakes', probability: 0.834 },
    ]);
    expect(ranked.map((s) => [s.fault, s.percent, s.level])).toEqual([
      ['brakes', '83.4 %', 'high'],
      ['battery', '12.0 %', 'low'],
    ]);
  });
});
