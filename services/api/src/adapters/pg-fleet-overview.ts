/**
 * The fleet overview's aggregates, one query each for a page of vehicles: latest-signal counts with how many are
 * stale (thresholds from the catalogs, passed in per model version), last heard from, and open alerts by severity.
 */
import type { Pool } from '@telltale/platform/db';
import { TelltaleError } from '@telltale/platform';
import type { FleetScope } from '../domain/access.js';

export interface SignalCounts {
  readonly total: number;
  readonly stale: number;
  readonly lastEventTimeMs: number | undefined;
  readonly lastReceiveTimeMs: number | undefined;
}

/** Signal id → no update for this long is stale; signals without a threshold are never stale. */
export interface StaleThresholds {
  readonly signalIds: readonly number[];
  readonly staleAfterMs: readonly number[];
}

function unavailable(cause: unknown): TelltaleError {
  return new TelltaleError('DATABASE_UNAVAILABLE', 'The real-time store is unavailable.', { retryable: true, cause });
}

export class PgFleetOverviewReader {
  constructor(private readonly pool: Pool) {}

  /** Per VIN (vehicles of one catalog version): signals with a latest value, and how many are stale at `nowMs`. */
  async signalCounts(
    vins: readonly string[],
    thresholds: StaleThresholds,
    nowMs: number,
  ): Promise<Map<string, SignalCounts>> {
    const { rows } = await this.pool
      .query<{ vin: string; total: string; stale: string; event_ms: string; receive_ms: string }>(
        'SELECT l.vin, count(*) AS total, ' +
          'count(*) FILTER (WHERE t.stale_ms IS NOT NULL AND l.event_time_ms < $4::bigint - t.stale_ms) AS stale, ' +
          'max(l.event_time_ms) AS event_ms, max(l.receive_time_ms) AS receive_ms ' +
          'FROM signal_latest l ' +
          'LEFT JOIN unnest($2::int[], $3::bigint[]) AS t(signal_id, stale_ms) ON t.signal_id = l.signal_id ' +
          'WHERE l.vin = ANY($1::text[]) GROUP BY l.vin',
        [vins, thresholds.signalIds, thresholds.staleAfterMs, nowMs],
      )
      .catch((cause: unknown) => {
        throw unavailable(cause);
      });
    return new Map(
      rows.map((r) => [
        r.vin,
        {
          total: Number(r.total),
          stale: Number(r.stale),
          lastEventTimeMs: Number(r.event_ms),
          lastReceiveTimeMs: Number(r.receive_ms),
        },
      ]),
    );
  }

  /** Per VIN: alerts not yet cleared, counted by current severity; only alerts of the scope's fleets. */
  async openAlerts(vins: readonly string[], scope: FleetScope): Promise<Map<string, Record<string, number>>> {
    const { rows } = await this.pool
      .query<{ vin: string; severity: string; n: string }>(
        "SELECT vin, severity, count(*) AS n FROM alerts WHERE vin = ANY($1::text[]) AND state <> 'cleared' " +
          'AND ($2::boolean OR fleet_id = ANY($3::text[])) GROUP BY vin, severity',
        [vins, scope.all, scope.all ? [] : [...scope.fleets]],
      )
      .catch((cause: unknown) => {
        throw unavailable(cause);
      });
    const out = new Map<string, Record<string, number>>();
    for (const r of rows) out.set(r.vin, { ...out.get(r.vin), [r.severity]: Number(r.n) });
    return out;
  }
}
