// VehicleEvaluator with the real rule engine and small fakes for ownership, outbox and dead letters.
import { join } from 'node:path';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BUNDLED_CATALOG_DIR, loadCatalog, type Catalog } from '@telltale/catalog';
import { compileRules, RuleEngine, type AlertTransition, type RuleDefinition } from '@telltale/rules';
import type { OwnedPartition } from './partition-claims.js';
import type { PartitionRef, SignalRecord } from './records.js';
import { SerialWork } from './serial-work.js';
import { MemoryDeadLetters, ownedPartition, recordingEvents, signalRecord, SIGNALS, T0 } from './test-fakes.js';
import { VehicleEvaluator, type EvaluationOwnership, type TransitionRecorder } from './vehicle-evaluator.js';

let catalog: Catalog;
let speed: number;
beforeAll(async () => {
  catalog = await loadCatalog(join(BUNDLED_CATALOG_DIR, 'aurora-ev-2026'));
  speed = catalog.aliases.get('vehicleSpeed')!.id;
});

/** Partition 0 (`owned`), and partition 1 (`other`) when a test owns it too. */
class Partitions implements EvaluationOwnership {
  owned: OwnedPartition | undefined = ownedPartition(0, 1, [], { caughtUp: false });
  other: OwnedPartition | undefined;
  ownedOrClaimed(ref: PartitionRef): Promise<OwnedPartition | undefined> {
    return Promise.resolve(ref.partition === 0 ? this.owned : this.other);
  }
  addVehicle(partition: OwnedPartition, vin: string): void {
    partition.vins.add(vin);
  }
  list(): OwnedPartition[] {
    return [this.owned, this.other].filter((p) => p !== undefined);
  }
}

class RecordingOutbox implements TransitionRecorder {
  readonly calls: AlertTransition[][] = [];
  record(transitions: readonly AlertTransition[]): Promise<AlertTransition[]> {
    this.calls.push([...transitions]);
    return Promise.resolve([...transitions]);
  }
  states(): string[] {
    return this.calls.flat().map((t) => `${t.ruleId}:${t.state}${t.timer ? ' (timer)' : ''}`);
  }
}

let ownership: Partitions;
let outbox: RecordingOutbox;
let deadLetters: MemoryDeadLetters;
let events: ReturnType<typeof recordingEvents>;
let clock: number;
let evaluator: VehicleEvaluator;

/** The service's defaults: the idle hold 30 s, a quiet partition's clock at most the 2 s grace past its arrivals. */
const HOLD = { idleHoldMs: 30_000, heldMarginMs: 2000 };

async function evaluatorWith(
  rules: readonly Partial<RuleDefinition>[],
  timerClock: { idleHoldMs: number; heldMarginMs: number } = HOLD,
): Promise<VehicleEvaluator> {
  const built = new VehicleEvaluator({
    work: new SerialWork(),
    engine: new RuleEngine({ silenceGraceMs: 2000, maxFutureMs: 60_000 }),
    ownership,
    outbox,
    deadLetters,
    fleetOf: () => 'fleet-a',
    events,
    now: () => clock,
    timerClock,
  });
  const { snapshot, problems } = compileRules(
    rules.map((r) => ({ version: 1, ...r })),
    [catalog],
  );
  expect(problems).toEqual([]);
  await built.setRules(snapshot);
  outbox.calls.length = 0; // setRules recorded no transition (nothing was active)
  return built;
}

beforeEach(async () => {
  ownership = new Partitions();
  outbox = new RecordingOutbox();
  deadLetters = new MemoryDeadLetters();
  events = recordingEvents();
  clock = T0 + 250;
  evaluator = await evaluatorWith([
    { id: 'fast', condition: 'vehicleSpeed > 100' },
    { id: 'sustained', condition: 'vehicleSpeed > 100', for: '5s' },
  ]);
});

const speedAt = (offset: number, vin: string, value: number, timeMs: number, receivedMs = timeMs): SignalRecord =>
  signalRecord(catalog, offset, vin, { signalId: speed, value, timeMs, receivedMs });
const batch = (records: SignalRecord[], lag = 0, partition = 0) => ({ topic: SIGNALS, partition, records, lag });

describe('VehicleEvaluator', () => {
  it('dead-letters a malformed record with its reason and offset, counts it, and evaluates the others', async () => {
    const malformed: SignalRecord = { offset: 1n, key: Buffer.from('VIN-B'), value: Buffer.from([0x0a, 0xff]) };
    const empty: SignalRecord = { offset: 2n, key: null, value: null };
    await evaluator.handleBatch(batch([speedAt(0, 'VIN-A', 120, T0), malformed, empty, speedAt(3, 'VIN-B', 50, T0)]));
    expect(deadLetters.sent.map((r) => [r.reason, r.sourceOffset])).toEqual([
      ['MALFORMED_PROTOBUF', 1n],
      ['EMPTY_RECORD', 2n],
    ]);
    expect(deadLetters.sent[0]).toMatchObject({ key: malformed.key, value: malformed.value });
    expect(deadLetters.sent[0]!.detail).not.toBe('');
    expect(events.rejects).toEqual(['MALFORMED_PROTOBUF', 'EMPTY_RECORD']);
    expect(outbox.states()).toEqual(['fast:raised']);
    expect(ownership.owned!.processedOffset).toBe(4n);
  });

  it('records nothing new for a redelivered batch', async () => {
    await evaluator.handleBatch(batch([speedAt(0, 'VIN-A', 120, T0)]));
    await evaluator.handleBatch(batch([speedAt(0, 'VIN-A', 120, T0)]));
    expect(outbox.calls.map((c) => c.length)).toEqual([1, 0]);
    expect(ownership.owned!.processedOffset).toBe(1n);
  });

  it('skips records below the checkpoint: they are in the persisted state already', async () => {
    ownership.owned!.checkpointOffset = 2n;
    await evaluator.handleBatch(batch([speedAt(0, 'VIN-A', 120, T0), speedAt(1, 'VIN-B', 120, T0)]));
    expect(outbox.states()).toEqual([]);
    expect([...ownership.owned!.vins]).toEqual([]);
    await evaluator.handleBatch(batch([speedAt(2, 'VIN-C', 120, T0)]));
    expect(outbox.states()).toEqual(['fast:raised']);
    expect([...ownership.owned!.vins]).toEqual(['VIN-C']);
  });

  it('fires the timers of a vehicle with no new data on the wall clock while its partition flows', async () => {
    await evaluator.handleBatch(batch([speedAt(0, 'VIN-A', 120, T0)]));
    expect(outbox.states()).toEqual(['fast:raised']);
    clock = T0 + 20_000;
    await evaluator.handleBatch(batch([speedAt(1, 'VIN-B', 10, T0 + 19_800)])); // another vehicle, just now
    await evaluator.tick();
    expect(outbox.states()).toEqual(['fast:raised', 'sustained:raised (timer)']);
  });

  it('fires no timer ahead of the backlog: while behind, the clock is the newest receive time consumed', async () => {
    await evaluator.handleBatch(batch([speedAt(0, 'VIN-A', 120, T0)], 1000));
    clock = T0 + 20_000;
    await evaluator.tick();
    expect(outbox.states()).toEqual(['fast:raised']);
    await evaluator.handleBatch(batch([speedAt(1, 'VIN-B', 10, T0 + 6000)], 0)); // caught up
    await evaluator.tick();
    expect(outbox.states()).toEqual(['fast:raised', 'sustained:raised (timer)']);
  });

  it('measures gateway receive → published for transitions a sample made, and counts dropped samples', async () => {
    await evaluator.handleBatch(batch([speedAt(0, 'VIN-A', 120, T0), speedAt(1, 'VIN-B', 120, T0 + 600_000, T0)]));
    expect(events.latencies).toEqual([250]);
    expect(events.drops).toEqual({ future: 1 });
  });

  it('refuses a batch of a partition being reassigned (retryable), evaluating nothing', async () => {
    ownership.owned = undefined;
    await expect(evaluator.handleBatch(batch([speedAt(0, 'VIN-A', 120, T0)]))).rejects.toMatchObject({
      code: 'DIAGNOSTICS_PARTITION_NOT_OWNED',
      retryable: true,
    });
    expect(outbox.states()).toEqual([]);
  });
});

describe('VehicleEvaluator timers, each partition on its own clock', () => {
  // "No update for 3 s": fires only by a timer when a vehicle sends nothing.
  const SILENT = [{ id: 'silent', condition: 'stale(vehicleSpeed, 3s)' }];
  const A = 'VIN-A'; // on partition 0
  const B = 'VIN-B'; // on partition 1
  let offsets: number[];
  const on = (partition: number, vin: string, timeMs: number): SignalRecord =>
    speedAt(offsets[partition]!++, vin, 50, timeMs);

  beforeEach(async () => {
    offsets = [0, 0];
    ownership.owned = ownedPartition(0, 1, [], { lastLiveMs: clock });
    ownership.other = ownedPartition(1, 1, [], { lastLiveMs: clock });
    evaluator = await evaluatorWith(SILENT);
  });

  /** Both vehicles send each second from T0 to T0 + 2 s, consumed 250 ms after they were received. */
  async function bothFlowing(): Promise<void> {
    for (let t = T0; t <= T0 + 2000; t += 1000) {
      clock = t + 250;
      await evaluator.handleBatch(batch([on(0, A, t)], 0, 0));
      await evaluator.handleBatch(batch([on(1, B, t)], 0, 1));
      await evaluator.tick();
    }
  }

  it("holds a quiet partition's timers while another flows; its delayed records then raise nothing", async () => {
    await bothFlowing();
    // Partition 1 stalls upstream (a broker failover holding the gateway's writes): B's batches are held 10 s.
    const held: SignalRecord[] = [];
    for (let t = T0 + 3000; t <= T0 + 12_000; t += 1000) {
      clock = t + 250;
      await evaluator.handleBatch(batch([on(0, A, t)], 0, 0));
      held.push(on(1, B, t));
      await evaluator.tick();
    }
    // On the wall clock (no hold) B would have raised at T0 + 5 s, and been cleared by its first late batch.
    expect(outbox.states()).toEqual([]);
    expect(events.clocks).toEqual({ behind: 0, flowing: 1, held: 1, idle: 0 });
    clock = T0 + 12_500;
    await evaluator.handleBatch(batch(held, 0, 1));
    await evaluator.tick();
    expect(outbox.states()).toEqual([]);
  });

  it('declares a partition idle after the hold: its silent vehicle fires late, at the same event time', async () => {
    const run = async (
      timerClock: typeof HOLD,
      tickAtMs: readonly number[],
    ): Promise<{ firedAtMs: number; transitions: AlertTransition[] }> => {
      outbox.calls.length = 0;
      ownership.owned = ownedPartition(0, 1, [], { lastLiveMs: T0 });
      ownership.other = ownedPartition(1, 1, [], { lastLiveMs: T0 });
      evaluator = await evaluatorWith(SILENT, timerClock);
      await bothFlowing(); // then B's partition goes quiet for good; A's flows on
      for (const at of tickAtMs) {
        clock = at;
        await evaluator.handleBatch(batch([on(0, A, at - 250)], 0, 0));
        await evaluator.tick();
        if (outbox.calls.flat().length > 0) break;
      }
      return { firedAtMs: clock, transitions: outbox.calls.flat() };
    };
    const ticks = Array.from({ length: 40 }, (_, i) => T0 + 3250 + i * 1000);
    const held = await run(HOLD, ticks);
    const unheld = await run({ idleHoldMs: 0, heldMarginMs: 0 }, ticks);
    expect(unheld.transitions.map((t) => [t.vin, t.state, t.eventTimeMs, t.timer])).toEqual([
      [B, 'raised', T0 + 5000, true],
    ]);
    expect(held.transitions).toEqual(unheld.transitions); // the same alert id, event time, evidence
    // Without the hold at the first tick past B's deadline + grace; with it, at the first tick after its partition had
    // been quiet for the hold (its last record consumed at T0 + 2.25 s).
    expect(unheld.firedAtMs).toBe(T0 + 7250);
    expect(held.firedAtMs).toBe(T0 + 32_250);
  });

  it('a partition claimed again (revoked, assigned) holds its restored vehicles until the hold', async () => {
    await bothFlowing();
    clock = T0 + 3000;
    // A new assignment: partition 1 is claimed afresh (B's state restored), nothing consumed on it since.
    ownership.other = ownedPartition(1, 2, [B], { lastLiveMs: clock });
    const ofB = (): unknown[] => outbox.calls.flat().flatMap((t) => (t.vin === B ? [[t.state, t.eventTimeMs]] : []));
    for (clock = T0 + 3250; clock < T0 + 33_000; clock += 1000) {
      await evaluator.handleBatch(batch([on(0, A, clock - 250)], 0, 0));
      await evaluator.tick();
    }
    expect(ofB()).toEqual([]);
    expect(events.clocks).toMatchObject({ flowing: 1, held: 1 });
    clock = T0 + 33_000; // the hold since the claim is over
    await evaluator.tick();
    expect(ofB()).toEqual([['raised', T0 + 5000]]);
    expect(events.clocks).toMatchObject({ flowing: 1, idle: 1 });
  });
});
