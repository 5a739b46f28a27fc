/**
 * Writes coalesced rows to PostgreSQL: the latest values as blocks merged in memory (signal_latest_block: a newer
 * event time wins per signal, changed blocks written whole, compare-and-set on their version; pg-latest-blocks.ts),
 * then history as blocks of 128 signals per time bucket, merged in memory the same way (signal_history_block;
 * pg-history-blocks.ts). Idempotent: a replay of the same input changes nothing.
 */
import type pg from 'pg';
import { TelltaleError } from '@telltale/platform';
import { DAY_MS, historyDays, partitionDay, type HistoryRows, type LatestRows } from '../domain/coalesce.js';
import { LatestBlockCache } from '../domain/latest-blocks.js';
import { HistoryBlockCache, packHistory } from '../domain/history-blocks.js';
import { loadLatestBlocks, writeLatestBlocks } from './pg-latest-blocks.js';
import { writeHistoryBlocks } from './pg-history-blocks.js';

export interface PgSignalStoreOptions {
  /** Latest-value blocks kept in memory (~4 KB each); see LatestBlockCache. */
  readonly latestCacheBlocks: number;
  /** After each committed latest-value write: blocks written, and how many of them another writer had changed. */
  readonly onLatestWritten?: (blocks: number, conflicts: number) => void;
  /** After each committed history write: blocks written, and how many of them merged a row this writer lacked. */
  readonly onHistoryWritten?: (blocks: number, merged: number) => void;
  /** History blocks kept in memory for later polls adding to their bucket (default 20,000, ≤ ~5 KB each). */
  readonly historyCacheBlocks?: number;
}

export class PgSignalStore {
  private readonly partitions = new Set<number>();
  /** The latest values of the vehicles this instance writes (it owns their partitions), merged in memory. */
  private readonly latest: LatestBlockCache;
  /** The history buckets this instance wrote in its last polls, merged in memory with what later polls add. */
  private readonly history: HistoryBlockCache;
  /** Blocks written, and blocks another writer had changed (merged under lock), since start. */
  readonly counts = { latestBlocks: 0, latestConflicts: 0, historyBlocks: 0, historyMerged: 0 };

  constructor(
    readonly pool: pg.Pool,
    private readonly options: PgSignalStoreOptions = { latestCacheBlocks: 100_000 },
  ) {
    this.latest = new LatestBlockCache({ maxBlocks: options.latestCacheBlocks });
    this.history = new HistoryBlockCache({ keepPolls: 2, maxBlocks: options.historyCacheBlocks ?? 20_000 });
  }

  /** Creates the day partitions the rows need (once per day per process; safe across instances). */
  async ensurePartitions(history: HistoryRows): Promise<void> {
    const missing = historyDays(history).filter((d) => !this.partitions.has(d));
    if (missing.length === 0) return;
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      // As the table's owner, through the function of migration 0018: the store runs as the service role, which
      // cannot create tables. The function serialises creation between instances.
      for (const day of missing) await client.query('SELECT signal_history_block_ensure_day($1)', [day]);
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
    await this.writeLatest(latest, writeTimeMs);
    await this.writeHistory(history);
  }

  /** The latest values, merged into the vehicles' blocks, in one transaction. */
  async writeLatest(latest: LatestRows, writeTimeMs: number): Promise<void> {
    if (latest.vin.length > 0) {
      const vins = new Set(latest.vin);
      let blocks = 0;
      let conflicts = 0;
      try {
        await this.inTransaction(async (client) => {
          await loadLatestBlocks(client, this.latest, this.latest.missing(latest));
          const changed = this.latest.merge(latest);
          blocks = changed.length;
          conflicts = await writeLatestBlocks(client, changed, writeTimeMs);
        });
      } catch (error) {
        this.latest.forget(vins); // memory may be ahead of PostgreSQL now: read these vehicles again
        throw error;
      }
      this.latest.touch(vins);
      this.counts.latestBlocks += blocks;
      this.counts.latestConflicts += conflicts;
      this.options.onLatestWritten?.(blocks, conflicts);
    }
  }

  /** History rows, merged into their time buckets' blocks, in one transaction. */
  async writeHistory(history: HistoryRows): Promise<void> {
    if (history.vin.length === 0) return;
    await this.ensurePartitions(history);
    // History rows packed into blocks (one per vin, 128 signals and bucket), merged with the buckets earlier polls
    // wrote; only the blocks this poll changed are written.
    const changed = this.history.merge(packHistory(history, history.resolutionMs ?? 0));
    let merged = 0;
    try {
      await this.inTransaction(async (client) => {
        merged = await writeHistoryBlocks(client, changed);
      });
    } catch (error) {
      this.history.clear(); // memory may be ahead of PostgreSQL now: read the rows again when they come back
      throw error;
    }
    this.history.written();
    this.counts.historyBlocks += changed.length;
    this.counts.historyMerged += merged;
    this.options.onHistoryWritten?.(changed.length, merged);
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
       WHERE p.relname = 'signal_history_block' AND n.nspname = current_schema()`,
    );
    const dropped: string[] = [];
    for (const { name } of rows) {
      const day = partitionDay(name);
      if (day === undefined || day >= cutoffDay) continue;
      await this.pool.query('SELECT signal_history_block_drop_day($1)', [day]); // as the owner (migration 0018)
      this.partitions.delete(day);
      dropped.push(name);
    }
    return dropped.sort();
  }
}

function storeError(cause: unknown): TelltaleError {
  return new TelltaleError(
    'SIGNAL_STORE_WRITE_FAILED',
    `Writing signals to PostgreSQL failed: ${(cause as Error).message}`,
    { retryable: true, cause },
  );
}
