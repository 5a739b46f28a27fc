/**
 * Reads the real-time store's tables directly, without a cache, so a value the store has committed is what the next
 * request sees. Latest values are stored as blocks of 128 signal ids (signal_latest_block, migration 0016) and read
 * through its view signal_latest (one row per signal with a value). History is stored as blocks too
 * (signal_history_block, migration 0018): one row per (vin, block of 128 signal ids, time bucket), the signal's
 * sample at slot id % 128 + 1 of its arrays (NULL offset: none in that bucket), its event time bucket_us + offset_us.
 */
import type { Pool } from '@telltale/platform/db';
import { TelltaleError } from '@telltale/platform';
import type { StoredValue } from '../domain/signal-values.js';
import type { BucketPartial } from '../domain/history.js';

export interface LatestValue extends StoredValue {
  readonly modelId: string;
  readonly catalogVersion: string;
}

export interface HistoryQuery {
  readonly vin: string;
  readonly signalId: number;
  /** Inclusive. */
  readonly fromMs: number;
  /** Exclusive; undefined: no upper bound. */
  readonly toMs: number | undefined;
  readonly limit: number;
  readonly order: 'asc' | 'desc';
}

export interface HistoryPoint {
  readonly signalId: number;
  readonly value: number;
  readonly eventTimeMs: number;
  /** µs within the event time's ms (0-999). */
  readonly eventTimeSubMsUs: number;
  /** When the gateway received it; null for samples read from the archive (which does not keep it). */
  readonly receiveTimeMs: number | null;
  readonly catalogVersion: string;
}

function unavailable(cause: unknown): TelltaleError {
  return new TelltaleError('DATABASE_UNAVAILABLE', `Signal store query failed: ${(cause as Error).message}`, {
    retryable: true,
    cause,
  });
}

type LatestRow = {
  signal_id: number;
  value: number;
  event_time_ms: string;
  receive_time_ms: string;
  model_id: string;
  catalog_version: string;
};
type HistoryRow = {
  value: number;
  event_time_us: string;
  receive_time_ms: string;
  catalog_version: string;
};

/**
 * One signal's samples in [$3, $4) ms ($4 NULL: no upper bound) from its block's rows ($1 vin, $2 signal id), as
 * (t, value, receive_time_ms, catalog_version, bucket_us). Rows come from the (vin, block, bucket_us)
 * index: buckets from the one holding $3 (the newest starting at or before it: buckets of a block do not overlap)
 * to those starting before $4.
 */
const SIGNAL_SAMPLES = `
SELECT h.bucket_us + h.offset_us[$2::int % 128 + 1] AS t, h.value[$2::int % 128 + 1] AS value,
  h.receive_time_ms[$2::int % 128 + 1] AS receive_time_ms,
  h.catalog_versions[h.catalog_version_index[$2::int % 128 + 1]] AS catalog_version, h.bucket_us
FROM signal_history_block h
WHERE h.vin = $1 AND h.block = $2::int / 128
  AND h.bucket_us >= coalesce((SELECT max(p.bucket_us) FROM signal_history_block p
    WHERE p.vin = $1 AND p.block = $2::int / 128 AND p.bucket_us <= $3::bigint * 1000), $3::bigint * 1000)
  AND ($4::bigint IS NULL OR h.bucket_us < $4::bigint * 1000)
  AND h.offset_us[$2::int % 128 + 1] IS NOT NULL`;

/** The time filter on SIGNAL_SAMPLES' rows (s). */
const IN_RANGE = 's.t >= $3::bigint * 1000 AND ($4::bigint IS NULL OR s.t < $4::bigint * 1000)';

export class PgSignalReader {
  constructor(private readonly pool: Pool) {}

  /** Latest values of the vehicle, all of them or those of `signalIds`, in signal id order. */
  async latest(vin: string, signalIds?: readonly number[]): Promise<LatestValue[]> {
    const { rows } = await this.pool
      .query<LatestRow>(
        signalIds === undefined
          ? `SELECT signal_id, value, event_time_ms, receive_time_ms, model_id, catalog_version FROM signal_latest
             WHERE vin = $1 ORDER BY signal_id`
          : `SELECT signal_id, value, event_time_ms, receive_time_ms, model_id, catalog_version
             FROM signal_latest_for($1, $2::integer[]) ORDER BY signal_id`,
        signalIds === undefined ? [vin] : [vin, signalIds],
      )
      .catch((cause: unknown) => {
        throw unavailable(cause);
      });
    return rows.map((r) => ({
      signalId: r.signal_id,
      value: r.value,
      eventTimeMs: Number(r.event_time_ms),
      receiveTimeMs: Number(r.receive_time_ms),
      modelId: r.model_id,
      catalogVersion: r.catalog_version,
    }));
  }

  /** The newest event and receive times of any of the vehicle's signals (undefined before its first value). */
  async lastSeen(vin: string): Promise<{ eventTimeMs: number; receiveTimeMs: number } | undefined> {
    const { rows } = await this.pool
      .query<{ event_time_ms: string | null; receive_time_ms: string | null }>(
        'SELECT max(max_event_time_ms) AS event_time_ms, max(max_receive_time_ms) AS receive_time_ms ' +
          'FROM signal_latest_block WHERE vin = $1',
        [vin],
      )
      .catch((cause: unknown) => {
        throw unavailable(cause);
      });
    const r = rows[0];
    return r?.event_time_ms == null || r.receive_time_ms == null
      ? undefined
      : { eventTimeMs: Number(r.event_time_ms), receiveTimeMs: Number(r.receive_time_ms) };
  }

  /** Samples of one signal in [fromMs, toMs) by event time (to the µs), at most `limit`, oldest or newest first. */
  async history(query: HistoryQuery): Promise<HistoryPoint[]> {
    const dir = query.order === 'desc' ? 'DESC' : 'ASC';
    // By bucket alone: one row per bucket and the buckets of a block do not overlap, so that is event-time order and
    // the index's, and LIMIT stops the scan early (adding the offset to the key made PostgreSQL sort the range).
    const { rows } = await this.pool
      .query<HistoryRow>(
        `SELECT s.t AS event_time_us, s.value, s.receive_time_ms, s.catalog_version FROM (${SIGNAL_SAMPLES}) s
         WHERE ${IN_RANGE} ORDER BY s.bucket_us ${dir} LIMIT $5`,
        [query.vin, query.signalId, query.fromMs, query.toMs ?? null, query.limit],
      )
      .catch((cause: unknown) => {
        throw unavailable(cause);
      });
    return rows.map((r) => {
      const us = Number(r.event_time_us);
      const ms = Math.floor(us / 1000);
      return {
        signalId: query.signalId,
        value: r.value,
        eventTimeMs: ms,
        eventTimeSubMsUs: us - ms * 1000,
        receiveTimeMs: Number(r.receive_time_ms),
        catalogVersion: r.catalog_version,
      };
    });
  }

  /** count, sum, min, max of one signal's samples in [fromMs, toMs) per bucket of `widthMs` counted from `originMs`. */
  async historyBuckets(
    query: Omit<HistoryQuery, 'limit' | 'order'>,
    originMs: number,
    widthMs: number,
  ): Promise<BucketPartial[]> {
    const { rows } = await this.pool
      .query<{ bucket: string; n: string; sum: number; min: number; max: number }>(
        `SELECT (s.t / 1000 - $5::bigint) / $6::bigint AS bucket, count(*) AS n, sum(s.value) AS sum,
                min(s.value) AS min, max(s.value) AS max
         FROM (${SIGNAL_SAMPLES}) s
         WHERE ${IN_RANGE}
         GROUP BY 1 ORDER BY 1`,
        [query.vin, query.signalId, query.fromMs, query.toMs ?? null, originMs, widthMs],
      )
      .catch((cause: unknown) => {
        throw unavailable(cause);
      });
    return rows.map((r) => ({ bucket: Number(r.bucket), count: Number(r.n), sum: r.sum, min: r.min, max: r.max }));
  }

  /** Whether PostgreSQL answers (health checks). */
  async ping(): Promise<boolean> {
    await this.pool.query('SELECT 1').catch((cause: unknown) => {
      throw unavailable(cause);
    });
    return true;
  }
}
