/**
 * Fleet health for the operator's dashboard: per fleet, the registered vehicles and those with no sample received
 * for `staleAfterMs` (or none at all). One aggregate over the registry and the latest-value blocks' maxima, keyed by
 * fleet (a bounded label, never a VIN); the metrics read it at most once per refresh period.
 */
import type { Pool } from '@telltale/platform/db';

export interface FleetFreshness {
  readonly fleetId: string;
  readonly vehicles: number;
  readonly stale: number;
}

export async function readFleetFreshness(pool: Pool, nowMs: number, staleAfterMs: number): Promise<FleetFreshness[]> {
  const { rows } = await pool.query<{ fleet_id: string; vehicles: string; stale: string }>(
    `SELECT v.fleet_id, count(*) AS vehicles,
            count(*) FILTER (WHERE l.last_ms IS NULL OR l.last_ms < $1) AS stale
     FROM vehicles v
     LEFT JOIN LATERAL (
       SELECT max(max_receive_time_ms) AS last_ms FROM signal_latest_block b WHERE b.vin = v.vin
     ) l ON true
     GROUP BY v.fleet_id`,
    [nowMs - staleAfterMs],
  );
  return rows.map((r) => ({ fleetId: r.fleet_id, vehicles: Number(r.vehicles), stale: Number(r.stale) }));
}
