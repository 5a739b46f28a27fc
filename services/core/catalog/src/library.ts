/**
 * The vehicle models on disk (CATALOG_DIR): every directory up to two levels deep holding a manifest.json is one
 * (model id, catalog version). Catalogs are loaded and compiled on first use and kept; a (model, version) that is
 * not known triggers a rescan (at most every `rescanIntervalMs`), so a new model or catalog version dropped into
 * the directory becomes active without a restart. A version's content is immutable: publish changes as a new version.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { compileCatalog, type CompiledCatalog } from './compile.js';
import { MANIFEST_FILE } from './build.js';
import { parseManifest } from './manifest.js';
import { loadCatalog } from './load.js';

/** The models shipped in this repository (signal-catalog/), the default CATALOG_DIR. */
export const BUNDLED_CATALOG_DIR = join(dirname(fileURLToPath(import.meta.url)), '../../../../signal-catalog');

export type CatalogLookup =
  | { readonly ok: true; readonly catalog: CompiledCatalog }
  | { readonly ok: false; readonly reason: 'CATALOG_NOT_FOUND' | 'CATALOG_INVALID'; readonly detail: string };

const key = (modelId: string, version: string): string => `${modelId}@${version}`;

export class CatalogLibrary {
  private dirs = new Map<string, string>();
  private readonly compiled = new Map<string, Promise<CatalogLookup>>();
  private lastScan = 0;

  constructor(
    private readonly root: string,
    private readonly log: Logger,
    private readonly rescanIntervalMs = 5000,
  ) {}

  get known(): readonly string[] {
    return [...this.dirs.keys()];
  }

  async scan(): Promise<void> {
    this.lastScan = Date.now();
    const found = new Map<string, string>();
    const visit = async (dir: string, depth: number): Promise<void> => {
      let entries: string[];
      try {
        entries = await readdir(dir);
      } catch {
        return;
      }
      if (entries.includes(MANIFEST_FILE)) {
        try {
          const manifest = parseManifest(await readFile(join(dir, MANIFEST_FILE), 'utf8'));
          found.set(key(manifest.modelId, manifest.catalogVersion), dir);
        } catch (err) {
          this.log.warn({ err, dir }, 'Skipping a model directory with an invalid manifest.');
        }
        return;
      }
      if (depth === 0) return;
      await Promise.all(
        entries.map(async (name) => {
          const path = join(dir, name);
          if ((await stat(path).catch(() => undefined))?.isDirectory()) await visit(path, depth - 1);
        }),
      );
    };
    await visit(this.root, 2);
    const added = [...found.keys()].filter((k) => !this.dirs.has(k));
    this.dirs = found;
    if (added.length > 0) this.log.info({ added, root: this.root }, 'Vehicle model catalogs found.');
  }

  /**
   * The newest version of every model's catalog (digit runs compare as numbers: `2026.10` > `2026.9`), for
   * work that is per model rather than per version (rules: signal ids are stable across a model's versions).
   * Rescans the directory; a catalog that fails to load is skipped (the log says why).
   */
  async latestPerModel(): Promise<CompiledCatalog[]> {
    await this.scan();
    const newest = new Map<string, string>();
    for (const k of this.dirs.keys()) {
      const at = k.lastIndexOf('@');
      const model = k.slice(0, at);
      const version = k.slice(at + 1);
      const current = newest.get(model);
      if (current === undefined || compareVersions(version, current) > 0) newest.set(model, version);
    }
    const found = await Promise.all([...newest].map(([model, version]) => this.get(model, version)));
    return found.flatMap((lookup) => (lookup.ok ? [lookup.catalog] : []));
  }

  /** The compiled catalog of (model, version); loads and compiles it on first use. */
  async get(modelId: string, version: string): Promise<CatalogLookup> {
    const k = key(modelId, version);
    const cached = this.compiled.get(k);
    if (cached) return cached;
    if (!this.dirs.has(k) && Date.now() - this.lastScan >= this.rescanIntervalMs) await this.scan();
    const dir = this.dirs.get(k);
    if (dir === undefined) {
      return {
        ok: false,
        reason: 'CATALOG_NOT_FOUND',
        detail: `no catalog for model ${modelId} version ${version} under ${this.root}`,
      };
    }
    const loading = this.load(dir, k);
    this.compiled.set(k, loading);
    return loading;
  }

  private async load(dir: string, k: string): Promise<CatalogLookup> {
    const started = Date.now();
    try {
      const catalog = compileCatalog(await loadCatalog(dir));
      this.log.info(
        { catalog: k, signals: catalog.catalog.signalCount, ms: Date.now() - started },
        'Catalog compiled.',
      );
      return { ok: true, catalog };
    } catch (err) {
      this.log.error({ err, catalog: k, dir }, "Catalog failed to load; its vehicles' batches are dead-lettered.");
      return { ok: false, reason: 'CATALOG_INVALID', detail: (err as Error).message };
    }
  }
}

/** Orders catalog versions; runs of digits compare as numbers (`2026.10` after `2026.9`). */
function compareVersions(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}
