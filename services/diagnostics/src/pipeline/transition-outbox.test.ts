// TransitionOutbox with an in-memory store and publisher: recorded before published, once; fencing; the relay.
import { beforeEach, describe, expect, it } from 'vitest';
import { alertId, type AlertTransition } from '@telltale/rules';
import type { OwnedPartition } from './partition-claims.js';
import { SerialWork } from './serial-work.js';
import { MemoryAlerts, MemoryDiagnosticsStore, ownedPartition, recordingEvents, SIGNALS, T0 } from './test-fakes.js';
import { TransitionOutbox, type VehicleOwnership } from './transition-outbox.js';

function transition(vin: string, seq: number): AlertTransition {
  return {
    alertId: alertId(vin, 'fast', T0),
    transitionSeq: seq,
    vin,
    fleetId: 'fleet-a',
    modelId: 'aurora-ev-2026',
    catalogVersion: '1.0.0',
    ruleId: 'fast',
    ruleVersion: 1,
    ruleName: 'fast',
    state: seq === 1 ? 'raised' : 'cleared',
    severity: 'warning',
    previousSeverity: null,
    eventTimeMs: T0,
    episodeStartMs: T0,
    evidence: [],
    message: 'fast',
    backfill: false,
    timer: false,
    reason: 'condition',
  };
}

class FakeOwnership implements VehicleOwnership {
  readonly vehicles = new Map<string, OwnedPartition>();
  readonly released: OwnedPartition[] = [];
  partitionOf(vin: string): OwnedPartition | undefined {
    return this.vehicles.get(vin);
  }
  release(partition: OwnedPartition): void {
    this.released.push(partition);
  }
}

let store: MemoryDiagnosticsStore;
let alerts: MemoryAlerts;
let ownership: FakeOwnership;
let work: SerialWork;
let clock: number;
let outbox: TransitionOutbox;

beforeEach(() => {
  store = new MemoryDiagnosticsStore();
  alerts = new MemoryAlerts();
  ownership = new FakeOwnership();
  work = new SerialWork();
  clock = T0 + 1000;
  outbox = new TransitionOutbox({
    work,
    ownership,
    store,
    publisher: alerts,
    events: recordingEvents(),
    now: () => clock,
  });
});

async function own(partition: number, vins: string[]): Promise<OwnedPartition> {
  const { epoch } = await store.claimPartition({ topic: SIGNALS, partition }, 'test');
  const owned = ownedPartition(partition, epoch, vins);
  for (const vin of vins) ownership.vehicles.set(vin, owned);
  return owned;
}

describe('TransitionOutbox', () => {
  it('records, then publishes only the new transitions with the emit time, and marks them published', async () => {
    await own(0, ['VIN-A']);
    const first = await outbox.record([transition('VIN-A', 1)]);
    expect(first).toHaveLength(1);
    expect(alerts.published).toMatchObject([{ vin: 'VIN-A', transitionSeq: 1, origin: 'rule', emitTimeMs: clock }]);
    expect(store.unpublished()).toBe(0);
    const again = await outbox.record([transition('VIN-A', 1), transition('VIN-A', 2)]); // a replay, then news
    expect(again.map((t) => t.transitionSeq)).toEqual([2]);
    expect(alerts.published.map((e) => e.transitionSeq)).toEqual([1, 2]);
  });

  it('writes nothing for a fenced partition, releasing it after the current work; the others go on', async () => {
    const fenced = await own(0, ['VIN-A']);
    await own(1, ['VIN-BB']);
    store.steal(fenced.ref);
    const published = await work.run(() => outbox.record([transition('VIN-A', 1), transition('VIN-BB', 1)]));
    expect(published.map((t) => t.vin)).toEqual(['VIN-BB']);
    expect(alerts.published.map((e) => e.vin)).toEqual(['VIN-BB']);
    await work.idle();
    expect(ownership.released).toEqual([fenced]);
  });

  it('drops transitions of vehicles this instance does not own any more', async () => {
    expect(await outbox.record([transition('VIN-GONE', 1)])).toEqual([]);
    expect(store.transitions.size).toBe(0);
    expect(alerts.published).toEqual([]);
  });

  it('republishes what was recorded but not published, page by page', async () => {
    const owned = await own(0, []);
    const stranded = Array.from({ length: 1203 }, (_, i) => ({ ...transition('VIN-A', i + 1), alertId: `a-${i}` }));
    await store.recordTransitions(owned.ref, owned.epoch, stranded, T0);
    clock = T0 + 20_000;
    expect(await outbox.republish(10_000)).toBe(1203);
    expect(alerts.published).toHaveLength(1203);
    expect(store.unpublished()).toBe(0);
    expect(await outbox.republish(10_000)).toBe(0);
  });

  it('leaves recent unpublished transitions to their own publish', async () => {
    const owned = await own(0, []);
    await store.recordTransitions(owned.ref, owned.epoch, [transition('VIN-A', 1)], clock - 5000);
    expect(await outbox.republish(10_000)).toBe(0);
    expect(await outbox.republish(0)).toBe(1);
  });
});
