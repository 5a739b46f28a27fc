// RuleActivator with a fake catalog source and engine: what gets swapped in, and when nothing is.
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { testLogger } from '@telltale/platform/testing';
import { BUNDLED_CATALOG_DIR, loadCatalog, type Catalog } from '@telltale/catalog';
import type { RuleSnapshot } from '@telltale/rules';
import { RuleActivator, type CatalogSource, type RuleTarget } from './rule-activator.js';

let aurora: Catalog;
beforeAll(async () => {
  aurora = await loadCatalog(join(BUNDLED_CATALOG_DIR, 'aurora-ev-2026'));
});

class FakeCatalogs implements CatalogSource {
  catalogs: Catalog[] = [];
  scans = 0;
  latestPerModel(): Promise<{ catalog: Catalog }[]> {
    this.scans += 1;
    return Promise.resolve(this.catalogs.map((catalog) => ({ catalog })));
  }
}

class FakeTarget implements RuleTarget {
  readonly swaps: RuleSnapshot[] = [];
  readonly shadowSwaps: RuleSnapshot[] = [];
  setRules(snapshot: RuleSnapshot): Promise<void> {
    this.swaps.push(snapshot);
    return Promise.resolve();
  }
  setShadowRules(snapshot: RuleSnapshot): Promise<void> {
    this.shadowSwaps.push(snapshot);
    return Promise.resolve();
  }
}

const rules = [
  { id: 'fast', version: 1, condition: 'vehicleSpeed > 100' },
  { id: 'broken', version: 1, condition: 'noSuchSignal > 1' },
];

describe('RuleActivator', () => {
  it('swaps in the rules that compile against the newest catalogs, leaving out the broken one', async () => {
    const catalogs = new FakeCatalogs();
    catalogs.catalogs = [aurora];
    const target = new FakeTarget();
    const activator = new RuleActivator(catalogs, target, testLogger());
    activator.update(rules, 3);
    await activator.settled();
    expect(target.swaps).toHaveLength(1);
    const ids = target.swaps[0]!.models.get(aurora.modelId)!.rules.map((r) => r.id);
    expect(ids).toEqual(['fast']);
  });

  it('compiles the shadow versions into a snapshot of their own', async () => {
    const catalogs = new FakeCatalogs();
    catalogs.catalogs = [aurora];
    const target = new FakeTarget();
    const activator = new RuleActivator(catalogs, target, testLogger());
    activator.update([rules[0]!], 4, [{ id: 'fast', version: 2, condition: 'vehicleSpeed > 120' }, rules[1]!]);
    await activator.settled();
    const live = target.swaps[0]!.models.get(aurora.modelId)!.rules;
    const shadow = target.shadowSwaps[0]!.models.get(aurora.modelId)!.rules;
    expect(live.map((r) => [r.id, r.version])).toEqual([['fast', 1]]);
    expect(shadow.map((r) => [r.id, r.version])).toEqual([['fast', 2]]);
  });

  it('swaps nothing without any catalog (it would clear every alert), and applies once a catalog appears', async () => {
    const catalogs = new FakeCatalogs();
    const target = new FakeTarget();
    const activator = new RuleActivator(catalogs, target, testLogger());
    activator.update(rules, 1);
    await activator.settled();
    expect(target.swaps).toEqual([]);
    await activator.rescanCatalogs();
    expect(target.swaps).toEqual([]); // still none
    catalogs.catalogs = [aurora];
    await activator.rescanCatalogs();
    expect(target.swaps).toHaveLength(1);
    await activator.rescanCatalogs(); // unchanged catalogs: nothing to recompile
    expect(target.swaps).toHaveLength(1);
    expect(catalogs.scans).toBe(4);
  });
});
