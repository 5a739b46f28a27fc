import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Segment } from '../domain/segment.js';
import { ParquetWriter, openDuckDb } from './duckdb-parquet.js';

const dir = mkdtempSync(join(tmpdir(), 'telltale-parquet-writer-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** One hour's rows of one VIN: `n` samples of signal `signalId`, values 0..n-1. */
function group(vin: string, signalId: number, n: number) {
  const segment = new Segment();
  segment.add(
    0n,
    {
      vin,
      modelId: 'm',
      catalogVersion: '1.0.0',
      deviceSeq: 1,
      baseTimeMsEpoch: 1_763_700_000_000,
      signalId: new Uint32Array(n).fill(signalId),
      value: Float64Array.from({ length: n }, (_, i) => i),
      timeOffsetMs: Uint32Array.from({ length: n }, (_, i) => i),
    },
    0,
  );
  return segment.groups()[0]!;
}

describe('ParquetWriter', () => {
  // The archive flushes partitions from its handler and from its timer at the same time, through one writer.
  it('writes concurrent calls on one connection each to its own file, with its own rows', async () => {
    const duckdb = await openDuckDb({ threads: 1 });
    const db = await duckdb.connect();
    const writer = new ParquetWriter(db);
    const groups = Array.from({ length: 6 }, (_, i) => group(`VIN${i}`, i + 1, 500 + i * 100));
    const paths = groups.map((_, i) => join(dir, `p${i}.parquet`));
    await Promise.all(groups.map((g, i) => writer.write(g, paths[i]!)));
    for (const [i, path] of paths.entries()) {
      const reader = await db.runAndReadAll(
        `SELECT vin, signal_id, count(*)::INTEGER AS n FROM read_parquet('${path}') GROUP BY ALL`,
      );
      expect(reader.getRowObjects()).toEqual([{ vin: `VIN${i}`, signal_id: i + 1, n: 500 + i * 100 }]);
    }
    db.closeSync();
  });
});
