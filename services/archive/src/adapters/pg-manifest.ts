/**
 * The archive's state in PostgreSQL (migration 0011_archive.sql): partition claims (fencing epochs), the segment
 * ledger (which offsets are archived), the file manifest (what readers see) and the queue of files to delete.
 * Every change that must be atomic is one transaction here.
 */
import type pg from 'pg';
import { TelltaleError } from '@telltale/platform';

export interface ManifestFile {
  /** Relative to ARCHIVE_DIR. */
  readonly path: string;
  readonly modelId: string;
  readonly date: string;
  readonly hour: number;
  readonly rows: number;
  readonly bytes: number;
  readonly minEventTimeMs: number;
  readonly maxEventTimeMs: number;
  /** The file's per-second rollup, relative to ARCHIVE_DIR (compacted files); absent: none. */
  readonly rollupPath?: string | undefined;
}

export interface SegmentCommit {
  readonly topic: string;
  readonly partition: number;
  readonly firstOffset: bigint;
  readonly lastOffset: bigint;
  readonly epoch: bigint;
  readonly rows: number;
  readonly files: readonly ManifestFile[];
}

export interface Claim {
  readonly epoch: bigint;
  /** Highest archived offset of the partition (-1 when none). */
  readonly doneThrough: bigint;
}

export interface HourToCompact {
  readonly modelId: string;
  readonly date: string;
  readonly hour: number;
  readonly files: readonly ManifestFile[];
}

const INSERT_FILES = `
INSERT INTO archive_files (path, model_id, date, hour, topic, partition, first_offset, last_offset, rows, bytes,
  min_event_time_ms, max_event_time_ms, source_files, rollup_path)
SELECT * FROM unnest($1::text[], $2::text[], $3::date[], $4::smallint[], $5::text[], $6::int[], $7::int8[], $8::int8[],
  $9::int8[], $10::int8[], $11::int8[], $12::int8[], $13::int[], $14::text[])`;

function fileParams(
  files: readonly ManifestFile[],
  source: { topic: string | null; partition: number | null; first: string | null; last: string | null },
  sourceFiles: number,
): unknown[] {
  return [
    files.map((f) => f.path),
    files.map((f) => f.modelId),
    files.map((f) => f.date),
    files.map((f) => f.hour),
    files.map(() => source.topic),
    files.map(() => source.partition),
    files.map(() => source.first),
    files.map(() => source.last),
    files.map((f) => f.rows),
    files.map((f) => f.bytes),
    files.map((f) => f.minEventTimeMs),
    files.map((f) => f.maxEventTimeMs),
    files.map(() => sourceFiles),
    files.map((f) => f.rollupPath ?? null),
  ];
}

interface FileRow {
  path: string;
  model_id: string;
  date: string;
  hour: number;
  rows: string;
  bytes: string;
  min_event_time_ms: string;
  max_event_time_ms: string;
  rollup_path: string | null;
}

function toFile(r: FileRow): ManifestFile {
  return {
    path: r.path,
    modelId: r.model_id,
    date: r.date,
    hour: Number(r.hour),
    rows: Number(r.rows),
    bytes: Number(r.bytes),
    minEventTimeMs: Number(r.min_event_time_ms),
    maxEventTimeMs: Number(r.max_event_time_ms),
    ...(r.rollup_path === null ? {} : { rollupPath: r.rollup_path }),
  };
}

const FILE_COLUMNS = `path, model_id, to_char(date, 'YYYY-MM-DD') AS date, hour, rows, bytes, min_event_time_ms,
  max_event_time_ms, rollup_path`;

/** The data and rollup paths of removed manifest rows: what to queue for deletion. */
function removedPaths(rows: readonly { path: string; rollup_path: string | null }[]): string[] {
  return rows.flatMap((r) => (r.rollup_path === null ? [r.path] : [r.path, r.rollup_path]));
}

export class PgManifest {
  constructor(private readonly pool: pg.Pool) {}

  /**
   * Takes over a partition: bumps its epoch (a previous owner still flushing can no longer commit) and reads how
   * far it is archived.
   */
  async claim(topic: string, partition: number): Promise<Claim> {
    return this.tx('ARCHIVE_MANIFEST_UNAVAILABLE', async (c) => {
      const { rows } = await c.query<{ epoch: string }>(
        `INSERT INTO archive_claims (topic, partition, epoch) VALUES ($1, $2, 1)
         ON CONFLICT (topic, partition) DO UPDATE SET epoch = archive_claims.epoch + 1, claimed_at = now()
         RETURNING epoch`,
        [topic, partition],
      );
      const done = await c.query<{ last: string | null }>(
        'SELECT max(last_offset) AS last FROM archive_segments WHERE topic = $1 AND partition = $2',
        [topic, partition],
      );
      return { epoch: BigInt(rows[0]!.epoch), doneThrough: BigInt(done.rows[0]?.last ?? -1) };
    });
  }

  /**
   * Records a flushed segment and its files in one transaction. Fails with ARCHIVE_FENCED when another instance
   * claimed the partition since `epoch`, ARCHIVE_OFFSETS_OVERLAP when part of the range is already archived.
   */
  async commitSegment(s: SegmentCommit): Promise<void> {
    await this.tx('ARCHIVE_MANIFEST_UNAVAILABLE', async (c) => {
      const claim = await c.query<{ epoch: string }>(
        'SELECT epoch FROM archive_claims WHERE topic = $1 AND partition = $2 FOR UPDATE',
        [s.topic, s.partition],
      );
      const current = claim.rows[0]?.epoch;
      if (current === undefined || BigInt(current) !== s.epoch) {
        throw new TelltaleError(
          'ARCHIVE_FENCED',
          `Partition ${s.partition} of ${s.topic} was claimed by another owner (epoch ${current} ≠ ${s.epoch}).`,
          { retryable: false, details: { partition: s.partition, epoch: String(s.epoch) } },
        );
      }
      const done = await c.query<{ last: string | null }>(
        'SELECT max(last_offset) AS last FROM archive_segments WHERE topic = $1 AND partition = $2',
        [s.topic, s.partition],
      );
      const last = done.rows[0]?.last;
      if (last !== null && last !== undefined && BigInt(last) >= s.firstOffset) {
        throw new TelltaleError(
          'ARCHIVE_OFFSETS_OVERLAP',
          `Offsets ${s.firstOffset}–${s.lastOffset} of partition ${s.partition} overlap archived offsets ` +
            `through ${last}.`,
          { retryable: false, details: { partition: s.partition } },
        );
      }
      await c.query(
        `INSERT INTO archive_segments (topic, partition, first_offset, last_offset, epoch, rows, files)
         VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [s.topic, s.partition, String(s.firstOffset), String(s.lastOffset), String(s.epoch), s.rows, s.files.length],
      );
      if (s.files.length > 0) {
        await c.query(
          INSERT_FILES,
          fileParams(
            s.files,
            { topic: s.topic, partition: s.partition, first: String(s.firstOffset), last: String(s.lastOffset) },
            1,
          ),
        );
      }
    });
  }

  /** Which of these relative paths are in the manifest (as a file or as a file's rollup). */
  async listed(paths: readonly string[]): Promise<Set<string>> {
    if (paths.length === 0) return new Set();
    const { rows } = await this.query<{ path: string }>(
      `SELECT path FROM archive_files WHERE path = ANY($1)
       UNION SELECT rollup_path FROM archive_files WHERE rollup_path = ANY($1)`,
      [paths],
    );
    return new Set(rows.map((r) => r.path));
  }

  /**
   * Hours that ended before `endedBeforeMs` and have more than one file or a file without a rollup (a single
   * flushed file, or an hour compacted before rollups existed), oldest first.
   */
  async hoursToCompact(endedBeforeMs: number, limit: number): Promise<HourToCompact[]> {
    const { rows } = await this.query<{ model_id: string; date: string; hour: number }>(
      `SELECT model_id, to_char(date, 'YYYY-MM-DD') AS date, hour FROM archive_files
       WHERE (extract(epoch FROM date) * 1000)::int8 + (hour + 1) * 3600000::int8 <= $1
       GROUP BY model_id, date, hour HAVING count(*) > 1 OR bool_or(rollup_path IS NULL)
       ORDER BY date, hour, model_id LIMIT $2`,
      [endedBeforeMs, limit],
    );
    const out: HourToCompact[] = [];
    for (const h of rows)
      out.push({ modelId: h.model_id, date: h.date, hour: Number(h.hour), files: await this.filesOf(h) });
    return out;
  }

  async filesOf(h: { model_id: string; date: string; hour: number }): Promise<ManifestFile[]> {
    const { rows } = await this.query<FileRow>(
      `SELECT ${FILE_COLUMNS} FROM archive_files WHERE model_id = $1 AND date = $2 AND hour = $3 ORDER BY path`,
      [h.model_id, h.date, h.hour],
    );
    return rows.map(toFile);
  }

  /** Files of these models whose event times overlap [fromMs, toMs). */
  async filesInRange(modelIds: readonly string[], fromMs: number, toMs: number): Promise<ManifestFile[]> {
    const { rows } = await this.query<FileRow>(
      `SELECT ${FILE_COLUMNS} FROM archive_files
       WHERE model_id = ANY($1) AND max_event_time_ms >= $2 AND min_event_time_ms < $3 ORDER BY date, hour, path`,
      [modelIds, fromMs, toMs],
    );
    return rows.map(toFile);
  }

  /**
   * Swaps an hour's files for their merge: the inputs leave the manifest (and are queued for deletion), the merged
   * file enters it, in one transaction. False (nothing changed) when an input is no longer listed.
   */
  async swapCompacted(inputs: readonly ManifestFile[], merged: ManifestFile, sourceFiles: number): Promise<boolean> {
    const conflict = new Error('an input left the manifest');
    return this.tx('ARCHIVE_MANIFEST_UNAVAILABLE', async (c) => {
      const paths = inputs.map((f) => f.path);
      const removed = await c.query<{ path: string; rollup_path: string | null }>(
        'DELETE FROM archive_files WHERE path = ANY($1) RETURNING path, rollup_path',
        [paths],
      );
      if (removed.rowCount !== inputs.length) throw conflict;
      await c.query(
        INSERT_FILES,
        fileParams([merged], { topic: null, partition: null, first: null, last: null }, sourceFiles),
      );
      await c.query(
        `INSERT INTO archive_pending_deletes (path, reason)
         SELECT unnest($1::text[]), 'compacted' ON CONFLICT DO NOTHING`,
        [removedPaths(removed.rows)],
      );
      return true;
    }).catch((error: unknown) => {
      if ((error as TelltaleError).cause === conflict) return false;
      throw error;
    });
  }

  async sourceFileCount(paths: readonly string[]): Promise<number> {
    const { rows } = await this.query<{ n: string | null }>(
      'SELECT sum(source_files) AS n FROM archive_files WHERE path = ANY($1)',
      [paths],
    );
    return Number(rows[0]?.n ?? 0);
  }

  /**
   * Retention: files of days before `beforeDate` (YYYY-MM-DD) leave the manifest and are queued for deletion in one
   * transaction; the segment ledger keeps only each partition's newest row of that age (where to resume).
   */
  async dropBefore(beforeDate: string, cutoffMs: number): Promise<string[]> {
    return this.tx('ARCHIVE_MANIFEST_UNAVAILABLE', async (c) => {
      const { rows } = await c.query<{ path: string; rollup_path: string | null }>(
        'DELETE FROM archive_files WHERE date < $1 RETURNING path, rollup_path',
        [beforeDate],
      );
      const paths = removedPaths(rows);
      await c.query(
        `INSERT INTO archive_pending_deletes (path, reason)
         SELECT unnest($1::text[]), 'retention' ON CONFLICT DO NOTHING`,
        [paths],
      );
      await c.query(
        `DELETE FROM archive_segments s WHERE s.committed_at < to_timestamp($1 / 1000.0)
           AND s.first_offset < (SELECT max(m.first_offset) FROM archive_segments m
                                 WHERE m.topic = s.topic AND m.partition = s.partition)`,
        [cutoffMs],
      );
      return paths;
    });
  }

  async pendingDeletes(): Promise<string[]> {
    const { rows } = await this.query<{ path: string }>('SELECT path FROM archive_pending_deletes ORDER BY path');
    return rows.map((r) => r.path);
  }

  async clearPendingDeletes(paths: readonly string[]): Promise<void> {
    if (paths.length > 0) await this.query('DELETE FROM archive_pending_deletes WHERE path = ANY($1)', [paths]);
  }

  /** Runs `work` while holding a session advisory lock (one compactor at a time); undefined if another holds it. */
  async withExclusiveLock<T>(name: string, work: () => Promise<T>): Promise<T | undefined> {
    const client = await this.connect();
    try {
      const { rows } = await client.query<{ ok: boolean }>(
        "SELECT pg_try_advisory_lock(hashtext(current_schema() || '.' || $1)) AS ok",
        [name],
      );
      if (!rows[0]?.ok) return undefined;
      try {
        return await work();
      } finally {
        await client
          .query("SELECT pg_advisory_unlock(hashtext(current_schema() || '.' || $1))", [name])
          .catch(() => undefined);
      }
    } finally {
      client.release();
    }
  }

  private async connect(): Promise<pg.PoolClient> {
    return this.pool.connect().catch((cause: unknown) => {
      throw unavailable(cause);
    });
  }

  private async query<R extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<pg.QueryResult<R>> {
    try {
      return await this.pool.query<R>(sql, params);
    } catch (cause) {
      throw unavailable(cause);
    }
  }

  private async tx<T>(code: string, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.connect();
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (cause) {
      await client.query('ROLLBACK').catch(() => undefined);
      if (cause instanceof TelltaleError) throw cause;
      throw new TelltaleError(code, `Archive manifest transaction failed: ${(cause as Error).message}`, {
        retryable: true,
        cause,
      });
    } finally {
      client.release();
    }
  }
}

function unavailable(cause: unknown): TelltaleError {
  return new TelltaleError('ARCHIVE_MANIFEST_UNAVAILABLE', `PostgreSQL: ${(cause as Error).message}`, {
    retryable: true,
    cause,
  });
}
