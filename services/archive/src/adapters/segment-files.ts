/**
 * A segment's Parquet files on disk: one per hour partition, each written under a temporary name, fsynced and
 * renamed to its final name (see domain/layout.ts); and the clean-up of files a crash left behind.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  partitionDir,
  parseSegmentFileName,
  segmentFileName,
  temporaryName,
  type SegmentName,
} from '../domain/layout.js';
import type { RowGroup } from '../domain/segment.js';
import type { ManifestFile } from './pg-manifest.js';
import type { ParquetWriter } from './duckdb-parquet.js';
import { ensureDir, listFiles, listHourDirs, publishFile, removeFile } from './fs-files.js';

export class SegmentFiles {
  constructor(
    private readonly root: string,
    private readonly writer: ParquetWriter,
  ) {}

  /** Writes and publishes every group's file; returns their manifest rows. */
  async write(segment: SegmentName, groups: readonly RowGroup[]): Promise<ManifestFile[]> {
    const files: ManifestFile[] = [];
    const name = segmentFileName(segment);
    for (const group of groups) {
      const dir = partitionDir(group.partition);
      await ensureDir(join(this.root, dir));
      const tmp = join(this.root, dir, temporaryName(name));
      const final = join(this.root, dir, name);
      await this.writer.write(group, tmp);
      await publishFile(tmp, final);
      files.push({
        path: `${dir}/${name}`,
        modelId: group.partition.modelId,
        date: group.partition.date,
        hour: group.partition.hour,
        rows: group.rows,
        bytes: (await stat(final)).size,
        minEventTimeMs: group.minEventTimeMs,
        maxEventTimeMs: group.maxEventTimeMs,
      });
    }
    return files;
  }

  async remove(paths: readonly string[]): Promise<void> {
    for (const path of paths) await removeFile(join(this.root, path));
  }

  /**
   * After claiming `partition` at `epoch`: deletes its segment files (and temporary files) from earlier epochs that
   * the manifest does not list. Their offsets are not in the ledger, so they are read and written again; deleting
   * is always safe, adopting would need proof that every hour file of that segment survived. Returns the count.
   */
  async removeOrphans(
    partition: number,
    epoch: bigint,
    listed: (paths: readonly string[]) => Promise<Set<string>>,
  ): Promise<number> {
    const candidates: string[] = [];
    for (const dir of await listHourDirs(this.root)) {
      for (const name of await listFiles(join(this.root, dir))) {
        const s = parseSegmentFileName(name);
        if (s && s.partition === partition && s.epoch < epoch) candidates.push(`${dir}/${name}`);
      }
    }
    const keep = await listed(candidates);
    const orphans = candidates.filter((p) => !keep.has(p));
    await this.remove(orphans);
    return orphans.length;
  }
}
