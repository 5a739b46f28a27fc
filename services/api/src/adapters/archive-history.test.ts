import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDBInstance } from '@duckdb/node-api';
import type { Pool } from '@telltale/platform/db';
import { ArchiveHistoryReader, type ArchiveRange } from './archive-history.js';

const T0 = Date.parse('2026-05-04T10:00:00.000Z');
const VIN = 'LRW3E7FS1RC000001';

/** The manifest's answer, without PostgreSQL: every file listed, in this order. */
function manifestOf(paths: string[]): Pool {
  const hourStartMs = String(Math.floor(T0 / 3_600_000) * 3_600_000);
  return {
    query: () =>
      Promise.resolve({ rows: paths.map((path) => ({ path, rollup_path: null, hour_start_ms: hourStartMs })) }),
  } as unknown as Pool;
}

describe('ArchiveHistoryReader', () => {
  let dir: string;
  const range: ArchiveRange = { vin: VIN, modelId: 'm', signalId: 7, fromMs: T0, toMs: T0 + 10_000 };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'telltale-archive-history-'));
    const instance = await DuckDBInstance.create(':memory:');
    const db = await instance.connect();
    // A file of today's layout (µs column) and one written before it existed; both hold vin/signal 7 and others.
    await db.run(
      `COPY (SELECT * FROM (SELECT '${VIN}' AS vin, s::UINTEGER AS signal_id,
               (${T0} + i * 1000)::BIGINT AS event_time_ms,
               (i * 10)::USMALLINT AS event_time_sub_ms_us, (s * 100 + i)::DOUBLE AS value, '1.0.0' AS catalog_version,
               i::UINTEGER AS device_seq FROM range(5) r(i), range(6, 9) t(s)) ORDER BY signal_id, event_time_ms)
       TO '${join(dir, 'new.parquet')}' (FORMAT parquet, ROW_GROUP_SIZE 2048)`,
    );
    await db.run(
      `COPY (SELECT '${VIN}' AS vin, 7::UINTEGER AS signal_id, (${T0} + 5000 + i * 1000)::BIGINT AS event_time_ms,
               (800 + i)::DOUBLE AS value, '0.9.0' AS catalog_version, i::UINTEGER AS device_seq FROM range(5) r(i))
       TO '${join(dir, 'old.parquet')}' (FORMAT parquet)`,
    );
    db.closeSync();
    instance.closeSync();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads samples and buckets across files with and without the µs column, reusing its DuckDB', async () => {
    const reader = new ArchiveHistoryReader(manifestOf(['new.parquet', 'old.parquet']), dir);
    try {
      const asc = await reader.samples(range, 100, 'asc');
      expect(asc.map((p) => [p.eventTimeMs - T0, p.eventTimeSubMsUs, p.value, p.catalogVersion])).toEqual([
        [0, 0, 700, '1.0.0'],
        [1000, 10, 701, '1.0.0'],
        [2000, 20, 702, '1.0.0'],
        [3000, 30, 703, '1.0.0'],
        [4000, 40, 704, '1.0.0'],
        [5000, 0, 800, '0.9.0'],
        [6000, 0, 801, '0.9.0'],
        [7000, 0, 802, '0.9.0'],
        [8000, 0, 803, '0.9.0'],
        [9000, 0, 804, '0.9.0'],
      ]);
      // The same instance again (warm): buckets of 5 s (whole seconds: per-second rows, no rollups listed) and of
      // 2.5 s (under the rollup grid: sample by sample).
      expect(await reader.buckets(range, { originMs: T0, widthMs: 5000 })).toEqual({
        partials: [
          { bucket: 0, count: 5, sum: 3510, min: 700, max: 704 },
          { bucket: 1, count: 5, sum: 4010, min: 800, max: 804 },
        ],
        rollupHours: 0,
        rawHours: 1,
      });
      expect((await reader.buckets(range, { originMs: T0, widthMs: 2500 })).partials.map((p) => p.count)).toEqual([
        3, 2, 3, 2,
      ]);
      expect((await reader.samples(range, 2, 'desc')).map((p) => p.value)).toEqual([804, 803]);
    } finally {
      await reader.close();
    }
  });

  it('reads files that all predate the µs column (their samples at µs 0)', async () => {
    const reader = new ArchiveHistoryReader(manifestOf(['old.parquet']), dir);
    try {
      const points = await reader.samples(range, 3, 'asc');
      expect(points.map((p) => [p.eventTimeMs - T0, p.eventTimeSubMsUs, p.value])).toEqual([
        [5000, 0, 800],
        [6000, 0, 801],
        [7000, 0, 802],
      ]);
    } finally {
      await reader.close();
    }
  });
});
