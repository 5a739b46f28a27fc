import { describe, expect, it } from 'vitest';
import { CHANGED, SignalLayout, UNCHANGED, UPDATED, VehicleSignals, WindowBuffer } from './signal-state.js';

describe('window buffers', () => {
  it('keep samples in event-time order, late ones inserted in place, replays ignored', () => {
    const b = new WindowBuffer();
    for (const [t, v] of [
      [1000, 1],
      [3000, 3],
      [2000, 2],
      [4000, 4],
    ] as const)
      expect(b.insert(t, v, 60_000, 100)).toBe(true);
    expect(b.insert(2000, 2, 60_000, 100)).toBe(false);
    expect(b.times).toEqual([1000, 2000, 3000, 4000]);
    expect(b.aggregate('avg', 1000, 4000)).toBe(3);
    expect(b.insert(2000, 5, 60_000, 100)).toBe(true);
    expect(b.aggregate('avg', 0, 4000)).toBe(13 / 4);
    expect(b.aggregate('delta', 0, 3000)).toBe(2);
  });

  it('drop samples past the retention behind the newest or over the sample cap; sums stay right when compacted', () => {
    const b = new WindowBuffer();
    for (let t = 0; t < 5000; t++) b.insert(t, t % 7, 1000, 100_000);
    expect(b.size).toBe(1000);
    expect(b.insert(3000, 1, 1000, 100_000)).toBe(false);
    let sum = 0;
    for (let t = 4000; t < 5000; t++) sum += t % 7;
    expect(b.aggregate('avg', 3999, 4999)).toBeCloseTo(sum / 1000, 9);
    const capped = new WindowBuffer();
    for (let t = 0; t < 50; t++) capped.insert(t, t, 1e9, 10);
    expect(capped.size).toBe(10);
    expect(capped.aggregate('min', -1, 100)).toBe(40);
    expect(WindowBuffer.of([1, 2], [10, 30]).aggregate('avg', 0, 2)).toBe(20);
  });
});

describe('vehicle signals', () => {
  it('keep the newest value per signal and say what a sample changed', () => {
    const s = new VehicleSignals();
    expect(s.apply(7, 10, 1000, 0, 10)).toBe(CHANGED);
    expect(s.apply(7, 10, 2000, 0, 10)).toBe(UPDATED);
    expect(s.apply(7, 99, 1500, 0, 10)).toBe(UNCHANGED);
    expect(s.apply(7, 10, 2000, 0, 10)).toBe(UNCHANGED);
    expect(s.apply(7, 11, 2000, 0, 10)).toBe(CHANGED);
    expect(s.value(7)).toBe(11);
    expect(s.lastUpdateMs(7)).toBe(2000);
    expect(s.apply(7, 50, 1500, 10_000, 10)).toBe(CHANGED); // a late sample does enter the window
    expect(s.value(7)).toBe(11);
  });

  it('number any signal id without a layout (large and odd ids too); a shared layout keeps only its own', () => {
    const s = new VehicleSignals();
    for (const id of [3, 70_000, 2 ** 31, -1, 0.5]) expect(s.apply(id, id + 1, 1000, 0, 10)).toBe(CHANGED);
    for (const id of [3, 70_000, 2 ** 31, -1, 0.5]) expect(s.value(id)).toBe(id + 1);
    expect(s.value(4)).toBeNaN();
    const shared = new VehicleSignals(SignalLayout.of([9, 2]));
    expect(shared.apply(2, 5, 1000, 1000, 10)).toBe(CHANGED);
    expect(shared.apply(3, 5, 1000, 0, 10)).toBe(UNCHANGED);
    expect([shared.value(2), shared.value(3), shared.aggregate(2, 'count', 1000, 1000)]).toEqual([5, NaN, 1]);
    expect(shared.latestEntries()).toEqual([[2, 5, 1000]]);
  });

  it('track a signal not seen yet from a given time, for stale()', () => {
    const s = new VehicleSignals();
    s.firstEventTimeMs = 100;
    expect(s.lastUpdateMs(3)).toBe(100);
    s.track(3, 5000);
    expect(s.lastUpdateMs(3)).toBe(5000);
    expect(s.value(3)).toBeNaN();
    expect(s.apply(3, 1, 4000, 0, 10)).toBe(CHANGED);
    expect(s.value(3)).toBe(1);
  });
});
