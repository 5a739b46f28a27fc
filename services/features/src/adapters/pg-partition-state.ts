/**
 * Window state and offsets in PostgreSQL (migration 0015): `features_partitions` (next offset, epoch, owner) and
 * `features_vehicle_state` (one row per vehicle, as of its partition's next offset), written in one transaction that
 * commits only while the partition's epoch is still the one this instance claimed.
 */
import { TelltaleError } from '@telltale/platform';
import type { Pool } from '@telltale/platform/db';
import type { PartitionRef, PartitionSnapshot, PartitionStateStore, VehicleStateJson } from '../pipeline/ports.js';

function unavailable(cause: unknown): TelltaleError {
  return new TelltaleError(
    'FEATURES_STORE_UNAVAILABLE',
    `PostgreSQL write of features state failed: ${(cause as Error).message}`,
    { retryable: true, cause },
  );
}

export class PgPartitionState implements PartitionStateStore {
  constructor(private readonly pool: Pool) {}

  async claim(ref: PartitionRef, owner: string): Promise<PartitionSnapshot> {
    try {
      const { rows } = await this.pool.query<{ epoch: string; next_offset: string | null }>(
        `INSERT INTO features_partitions (topic, partition, epoch, owner) VALUES ($1, $2, 1, $3)
         ON CONFLICT (topic, partition) DO UPDATE SET epoch = features_partitions.epoch + 1, owner = $3
         RETURNING epoch, next_offset`,
        [ref.topic, ref.partition, owner],
      );
      const states = await this.pool.query<{ vin: string; state: VehicleStateJson }>(
        'SELECT vin, state FROM features_vehicle_state WHERE topic = $1 AND partition = $2',
        [ref.topic, ref.partition],
      );
      return {
        epoch: Number(rows[0]!.epoch),
        nextOffset: rows[0]!.next_offset === null ? null : BigInt(rows[0]!.next_offset),
        vehicles: new Map(states.rows.map((r) => [r.vin, r.state])),
      };
    } catch (cause) {
      throw unavailable(cause);
    }
  }

  async checkpoint(
    ref: PartitionRef,
    epoch: number,
    nextOffset: bigint,
    vehicles: ReadonlyMap<string, VehicleStateJson>,
  ): Promise<boolean> {
    const client = await this.pool.connect().catch((cause: unknown) => {
      throw unavailable(cause);
    });
    try {
      await client.query('BEGIN');
      const fenced = await client.query(
        `UPDATE features_partitions SET next_offset = $4, checkpoint_ms = $5
         WHERE topic = $1 AND partition = $2 AND epoch = $3`,
        [ref.topic, ref.partition, epoch, nextOffset.toString(), Date.now()],
      );
      if (fenced.rowCount !== 1) {
        await client.query('ROLLBACK');
        return false;
      }
      if (vehicles.size > 0) {
        const vins = [...vehicles.keys()];
        await client.query(
          `INSERT INTO features_vehicle_state (vin, topic, partition, state, updated_ms)
           SELECT vin, $2, $3, state::jsonb, $5 FROM unnest($1::text[], $4::text[]) AS t (vin, state)
           ON CONFLICT (vin) DO UPDATE SET topic = $2, partition = $3, state = EXCLUDED.state, updated_ms = $5`,
          [vins, ref.topic, ref.partition, vins.map((v) => JSON.stringify(vehicles.get(v))), Date.now()],
        );
      }
      await client.query('COMMIT');
      return true;
    } catch (cause) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw unavailable(cause);
    } finally {
      client.release();
    }
  }
}
