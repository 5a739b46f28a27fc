import type { Logger } from 'pino';
import type { ConfigFile } from '../config.js';
import { TelltaleError } from '../errors.js';
import type { Lifecycle } from '../lifecycle.js';
import { migrate } from './migrate.js';
import { createPgPool, type Pool } from './pool.js';
import { serviceRoleName } from './service-role.js';

/**
 * Services that still change the schema at run time, with what they change: they keep the owner's connection.
 * None today: the store's day partitions go through SECURITY DEFINER functions (migration 0012), so every service
 * runs as `<schema>_service`.
 */
export const SERVICES_WITH_SCHEMA_CHANGES: Readonly<Record<string, string>> = Object.freeze({});

export interface ServiceDatabaseConfig {
  readonly databaseUrl: string;
  readonly databaseSchema: string;
  /** Migrations connect with this URL when set (not "-"); the services' own connections use databaseUrl. */
  readonly databaseOwnerUrl?: string;
  readonly databaseSslCaFile?: ConfigFile | undefined;
}

/**
 * A service's PostgreSQL pool on its schema, with the migrations applied (services migrate at start, as the schema
 * owner) and closed as the last step of its shutdown. Its connections run as the schema's service role (migration
 * 0009): read and write the tables, never create, alter or drop them.
 */
export async function openServiceDatabase(
  config: ServiceDatabaseConfig,
  options: { readonly service: string; readonly max: number; readonly lifecycle: Lifecycle; readonly log: Logger },
): Promise<Pool> {
  const ownerUrl =
    config.databaseOwnerUrl === undefined || config.databaseOwnerUrl === '-'
      ? config.databaseUrl
      : config.databaseOwnerUrl;
  const applicationName = `telltale-${options.service}`;
  const owner = createPgPool({
    url: ownerUrl,
    schema: config.databaseSchema,
    max: 1,
    applicationName: `${applicationName}-migrate`,
    sslCa: config.databaseSslCaFile,
  });
  try {
    await migrate(owner, { schema: config.databaseSchema, log: options.log });
  } finally {
    await owner.end();
  }

  const schemaChanges = SERVICES_WITH_SCHEMA_CHANGES[options.service];
  const role = schemaChanges === undefined ? serviceRoleName(config.databaseSchema) : undefined;
  if (schemaChanges !== undefined) {
    options.log.warn(
      { service: options.service, schema: config.databaseSchema },
      `Connecting as the schema owner: this service ${schemaChanges}.`,
    );
  }
  const pool = createPgPool({
    url: config.databaseUrl,
    schema: config.databaseSchema,
    max: options.max,
    applicationName,
    sslCa: config.databaseSslCaFile,
    ...(role === undefined ? {} : { role }),
  });
  options.lifecycle.onShutdown('postgres', () => pool.end());
  // Fail at start, naming the role, rather than on the first query.
  await pool.query('SELECT 1').catch((cause: unknown) => {
    throw new TelltaleError(
      'DATABASE_SERVICE_ROLE_UNAVAILABLE',
      `Cannot connect to PostgreSQL (DATABASE_URL) as role ${role ?? '(owner)'} on schema ` +
        `${config.databaseSchema}: ${(cause as Error).message}. The DATABASE_URL user must be a member of the role ` +
        '(migration 0009 grants it to the migrating user).',
      { retryable: true, cause, details: { role, schema: config.databaseSchema } },
    );
  });
  return pool;
}
