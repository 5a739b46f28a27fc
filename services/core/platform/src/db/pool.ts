import pg from 'pg';
import { env } from '../config.js';

export const postgresConfig = {
  databaseUrl: env.url('DATABASE_URL', {
    description: 'PostgreSQL connection URL',
    default: 'postgres://postgres@127.0.0.1:5432/postgres',
    protocols: ['postgres', 'postgresql'],
  }),
  databaseSchema: env.string('DATABASE_SCHEMA', {
    description: 'schema holding Telltale tables (created by migrations); tests use one per run',
    default: 'telltale',
  }),
  databasePoolSize: env.integer('DATABASE_POOL_SIZE', {
    description: 'connections per process',
    default: '5',
    min: 1,
    max: 200,
  }),
} as const;

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export function assertSchemaName(schema: string): string {
  if (!SCHEMA_NAME.test(schema)) {
    throw new Error(`invalid schema name "${schema}": lowercase letters, digits and _ only, at most 63 characters`);
  }
  return schema;
}

/** A pool whose connections resolve unqualified table names in `schema` (then public). */
export function createPgPool(options: {
  url: string;
  schema: string;
  max?: number;
  applicationName?: string;
}): pg.Pool {
  assertSchemaName(options.schema);
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.max ?? 5,
    application_name: options.applicationName ?? 'telltale',
    options: `-c search_path=${options.schema},public`,
    connectionTimeoutMillis: 5000,
  });
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on('error', () => undefined);
  return pool;
}

export type { Pool, PoolClient } from 'pg';
