// The archive as `telltale archive` leaves it, for the API's history tests: flushed segments of one signal (one
// Parquet file per hour through the archive's writer, committed in its manifest) and compaction passes.
import { compactOnce, openDuckDb, ParquetWriter, PgManifest, Segment, SegmentFiles } from '@telltale/archive';
import type { Pool } from '@telltale/platform/db';
import { VIN_A } from './harness.js';

export interface ArchivedSample {
  /** Event time in µs since the epoch. */
  readonly us: number;
  readonly value: number;
}

async function withWriter<T>(work: (writer: ParquetWriter) => Promise<T>): Promise<T> {
  const duckdb = await openDuckDb({ threads: 1 });
  const db = await duckdb.connect();
  try {
    return await work(new ParquetWriter(db));
  } finally {
    db.closeSync();
    duckdb.closeSync();
  }
}

/** Flushes samples of VIN_A's signal as segment `offset` of partition 0 (files `p0-<offset>-<offset>-e<epoch>`). */
export async function archiveSamples(
  pool: Pool,
  dir: string,
  offset: number,
  signalId: number,
  samples: readonly ArchivedSample[],
): Promise<void> {
  const segment = new Segment();
  const ms = samples.map((s) => Math.floor(s.us / 1000));
  const base = ms.reduce((a, b) => Math.min(a, b));
  segment.add(BigInt(offset), {
    vin: VIN_A,
    modelId: 'aurora-ev-2026',
    catalogVersion: '1.0.0',
    deviceSeq: offset,
    baseTimeMsEpoch: base,
    signalId: Uint32Array.from(samples, () => signalId),
    value: Float64Array.from(samples, (s) => s.value),
    timeOffsetMs: Uint32Array.from(ms, (t) => t - base),
    timeSubMsUs: Uint32Array.from(samples, (s) => s.us % 1000),
  });
  const manifest = new PgManifest(pool);
  const { epoch } = await manifest.claim('vehicle.signals.v1', 0);
  const range = { partition: 0, firstOffset: BigInt(offset), lastOffset: BigInt(offset), epoch };
  const files = await withWriter((writer) => new SegmentFiles(dir, writer).write(range, segment.groups()));
  await manifest.commitSegment({ topic: 'vehicle.signals.v1', ...range, rows: samples.length, files });
}

/** One compaction pass, as `telltale archive` runs it: every ended hour merged and rolled up. Hours compacted. */
export async function compactArchive(pool: Pool, dir: string): Promise<number> {
  const result = await withWriter((writer) => compactOnce(new PgManifest(pool), dir, writer));
  return result?.hoursCompacted ?? 0;
}
