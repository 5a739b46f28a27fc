// ShadowedRuleEngine: the shadow side keeps its own state and timers, persists with the live state, and is dropped
// when no shadow version is left.
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BUNDLED_CATALOG_DIR, loadCatalog, type Catalog } from '@telltale/catalog';
import { compileRules, type SampleBatch } from '@telltale/rules';
import { ShadowedRuleEngine } from './shadowed-engine.js';

const T0 = 1_700_000_000_000;
let catalog: Catalog;
let speed: number;
beforeAll(async () => {
  catalog = await loadCatalog(join(BUNDLED_CATALOG_DIR, 'aurora-ev-2026'));
  speed = catalog.aliases.get('vehicleSpeed')!.id;
});

const batch = (value: number, timeMs: number): SampleBatch => ({
  vin: 'VIN-A',
  modelId: catalog.modelId,
  fleetId: 'fleet-a',
  signalIds: [speed],
  values: [value],
  timesMs: [timeMs],
  arrivalTimeMs: timeMs,
});

function engineWithShadow(): ShadowedRuleEngine {
  const engine = new ShadowedRuleEngine({ silenceGraceMs: 0 });
  engine.setRules(compileRules([{ id: 'fast', version: 1, condition: 'vehicleSpeed > 100' }], [catalog]).snapshot);
  engine.setShadowRules(
    compileRules([{ id: 'fast', version: 2, condition: 'vehicleSpeed > 80', for: '5s' }], [catalog]).snapshot,
  );
  return engine;
}

describe('ShadowedRuleEngine', () => {
  it("keeps the shadow version's transitions out of the live result; its timer fires on the same clock", () => {
    const engine = engineWithShadow();
    expect(engine.ingest(batch(90, T0)).transitions).toEqual([]);
    expect(engine.drainShadow()).toEqual([]); // `for` 5s pending
    expect(engine.advance(T0 + 6000)).toEqual([]);
    const shadow = engine.drainShadow();
    expect(shadow.map((t) => [t.ruleVersion, t.state, t.eventTimeMs, t.timer])).toEqual([
      [2, 'raised', T0 + 5000, true],
    ]);
    expect(engine.ruleStatus('VIN-A', 'fast')).toMatchObject({ phase: 'idle' });
  });

  it("moves both sides' clocks for the vehicles named only (one partition's, given once as any iterable)", () => {
    const engine = engineWithShadow();
    engine.ingest(batch(90, T0));
    engine.ingest({ ...batch(90, T0), vin: 'VIN-B' });
    function* partitionVins(): Generator<string> {
      yield 'VIN-B';
    }
    expect(engine.advance(T0 + 6000, partitionVins())).toEqual([]);
    expect(engine.drainShadow().map((t) => [t.vin, t.state])).toEqual([['VIN-B', 'raised']]);
    expect(engine.ruleStatus('VIN-A', 'fast', 'shadow')).toMatchObject({ phase: 'pending' });
  });

  it('persists both sides in one state and restores them; a malformed shadow part restores nothing', () => {
    const engine = engineWithShadow();
    engine.ingest(batch(90, T0));
    const state = JSON.parse(JSON.stringify(engine.snapshotState('VIN-A'))) as { format: string; live: unknown };
    expect(state.format).toBe('live+shadow');
    const restored = engineWithShadow();
    expect(restored.restoreState('VIN-A', state)).toEqual([]);
    expect(restored.ruleStatus('VIN-A', 'fast', 'shadow')).toMatchObject({
      phase: 'pending',
      nextDeadlineMs: T0 + 5000,
    });
    const fresh = engineWithShadow();
    expect(() => fresh.restoreState('VIN-A', { ...state, shadow: { format: 99 } })).toThrow();
    expect(fresh.snapshotState('VIN-A')).toBeUndefined();
    // A plain (live-only) state, as written before any shadow existed, restores the live side.
    expect(fresh.restoreState('VIN-A', state.live)).toEqual([]);
    expect(fresh.snapshotState('VIN-A')).toMatchObject({ format: 1 });
  });

  it('drops the shadow side when the last shadow version stops, and persists the vehicle without it', () => {
    const engine = engineWithShadow();
    engine.ingest(batch(90, T0));
    engine.drainChanged();
    engine.setShadowRules(compileRules([], [catalog]).snapshot);
    expect(engine.shadowActive).toBe(false);
    expect(engine.drainChanged()).toEqual(['VIN-A']);
    expect(engine.snapshotState('VIN-A')).toMatchObject({ format: 1 });
    engine.ingest(batch(95, T0 + 10_000));
    expect(engine.drainShadow()).toEqual([]);
  });
});
