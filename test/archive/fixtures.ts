/** Known SignalBatch records for archive tests, and the archive read back through DuckDB. */
import { openDuckDb } from '@telltale/archive';
import { SignalBatch } from '@telltale/platform/proto';

export const MODEL = 'aurora-ev-2026';
export const HOUR_MS = 3_600_000;

export interface Produced {
  readonly key: string;
  readonly value: Buffer;
  /** Rows as "vin|signal|time in µs|value". */
  readonly rows: readonly string[];
}

/**
 * `count` uplink batches over `vins`, each split into `parts` records (SignalBatch part/part_count, as the decoder
 * splits large batches), 40 samples per part, event times from `startMs` advancing 1 s per batch. Each part has 20
 * signals with two samples each inside one millisecond (500 µs apart), which the archive must keep apart.
 */
export function knownBatches(count: number, vins: readonly string[], startMs: number, parts = 2): Produced[] {
  const out: Produced[] = [];
  for (let b = 0; b < count; b++) {
    const vin = vins[b % vins.length]!;
    const seq = Math.floor(b / vins.length) + 1;
    const base = startMs + Math.floor(b / vins.length) * 1000;
    for (let part = 0; part < parts; part++) {
      const ids: number[] = [];
      const values: number[] = [];
      const offsets: number[] = [];
      const subs: number[] = [];
      for (let i = 0; i < 40; i++) {
        ids.push(part * 40 + (i % 20) + 1);
        values.push(Math.round(Math.sin(b * 0.37 + i) * 1e6) / 1e3 + part);
        offsets.push(((i % 20) * 50) % 1000);
        subs.push(i < 20 ? 100 : 600);
      }
      out.push({
        key: vin,
        value: Buffer.from(
          SignalBatch.encode({
            vin,
            modelId: MODEL,
            catalogVersion: '1.0.0',
            baseTimeMsEpoch: base,
            source: { deviceSeq: seq, gatewayReceiveTimeMsEpoch: Date.now() },
            signalId: ids,
            value: values,
            timeOffsetMs: offsets,
            timeSubMsUs: subs,
            batchId: `${vin}:${seq}`,
            part,
            partCount: parts,
          }).finish(),
        ),
        rows: ids.map((id, i) => `${vin}|${id}|${(base + offsets[i]!) * 1000 + subs[i]!}|${values[i]!}`),
      });
    }
  }
  return out;
}

/** Every row under `dir` as "vin|signal|time µs|value", read the way any engine would: the hive-partitioned glob. */
export async function readArchiveRows(
  files: string | readonly string[],
): Promise<{ rows: string[]; models: string[]; dates: string[] }> {
  const duckdb = await openDuckDb({ threads: 1 });
  const db = await duckdb.connect();
  try {
    const source =
      typeof files === 'string'
        ? `'${files}/**/*.parquet'`
        : `[${files.map((f) => `'${f.replaceAll("'", "''")}'`).join(', ')}]`;
    const reader = await db.runAndReadAll(
      `SELECT vin, signal_id, event_time_ms * 1000 + event_time_sub_ms_us AS event_time_us, value, model,
              CAST(date AS VARCHAR) AS date
       FROM read_parquet(${source}, hive_partitioning = true)`,
    );
    const rows: string[] = [];
    const models = new Set<string>();
    const dates = new Set<string>();
    for (const r of reader.getRowObjects()) {
      rows.push(`${String(r['vin'])}|${String(r['signal_id'])}|${String(r['event_time_us'])}|${String(r['value'])}`);
      models.add(String(r['model']));
      dates.add(String(r['date']));
    }
    return { rows, models: [...models], dates: [...dates] };
  } finally {
    db.closeSync();
    duckdb.closeSync();
  }
}

/** Multiset difference: rows missing from `actual` and rows in `actual` more often than expected. */
export function compareRows(
  expected: readonly string[],
  actual: readonly string[],
): { missing: string[]; extra: string[] } {
  const counts = new Map<string, number>();
  for (const r of expected) counts.set(r, (counts.get(r) ?? 0) + 1);
  const extra: string[] = [];
  for (const r of actual) {
    const n = counts.get(r) ?? 0;
    if (n === 0) extra.push(r);
    else counts.set(r, n - 1);
  }
  const missing = [...counts].flatMap(([r, n]) => Array.from({ length: n }, () => r));
  return { missing, extra };
}
