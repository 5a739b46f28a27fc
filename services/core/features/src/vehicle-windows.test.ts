import { describe, expect, it } from 'vitest';
import { signalId, testCatalog } from '@telltale/rules/testing';
import { compileFeatureSet, type ModelFeatureSet } from './compile.js';
import { parseFeatureSet } from './definition.js';
import { VehicleWindows, type ClosedWindow, type VehicleWindowsJson } from './vehicle-windows.js';

const CATALOG = testCatalog('test-model');
const MAX = signalId('cellVoltageMax', CATALOG);
const MIN = signalId('cellVoltageMin', CATALOG);
const TEMP = signalId('cellTemperatureMax', CATALOG);

function featureSet(extra: Record<string, unknown> = {}): ModelFeatureSet {
  const parsed = parseFeatureSet({
    id: 'health',
    models: ['test-model'],
    window: '10s',
    allowedLateness: '2s',
    features: [
      { name: 'spread_avg', expression: 'cellVoltageMax - cellVoltageMin', aggregate: 'avg' },
      { name: 'temp_min', expression: 'cellTemperatureMax', aggregate: 'min' },
      { name: 'temp_max', expression: 'cellTemperatureMax', aggregate: 'max' },
      { name: 'temp_std', expression: 'cellTemperatureMax', aggregate: 'std' },
      { name: 'temp_count', expression: 'cellTemperatureMax', aggregate: 'count' },
      { name: 'temp_delta', expression: 'cellTemperatureMax', aggregate: 'delta' },
      { name: 'temp_rate', expression: 'cellTemperatureMax', aggregate: 'rate' },
      { name: 'temp_last', expression: 'cellTemperatureMax', aggregate: 'last' },
      { name: 'temp_hot_s', expression: 'cellTemperatureMax', aggregate: 'time-above', threshold: 30 },
    ],
    ...extra,
  });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  return compileFeatureSet(parsed.set, () => CATALOG).sets.get('test-model')!;
}

const named = (set: ModelFeatureSet, w: ClosedWindow) =>
  Object.fromEntries(set.features.map((f, i) => [f.name, w.values[i]]));

/** Temperatures 20, 25, …, one per second from t = 1000. */
function feedTemps(windows: VehicleWindows, fromS: number, toS: number): ClosedWindow[] {
  const closed: ClosedWindow[] = [];
  for (let s = fromS; s <= toS; s++) closed.push(...windows.ingest([TEMP], [20 + 5 * (s - 1)], [s * 1000]).closed);
  return closed;
}

describe('VehicleWindows', () => {
  it('aggregates a tumbling window and emits it once the watermark passes its end', () => {
    const set = featureSet();
    const w = new VehicleWindows('VIN1', set);
    // 1 s … 9 s fall in [0, 10 s); 11 s moves the watermark to 9 s: not yet; 12 s → 10 s closes it.
    expect(feedTemps(w, 1, 11)).toEqual([]);
    const [closed] = feedTemps(w, 12, 12);
    expect(closed).toMatchObject({ vin: 'VIN1', windowStartMs: 0, windowEndMs: 10_000, sampleCount: 9 });
    const v = named(set, closed!);
    // temps 20, 25, …, 60 at 1 s … 9 s
    expect(v).toMatchObject({ temp_min: 20, temp_max: 60, temp_count: 9, temp_delta: 40, temp_rate: 5, temp_last: 60 });
    expect(v.temp_std).toBeCloseTo(Math.sqrt(((4 * 5) ** 2 * 2 + (3 * 5) ** 2 * 2 + 100 * 2 + 25 * 2) / 9), 9);
    // above 30: 35 … 60 = 6 of 9 values → 6/9 of 10 s
    expect(v.temp_hot_s).toBeCloseTo((6 / 9) * 10, 9);
    expect(Number.isNaN(v.spread_avg)).toBe(true); // no voltage samples: unknown, not 0
  });

  it('evaluates an expression of several signals once per event time, with the newest value of each', () => {
    const set = featureSet();
    const w = new VehicleWindows('VIN1', set);
    w.ingest([MAX, MIN], [4.1, 4.0], [1000, 1000]);
    w.ingest([MAX], [4.3], [2000]); // spread 0.3 with the min of 1 s
    const [closed] = w.ingest([MAX, MIN], [4.2, 4.1], [12_000, 12_000]).closed;
    expect(named(set, closed!).spread_avg).toBeCloseTo((0.1 + 0.3) / 2, 12);
  });

  it('puts a sample in every hopping window that contains it', () => {
    const set = featureSet({ window: '10s', hop: '5s' });
    const w = new VehicleWindows('VIN1', set);
    const closed = feedTemps(w, 1, 22);
    expect(closed.map((c) => [c.windowStartMs, c.windowEndMs, named(set, c).temp_count])).toEqual([
      [-5000, 5000, 4],
      [0, 10_000, 9],
      [5000, 15_000, 10],
      [10_000, 20_000, 10], // watermark 22 s − 2 s = 20 s reaches its end
    ]);
  });

  it('lets a late sample within the allowed lateness update its window, and counts and drops a later one', () => {
    const set = featureSet();
    const w = new VehicleWindows('VIN1', set);
    feedTemps(w, 1, 11); // newest 11 s, watermark 9 s: [0, 10 s) still open
    const lateOk = w.ingest([TEMP], [99], [9500]);
    expect(lateOk).toMatchObject({ late: 0, lateAccepted: 1, closed: [] });
    const closed = w.ingest([TEMP], [70], [12_000]).closed;
    expect(named(set, closed[0]!)).toMatchObject({ temp_max: 99, temp_count: 10, temp_last: 99 });
    const tooLate = w.ingest([TEMP], [5], [3000]);
    expect(tooLate).toMatchObject({ late: 1, closed: [] });
  });

  it('restores from a snapshot and goes on exactly as if it had never stopped', () => {
    const set = featureSet({ window: '10s', hop: '5s' });
    const straight = new VehicleWindows('VIN1', set);
    const expected = feedTemps(straight, 1, 40);
    const first = new VehicleWindows('VIN1', set);
    const before = feedTemps(first, 1, 17);
    const json = JSON.parse(JSON.stringify(first.toJSON())) as VehicleWindowsJson;
    const second = new VehicleWindows('VIN1', set);
    expect(second.restore(json)).toBe(true);
    const after = feedTemps(second, 18, 40);
    expect([...before, ...after]).toEqual(expected);
  });

  it('restores -0 and ±Infinity as themselves (JSON alone writes 0 and null)', () => {
    const set = featureSet({
      features: [
        { name: 'min_last', expression: 'cellVoltageMin', aggregate: 'last' },
        { name: 'max_max', expression: 'cellVoltageMax', aggregate: 'max' },
        { name: 'max_min', expression: 'cellVoltageMax', aggregate: 'min' },
      ],
    });
    const before = (w: VehicleWindows) => w.ingest([MIN, MAX, MAX], [-0, Infinity, -Infinity], [500, 600, 700]);
    const straight = new VehicleWindows('VIN1', set);
    before(straight);
    const first = new VehicleWindows('VIN1', set);
    before(first);
    const second = new VehicleWindows('VIN1', set);
    expect(second.restore(JSON.parse(JSON.stringify(first.toJSON())) as VehicleWindowsJson)).toBe(true);
    const [closed] = second.ingest([MAX], [5], [21_000]).closed;
    expect(closed).toEqual(straight.ingest([MAX], [5], [21_000]).closed[0]);
    expect(Object.is(closed!.values[0], -0)).toBe(true);
    expect([closed!.values[1], closed!.values[2]]).toEqual([Infinity, -Infinity]);
  });

  it('starts empty when the snapshot is of another feature set version', () => {
    const set = featureSet();
    const w = new VehicleWindows('VIN1', set);
    feedTemps(w, 1, 5);
    const other = new VehicleWindows('VIN1', { ...set, version: 2 });
    expect(other.restore(w.toJSON())).toBe(false);
    expect(other.openWindows).toBe(0);
  });

  it('gives percentiles (p50, p90, p95, p99) of the window within 1 %, late values included, across a restore', () => {
    const set = featureSet({
      features: ['p50', 'p90', 'p95', 'p99'].map((aggregate) => ({
        name: `temp_${aggregate}`,
        expression: 'cellTemperatureMax',
        aggregate,
      })),
    });
    const w = new VehicleWindows('VIN1', set);
    // 1 … 9 s: temperatures 20, 25, …, 60 (feedTemps); one late value of 100 at 9.5 s joins the window.
    feedTemps(w, 1, 9);
    const restored = new VehicleWindows('VIN1', set);
    expect(restored.restore(JSON.parse(JSON.stringify(w.toJSON())) as VehicleWindowsJson)).toBe(true);
    feedTemps(restored, 11, 11);
    expect(restored.ingest([TEMP], [100], [9500]).lateAccepted).toBe(1);
    const [closed] = feedTemps(restored, 12, 12);
    const values = named(set, closed!);
    // Ten values 20 … 60, 100: nearest rank round(q · 9) → 40 (p50: rank 5 of 0-9 → 45), 60, 100, 100.
    const sorted = [20, 25, 30, 35, 40, 45, 50, 55, 60, 100];
    for (const [name, q] of [
      ['temp_p50', 0.5],
      ['temp_p90', 0.9],
      ['temp_p95', 0.95],
      ['temp_p99', 0.99],
    ] as const) {
      const truth = sorted[Math.round(q * 9)]!;
      expect(Math.abs(values[name]! - truth)).toBeLessThanOrEqual(truth * 0.01);
    }
  });
});
