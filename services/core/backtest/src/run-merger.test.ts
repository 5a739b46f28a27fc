/**
 * The run merge: rows of an archive file (vehicle, signal, time) → each vehicle's rows in event-time order, equal
 * times in run order. The merger (runs found while the BIGINT times are converted) is checked against the previous
 * version's merge (kept below as the reference) and against a stable sort by time, on generated files: any number
 * of runs and vehicles, tied and backward times, chunked anywhere, event times as DuckDB's BIGINT or as doubles.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fuzzRuns } from '@telltale/platform/testing';
import { MergeBuffers, RunMerger, mergeRuns } from './run-merger.js';
import type { SampleColumns } from './archive-samples.js';
import { SampleBuffer } from './sample-buffer.js';

interface Rows {
  ids: number[];
  times: number[];
  values: number[];
}

/** The merge of the previous version (its own run detection, runs merged two at a time, ties to the left). */
function pairwiseReference(ids: Uint32Array, times: Float64Array, values: Float64Array, n: number): Rows {
  const starts = [0];
  for (let i = 1; i < n; i++) if (times[i]! < times[i - 1]! || ids[i] !== ids[i - 1]) starts.push(i);
  starts.push(n);
  let merged: Rows = { ids: [], times: [], values: [] };
  for (let r = 0; r + 1 < starts.length; r++) {
    const a = merged;
    const b: Rows = {
      ids: [...ids.subarray(starts[r], starts[r + 1])],
      times: [...times.subarray(starts[r], starts[r + 1])],
      values: [...values.subarray(starts[r], starts[r + 1])],
    };
    const to: Rows = { ids: [], times: [], values: [] };
    let i = 0;
    let j = 0;
    while (i < a.times.length || j < b.times.length) {
      const takeB = i === a.times.length || (j < b.times.length && b.times[j]! < a.times[i]!);
      const [from, k] = takeB ? [b, j++] : [a, i++];
      to.ids.push(from.ids[k]!);
      to.times.push(from.times[k]!);
      to.values.push(from.values[k]!);
    }
    merged = to;
  }
  return merged;
}

/** Stable sort by time: what "in event-time order, equal times in run order" means for rows whose runs are sorted. */
function stableByTime(rows: Rows): Rows {
  const order = rows.times.map((_, i) => i).sort((a, b) => rows.times[a]! - rows.times[b]! || a - b);
  return {
    ids: order.map((i) => rows.ids[i]!),
    times: order.map((i) => rows.times[i]!),
    values: order.map((i) => rows.values[i]!),
  };
}

/** One vehicle's rows as an archive file holds them: per signal (ascending), times ascending, ties allowed. */
const vehicleRows = fc
  .array(
    fc.record({
      id: fc.integer({ min: 0, max: 3000 }),
      times: fc.array(fc.integer({ min: 0, max: 40 }), { minLength: 1, maxLength: 30 }),
      // Now and then a run whose time goes back (two flushes of one signal in one file): runs split there too.
      back: fc.boolean(),
    }),
    { minLength: 1, maxLength: 8 },
  )
  .map((signals) => {
    const rows: Rows = { ids: [], times: [], values: [] };
    const byId = [...new Map(signals.map((s) => [s.id, s])).values()].sort((a, b) => a.id - b.id);
    for (const s of byId) {
      const times = [...s.times].sort((a, b) => a - b);
      const all = s.back ? [...times, ...times.map((t) => t + 1)] : times;
      for (const t of all) {
        rows.ids.push(s.id);
        rows.times.push(1_764_000_000_000 + t);
        rows.values.push(rows.values.length * 0.5 + s.id);
      }
    }
    return rows;
  });

const columns = (rows: Rows) => ({
  ids: Uint32Array.from(rows.ids),
  times: Float64Array.from(rows.times),
  values: Float64Array.from(rows.values),
});

describe('mergeRuns', () => {
  it('merges per-signal runs into event-time order, equal times in run order', () => {
    const ids = Uint32Array.from([1, 1, 1, 2, 2, 3]);
    const times = Float64Array.from([10, 20, 30, 15, 20, 5]);
    const values = Float64Array.from([1, 2, 3, 4, 5, 6]);
    const merged = mergeRuns(ids, times, values, 6);
    expect([...merged.eventTimeMs]).toEqual([5, 10, 15, 20, 20, 30]);
    expect([...merged.signalId]).toEqual([3, 1, 2, 1, 2, 1]);
    expect([...merged.value]).toEqual([6, 1, 4, 2, 5, 3]);
  });

  it('merges any number of runs into the given buffer, ties in run order', () => {
    // Four runs (signals 1..4), times tied across runs at 20 and 30; a fifth run where the time goes back.
    const ids = Uint32Array.from([1, 1, 1, 2, 2, 3, 3, 3, 4, 4, 4, 4]);
    const times = Float64Array.from([10, 20, 30, 20, 25, 5, 20, 30, 1, 30, 31, 2]);
    const values = Float64Array.from(ids.map((id, i) => id * 100 + i));
    for (const n of [8, 11, 12]) {
      const into = new SampleBuffer(1);
      const merged = mergeRuns(ids, times, values, n, into);
      const expected = [...Array(n).keys()].sort((a, b) => times[a]! - times[b]! || a - b);
      expect([...merged.eventTimeMs]).toEqual(expected.map((i) => times[i]));
      expect([...merged.value]).toEqual(expected.map((i) => values[i]));
      expect([...merged.signalId]).toEqual(expected.map((i) => ids[i]));
      expect(merged.value.buffer).toBe(into.values.buffer);
    }
  });

  it('gives exactly the rows and order of the previous version (property)', () => {
    const buffers = new MergeBuffers();
    fc.assert(
      fc.property(vehicleRows, (rows) => {
        const { ids, times, values } = columns(rows);
        const merged = mergeRuns(ids, times, values, ids.length, new SampleBuffer(1), buffers);
        const got: Rows = { ids: [...merged.signalId], times: [...merged.eventTimeMs], values: [...merged.value] };
        expect(got).toEqual(pairwiseReference(ids, times, values, ids.length));
        expect(got).toEqual(stableByTime(rows));
      }),
      { numRuns: fuzzRuns(300) },
    );
  });
});

describe('RunMerger', () => {
  it('collects a vehicle across chunks and hands on whole vehicles', () => {
    const out: { vehicle: number; times: number[]; whole: boolean }[] = [];
    const merger = new RunMerger('m', (c) =>
      out.push({ vehicle: c.vehicle[0]!, times: [...c.eventTimeMs], whole: c.wholeVehicle }),
    );
    const chunk = (vehicle: number[], ids: number[], times: number[]) => ({
      rows: vehicle.length,
      vehicle: Uint32Array.from(vehicle),
      signalId: Uint32Array.from(ids),
      eventTimeMs: Float64Array.from(times),
      value: new Float64Array(vehicle.length),
    });
    merger.add(chunk([0, 0, 0], [1, 1, 2], [1, 3, 2]));
    merger.add(chunk([0, 1, 1], [2, 1, 1], [4, 7, 8]));
    merger.end();
    expect(out).toEqual([
      { vehicle: 0, times: [1, 2, 3, 4], whole: true },
      { vehicle: 1, times: [7, 8], whole: true },
    ]);
  });

  it('gives every vehicle the rows and order of the previous version, however the file is chunked (property)', () => {
    const file = fc.record({
      vehicles: fc.array(vehicleRows, { minLength: 1, maxLength: 4 }),
      cuts: fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 20 }),
      bigint: fc.boolean(),
      oneVehicle: fc.boolean(),
    });
    const buffers = new MergeBuffers(); // reused across cases, as across the hours of a backtest
    fc.assert(
      fc.property(file, ({ vehicles: all, cuts, bigint, oneVehicle }) => {
        const vehicles = oneVehicle ? all.slice(0, 1) : all;
        const flat = { vehicle: [] as number[], ...({ ids: [], times: [], values: [] } as Rows) };
        vehicles.forEach((rows, v) => {
          flat.vehicle.push(...rows.ids.map(() => v));
          flat.ids.push(...rows.ids);
          flat.times.push(...rows.times);
          flat.values.push(...rows.values);
        });
        const got: { vehicle: number; rows: Rows }[] = [];
        const merger = new RunMerger(
          'm',
          (c: SampleColumns) => {
            expect(c.wholeVehicle).toBe(true);
            expect(new Set(c.vehicle).size).toBe(1);
            got.push({
              vehicle: c.vehicle[0]!,
              rows: { ids: [...c.signalId], times: [...c.eventTimeMs], values: [...c.value] },
            });
          },
          buffers,
        );
        // Chunks of the sizes in `cuts` (repeated), as DuckDB would hand them over.
        for (let start = 0, k = 0; start < flat.ids.length; k++) {
          const end = Math.min(flat.ids.length, start + cuts[k % cuts.length]!);
          const times = flat.times.slice(start, end);
          merger.add({
            rows: end - start,
            vehicle: oneVehicle ? undefined : Uint32Array.from(flat.vehicle.slice(start, end)),
            signalId: Uint32Array.from(flat.ids.slice(start, end)),
            eventTimeMs: bigint ? BigInt64Array.from(times, (t) => BigInt(t)) : Float64Array.from(times),
            value: Float64Array.from(flat.values.slice(start, end)),
          });
          start = end;
        }
        merger.end();
        expect(got).toEqual(
          vehicles.map((rows, v) => {
            const { ids, times, values } = columns(rows);
            return { vehicle: v, rows: pairwiseReference(ids, times, values, ids.length) };
          }),
        );
      }),
      { numRuns: fuzzRuns(300) },
    );
  });
});
