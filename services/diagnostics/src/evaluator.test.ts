// The evaluator with in-memory stand-ins for PostgreSQL and Kafka: checkpoints after a failed write, skipping records
// below the checkpoint, fencing. (Against the real services: test/diagnostics/.)
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { KafkaMessage } from 'kafkajs';
import pino from 'pino';
import { encodeSignalBatch } from '@telltale/platform/proto';
import { BUNDLED_CATALOG_DIR, loadCatalog, type Catalog } from '@telltale/catalog';
import { compileRules } from '@telltale/rules';
import type { PgDiagnosticsStore, VehicleStateRow } from './adapters/pg-diagnostics-store.js';
import { DiagnosticsEvaluator, type DiagnosticsEvents } from './evaluator.js';

const TOPIC = 'vehicle.signals.v1';
let catalog: Catalog;
let speed: number;
beforeAll(async () => {
  catalog = await loadCatalog(join(BUNDLED_CATALOG_DIR, 'aurora-ev-2026'));
  speed = catalog.aliases.get('vehicleSpeed')!.id;
});

class MemoryStore {
  epoch = 1;
  failNextCheckpoint = false;
  readonly checkpoints: { nextOffset: bigint; vins: string[] }[] = [];
  readonly recorded: string[] = [];

  claimPartition() {
    return Promise.resolve({ epoch: this.epoch, nextOffset: null });
  }
  loadStates() {
    return Promise.resolve([]);
  }
  checkpoint(_ref: unknown, epoch: number, nextOffset: bigint, states: readonly VehicleStateRow[]) {
    if (this.failNextCheckpoint) {
      this.failNextCheckpoint = false;
      return Promise.reject(new Error('PostgreSQL went away'));
    }
    if (epoch !== this.epoch) return Promise.resolve(false);
    this.checkpoints.push({ nextOffset, vins: states.map((s) => s.vin).sort() });
    return Promise.resolve(true);
  }
  recordTransitions(_ref: unknown, epoch: number, transitions: readonly { alertId: string; transitionSeq: number }[]) {
    if (epoch !== this.epoch) return Promise.resolve(undefined);
    const fresh = transitions.filter((t) => !this.recorded.includes(`${t.alertId}/${t.transitionSeq}`));
    this.recorded.push(...fresh.map((t) => `${t.alertId}/${t.transitionSeq}`));
    return Promise.resolve(fresh);
  }
  markPublished() {
    return Promise.resolve();
  }
  relay() {
    return Promise.resolve(0);
  }
}

const quiet: DiagnosticsEvents = {
  batch: () => undefined,
  transitions: () => undefined,
  alertLatency: () => undefined,
  rejected: () => undefined,
  fenced: () => undefined,
  checkpoint: () => undefined,
  dropped: () => undefined,
};

function record(offset: number, vin: string, value: number, timeMs: number): KafkaMessage {
  const bytes = encodeSignalBatch(
    {
      vin,
      modelId: catalog.modelId,
      catalogVersion: catalog.catalogVersion,
      baseTimeMsEpoch: timeMs,
      source: { gatewayReceiveTimeMsEpoch: timeMs },
    },
    { signalId: Uint32Array.of(speed), value: Float64Array.of(value), timeOffsetMs: Uint32Array.of(0) },
  );
  return {
    key: Buffer.from(vin),
    value: Buffer.from(bytes),
    offset: String(offset),
    timestamp: String(timeMs),
    attributes: 0,
    headers: {},
  };
}

async function evaluator(store: MemoryStore) {
  const published: string[] = [];
  const e = new DiagnosticsEvaluator({
    store: store as unknown as PgDiagnosticsStore,
    publish: (messages) => {
      published.push(
        ...messages.map(
          (m) => `${String(m.headers!['telltale-alert-id'])}/${String(m.headers!['telltale-transition-seq'])}`,
        ),
      );
      return Promise.resolve();
    },
    deadLetter: () => Promise.resolve(),
    commitOffsets: () => Promise.resolve(),
    highWatermark: () => Promise.resolve(0n),
    partitionCount: () => Promise.resolve(1),
    fleetOf: () => 'fleet-a',
    events: quiet,
    log: pino({ level: 'silent' }),
    owner: 'test',
    now: () => 1_700_000_100_000,
  });
  const { snapshot } = compileRules([{ id: 'fast', version: 1, condition: 'vehicleSpeed > 100' }], [catalog]);
  await e.setRules(snapshot);
  e.assign({ [TOPIC]: [0] });
  return { e, published };
}

describe('DiagnosticsEvaluator', () => {
  it('persists in the next checkpoint the vehicles a failed checkpoint did not', async () => {
    const store = new MemoryStore();
    const { e } = await evaluator(store);
    const t = 1_700_000_000_000;
    await e.handleBatch(TOPIC, 0, [record(0, 'VIN-A', 50, t), record(1, 'VIN-B', 50, t)], 0);
    store.failNextCheckpoint = true;
    await expect(e.checkpoint()).rejects.toThrow('PostgreSQL went away');
    await e.handleBatch(TOPIC, 0, [record(2, 'VIN-A', 60, t + 1000)], 0);
    await e.checkpoint();
    expect(store.checkpoints).toEqual([{ nextOffset: 3n, vins: ['VIN-A', 'VIN-B'] }]);
  });

  it('records and publishes a transition once, and skips records below the checkpoint after a re-claim', async () => {
    const store = new MemoryStore();
    const { e, published } = await evaluator(store);
    const t = 1_700_000_000_000;
    await e.handleBatch(TOPIC, 0, [record(0, 'VIN-A', 120, t)], 0);
    expect(published).toHaveLength(1);
    await e.handleBatch(TOPIC, 0, [record(0, 'VIN-A', 120, t)], 0); // redelivered: nothing new
    expect(published).toHaveLength(1);
    expect(store.recorded).toHaveLength(1);
  });

  it('stops writing for a partition another instance claimed (fenced), and forgets its vehicles', async () => {
    const store = new MemoryStore();
    const { e } = await evaluator(store);
    await e.handleBatch(TOPIC, 0, [record(0, 'VIN-A', 50, 1_700_000_000_000)], 0);
    store.epoch = 2; // someone else claimed partition 0
    await e.checkpoint();
    expect(store.checkpoints).toEqual([]);
    expect(e.status).toMatchObject({ partitions: 0, vehicles: 0 });
  });
});
