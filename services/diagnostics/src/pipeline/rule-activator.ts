/**
 * Compiles the enabled rules against the newest catalog of every model and swaps them into the engine whole; again
 * when a new model or catalog version appears. A rule with an error is left out (logged); the others run. Without
 * any catalog nothing is swapped: every rule would fail to compile and swapping in nothing would clear every alert.
 * The versions deployed as shadow are compiled the same way into a snapshot of their own, swapped into the shadow
 * side of the engine.
 */
import type { Logger } from '@telltale/platform';
import { compileRules, formatRuleProblem, type RuleCatalog, type RuleSnapshot } from '@telltale/rules';

export interface CatalogSource {
  /** The newest catalog of each vehicle model (rescans the catalog directory). */
  latestPerModel(): Promise<readonly { readonly catalog: RuleCatalog }[]>;
}

export interface RuleTarget {
  setRules(snapshot: RuleSnapshot): Promise<void>;
  setShadowRules(snapshot: RuleSnapshot): Promise<void>;
}

export class RuleActivator {
  private definitions: readonly unknown[] = [];
  private shadows: readonly unknown[] = [];
  private catalogs: RuleCatalog[] = [];
  private catalogKey = '';
  private pending: Promise<void> = Promise.resolve();

  constructor(
    private readonly library: CatalogSource,
    private readonly target: RuleTarget,
    private readonly log: Logger,
  ) {}

  /** New rule definitions from the store (version: the store's rules_version), and the shadow versions'. */
  update(definitions: readonly unknown[], version: number, shadows: readonly unknown[] = []): void {
    this.definitions = definitions;
    this.shadows = shadows;
    void this.enqueue(async () => {
      if (this.catalogs.length === 0) await this.loadCatalogs();
      await this.apply(version);
    });
  }

  rescanCatalogs(): Promise<void> {
    return this.enqueue(async () => {
      if (await this.loadCatalogs()) await this.apply(undefined);
    });
  }

  /** Resolves once the updates so far are applied (or failed, logged). */
  settled(): Promise<void> {
    return this.pending;
  }

  private enqueue(work: () => Promise<void>): Promise<void> {
    this.pending = this.pending
      .then(work)
      .catch((err: unknown) => this.log.error({ err }, 'Applying rules failed; the previous rules stay active.'));
    return this.pending;
  }

  /** True when the set of catalogs changed. */
  private async loadCatalogs(): Promise<boolean> {
    const compiled = await this.library.latestPerModel();
    const key = compiled
      .map((c) => `${c.catalog.modelId}@${c.catalog.catalogVersion}`)
      .sort()
      .join(',');
    if (key === this.catalogKey) return false;
    this.catalogKey = key;
    this.catalogs = compiled.map((c) => c.catalog);
    return true;
  }

  private async apply(version: number | undefined): Promise<void> {
    if (this.catalogs.length === 0) {
      this.log.error(
        { storeVersion: version },
        'No vehicle model catalog could be loaded (CATALOG_DIR); rules not applied, the previous ones stay active.',
      );
      return;
    }
    await this.target.setRules(this.compile(this.definitions, 'Rule'));
    await this.target.setShadowRules(this.compile(this.shadows, 'Shadow version'));
    this.log.info(
      { rules: this.definitions.length, shadows: this.shadows.length, storeVersion: version, models: this.catalogKey },
      'Rules active.',
    );
  }

  private compile(definitions: readonly unknown[], what: string): RuleSnapshot {
    const { snapshot, problems } = compileRules(definitions, this.catalogs);
    for (const problem of problems) {
      const line = formatRuleProblem(problem);
      if (problem.severity === 'error')
        this.log.error({ code: problem.code, rule: problem.ruleId }, `${what} left out: ${line}`);
      else this.log.warn({ code: problem.code, rule: problem.ruleId }, line);
    }
    return snapshot;
  }
}
