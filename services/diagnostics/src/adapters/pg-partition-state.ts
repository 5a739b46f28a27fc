/**
 * Partition ownership and vehicle state in PostgreSQL (migration 0005_alerts.sql): per partition of
 * vehicle.signals.v1 its epoch (bumped by every claim, fencing the former owner) and the offset the persisted vehicle
 * state reflects; the rule engine's state per vehicle, written with that offset in one transaction.
 */
import type { Pool } from '@telltale/platform/db';
import type { CheckpointStore, VehicleStateRow } from '../pipeline/checkpoint-writer.js';
import type { ClaimStore, PartitionClaim } from '../pipeline/partition-claims.js';
import type { PartitionRef } from '../pipeline/records.js';
import { fencedTransaction, queryRows } from './pg-fenced-transaction.js';

export class PgPartitionState implements ClaimStore, CheckpointStore {
  constructor(private readonly pool: Pool) {}

  /** Takes ownership of a partition: bumps its epoch (fencing the former owner's later writes). */
  async claimPartition(ref: PartitionRef, owner: string): Promise<PartitionClaim> {
    const { rows } = await queryRows<{ epoch: string; next_offset: string | null }>(
      this.pool,
      `INSERT INTO diagnostics_partitions (topic, partition, epoch, owner) VALUES ($1, $2, 1, $3)
       ON CONFLICT (topic, partition) DO UPDATE SET epoch = diagnostics_partitions.epoch + 1, owner = EXCLUDED.owner
       RETURNING epoch, next_offset`,
      [ref.topic, ref.partition, owner],
    );
    const row = rows[0]!;
    return { epoch: Number(row.epoch), nextOffset: row.next_offset === null ? null : BigInt(row.next_offset) };
  }

  /**
   * The persisted state of the vehicles `owns(vin)` picks among those of the topic. Ownership is decided by the
   * caller from the VIN (the producers' partitioner and today's partition count), not by the partition the state was
   * written under: after the topic's partitions grew, a vehicle's state follows it to its new partition.
   */
  async loadStates(topic: string, owns: (vin: string) => boolean): Promise<{ vin: string; state: unknown }[]> {
    const { rows: all } = await queryRows<{ vin: string }>(
      this.pool,
      'SELECT vin FROM diagnostics_vehicle_state WHERE topic = $1',
      [topic],
    );
    const vins = all.map((r) => r.vin).filter(owns);
    if (vins.length === 0) return [];
    const { rows } = await queryRows<{ vin: string; state: unknown }>(
      this.pool,
      'SELECT vin, state FROM diagnostics_vehicle_state WHERE vin = ANY($1::text[])',
      [vins],
    );
    return rows;
  }

  /**
   * Persists vehicle states as of `nextOffset` of their partition, in one transaction, if `epoch` is still the
   * partition's. False: another instance claimed the partition since (nothing was written).
   */
  async checkpoint(
    ref: PartitionRef,
    epoch: number,
    nextOffset: bigint,
    states: readonly VehicleStateRow[],
    nowMs: number,
  ): Promise<boolean> {
    return fencedTransaction(this.pool, [{ ...ref, epoch }], async (client) => {
      if (states.length > 0) {
        await client.query(
          `INSERT INTO diagnostics_vehicle_state (vin, topic, partition, state, updated_ms)
           SELECT s.vin, $2, $3, s.state::jsonb, $4 FROM unnest($1::text[], $5::text[]) AS s (vin, state)
           ON CONFLICT (vin) DO UPDATE SET topic = EXCLUDED.topic, partition = EXCLUDED.partition,
             state = EXCLUDED.state, updated_ms = EXCLUDED.updated_ms`,
          [states.map((s) => s.vin), ref.topic, ref.partition, nowMs, states.map((s) => s.state)],
        );
      }
      await client.query(
        'UPDATE diagnostics_partitions SET next_offset = $3, checkpoint_ms = $4 WHERE topic = $1 AND partition = $2',
        [ref.topic, ref.partition, nextOffset.toString(), nowMs],
      );
    });
  }
}
