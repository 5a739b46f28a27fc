/**
 * Hot reload of feature sets and active fault models: polls feature_sets_version (one cheap query) every
 * `checkIntervalMs` and, when it moved, reads the active snapshot and hands it to `onChange`. A change committed in
 * PostgreSQL is live within one interval (default 500 ms). `onChange` failing (e.g. a definition that no longer
 * compiles) keeps the previous snapshot and retries at the next change.
 */
import type { Logger } from '@telltale/platform';
import type { ActiveFeatures, PgFeatureStore } from './pg-feature-store.js';

export interface FeatureReloaderOptions {
  readonly store: Pick<PgFeatureStore, 'changeVersion' | 'active'>;
  readonly log: Logger;
  readonly checkIntervalMs: number;
  readonly onChange: (active: ActiveFeatures) => void | Promise<void>;
}

export class FeatureReloader {
  private timer: NodeJS.Timeout | undefined;
  private loadedVersion: number | undefined;
  private running = false;

  constructor(private readonly options: FeatureReloaderOptions) {}

  get lastLoadedVersion(): number | undefined {
    return this.loadedVersion;
  }

  /** Loads once (failing loudly if the store is unreachable), then polls. */
  async start(): Promise<void> {
    await this.load();
    this.timer = setInterval(() => void this.check(), this.options.checkIntervalMs);
    this.timer.unref();
  }

  stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    return Promise.resolve();
  }

  /** Compares the store version and reloads when it moved. */
  async check(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      const version = await this.options.store.changeVersion();
      if (version !== this.loadedVersion) await this.load();
    } catch (err) {
      this.options.log.warn({ err }, 'Feature set reload failed; keeping the previous feature sets.');
    } finally {
      this.running = false;
    }
  }

  private async load(): Promise<void> {
    const active = await this.options.store.active();
    await this.options.onChange(active);
    this.loadedVersion = active.version;
    this.options.log.info(
      { version: active.version, sets: active.sets.length, models: active.models.length },
      'Feature sets loaded.',
    );
  }
}
