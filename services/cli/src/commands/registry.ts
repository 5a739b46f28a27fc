import { parseArgs } from 'node:util';
import { createLogger, loadConfig } from '@telltale/platform';
import { createPgPool, migrate, postgresConfig } from '@telltale/platform/db';
import { PgRegistry, parseVehicleCsv } from '@telltale/registry';
import { syncBroker } from '@telltale/registry';
import { CliUsageError, type CliIo, type Command } from '../command.js';
import { withCliDatabase } from '../lib/database.js';
import { readInputFile } from '../lib/files.js';

export function withRegistry<T>(io: CliIo, fn: (registry: PgRegistry, schema: string) => Promise<T>): Promise<T> {
  return withCliDatabase(io, (pool, schema) => fn(new PgRegistry(pool), schema), { connections: 2 });
}

export const registryCommands: readonly Command[] = [
  {
    path: ['migrate'],
    summary: 'Apply the PostgreSQL migrations (registry, store, rules, ...) to DATABASE_SCHEMA',
    usage: `Usage: telltale migrate

Creates DATABASE_SCHEMA if needed and applies every migration not yet applied, in order (services also do this at
start). Environment: DATABASE_URL (postgres://postgres@127.0.0.1:5432/postgres), DATABASE_SCHEMA (telltale).`,
    run: async (args, io) => {
      if (args.length > 0) throw new CliUsageError(`unexpected argument "${args[0]}"`);
      const config = loadConfig(postgresConfig, io.env);
      const pool = createPgPool({
        url: config.databaseUrl,
        schema: config.databaseSchema,
        max: 1,
        applicationName: 'telltale-cli',
      });
      try {
        const { applied } = await migrate(pool, {
          schema: config.databaseSchema,
          log: createLogger({ service: 'telltale-cli', level: 'warn', destination: 2 }),
        });
        io.stdout.write(
          applied.length === 0
            ? `Schema ${config.databaseSchema} is up to date.\n`
            : `Applied to ${config.databaseSchema}: ${applied.join(', ')}\n`,
        );
        return 0;
      } finally {
        await pool.end();
      }
    },
  },
  {
    path: ['vehicles', 'import'],
    summary: 'Import fleets, vehicles and T-Box devices from a CSV file into the registry',
    usage: `Usage: telltale vehicles import <file.csv>

CSV with a header row. Required columns: vin, fleet_id, model_id, catalog_version. Optional: fleet_name, device_id,
device_secret. Rows update existing vehicles. A device without device_secret gets a generated one, printed once as
CSV (vin,device_id,device_secret) on stdout; only a PBKDF2 hash is stored. All rows are checked first: any problem
(listed with its line number) imports nothing. Run \`telltale broker sync\` afterwards to update the broker.`,
    run: async (args, io) => {
      const file = args[0];
      if (file === undefined || args.length > 1) throw new CliUsageError('expected exactly one CSV file');
      const rows = parseVehicleCsv(readInputFile(io, file).toString('utf8'));
      const result = await withRegistry(io, (registry) => registry.importVehicles(rows));
      io.stderr.write(`Imported ${result.vehicles} vehicles, ${result.devices} devices, ${result.fleets} fleets.\n`);
      if (result.generatedSecrets.length > 0) {
        io.stdout.write('vin,device_id,device_secret\n');
        for (const s of result.generatedSecrets) io.stdout.write(`${s.vin},${s.deviceId},${s.secret}\n`);
      }
      return 0;
    },
  },
  {
    path: ['broker', 'sync'],
    summary: "Write the authenticating Mosquitto's password file and ACL from the registry, then reload it",
    usage: `Usage: telltale broker sync [--no-reload]

Writes <dir>/passwd (user = VIN, the enabled device's PBKDF2 credential; plus the gateway's service account) and
<dir>/acl (a device may publish only to tbox/<its VIN>/telemetry), then sends SIGHUP to the project-managed Mosquitto
(deploy/local/mosquitto/mosquitto.sh) so it reloads them.
Environment: MQTT_AUTH_PORT (1884), MOSQUITTO_DIR (~/.cache/telltale/mosquitto-<port>), MQTT_SERVICE_USERNAME,
MQTT_SERVICE_PASSWORD (generated into <dir>/service.secret when absent), DATABASE_URL, DATABASE_SCHEMA.`,
    run: async (args, io) => {
      const { values } = parseArgs({
        args: [...args],
        options: { 'no-reload': { type: 'boolean', default: false } },
        strict: true,
      });
      const devices = await withRegistry(io, (registry) => registry.listBrokerDevices());
      const result = syncBroker({ env: io.env, devices, reload: !values['no-reload'] });
      io.stdout.write(`Wrote ${result.devices} device credentials and the ACL to ${result.dir}.\n`);
      if (result.reloaded) io.stderr.write('Mosquitto reloaded its password file and ACL.\n');
      return 0;
    },
  },
];
