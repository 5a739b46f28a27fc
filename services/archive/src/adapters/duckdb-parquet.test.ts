import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { Segment } from '../domain/segment.js';
import { ParquetWriter, ROW_GROUP_ROWS, openDuckDb, sqlString } from './duckdb-parquet.js';

const base = Date.parse('2026-05-04T10:00:00.000Z');
const ROWS_PER_GROUP = 2048; // DuckDB's smallest row group; the archive's ROW_GROUP_ROWS is the same mechanism

/** `vins` vehicles × `signals` signals × `samples` samples each, one batch per vehicle, signals interleaved in time. */
function segmentOf(vins: string[], signals: number, samples: number): Segment {
  const segment = new Segment();
  vins.forEach((vin, v) => {
    const n = signals * samples;
    const signalId = new Uint32Array(n);
    const value = new Float64Array(n);
    const timeOffsetMs = new Uint32Array(n);
    for (let i = 0; i < n; i++) {
      signalId[i] = 100 + (i % signals);
      timeOffsetMs[i] = Math.floor(i / signals) * 10;
      value[i] = i;
    }
    segment.add(BigInt(v), {
      vin,
      modelId: 'aurora-ev-2026',
      catalogVersion: '1.0.0',
      deviceSeq: v,
      baseTimeMsEpoch: base,
      signalId,
      value,
      timeOffsetMs,
    });
  });
  return segment;
}

describe('ParquetWriter row groups', () => {
  let dir: string;
  let instance: DuckDBInstance;
  let db: DuckDBConnection;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'telltale-parquet-'));
    instance = await openDuckDb({ threads: 1 });
    db = await instance.connect();
  });
  afterAll(() => {
    db.closeSync();
    instance.closeSync();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Per row group: rows and the min/max of vin and signal_id from the file's statistics. */
  async function rowGroups(path: string): Promise<{ rows: number; vins: string[]; signals: number[] }[]> {
    const reader = await db.runAndReadAll(
      `SELECT row_group_id, any_value(row_group_num_rows) AS rows,
              max(CASE WHEN path_in_schema = 'vin' THEN stats_min_value END) AS vin_min,
              max(CASE WHEN path_in_schema = 'vin' THEN stats_max_value END) AS vin_max,
              max(CASE WHEN path_in_schema = 'signal_id' THEN stats_min_value END) AS sig_min,
              max(CASE WHEN path_in_schema = 'signal_id' THEN stats_max_value END) AS sig_max
       FROM parquet_metadata(${sqlString(path)}) GROUP BY row_group_id ORDER BY row_group_id`,
    );
    return reader.getRowObjects().map((r) => ({
      rows: Number(r['rows']),
      vins: [String(r['vin_min']), String(r['vin_max'])],
      signals: [Number(r['sig_min']), Number(r['sig_max'])],
    }));
  }

  it('the archive writes row groups of ROW_GROUP_ROWS, small enough to skip', () => {
    expect(ROW_GROUP_ROWS).toBeLessThanOrEqual(131_072);
    expect(ROW_GROUP_ROWS % 2048).toBe(0);
  });

  it('writes sorted rows in row groups whose vin and signal statistics let a reader skip the rest', async () => {
    const vins = ['VIN-C', 'VIN-A', 'VIN-B'];
    const [group] = segmentOf(vins, 4, ROWS_PER_GROUP).groups();
    const path = join(dir, 'flush.parquet');
    await new ParquetWriter(db, ROWS_PER_GROUP).write(group!, path);

    const groups = await rowGroups(path);
    // 3 vehicles × 4 signals × 2048 samples: one (vin, signal) run per row group.
    expect(groups).toHaveLength(12);
    expect(groups.every((g) => g.rows === ROWS_PER_GROUP)).toBe(true);
    expect(groups.map((g) => `${g.vins.join('..')} ${g.signals.join('..')}`)).toEqual(
      ['VIN-A', 'VIN-B', 'VIN-C'].flatMap((vin) => [100, 101, 102, 103].map((s) => `${vin}..${vin} ${s}..${s}`)),
    );
    // A query of one vehicle's signal decodes one row group of the twelve.
    const profile = await db.runAndReadAll(
      `EXPLAIN ANALYZE SELECT count(*) FROM read_parquet(${sqlString(path)})
       WHERE vin = 'VIN-B' AND signal_id = 102`,
    );
    expect(String(profile.getRows()[0]![1])).toMatch(/TABLE_SCAN[\s\S]*?\b2,048 rows/);
  });

  it('compaction keeps the sort order and the row-group size', async () => {
    const [first] = segmentOf(['VIN-B'], 2, ROWS_PER_GROUP).groups();
    const [second] = segmentOf(['VIN-A'], 2, ROWS_PER_GROUP).groups();
    const writer = new ParquetWriter(db, ROWS_PER_GROUP);
    await writer.write(first!, join(dir, 'a.parquet'));
    await writer.write(second!, join(dir, 'b.parquet'));

    const merged = join(dir, 'merged.parquet');
    expect(await writer.merge([join(dir, 'a.parquet'), join(dir, 'b.parquet')], merged)).toBe(4 * ROWS_PER_GROUP);
    const groups = await rowGroups(merged);
    expect(groups.map((g) => [g.rows, g.vins[0], g.signals[0]])).toEqual([
      [ROWS_PER_GROUP, 'VIN-A', 100],
      [ROWS_PER_GROUP, 'VIN-A', 101],
      [ROWS_PER_GROUP, 'VIN-B', 100],
      [ROWS_PER_GROUP, 'VIN-B', 101],
    ]);
  });
});
