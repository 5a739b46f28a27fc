/**
 * Compaction and retention, one instance at a time (a PostgreSQL advisory lock).
 *
 * Compaction: an hour that ended more than `compactAfterMs` ago and has several files (or one without a rollup) is
 * merged into one sorted file (c-<hash of the inputs>.parquet, published like any file) and its per-second rollup
 * (c-<hash>.rollup, published before the swap), then the manifest swaps the inputs for the merged file and its
 * rollup in one transaction (one row), queueing the inputs and their rollups for deletion; they are deleted after
 * the commit. A crash leaves either the old files listed (the merged file and rollup are unlisted leftovers,
 * deleted when the hour is compacted again) or the merged file listed with its rollup (the old files wait in the
 * deletion queue): a reader never sees a rollup without its file or the reverse. Readers that go by the manifest
 * never see a row twice; a reader of the raw directory can, until the queue is drained, so it should read through
 * the manifest (as `telltale history export` does) or hours older than the compaction delay plus one pass.
 *
 * Retention: days older than `retentionDays` leave the manifest (their files and rollups queued for deletion) in one
 * transaction, then the files are deleted and empty directories removed.
 */
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import {
  DAY_MS,
  compactedFileName,
  isCompactedFileName,
  isRollupFileName,
  partitionDir,
  rollupFileName,
  temporaryName,
} from '../domain/layout.js';
import type { HourToCompact, ManifestFile } from '../adapters/pg-manifest.js';

export interface CompactionManifest {
  hoursToCompact(endedBeforeMs: number, limit: number): Promise<HourToCompact[]>;
  swapCompacted(inputs: readonly ManifestFile[], merged: ManifestFile, sourceFiles: number): Promise<boolean>;
  sourceFileCount(paths: readonly string[]): Promise<number>;
  listed(paths: readonly string[]): Promise<Set<string>>;
  dropBefore(beforeDate: string, cutoffMs: number): Promise<string[]>;
  pendingDeletes(): Promise<string[]>;
  clearPendingDeletes(paths: readonly string[]): Promise<void>;
  withExclusiveLock<T>(name: string, work: () => Promise<T>): Promise<T | undefined>;
}

export interface CompactionFiles {
  merge(inputs: readonly string[], path: string): Promise<number>;
  /** Writes the per-second rollup of the file at `dataPath` to `path`. */
  rollup(dataPath: string, path: string): Promise<number>;
  publish(tmpPath: string, finalPath: string): Promise<void>;
  remove(absolutePath: string): Promise<void>;
  list(dir: string): Promise<string[]>;
  pruneEmptyDirs(dir: string): Promise<void>;
}

export interface CompactionEvents {
  compacted(files: number, rows: number, bytesBefore: number, bytesAfter: number): void;
  retained(files: number): void;
  compactionConflict(hour: string): void;
}

export interface CompactionOptions {
  readonly root: string;
  readonly compactAfterMs: number;
  readonly retentionDays: number;
  readonly hoursPerPass?: number;
  readonly now?: () => number;
}

export interface CompactionResult {
  readonly hoursCompacted: number;
  readonly filesMerged: number;
  readonly filesDeleted: number;
}

export class ArchiveCompactor {
  private readonly now: () => number;

  constructor(
    private readonly manifest: CompactionManifest,
    private readonly files: CompactionFiles,
    private readonly events: CompactionEvents,
    private readonly options: CompactionOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  /** One pass: pending deletions, retention, compaction. Undefined when another instance is doing it. */
  async run(): Promise<CompactionResult | undefined> {
    return this.manifest.withExclusiveLock('archive-compaction', async () => {
      let filesDeleted = await this.drainDeletes();
      filesDeleted += await this.retain();
      let hoursCompacted = 0;
      let filesMerged = 0;
      const hours = await this.manifest.hoursToCompact(
        this.now() - this.options.compactAfterMs,
        this.options.hoursPerPass ?? 24,
      );
      for (const hour of hours) {
        if (await this.compact(hour)) {
          hoursCompacted++;
          filesMerged += hour.files.length;
        }
      }
      filesDeleted += await this.drainDeletes();
      return { hoursCompacted, filesMerged, filesDeleted };
    });
  }

  private async compact(hour: HourToCompact): Promise<boolean> {
    const dir = partitionDir(hour);
    const paths = hour.files.map((f) => f.path).sort();
    const name = compactedFileName(createHash('sha256').update(paths.join('\n')).digest('hex'));
    const absolute = join(this.options.root, dir);
    // Leftovers of an earlier pass that crashed before its swap: compacted files and rollups the manifest does not
    // list.
    const leftovers = (await this.files.list(absolute))
      .filter((f) => isCompactedFileName(f) || isRollupFileName(f))
      .map((f) => `${dir}/${f}`);
    const listed = await this.manifest.listed(leftovers);
    for (const leftover of leftovers)
      if (!listed.has(leftover)) await this.files.remove(join(this.options.root, leftover));

    const tmp = join(absolute, temporaryName(name));
    const rows = await this.files.merge(
      paths.map((p) => join(this.options.root, p)),
      tmp,
    );
    const expected = hour.files.reduce((n, f) => n + f.rows, 0);
    if (rows !== expected) {
      await this.files.remove(tmp);
      throw new Error(`compacting ${dir}: merged ${rows} rows, the manifest lists ${expected}`);
    }
    await this.files.publish(tmp, join(absolute, name));
    const rollupName = rollupFileName(name);
    const rollupTmp = join(absolute, temporaryName(rollupName));
    await this.files.rollup(join(absolute, name), rollupTmp);
    await this.files.publish(rollupTmp, join(absolute, rollupName));
    const merged: ManifestFile = {
      path: `${dir}/${name}`,
      modelId: hour.modelId,
      date: hour.date,
      hour: hour.hour,
      rows,
      bytes: (await stat(join(absolute, name))).size,
      minEventTimeMs: Math.min(...hour.files.map((f) => f.minEventTimeMs)),
      maxEventTimeMs: Math.max(...hour.files.map((f) => f.maxEventTimeMs)),
      rollupPath: `${dir}/${rollupName}`,
    };
    const sourceFiles = await this.manifest.sourceFileCount(paths);
    if (!(await this.manifest.swapCompacted(hour.files, merged, sourceFiles))) {
      this.events.compactionConflict(dir);
      await this.files.remove(join(absolute, name));
      await this.files.remove(join(absolute, rollupName));
      return false;
    }
    this.events.compacted(
      hour.files.length,
      rows,
      hour.files.reduce((n, f) => n + f.bytes, 0),
      merged.bytes,
    );
    return true;
  }

  private async retain(): Promise<number> {
    const cutoffMs = (Math.floor(this.now() / DAY_MS) - this.options.retentionDays) * DAY_MS;
    const beforeDate = new Date(cutoffMs).toISOString().slice(0, 10);
    const dropped = await this.manifest.dropBefore(beforeDate, cutoffMs);
    if (dropped.length > 0) this.events.retained(dropped.length);
    return 0;
  }

  private async drainDeletes(): Promise<number> {
    const pending = await this.manifest.pendingDeletes();
    for (const path of pending) {
      await this.files.remove(join(this.options.root, path));
      await this.files.pruneEmptyDirs(join(this.options.root, dirname(path)));
    }
    await this.manifest.clearPendingDeletes(pending);
    return pending.length;
  }
}
