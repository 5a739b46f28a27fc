/** The vehicle registry in PostgreSQL (tables from migrations/0001_registry.sql). */
import type pg from 'pg';
import { TelltaleError } from '@telltale/platform/errors';
import { generateDeviceSecret, hashDeviceSecret } from './credentials.js';
import type { BrokerDevice } from './broker-auth.js';
import type { VehicleImportRow } from './vehicle-csv.js';

export interface VehicleRecord {
  readonly vin: string;
  readonly fleetId: string;
  readonly modelId: string;
  readonly catalogVersion: string;
  /** The enabled T-Box bound to this VIN, if any. */
  readonly deviceId: string | undefined;
}

export interface ImportResult {
  readonly fleets: number;
  readonly vehicles: number;
  readonly devices: number;
  /** Secrets generated for devices imported without one: shown once, never stored in plaintext. */
  readonly generatedSecrets: readonly { vin: string; deviceId: string; secret: string }[];
}

export interface FleetRecord {
  readonly fleetId: string;
  readonly name: string;
  readonly vehicleCount: number;
  readonly createdAt: Date;
}

export interface DeviceRecord {
  readonly deviceId: string;
  readonly vin: string;
  readonly enabled: boolean;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface NewVehicle {
  readonly vin: string;
  readonly fleetId: string;
  readonly modelId: string;
  readonly catalogVersion: string;
}

export type VehicleChanges = Partial<Omit<NewVehicle, 'vin'>>;

/** PostgreSQL error codes the administration methods turn into stable TelltaleError codes. */
const PG_UNIQUE_VIOLATION = '23505';
const PG_FOREIGN_KEY_VIOLATION = '23503';
const PG_CHECK_VIOLATION = '23514';

function pgCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function unavailable(cause: unknown): TelltaleError {
  return new TelltaleError('REGISTRY_UNAVAILABLE', `Vehicle registry query failed: ${(cause as Error).message}`, {
    retryable: true,
    cause,
  });
}

export class PgRegistry {
  constructor(private readonly pool: pg.Pool) {}

  async importVehicles(rows: readonly VehicleImportRow[]): Promise<ImportResult> {
    const client = await this.pool.connect().catch((cause: unknown) => {
      throw unavailable(cause);
    });
    const generatedSecrets: { vin: string; deviceId: string; secret: string }[] = [];
    try {
      await client.query('BEGIN');
      const fleets = new Map<string, string>();
      for (const r of rows) if (!fleets.has(r.fleetId) || r.fleetName) fleets.set(r.fleetId, r.fleetName ?? r.fleetId);
      await client.query(
        `INSERT INTO fleets (fleet_id, name) SELECT * FROM unnest($1::text[], $2::text[])
         ON CONFLICT (fleet_id) DO UPDATE SET name = excluded.name`,
        [[...fleets.keys()], [...fleets.values()]],
      );
      await client.query(
        `INSERT INTO vehicles (vin, fleet_id, model_id, catalog_version)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])
         ON CONFLICT (vin) DO UPDATE SET fleet_id = excluded.fleet_id, model_id = excluded.model_id,
           catalog_version = excluded.catalog_version, updated_at = now()`,
        [
          rows.map((r) => r.vin),
          rows.map((r) => r.fleetId),
          rows.map((r) => r.modelId),
          rows.map((r) => r.catalogVersion),
        ],
      );
      const withDevice = rows.filter((r) => r.deviceId !== undefined);
      const { rows: existing } = await client.query<{ device_id: string; vin: string }>(
        'SELECT device_id, vin FROM devices WHERE device_id = ANY($1::text[])',
        [withDevice.map((r) => r.deviceId)],
      );
      const existingVin = new Map(existing.map((e) => [e.device_id, e.vin]));
      for (const r of withDevice) {
        const deviceId = r.deviceId!;
        // A new T-Box for a VIN replaces the old one: disable others first (one enabled device per VIN).
        await client.query(
          'UPDATE devices SET enabled = false, updated_at = now() WHERE vin = $1 AND device_id <> $2 AND enabled',
          [r.vin, deviceId],
        );
        if (r.deviceSecret === undefined && existingVin.get(deviceId) === r.vin) {
          // Re-importing a known device without a secret keeps its credential (no silent rotation).
          await client.query('UPDATE devices SET enabled = true, updated_at = now() WHERE device_id = $1', [deviceId]);
          continue;
        }
        let secret = r.deviceSecret;
        if (secret === undefined) {
          secret = generateDeviceSecret();
          generatedSecrets.push({ vin: r.vin, deviceId, secret });
        }
        await client.query(
          `INSERT INTO devices (device_id, vin, credential_hash) VALUES ($1, $2, $3)
           ON CONFLICT (device_id) DO UPDATE SET vin = excluded.vin, credential_hash = excluded.credential_hash,
             enabled = true, updated_at = now()`,
          [deviceId, r.vin, hashDeviceSecret(secret)],
        );
      }
      await client.query('UPDATE registry_version SET version = version + 1');
      await client.query('COMMIT');
      return { fleets: fleets.size, vehicles: rows.length, devices: withDevice.length, generatedSecrets };
    } catch (cause) {
      await client.query('ROLLBACK').catch(() => undefined);
      if (cause instanceof TelltaleError) throw cause;
      throw new TelltaleError('VEHICLE_IMPORT_FAILED', `Import rolled back: ${(cause as Error).message}`, { cause });
    } finally {
      client.release();
    }
  }

  async getVehicle(vin: string): Promise<VehicleRecord | undefined> {
    const { rows } = await this.pool
      .query<{ vin: string; fleet_id: string; model_id: string; catalog_version: string; device_id: string | null }>(
        `SELECT v.vin, v.fleet_id, v.model_id, v.catalog_version, d.device_id
         FROM vehicles v LEFT JOIN devices d ON d.vin = v.vin AND d.enabled WHERE v.vin = $1`,
        [vin],
      )
      .catch((cause: unknown) => {
        throw unavailable(cause);
      });
    const r = rows[0];
    return r
      ? {
          vin: r.vin,
          fleetId: r.fleet_id,
          modelId: r.model_id,
          catalogVersion: r.catalog_version,
          deviceId: r.device_id ?? undefined,
        }
      : undefined;
  }

  /** Every vehicle with its enabled device: the gateway's and decoder's in-memory view. */
  async listVehicles(): Promise<VehicleRecord[]> {
    const { rows } = await this.pool
      .query<{ vin: string; fleet_id: string; model_id: string; catalog_version: string; device_id: string | null }>(
        `SELECT v.vin, v.fleet_id, v.model_id, v.catalog_version, d.device_id
         FROM vehicles v LEFT JOIN devices d ON d.vin = v.vin AND d.enabled ORDER BY v.vin`,
      )
      .catch((cause: unknown) => {
        throw unavailable(cause);
      });
    return rows.map((r) => ({
      vin: r.vin,
      fleetId: r.fleet_id,
      modelId: r.model_id,
      catalogVersion: r.catalog_version,
      deviceId: r.device_id ?? undefined,
    }));
  }

  async listBrokerDevices(): Promise<BrokerDevice[]> {
    const { rows } = await this.pool
      .query<{ vin: string; device_id: string; credential_hash: string }>(
        'SELECT vin, device_id, credential_hash FROM devices WHERE enabled ORDER BY vin',
      )
      .catch((cause: unknown) => {
        throw unavailable(cause);
      });
    return rows.map((r) => ({ vin: r.vin, deviceId: r.device_id, credentialHash: r.credential_hash }));
  }

  // Administration (the API's admin routes). Every change bumps registry_version in its transaction, so the
  // gateway's and decoder's registry views pick it up within REGISTRY_REFRESH_MS.

  async listFleets(): Promise<FleetRecord[]> {
    const { rows } = await this.pool
      .query<FleetRow>(`${FLEET_SELECT} GROUP BY f.fleet_id ORDER BY f.fleet_id`)
      .catch((cause: unknown) => {
        throw unavailable(cause);
      });
    return rows.map(fleetRecord);
  }

  async getFleet(fleetId: string): Promise<FleetRecord | undefined> {
    const { rows } = await this.pool
      .query<FleetRow>(`${FLEET_SELECT} WHERE f.fleet_id = $1 GROUP BY f.fleet_id`, [fleetId])
      .catch((cause: unknown) => {
        throw unavailable(cause);
      });
    return rows[0] ? fleetRecord(rows[0]) : undefined;
  }

  /** Throws FLEET_EXISTS when the id is taken. */
  async createFleet(fleetId: string, name: string): Promise<FleetRecord> {
    await this.change(
      async (client) => {
        await client.query('INSERT INTO fleets (fleet_id, name) VALUES ($1, $2)', [fleetId, name]);
        return true;
      },
      {
        [PG_UNIQUE_VIOLATION]: () =>
          new TelltaleError('FLEET_EXISTS', `Fleet ${fleetId} already exists.`, { details: { fleetId } }),
      },
    );
    return (await this.getFleet(fleetId))!;
  }

  /** undefined when there is no such fleet. */
  async renameFleet(fleetId: string, name: string): Promise<FleetRecord | undefined> {
    const changed = await this.change(async (client) => {
      const { rowCount } = await client.query('UPDATE fleets SET name = $2 WHERE fleet_id = $1', [fleetId, name]);
      return rowCount === 1;
    });
    return changed ? this.getFleet(fleetId) : undefined;
  }

  /** Throws VEHICLE_EXISTS, or FLEET_NOT_FOUND when the fleet does not exist. */
  async createVehicle(vehicle: NewVehicle): Promise<VehicleRecord> {
    await this.change(
      async (client) => {
        await client.query('INSERT INTO vehicles (vin, fleet_id, model_id, catalog_version) VALUES ($1, $2, $3, $4)', [
          vehicle.vin,
          vehicle.fleetId,
          vehicle.modelId,
          vehicle.catalogVersion,
        ]);
        return true;
      },
      {
        [PG_UNIQUE_VIOLATION]: () =>
          new TelltaleError('VEHICLE_EXISTS', `Vehicle ${vehicle.vin} already exists.`, {
            details: { vin: vehicle.vin },
          }),
        [PG_FOREIGN_KEY_VIOLATION]: () => fleetNotFound(vehicle.fleetId),
      },
    );
    return (await this.getVehicle(vehicle.vin))!;
  }

  /** Moves a vehicle to another fleet and/or model and catalog version; undefined when there is no such vehicle. */
  async updateVehicle(vin: string, changes: VehicleChanges): Promise<VehicleRecord | undefined> {
    const changed = await this.change(
      async (client) => {
        const { rowCount } = await client.query(
          `UPDATE vehicles SET fleet_id = coalesce($2, fleet_id), model_id = coalesce($3, model_id),
             catalog_version = coalesce($4, catalog_version), updated_at = now() WHERE vin = $1`,
          [vin, changes.fleetId ?? null, changes.modelId ?? null, changes.catalogVersion ?? null],
        );
        return rowCount === 1;
      },
      { [PG_FOREIGN_KEY_VIOLATION]: () => fleetNotFound(changes.fleetId ?? '') },
    );
    return changed ? this.getVehicle(vin) : undefined;
  }

  /** Removes a vehicle and its devices (its stored signals stay); false when there is no such vehicle. */
  async deleteVehicle(vin: string): Promise<boolean> {
    return this.change(async (client) => {
      await client.query('DELETE FROM devices WHERE vin = $1', [vin]);
      const { rowCount } = await client.query('DELETE FROM vehicles WHERE vin = $1', [vin]);
      return rowCount === 1;
    });
  }

  /** Every device ever bound to the vehicle, enabled first. */
  async listDevices(vin: string): Promise<DeviceRecord[]> {
    const { rows } = await this.pool
      .query<DeviceRow>(`${DEVICE_SELECT} WHERE vin = $1 ORDER BY enabled DESC, created_at, device_id`, [vin])
      .catch((cause: unknown) => {
        throw unavailable(cause);
      });
    return rows.map(deviceRecord);
  }

  /**
   * Binds a new T-Box to the vehicle with a generated secret (returned once, only its PBKDF2 hash is stored) and
   * disables the vehicle's other devices. Throws DEVICE_EXISTS (device ids are never reused) or VEHICLE_NOT_FOUND.
   */
  async addDevice(vin: string, deviceId: string): Promise<{ device: DeviceRecord; secret: string }> {
    const secret = generateDeviceSecret();
    const row = await this.change(
      async (client) => {
        await client.query('UPDATE devices SET enabled = false, updated_at = now() WHERE vin = $1 AND enabled', [vin]);
        const { rows } = await client.query<DeviceRow>(
          `INSERT INTO devices (device_id, vin, credential_hash) VALUES ($1, $2, $3)
           RETURNING device_id, vin, enabled, created_at, updated_at`,
          [deviceId, vin, hashDeviceSecret(secret)],
        );
        return rows[0]!;
      },
      {
        [PG_UNIQUE_VIOLATION]: () =>
          new TelltaleError('DEVICE_EXISTS', `Device ${deviceId} already exists; device ids are never reused.`, {
            details: { deviceId },
          }),
        [PG_FOREIGN_KEY_VIOLATION]: () =>
          new TelltaleError('VEHICLE_NOT_FOUND', `Vehicle ${vin} not found.`, { details: { vin } }),
      },
    );
    return { device: deviceRecord(row), secret };
  }

  /**
   * Enables (disabling the vehicle's other devices: one enabled T-Box per VIN) or disables a device of the vehicle;
   * undefined when the vehicle has no such device.
   */
  async setDeviceEnabled(vin: string, deviceId: string, enabled: boolean): Promise<DeviceRecord | undefined> {
    const row = await this.change(async (client) => {
      const { rowCount } = await client.query('SELECT 1 FROM devices WHERE vin = $1 AND device_id = $2 FOR UPDATE', [
        vin,
        deviceId,
      ]);
      if (rowCount !== 1) return undefined;
      if (enabled)
        await client.query(
          'UPDATE devices SET enabled = false, updated_at = now() WHERE vin = $1 AND device_id <> $2 AND enabled',
          [vin, deviceId],
        );
      const { rows } = await client.query<DeviceRow>(
        `UPDATE devices SET enabled = $3, updated_at = now() WHERE vin = $1 AND device_id = $2
         RETURNING device_id, vin, enabled, created_at, updated_at`,
        [vin, deviceId, enabled],
      );
      return rows[0];
    });
    return row ? deviceRecord(row) : undefined;
  }

  /**
   * Runs `work` in a transaction that also bumps registry_version (only when `work` changed something, i.e. did
   * not return false or undefined); maps PostgreSQL errors through `errors` by SQLSTATE.
   */
  private async change<T>(
    work: (client: pg.PoolClient) => Promise<T>,
    errors: Readonly<Record<string, () => TelltaleError>> = {},
  ): Promise<T> {
    const client = await this.pool.connect().catch((cause: unknown) => {
      throw unavailable(cause);
    });
    try {
      await client.query('BEGIN');
      const result = await work(client);
      if (result !== false && result !== undefined)
        await client.query('UPDATE registry_version SET version = version + 1');
      await client.query('COMMIT');
      return result;
    } catch (cause) {
      await client.query('ROLLBACK').catch(() => undefined);
      if (cause instanceof TelltaleError) throw cause;
      const code = pgCode(cause);
      const mapped = code === undefined ? undefined : errors[code];
      if (mapped) throw mapped();
      if (code === PG_CHECK_VIOLATION)
        throw new TelltaleError('REGISTRY_VALUE_INVALID', `Rejected by the registry: ${(cause as Error).message}`, {
          cause,
        });
      throw unavailable(cause);
    } finally {
      client.release();
    }
  }

  /** Increases on every change; caches compare it to decide whether to reload. */
  async version(): Promise<number> {
    const { rows } = await this.pool
      .query<{ version: string }>('SELECT version FROM registry_version')
      .catch((cause: unknown) => {
        throw unavailable(cause);
      });
    return Number(rows[0]?.version ?? 0);
  }
}

type FleetRow = { fleet_id: string; name: string; created_at: Date; vehicles: string };
const FLEET_SELECT =
  'SELECT f.fleet_id, f.name, f.created_at, count(v.vin) AS vehicles ' +
  'FROM fleets f LEFT JOIN vehicles v ON v.fleet_id = f.fleet_id';
const fleetRecord = (r: FleetRow): FleetRecord => ({
  fleetId: r.fleet_id,
  name: r.name,
  vehicleCount: Number(r.vehicles),
  createdAt: r.created_at,
});

type DeviceRow = { device_id: string; vin: string; enabled: boolean; created_at: Date; updated_at: Date };
const DEVICE_SELECT = 'SELECT device_id, vin, enabled, created_at, updated_at FROM devices';
const deviceRecord = (r: DeviceRow): DeviceRecord => ({
  deviceId: r.device_id,
  vin: r.vin,
  enabled: r.enabled,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

const fleetNotFound = (fleetId: string): TelltaleError =>
  new TelltaleError('FLEET_NOT_FOUND', `Fleet ${fleetId} not found.`, { details: { fleetId } });
