/**
 * `--provision`: registers the simulated vehicles in the registry (fleet, vehicle, T-Box device with its secret's
 * PBKDF2 hash) and, when the simulation targets the authenticating Mosquitto, regenerates its password file and ACL
 * and reloads it, so the devices can log in with their own credentials.
 */
import { loadConfig } from '@telltale/platform';
import { createPgPool, migrate, postgresConfig } from '@telltale/platform/db';
import {
  PgRegistry,
  syncBroker,
  type BrokerSyncResult,
  type ImportResult,
  type VehicleImportRow,
} from '../core-registry.js';
import type { DeviceIdentity } from '../domain/identity.js';

export interface ProvisionOptions {
  readonly env: NodeJS.ProcessEnv;
  readonly identities: readonly DeviceIdentity[];
  readonly fleetId: string;
  readonly modelId: string;
  readonly catalogVersion: string;
  /** Sync the authenticating broker: true, false, or when its port is the MQTT URL's. */
  readonly brokerSync: boolean;
}

export interface ProvisionResult {
  readonly schema: string;
  readonly imported: ImportResult;
  readonly broker: BrokerSyncResult | undefined;
}

export async function provisionFleet(options: ProvisionOptions): Promise<ProvisionResult> {
  const config = loadConfig(postgresConfig, options.env);
  const pool = createPgPool({
    url: config.databaseUrl,
    schema: config.databaseSchema,
    max: 2,
    applicationName: 'telltale-simulator',
  });
  try {
    await migrate(pool, { schema: config.databaseSchema });
    const registry = new PgRegistry(pool);
    const rows: VehicleImportRow[] = options.identities.map((identity, i) => ({
      line: i + 2,
      vin: identity.vin,
      fleetId: options.fleetId,
      fleetName: `Simulated fleet ${options.fleetId}`,
      modelId: options.modelId,
      catalogVersion: options.catalogVersion,
      deviceId: identity.deviceId,
      deviceSecret: identity.deviceSecret,
    }));
    const imported = await registry.importVehicles(rows);
    const broker = options.brokerSync
      ? syncBroker({ env: options.env, devices: await registry.listBrokerDevices(), reload: 'if-running' })
      : undefined;
    return { schema: config.databaseSchema, imported, broker };
  } finally {
    await pool.end();
  }
}
