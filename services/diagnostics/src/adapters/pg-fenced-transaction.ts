/**
 * What the diagnostics PostgreSQL adapters share: a write that commits only while this instance still owns the
 * partition (its epoch unchanged: a claim by another instance fences the former owner), and one error code for any
 * failed query (retryable: PostgreSQL may be back on the next attempt).
 */
import { TelltaleError } from '@telltale/platform';
import type { Pool, PoolClient } from '@telltale/platform/db';
import type { PartitionRef } from '../pipeline/records.js';

/** Runs `work` in a transaction if `epoch` is still the partition's (read FOR SHARE); false: fenced, not written. */
export async function fencedTransaction(
  pool: Pool,
  fences: readonly (PartitionRef & { epoch: number })[],
  work: (client: PoolClient) => Promise<void>,
): Promise<boolean> {
  const client = await connectClient(pool);
  try {
    await client.query('BEGIN');
    for (const f of fences) {
      const { rows } = await client.query<{ epoch: string }>(
        'SELECT epoch FROM diagnostics_partitions WHERE topic = $1 AND partition = $2 FOR SHARE',
        [f.topic, f.partition],
      );
      if (rows[0] === undefined || Number(rows[0].epoch) !== f.epoch) {
        await client.query('ROLLBACK');
        return false;
      }
    }
    await work(client);
    await client.query('COMMIT');
    return true;
  } catch (cause) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw storeUnavailable(cause);
  } finally {
    client.release();
  }
}

export async function connectClient(pool: Pool): Promise<PoolClient> {
  try {
    return await pool.connect();
  } catch (cause) {
    throw storeUnavailable(cause);
  }
}

export async function queryRows<R extends object>(pool: Pool, sql: string, params: unknown[]): Promise<{ rows: R[] }> {
  try {
    return await pool.query<R>(sql, params);
  } catch (cause) {
    throw storeUnavailable(cause);
  }
}

export function storeUnavailable(cause: unknown): TelltaleError {
  if (cause instanceof TelltaleError) return cause;
  return new TelltaleError(
    'DIAGNOSTICS_STORE_UNAVAILABLE',
    `PostgreSQL write of diagnostics state failed: ${(cause as Error).message}`,
    { retryable: true, cause },
  );
}
