import { describe, expect, it } from 'vitest';
import { LatencyHistogram } from './latency.js';

describe('latency histogram', () => {
  it('gives percentiles within its 2 % buckets', () => {
    const h = new LatencyHistogram();
    for (let i = 1; i <= 1000; i++) h.record(i / 10);
    expect(h.count).toBe(1000);
    expect(h.quantile(0.5)).toBeGreaterThan(49);
    expect(h.quantile(0.5)).toBeLessThan(51);
    expect(h.quantile(0.99)).toBeGreaterThan(97);
    expect(h.quantile(0.99)).toBeLessThanOrEqual(100);
    expect(h.maxMs).toBe(100);
    expect(Number.isNaN(new LatencyHistogram().quantile(0.5))).toBe(true);
  });
});
