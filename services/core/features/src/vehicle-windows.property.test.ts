/**
 * Properties of VehicleWindows over random records (out of order, late, unknown signals, repeated times): a
 * snapshot restored at any record boundary continues exactly as the uninterrupted instance (what the service's
 * checkpoints rely on), and base time + offsets (a SignalBatch's columns) equal absolute times.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { signalId, testCatalog } from '@telltale/rules/testing';
import { compileFeatureSet, type ModelFeatureSet } from './compile.js';
import { parseFeatureSet } from './definition.js';
import { VehicleWindows, type IngestOutcome } from './vehicle-windows.js';

const CATALOG = testCatalog('test-model');
const READ = ['cellVoltageMax', 'cellVoltageMin', 'cellTemperatureMax', 'vehicleSpeed'].map((n) =>
  signalId(n, CATALOG),
);
const UNREAD = 99_999;

function featureSet(hop: string): ModelFeatureSet {
  const parsed = parseFeatureSet({
    id: 'props',
    models: ['test-model'],
    window: '10s',
    hop,
    allowedLateness: '3s',
    features: [
      { name: 'spread_avg', expression: 'cellVoltageMax - cellVoltageMin', aggregate: 'avg' },
      { name: 'top_std', expression: 'max(cellVoltageMax, cellVoltageMin, cellTemperatureMax)', aggregate: 'std' },
      { name: 'low_rate', expression: 'min(cellTemperatureMax, vehicleSpeed)', aggregate: 'rate' },
      { name: 'hot_s', expression: 'cellTemperatureMax', aggregate: 'time-above', threshold: 5 },
      { name: 'ratio_delta', expression: 'vehicleSpeed / cellVoltageMin', aggregate: 'delta' },
      { name: 'speed_last', expression: 'vehicleSpeed', aggregate: 'last' },
      { name: 'speed_count', expression: 'vehicleSpeed', aggregate: 'count' },
      { name: 'spread_p90', expression: 'cellVoltageMax - cellVoltageMin', aggregate: 'p90' },
      // Own windows: panes, in the snapshot too.
      { name: 'spread_avg_30s', expression: 'cellVoltageMax - cellVoltageMin', aggregate: 'avg', window: '30s' },
      { name: 'low_rate_20s', expression: 'min(cellTemperatureMax, vehicleSpeed)', aggregate: 'rate', window: '20s' },
    ],
  });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  return compileFeatureSet(parsed.set, () => CATALOG).sets.get('test-model')!;
}

const sample = fc.tuple(
  fc.constantFrom(...READ, UNREAD),
  fc.double({ min: -20, max: 20, noNaN: true }),
  fc.integer({ min: 0, max: 60_000 }),
);
const records = fc.array(fc.array(sample, { maxLength: 30 }), { maxLength: 25 });
const plain = (o: IngestOutcome) => ({ ...o, closed: o.closed.map((w) => ({ ...w, values: Array.from(w.values) })) });

describe.each(['2s', '10s'])('VehicleWindows properties (10 s windows, hop %s)', (hop) => {
  const set = featureSet(hop);

  it('continues from a snapshot restored at any record boundary as without it; base + offsets = times', () => {
    fc.assert(
      fc.property(records, fc.nat(25), (input, cut) => {
        const whole = new VehicleWindows('VIN', set);
        let resumed = new VehicleWindows('VIN', set);
        input.forEach((record, i) => {
          if (i === cut) {
            const snapshot = JSON.parse(JSON.stringify(resumed.toJSON())) as ReturnType<VehicleWindows['toJSON']>;
            resumed = new VehicleWindows('VIN', set);
            expect(resumed.restore(snapshot)).toBe(true);
          }
          const ids = record.map((s) => s[0]);
          const values = record.map((s) => s[1]);
          const times = record.map((s) => s[2]);
          const base = 1_000;
          const expected = plain(whole.ingest(ids, values, times));
          expect(
            plain(
              resumed.ingest(
                ids,
                values,
                times.map((t) => t - base),
                base,
              ),
            ),
          ).toEqual(expected);
        });
        expect(resumed.toJSON()).toEqual(whole.toJSON());
      }),
      { numRuns: 300 },
    );
  });
});

/** The features of OWN, each aggregated over `window` (own) or the set's window (plain). */
const OWN = [
  ['spread_avg', 'cellVoltageMax - cellVoltageMin', 'avg'],
  ['top_std', 'max(cellVoltageMax, cellVoltageMin, cellTemperatureMax)', 'std'],
  ['low_rate', 'min(cellTemperatureMax, vehicleSpeed)', 'rate'],
  ['hot_s', 'cellTemperatureMax', 'time-above'],
  ['ratio_delta', 'vehicleSpeed / cellVoltageMin', 'delta'],
  ['speed_last', 'vehicleSpeed', 'last'],
  ['speed_count', 'vehicleSpeed', 'count'],
  ['temp_min', 'cellTemperatureMax', 'min'],
  ['temp_max', 'cellTemperatureMax', 'max'],
] as const;

function ownWindowSet(window: string, hop: string, own: string | undefined): ModelFeatureSet {
  const parsed = parseFeatureSet({
    id: `own-${window}-${hop}-${own}`,
    models: ['test-model'],
    window,
    hop,
    allowedLateness: '3s',
    features: OWN.map(([name, expression, aggregate]) => ({
      name,
      expression,
      aggregate,
      ...(aggregate === 'time-above' ? { threshold: 5 } : {}),
      ...(own === undefined ? {} : { window: own }),
    })),
  });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  return compileFeatureSet(parsed.set, () => CATALOG).sets.get('test-model')!;
}

describe.each([
  ['2s', '30s'],
  ['2s', '12s'],
  ['10s', '30s'],
])("a feature's own window (10 s set windows, hop %s, own window %s)", (hop, own) => {
  const withOwn = ownWindowSet('10s', hop, own);
  const reference = ownWindowSet(own, hop, undefined);

  it('gives at each window end what a set with that window gives', () => {
    fc.assert(
      fc.property(records, (input) => {
        const a = new VehicleWindows('VIN', withOwn);
        const b = new VehicleWindows('VIN', reference);
        const byEnd = new Map<number, Float64Array>();
        for (const record of input) {
          const ids = record.map((s) => s[0]);
          const values = record.map((s) => s[1]);
          const times = record.map((s) => s[2]);
          const ra = a.ingest(ids, values, times);
          const rb = b.ingest(ids, values, times);
          expect(ra.late).toBe(rb.late); // the longest window decides what is late
          for (const w of rb.closed) byEnd.set(w.windowEndMs, w.values);
          for (const w of ra.closed) {
            const expected = byEnd.get(w.windowEndMs);
            expect(expected).toBeDefined(); // the longer window has a sample wherever the set's has
            if (expected === undefined) continue;
            OWN.forEach(([, , aggregate], f) => {
              const got = w.values[f]!;
              const want = expected[f]!;
              if (want !== want) expect(got).toBeNaN();
              else if (!Number.isFinite(want)) expect(got).toBe(want);
              else if (aggregate === 'std') expect(Math.abs(got - want)).toBeLessThan(1e-6);
              // Sums in another order: equal to rounding.
              else expect(Math.abs(got - want)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(want)));
            });
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
