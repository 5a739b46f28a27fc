// The assembled pipeline with in-memory stand-ins for PostgreSQL and Kafka: a failed checkpoint's vehicles in the
// next one, redelivery, fencing, a restart from a checkpoint, and shadow versions (recorded apart, never published,
// their state checkpointed with the live one). (Against the real services: test/diagnostics/.)
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { testLogger } from '@telltale/platform/testing';
import { BUNDLED_CATALOG_DIR, loadCatalog, type Catalog } from '@telltale/catalog';
import { compileRules } from '@telltale/rules';
import { DiagnosticsPipeline } from './diagnostics-pipeline.js';
import {
  MemoryAlerts,
  MemoryDeadLetters,
  MemoryDiagnosticsStore,
  MemoryTopics,
  recordingEvents,
  signalRecord,
  SIGNALS,
  T0,
} from './test-fakes.js';

let catalog: Catalog;
let speed: number;
beforeAll(async () => {
  catalog = await loadCatalog(join(BUNDLED_CATALOG_DIR, 'aurora-ev-2026'));
  speed = catalog.aliases.get('vehicleSpeed')!.id;
});

const record = (offset: number, vin: string, value: number, timeMs: number) =>
  signalRecord(catalog, offset, vin, { signalId: speed, value, timeMs });

async function start(store: MemoryDiagnosticsStore, shadows: readonly object[] = []) {
  const alerts = new MemoryAlerts();
  const commits: string[] = [];
  const pipeline = new DiagnosticsPipeline({
    partitionState: store,
    transitionStore: store,
    shadowStore: store,
    topics: new MemoryTopics(),
    publisher: alerts,
    deadLetters: new MemoryDeadLetters(),
    commitOffsets: (offsets) => {
      commits.push(...offsets.map((o) => `${o.partition}@${o.offset}`));
      return Promise.resolve();
    },
    fleetOf: () => 'fleet-a',
    events: recordingEvents(),
    log: testLogger(),
    owner: 'test',
    now: () => T0 + 100_000,
  });
  const { snapshot } = compileRules([{ id: 'fast', version: 1, condition: 'vehicleSpeed > 100' }], [catalog]);
  await pipeline.evaluator.setRules(snapshot);
  if (shadows.length > 0) await pipeline.evaluator.setShadowRules(compileRules(shadows, [catalog]).snapshot);
  pipeline.assign({ [SIGNALS]: [0] });
  return { pipeline, alerts, commits };
}

/** Version 2 of rule "fast", deployed as shadow: a lower threshold, and it waits 2 s before clearing. */
const SHADOW_V2 = {
  id: 'fast',
  version: 2,
  condition: 'vehicleSpeed > 80',
  clear: { condition: 'vehicleSpeed < 70', for: '2s' },
};

const batch = (records: ReturnType<typeof record>[]) => ({ topic: SIGNALS, partition: 0, records, lag: 0 });

describe('DiagnosticsPipeline', () => {
  it('persists in the next checkpoint the vehicles a failed checkpoint did not', async () => {
    const store = new MemoryDiagnosticsStore();
    const { pipeline, commits } = await start(store);
    await pipeline.evaluator.handleBatch(batch([record(0, 'VIN-A', 50, T0), record(1, 'VIN-B', 50, T0)]));
    store.failNextCheckpoint = true;
    await expect(pipeline.checkpoints.checkpoint()).rejects.toThrow('PostgreSQL went away');
    expect(commits).toEqual([]);
    await pipeline.evaluator.handleBatch(batch([record(2, 'VIN-A', 60, T0 + 1000)]));
    await pipeline.checkpoints.checkpoint();
    expect(store.checkpoints).toEqual([{ partition: 0, nextOffset: 3n, vins: ['VIN-A', 'VIN-B'] }]);
    expect(commits).toEqual(['0@3']);
  });

  it('records and publishes a transition once: a redelivered batch records nothing new', async () => {
    const store = new MemoryDiagnosticsStore();
    const { pipeline, alerts } = await start(store);
    await pipeline.evaluator.handleBatch(batch([record(0, 'VIN-A', 120, T0)]));
    expect(alerts.published.map((a) => a.state)).toEqual(['raised']);
    await pipeline.evaluator.handleBatch(batch([record(0, 'VIN-A', 120, T0)])); // redelivered
    expect(alerts.published).toHaveLength(1);
    expect(store.transitions.size).toBe(1);
    expect(store.unpublished()).toBe(0);
  });

  it('stops writing for a partition another instance claimed (fenced), and forgets its vehicles', async () => {
    const store = new MemoryDiagnosticsStore();
    const { pipeline, commits } = await start(store);
    await pipeline.evaluator.handleBatch(batch([record(0, 'VIN-A', 50, T0)]));
    store.steal({ topic: SIGNALS, partition: 0 });
    await pipeline.checkpoints.checkpoint();
    expect(store.checkpoints).toEqual([]);
    expect(commits).toEqual([]);
    expect(pipeline.status).toMatchObject({ partitions: 0, vehicles: 0 });
  });

  it('resumes from a checkpoint after a restart: skips what it holds, keeps the alert, repeats nothing', async () => {
    const store = new MemoryDiagnosticsStore();
    const first = await start(store);
    await first.pipeline.evaluator.handleBatch(batch([record(0, 'VIN-A', 120, T0), record(1, 'VIN-A', 130, T0 + 1)]));
    await first.pipeline.drain({ commitOffsets: true });
    expect(store.checkpoints).toEqual([{ partition: 0, nextOffset: 2n, vins: ['VIN-A'] }]);

    const second = await start(store); // a new instance: claims the partition and loads VIN-A's state
    await second.pipeline.evaluator.handleBatch(
      batch([record(0, 'VIN-A', 10, T0), record(1, 'VIN-A', 10, T0 + 1), record(2, 'VIN-A', 140, T0 + 2)]),
    );
    expect(second.alerts.published).toEqual([]); // offsets 0 and 1 skipped; the alert is still active
    expect(second.pipeline.status).toEqual({ partitions: 1, vehicles: 1, caughtUp: true });
    await second.pipeline.evaluator.handleBatch(batch([record(3, 'VIN-A', 10, T0 + 3)]));
    expect(second.alerts.published.map((a) => a.state)).toEqual(['cleared']);
  });

  it('records what a shadow version makes apart and publishes only the active version', async () => {
    const store = new MemoryDiagnosticsStore();
    const { pipeline, alerts } = await start(store, [SHADOW_V2]);
    await pipeline.evaluator.handleBatch(batch([record(0, 'VIN-A', 90, T0), record(1, 'VIN-A', 120, T0 + 1000)]));
    expect(alerts.published.map((a) => [a.ruleVersion, a.state])).toEqual([[1, 'raised']]);
    const shadow = [...store.shadowTransitions.values()];
    expect(shadow.map((t) => [t.ruleVersion, t.state, t.eventTimeMs])).toEqual([[2, 'raised', T0]]);
    expect(shadow[0]!.evidence[0]).toMatchObject({ value: 90, eventTimeMs: T0 });
    // Delays run on the shadow side too: its clear waits 2 s and fires at its own event time once later data comes.
    await pipeline.evaluator.handleBatch(batch([record(2, 'VIN-A', 50, T0 + 2000)]));
    expect(alerts.published.map((a) => a.state)).toEqual(['raised', 'cleared']);
    expect([...store.shadowTransitions.values()].map((t) => t.state)).toEqual(['raised']);
    await pipeline.evaluator.handleBatch(batch([record(3, 'VIN-A', 50, T0 + 4500)]));
    expect([...store.shadowTransitions.values()].map((t) => [t.state, t.eventTimeMs])).toEqual([
      ['raised', T0],
      ['cleared', T0 + 4000],
    ]);
    expect(alerts.published).toHaveLength(2);
    expect(alerts.published.every((a) => a.ruleVersion === 1)).toBe(true);
  });

  it("checkpoints the shadow's state with the live one: after a restart it neither repeats nor forgets", async () => {
    const store = new MemoryDiagnosticsStore();
    const first = await start(store, [SHADOW_V2]);
    await first.pipeline.evaluator.handleBatch(batch([record(0, 'VIN-A', 90, T0)]));
    await first.pipeline.drain({ commitOffsets: true });
    expect(store.states.get('VIN-A')!.state).toMatchObject({ format: 'live+shadow' });

    const second = await start(store, [SHADOW_V2]);
    // Redelivered from before the checkpoint (skipped), then new data: the shadow alert is still active.
    await second.pipeline.evaluator.handleBatch(batch([record(0, 'VIN-A', 90, T0), record(1, 'VIN-A', 95, T0 + 1)]));
    expect(second.pipeline.engine.ruleStatus('VIN-A', 'fast', 'shadow')).toMatchObject({ phase: 'active' });
    expect(store.shadowTransitions.size).toBe(1);
    await second.pipeline.evaluator.handleBatch(
      batch([record(2, 'VIN-A', 10, T0 + 2), record(3, 'VIN-A', 10, T0 + 3000)]),
    );
    expect([...store.shadowTransitions.values()].map((t) => [t.state, t.transitionSeq])).toEqual([
      ['raised', 1],
      ['cleared', 2],
    ]);
    expect(second.alerts.published).toEqual([]);
  });

  it('stopping the shadow clears its alerts in the shadow table and persists the vehicle without it', async () => {
    const store = new MemoryDiagnosticsStore();
    const { pipeline, alerts } = await start(store, [SHADOW_V2]);
    await pipeline.evaluator.handleBatch(batch([record(0, 'VIN-A', 90, T0)]));
    await pipeline.checkpoints.checkpoint();
    await pipeline.evaluator.setShadowRules(compileRules([], [catalog]).snapshot);
    const shadow = [...store.shadowTransitions.values()];
    expect(shadow.map((t) => [t.state, t.reason])).toEqual([
      ['raised', 'condition'],
      ['cleared', 'rule-removed'],
    ]);
    await pipeline.checkpoints.checkpoint();
    expect(store.states.get('VIN-A')!.state).toMatchObject({ format: 1, vin: 'VIN-A' });
    expect(alerts.published).toEqual([]);
  });
});
