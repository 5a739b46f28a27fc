// PartitionClaims with an in-memory store: epochs, where a claim starts, which vehicles it loads, and releasing.
import { beforeEach, describe, expect, it } from 'vitest';
import { partitionOfKey } from '@telltale/platform/kafka';
import { testLogger } from '@telltale/platform/testing';
import type { AlertTransition } from '@telltale/rules';
import { PartitionClaims, type VehicleStateHolder } from './partition-claims.js';
import { MemoryDiagnosticsStore, MemoryTopics, recordingEvents, SIGNALS } from './test-fakes.js';

class FakeVehicles implements VehicleStateHolder {
  readonly restored: string[] = [];
  readonly forgotten: string[] = [];
  restoreState(vin: string, state: unknown): AlertTransition[] {
    if (state === 'garbage') throw new Error('RULE_STATE_INVALID');
    this.restored.push(vin);
    return state === 'rule-gone' ? [{ vin, state: 'cleared' } as AlertTransition] : [];
  }
  forget(vin: string): void {
    this.forgotten.push(vin);
  }
}

const p0 = { topic: SIGNALS, partition: 0 };
const p1 = { topic: SIGNALS, partition: 1 };
let store: MemoryDiagnosticsStore;
let topics: MemoryTopics;
let vehicles: FakeVehicles;
let events: ReturnType<typeof recordingEvents>;
let restoredCalls: { vins: string[]; ownedThen: boolean[] }[];
let claims: PartitionClaims;
let wallMs: number;

beforeEach(() => {
  store = new MemoryDiagnosticsStore();
  topics = new MemoryTopics();
  vehicles = new FakeVehicles();
  events = recordingEvents();
  restoredCalls = [];
  wallMs = 1_700_000_000_000;
  claims = new PartitionClaims({
    store,
    topics,
    vehicles,
    events,
    log: testLogger(),
    owner: 'test',
    onRestored: (transitions) => {
      const vins = transitions.map((t) => t.vin);
      restoredCalls.push({ vins, ownedThen: vins.map((vin) => claims.partitionOf(vin) !== undefined) });
      return Promise.resolve();
    },
    now: () => wallMs,
  });
});

describe('PartitionClaims', () => {
  it('claims with the next epoch and starts at the persisted offset; caught up unless there is a backlog', async () => {
    store.partitions.set('vehicle.signals.v1/0', { epoch: 4, nextOffset: 10n });
    topics.high.set(0, 10n);
    topics.high.set(1, 3n);
    await claims.reassign([p0, p1]);
    const [a, b] = claims.list();
    expect(a).toMatchObject({ ref: p0, epoch: 5, checkpointOffset: 10n, processedOffset: 10n, caughtUp: true });
    // Its timer clock starts quiet at the claim, with no arrival known (the timers hold; see timer-clock.ts).
    expect(a).toMatchObject({ newestArrivalMs: 0, lastLiveMs: wallMs });
    expect(b).toMatchObject({ ref: p1, epoch: 1, checkpointOffset: 0n, processedOffset: 0n, caughtUp: false });
    expect(claims.status).toEqual({ partitions: 2, vehicles: 0, caughtUp: false });
  });

  it('loads the vehicles that map to the partition under today’s partition count, wherever written', async () => {
    topics.partitions = 2;
    const vins = Array.from({ length: 12 }, (_, i) => `VIN-${i}`);
    for (const vin of vins) store.states.set(vin, { topic: SIGNALS, state: {} });
    store.states.set('VIN-OTHER-TOPIC', { topic: 'other', state: {} });
    await claims.reassign([p0]);
    const mine = vins.filter((vin) => partitionOfKey(SIGNALS, vin, 2) === 0);
    expect(mine.length).toBeGreaterThan(0);
    expect(mine.length).toBeLessThan(vins.length);
    expect(vehicles.restored.sort()).toEqual(mine.sort());
    expect(claims.partitionOf(mine[0]!)?.ref).toEqual(p0);
  });

  it('starts a vehicle with invalid persisted state fresh; records restore-made transitions once owned', async () => {
    store.states.set('VIN-BAD', { topic: SIGNALS, state: 'garbage' });
    store.states.set('VIN-GONE-RULE', { topic: SIGNALS, state: 'rule-gone' });
    await claims.reassign([p0]);
    expect(claims.partitionOf('VIN-BAD')).toBeUndefined();
    expect(restoredCalls).toEqual([{ vins: ['VIN-GONE-RULE'], ownedThen: [true] }]);
  });

  it('releases a fenced partition once: counted, its vehicles forgotten', async () => {
    await claims.reassign([p0, p1]);
    const [a] = claims.list();
    claims.addVehicle(a!, 'VIN-A');
    claims.release(a!);
    claims.release(a!);
    expect(events.fences).toEqual([p0]);
    expect(vehicles.forgotten).toEqual(['VIN-A']);
    expect(claims.partitionOf('VIN-A')).toBeUndefined();
    expect(claims.list().map((p) => p.ref)).toEqual([p1]);
    const again = await claims.ownedOrClaimed(p0); // the next batch of it claims it again
    expect(again?.epoch).toBe(2);
  });

  it('drops every vehicle on a new assignment; a claim of an older assignment does not install itself', async () => {
    await claims.reassign([p0]);
    claims.addVehicle(claims.list()[0]!, 'VIN-A');
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const highWatermark = topics.highWatermark.bind(topics);
    topics.highWatermark = async (ref) => {
      if (ref.partition === 0) await gate;
      return highWatermark(ref);
    };
    const stale = claims.reassign([p0]);
    await claims.reassign([p1]);
    open();
    await stale;
    expect(vehicles.forgotten).toEqual(['VIN-A']);
    expect(claims.list().map((p) => p.ref)).toEqual([p1]);
  });

  it('starts the timer clock of a partition kept across a new assignment afresh: quiet from the claim', async () => {
    await claims.reassign([p0]);
    const before = claims.list()[0]!;
    before.newestArrivalMs = wallMs - 500;
    before.lastLiveMs = wallMs - 400;
    wallMs += 60_000;
    await claims.reassign([p0]); // revoked and assigned again: consumed again from its checkpoint
    expect(claims.list()[0]).toMatchObject({ ref: p0, newestArrivalMs: 0, lastLiveMs: wallMs });
  });
});
