// The assembled pipeline with in-memory stand-ins for PostgreSQL and Kafka: a failed checkpoint's vehicles in the
// next one, redelivery, fencing, and a restart from a checkpoint. (Against the real services: test/diagnostics/.)
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

async function start(store: MemoryDiagnosticsStore) {
  const alerts = new MemoryAlerts();
  const commits: string[] = [];
  const pipeline = new DiagnosticsPipeline({
    partitionState: store,
    transitionStore: store,
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
  pipeline.assign({ [SIGNALS]: [0] });
  return { pipeline, alerts, commits };
}

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
});
