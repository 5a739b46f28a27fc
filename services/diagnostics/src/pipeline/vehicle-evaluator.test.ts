// VehicleEvaluator with the real rule engine and small fakes for ownership, outbox and dead letters.
import { join } from 'node:path';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BUNDLED_CATALOG_DIR, loadCatalog, type Catalog } from '@telltale/catalog';
import { compileRules, RuleEngine, type AlertTransition } from '@telltale/rules';
import type { OwnedPartition } from './partition-claims.js';
import type { SignalRecord } from './records.js';
import { SerialWork } from './serial-work.js';
import { MemoryDeadLetters, recordingEvents, signalRecord, SIGNALS, T0 } from './test-fakes.js';
import { VehicleEvaluator, type EvaluationOwnership, type TransitionRecorder } from './vehicle-evaluator.js';

let catalog: Catalog;
let speed: number;
beforeAll(async () => {
  catalog = await loadCatalog(join(BUNDLED_CATALOG_DIR, 'aurora-ev-2026'));
  speed = catalog.aliases.get('vehicleSpeed')!.id;
});

class OnePartition implements EvaluationOwnership {
  owned: OwnedPartition | undefined = {
    ref: { topic: SIGNALS, partition: 0 },
    epoch: 1,
    checkpointOffset: 0n,
    processedOffset: 0n,
    caughtUp: false,
    vins: new Set(),
  };
  ownedOrClaimed(): Promise<OwnedPartition | undefined> {
    return Promise.resolve(this.owned);
  }
  addVehicle(partition: OwnedPartition, vin: string): void {
    partition.vins.add(vin);
  }
  list(): OwnedPartition[] {
    return this.owned === undefined ? [] : [this.owned];
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

let ownership: OnePartition;
let outbox: RecordingOutbox;
let deadLetters: MemoryDeadLetters;
let events: ReturnType<typeof recordingEvents>;
let clock: number;
let evaluator: VehicleEvaluator;

beforeEach(async () => {
  ownership = new OnePartition();
  outbox = new RecordingOutbox();
  deadLetters = new MemoryDeadLetters();
  events = recordingEvents();
  clock = T0 + 250;
  evaluator = new VehicleEvaluator({
    work: new SerialWork(),
    engine: new RuleEngine({ silenceGraceMs: 2000, maxFutureMs: 60_000 }),
    ownership,
    outbox,
    deadLetters,
    fleetOf: () => 'fleet-a',
    events,
    now: () => clock,
  });
  const rules = [
    { id: 'fast', version: 1, condition: 'vehicleSpeed > 100' },
    { id: 'sustained', version: 1, condition: 'vehicleSpeed > 100', for: '5s' },
  ];
  const { snapshot, problems } = compileRules(rules, [catalog]);
  expect(problems).toEqual([]);
  await evaluator.setRules(snapshot);
  outbox.calls.length = 0; // setRules recorded no transition (nothing was active)
});

const speedAt = (offset: number, vin: string, value: number, timeMs: number, receivedMs = timeMs): SignalRecord =>
  signalRecord(catalog, offset, vin, { signalId: speed, value, timeMs, receivedMs });
const batch = (records: SignalRecord[], lag = 0) => ({ topic: SIGNALS, partition: 0, records, lag });

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

  it('fires timers with no new data, on the wall clock once caught up', async () => {
    await evaluator.handleBatch(batch([speedAt(0, 'VIN-A', 120, T0)]));
    expect(outbox.states()).toEqual(['fast:raised']);
    clock = T0 + 20_000;
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
