import { describe, expect, it } from 'vitest';
import { decodeSignalBatch, encodeSignalBatch } from '@telltale/platform/proto';
import { RuleEngine, type AlertTransition } from '@telltale/rules';
import { CATALOG, signalId, snapshotOf } from '@telltale/rules/testing';
import { logOrder, replayTransitions, type ArrivedRecord } from './reference-engine.js';

const VIN = 'TLTREF00000000001';
const T0 = 1_796_586_860_000;
const MAX = signalId('cellVoltageMax');
const MIN = signalId('cellVoltageMin');
// The example rule bms.cell-imbalance, its condition and delay: the rule the chaos run's difference was in.
const snapshot = snapshotOf([{ id: 'imbalance', condition: 'cellVoltageMax - cellVoltageMin > 0.05', for: '10s' }]);

/** One vehicle-second batch: max/min every 100 ms with the given spread, received 1 s after its start. */
function batch(
  second: number,
  spread: number,
  partition: number,
  offset: number,
  vin = VIN,
  arrivalMs = T0 + (second + 1) * 1000,
): ArrivedRecord {
  const n = 10;
  const signalIds = new Uint32Array(2 * n);
  const values = new Float64Array(2 * n);
  const offsets = new Uint32Array(2 * n);
  for (let i = 0; i < n; i++) {
    signalIds.set([MAX, MIN], 2 * i);
    values.set([3.7 + spread, 3.7], 2 * i);
    offsets.set([i * 100, i * 100], 2 * i);
  }
  const value = encodeSignalBatch(
    {
      vin,
      modelId: CATALOG.modelId,
      catalogVersion: CATALOG.catalogVersion,
      batchId: `${vin}:${second}`,
      baseTimeMsEpoch: T0 + second * 1000,
      source: { gatewayReceiveTimeMsEpoch: arrivalMs },
    },
    { signalId: signalIds, value: values, timeOffsetMs: offsets },
  );
  return { arrivalMs, value: Buffer.from(value), partition, offset };
}

const arrived = (r: ArrivedRecord): string => `${r.partition}/${r.offset}@${r.arrivalMs - T0}`;

describe('logOrder', () => {
  it('keeps each partition in offset order (also where arrival goes back), partitions interleaved by arrival', () => {
    const records = [batch(0, 0, 0, 0), batch(2, 0, 0, 1), batch(1, 0, 0, 2), batch(3, 0, 0, 3), batch(1, 0, 1, 0)];
    expect(logOrder(records).map(arrived)).toEqual(['0/0@1000', '1/0@2000', '0/1@3000', '0/2@2000', '0/3@4000']);
  });
});

describe('replayTransitions', () => {
  // As in the chaos run (two gateways, one held back by the broker kill): second 4 arrived before seconds 5 and 6
  // but was written after them. Its samples start the condition a second earlier than second 5's do.
  const records = [
    ...[0, 1, 2, 3].map((s, i) => batch(s, 0.01, 0, i)),
    batch(5, 0.08, 0, 4),
    batch(6, 0.08, 0, 5),
    batch(4, 0.08, 0, 6), // late on the log
    ...[7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17].map((s, i) => batch(s, 0.08, 0, 7 + i)),
  ];

  it('makes the transitions of an engine reading the log in its order, as diagnostics does', () => {
    const engine = new RuleEngine();
    const live: AlertTransition[] = [...engine.setRules(snapshot)];
    for (const r of records) {
      live.push(...engine.advance(r.arrivalMs));
      const { header, columns } = decodeSignalBatch(r.value);
      live.push(
        ...engine.ingest({
          vin: header.vin,
          modelId: header.modelId,
          catalogVersion: header.catalogVersion,
          signalIds: columns.signalId,
          values: columns.value,
          timesMs: columns.timeOffsetMs,
          baseTimeMs: header.baseTimeMsEpoch,
          arrivalTimeMs: r.arrivalMs,
        }).transitions,
      );
    }
    expect(live).toHaveLength(1);
    // The late batch does not move the episode back: for an engine reading the log, the condition holds from second 5.
    expect(live[0]).toMatchObject({ state: 'raised', episodeStartMs: T0 + 5000, eventTimeMs: T0 + 15_000 });
    expect(replayTransitions(snapshot, () => 'fleet', records).map(key)).toEqual(live.map(key));
  });
});

const key = (t: AlertTransition): string => `${t.alertId}#${t.transitionSeq}#${t.state}@${t.eventTimeMs}`;

describe('replayTransitions, timers per partition (as diagnostics: held while a partition is quiet)', () => {
  const silent = snapshotOf([{ id: 'silent', condition: 'stale(cellVoltageMax, 3s)' }]);
  const B = 'TLTREF00000000002';
  /** A sends every second on partition 0; B on partition 1 sends the seconds given, received when `arrival` says. */
  const run = (secondsOfB: readonly number[], arrival = (s: number) => T0 + (s + 1) * 1000): AlertTransition[] => {
    const records = Array.from({ length: 60 }, (_, s) => batch(s, 0.01, 0, s));
    secondsOfB.forEach((s, i) => records.push(batch(s, 0.01, 1, i, B, arrival(s))));
    return replayTransitions(silent, () => 'fleet', records);
  };

  it("holds B's timers while its partition is quiet for less than the idle hold (a stall), though A's flows", () => {
    // B's seconds 10-19 are received 10 s late, all at 21 s (the gateway held back, as under a broker kill).
    const stalled = run(
      Array.from({ length: 60 }, (_, s) => s),
      (s) => T0 + Math.max(s + 1, s >= 10 && s < 20 ? 21 : 0) * 1000,
    );
    expect(stalled.filter((t) => t.vin === B)).toEqual([]);
  });

  it('fires a silence longer than the hold once the partition is idle, at its own event time', () => {
    const gone = run(Array.from({ length: 10 }, (_, s) => s)); // B's last batch: second 9, samples to 9.9 s
    expect(gone.filter((t) => t.vin === B).map((t) => [t.state, t.eventTimeMs - T0])).toEqual([['raised', 12_900]]);
  });
});
