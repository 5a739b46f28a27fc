/**
 * Writes coalesced rows to PostgreSQL: the latest values (UPSERT that only replaces a row when the new event time is
 * strictly newer), then history (INSERT … ON CONFLICT DO NOTHING). Both take whole arrays
 * through unnest, so a poll of thousands of signals is two statements per chunk. Idempotent: a replay of the same
 * input changes nothing.
 */
import type pg from 'pg';
import { TelltaleError } from '@telltale/platform';
import { DAY_MS, historyDays, partitionDay, type HistoryRows, type LatestRows } from '../domain/coalesce.js';

const CHUNK = 20_000;

// VINs and (model, version) pairs travel once per statement as small arrays, rows refer to them by index: most of
// the parameter text PostgreSQL parses is then numbers.
const UPSERT_LATEST = `
INSERT INTO signal_latest AS l
  (vin, signal_id, value, event_time_ms, event_time_sub_ms_us, receive_time_ms, write_time_ms, model_id,
   catalog_version)
SELECT ($1::text[])[vi], s, x, e, u, r, $9, ($2::text[])[mi], ($3::text[])[mi]
FROM unnest($4::int[], $5::int[], $6::float8[], $7::int8[], $8::int8[], $10::int[], $11::int2[])
  AS t(vi, s, x, e, r, mi, u)
ON CONFLICT (vin, signal_id) DO UPDATE SET
  value = excluded.value, event_time_ms = excluded.event_time_ms, event_time_sub_ms_us = excluded.event_time_sub_ms_us,
  receive_time_ms = excluded.receive_time_ms, write_time_ms = excluded.write_time_ms, model_id = excluded.model_id,
  catalog_version = excluded.catalog_version
WHERE (excluded.event_time_ms, excluded.event_time_sub_ms_us) > (l.event_time_ms, l.event_time_sub_ms_us)`;

const INSERT_HISTORY = `
INSERT INTO signal_history
  (vin, signal_id, event_time_ms, event_time_sub_ms_us, value, receive_time_ms, catalog_version)
SELECT ($1::text[])[vi], s, e, u, x, r, ($2::text[])[ci]
FROM unnest($3::int[], $4::int[], $5::int8[], $6::float8[], $7::int8[], $8::int[], $9::int2[])
  AS t(vi, s, e, x, r, ci, u)
ON CONFLICT DO NOTHING`;

export class PgSignalStore {
  private readonly partitions = new Set<number>();

  constructor(private readonly pool: pg.Pool) {}

  /** Creates the day partitions the rows need (once per day per process; safe across instances). */
  async ensurePartitions(history: HistoryRows): Promise<void> {
    const missing = historyDays(history).filter((d) => !this.partitions.has(d));
    if (missing.length === 0) return;
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      // As the table's owner, through the function of migration 0012: the store runs as the service role, which
      // cannot create tables. The function serialises creation between instances.
      for (const day of missing) await client.query('SELECT signal_history_ensure_day($1)', [day]);
      await client.query('COMMIT');
      for (const day of missing) this.partitions.add(day);
    } catch (cause) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw storeError(cause);
    } finally {
      client.release();
    }
  }

  /**
   * Latest values first, in their own transaction, so they become visible without waiting for the (larger)
   * history append; then history. Both are idempotent, so a crash between them is repaired by the replay.
   */
  async write(latest: LatestRows, history: HistoryRows, writeTimeMs: number): Promise<void> {
    await this.ensurePartitions(history);
    await this.inTransaction(async (client) => {
      for (let from = 0; from < latest.vin.length; from += CHUNK) {
        const to = Math.min(latest.vin.length, from + CHUNK);
        const vins = new Indexer();
        const models = new Indexer();
        const vinIndex = new Array<number>(to - from);
        const modelIndex = new Array<number>(to - from);
        for (let i = from; i < to; i++) {
          vinIndex[i - from] = vins.index(latest.vin[i]!);
          modelIndex[i - from] = models.index(`${latest.modelId[i]}\u0000${latest.catalogVersion[i]}`);
        }
        await client.query(UPSERT_LATEST, [
          vins.values,
          models.values.map((m) => m.split('\u0000')[0]),
          models.values.map((m) => m.split('\u0000')[1]),
          vinIndex,
          latest.signalId.slice(from, to),
          latest.value.slice(from, to),
          latest.eventTimeMs.slice(from, to),
          latest.receiveTimeMs.slice(from, to),
          writeTimeMs,
          modelIndex,
          latest.eventTimeSubMsUs.slice(from, to),
        ]);
      }
    });
    if (history.vin.length === 0) return;
    await this.inTransaction(async (client) => {
      for (let from = 0; from < history.vin.length; from += CHUNK) {
        const to = Math.min(history.vin.length, from + CHUNK);
        const vins = new Indexer();
        const versions = new Indexer();
        const vinIndex = new Array<number>(to - from);
        const versionIndex = new Array<number>(to - from);
        for (let i = from; i < to; i++) {
          vinIndex[i - from] = vins.index(history.vin[i]!);
          versionIndex[i - from] = versions.index(history.catalogVersion[i]!);
        }
        await client.query(INSERT_HISTORY, [
          vins.values,
          versions.values,
          vinIndex,
          history.signalId.slice(from, to),
          history.eventTimeMs.slice(from, to),
          history.value.slice(from, to),
          history.receiveTimeMs.slice(from, to),
          versionIndex,
          history.eventTimeSubMsUs.slice(from, to),
        ]);
      }
    });
  }

  private async inTransaction(work: (client: pg.PoolClient) => Promise<void>): Promise<void> {
    const client = await this.pool.connect().catch((cause: unknown) => {
      throw storeError(cause);
    });
    try {
      await client.query('BEGIN');
      await work(client);
      await client.query('COMMIT');
    } catch (cause) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw storeError(cause);
    } finally {
      client.release();
    }
  }

  /** Drops the day partitions that end at or before `cutoffMs` (all their rows are older); returns their names. */
  async dropPartitionsBefore(cutoffMs: number): Promise<string[]> {
    // Day d holds [d, d + 1) days: it can go when d + 1 <= cutoff day (fractional), i.e. d < floor(cutoff) days.
    const cutoffDay = Math.floor(cutoffMs / DAY_MS);
    const { rows } = await this.pool.query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_inherits i
       JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
       JOIN pg_namespace n ON n.oid = p.relnamespace
       WHERE p.relname = 'signal_history' AND n.nspname = current_schema()`,
    );
    const dropped: string[] = [];
    for (const { name } of rows) {
      const day = partitionDay(name);
      if (day === undefined || day >= cutoffDay) continue;
      await this.pool.query('SELECT signal_history_drop_day($1)', [day]); // as the owner (migration 0012)
      this.partitions.delete(day);
      dropped.push(name);
    }
    return dropped.sort();
  }
}

/** Distinct strings with 1-based indexes (PostgreSQL arrays start at 1). */
class Indexer {
  readonly values: string[] = [];
  private readonly map = new Map<string, number>();
  index(value: string): number {
    let i = this.map.get(value);
    if (i === undefined) {
      this.values.push(value);
      i = this.values.length;
      this.map.set(value, i);
    }
    return i;
  }
}

function storeError(cause: unknown): TelltaleError {
  return new TelltaleError(
    'SIGNAL_STORE_WRITE_FAILED',
    `Writing signals to PostgreSQL failed: ${(cause as Error).message}`,
    { retryable: true, cause },
  );
}
