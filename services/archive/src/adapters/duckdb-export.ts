/**
 * `telltale history export`: reads the archive through its manifest (only committed files, never a leftover or a
 * file that compaction replaced) with DuckDB, filters vehicles, signals and an event-time range, and writes one
 * CSV or Parquet file sorted by vin, event time and signal. Progress is reported per group of files read.
 */
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { TelltaleError } from '@telltale/platform';
import type { PgManifest } from './pg-manifest.js';
import { sqlString } from './duckdb-parquet.js';

export interface ExportTarget {
  readonly modelId: string;
  readonly vins: readonly string[];
  /** Signal id → name written to the output; only these signals are exported. */
  readonly signals: ReadonlyMap<number, string>;
}

export interface HistoryExportOptions {
  readonly archiveDir: string;
  readonly targets: readonly ExportTarget[];
  readonly fromMs: number;
  readonly toMs: number;
  readonly format: 'csv' | 'parquet';
  readonly out: string;
  readonly progress?: (p: { readonly filesRead: number; readonly files: number; readonly rows: number }) => void;
  /** Files read per step (a progress report after each). */
  readonly filesPerStep?: number;
}

export interface HistoryExportResult {
  readonly rows: number;
  readonly files: number;
}

export async function exportHistory(
  db: DuckDBConnection,
  manifest: Pick<PgManifest, 'filesInRange'>,
  o: HistoryExportOptions,
): Promise<HistoryExportResult> {
  const models = [...new Set(o.targets.map((t) => t.modelId))];
  const files = await manifest.filesInRange(models, o.fromMs, o.toMs);
  try {
    await db.run('CREATE OR REPLACE TEMP TABLE export_vins (model_id VARCHAR, vin VARCHAR)');
    await db.run('CREATE OR REPLACE TEMP TABLE export_signals (model_id VARCHAR, signal_id UINTEGER, signal VARCHAR)');
    await db.run(`CREATE OR REPLACE TEMP TABLE export_rows (vin VARCHAR, model_id VARCHAR, signal VARCHAR,
      signal_id UINTEGER, event_time_ms BIGINT, event_time_sub_ms_us USMALLINT, value DOUBLE, catalog_version VARCHAR,
      device_seq UINTEGER)`);
    const vins = await db.createAppender('export_vins');
    const signals = await db.createAppender('export_signals');
    for (const t of o.targets) {
      for (const vin of t.vins) {
        vins.appendVarchar(t.modelId);
        vins.appendVarchar(vin);
        vins.endRow();
      }
      for (const [id, name] of t.signals) {
        signals.appendVarchar(t.modelId);
        signals.appendUInteger(id);
        signals.appendVarchar(name);
        signals.endRow();
      }
    }
    vins.closeSync();
    signals.closeSync();

    const step = o.filesPerStep ?? 16;
    let rows = 0;
    for (let at = 0; at < files.length; at += step) {
      const group = files.slice(at, at + step).map((f) => sqlString(join(o.archiveDir, f.path)));
      const inserted = await db.runAndReadAll(
        `INSERT INTO export_rows
         SELECT p.vin, p.model, s.signal, p.signal_id, p.event_time_ms, coalesce(p.event_time_sub_ms_us, 0), p.value,
                p.catalog_version, p.device_seq
         FROM read_parquet([${group.join(', ')}], hive_partitioning = true, union_by_name = true) p
         JOIN export_vins v ON v.model_id = p.model AND v.vin = p.vin
         JOIN export_signals s ON s.model_id = p.model AND s.signal_id = p.signal_id
         WHERE p.event_time_ms >= ${Math.trunc(o.fromMs)} AND p.event_time_ms < ${Math.trunc(o.toMs)}`,
      );
      rows += Number(inserted.getRows()[0]?.[0] ?? 0);
      o.progress?.({ filesRead: Math.min(files.length, at + step), files: files.length, rows });
    }
    const options =
      o.format === 'csv' ? 'FORMAT csv, HEADER true' : 'FORMAT parquet, COMPRESSION zstd, PARQUET_VERSION v2';
    await db.run(
      `COPY (SELECT vin, model_id, signal, signal_id,
                    make_timestamp(event_time_ms * 1000 + event_time_sub_ms_us) AS event_time, event_time_ms,
                    event_time_sub_ms_us, value, catalog_version, device_seq
             FROM export_rows ORDER BY vin, event_time_ms, event_time_sub_ms_us, signal, value)
       TO ${sqlString(o.out)} (${options})`,
    );
    await db.run('DROP TABLE export_rows');
    return { rows, files: files.length };
  } catch (cause) {
    throw new TelltaleError('ARCHIVE_EXPORT_FAILED', `History export failed: ${(cause as Error).message}`, {
      retryable: false,
      cause,
    });
  }
}
