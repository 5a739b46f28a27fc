/** The API's read model of the registry: vehicles with their enabled device, filtered by fleet scope. */
import type { Pool } from '@telltale/platform/db';
import { TelltaleError } from '@telltale/platform';
import type { FleetScope } from '../domain/access.js';
import { TtlCache } from '../domain/ttl-cache.js';

export interface VehicleView {
  readonly vin: string;
  readonly fleetId: string;
  readonly modelId: string;
  readonly catalogVersion: string;
  /** The enabled T-Box, if any. */
  readonly deviceId: string | undefined;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface VehicleQuery {
  readonly scope: FleetScope;
  readonly fleetId?: string | undefined;
  readonly modelId?: string | undefined;
  /** Keyset pagination: VINs after this one. */
  readonly afterVin?: string | undefined;
  readonly limit: number;
}

type Row = {
  vin: string;
  fleet_id: string;
  model_id: string;
  catalog_version: string;
  device_id: string | null;
  created_at: Date;
  updated_at: Date;
};

const SELECT = `SELECT v.vin, v.fleet_id, v.model_id, v.catalog_version, d.device_id, v.created_at, v.updated_at
  FROM vehicles v LEFT JOIN devices d ON d.vin = v.vin AND d.enabled`;

const view = (r: Row): VehicleView => ({
  vin: r.vin,
  fleetId: r.fleet_id,
  modelId: r.model_id,
  catalogVersion: r.catalog_version,
  deviceId: r.device_id ?? undefined,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

function unavailable(cause: unknown): TelltaleError {
  return new TelltaleError('DATABASE_UNAVAILABLE', `Vehicle query failed: ${(cause as Error).message}`, {
    retryable: true,
    cause,
  });
}

export class PgVehicleReader {
  private readonly cache: TtlCache<string, VehicleView | undefined>;

  /**
   * `lookupCacheMs` (API_AUTH_CACHE_MS): `get` serves a vehicle (its fleet, for the scope check) read at most this
   * long ago, so a vehicle moved or removed elsewhere stops being served to its old fleet within it; changes through
   * this instance call `forget` and are seen at once. 0: every `get` reads.
   */
  constructor(
    private readonly pool: Pool,
    lookupCacheMs = 0,
    private readonly now: () => number = Date.now,
  ) {
    this.cache = new TtlCache({ ttlMs: lookupCacheMs });
  }

  /** The registry changed the vehicle through this instance: the next `get` reads it. */
  forget(vin: string): void {
    this.cache.delete(vin);
  }

  /** One page in VIN order, and whether more follow. */
  async list(query: VehicleQuery): Promise<{ vehicles: VehicleView[]; more: boolean }> {
    const { rows } = await this.pool
      .query<Row>(
        `${SELECT}
         WHERE ($1 OR v.fleet_id = ANY ($2::text[]))
           AND ($3::text IS NULL OR v.fleet_id = $3) AND ($4::text IS NULL OR v.model_id = $4)
           AND ($5::text IS NULL OR v.vin > $5)
         ORDER BY v.vin LIMIT $6`,
        [
          query.scope.all,
          query.scope.all ? [] : [...query.scope.fleets],
          query.fleetId ?? null,
          query.modelId ?? null,
          query.afterVin ?? null,
          query.limit + 1,
        ],
      )
      .catch((cause: unknown) => {
        throw unavailable(cause);
      });
    return { vehicles: rows.slice(0, query.limit).map(view), more: rows.length > query.limit };
  }

  /** The vehicle, whatever its fleet: scope checks are the caller's (and answer "not found" alike). Cached. */
  get(vin: string): Promise<VehicleView | undefined> {
    return this.cache.load(vin, this.now(), () => this.read(vin));
  }

  private async read(vin: string): Promise<VehicleView | undefined> {
    const { rows } = await this.pool.query<Row>(`${SELECT} WHERE v.vin = $1`, [vin]).catch((cause: unknown) => {
      throw unavailable(cause);
    });
    return rows[0] ? view(rows[0]) : undefined;
  }
}
