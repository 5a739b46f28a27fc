import pg from 'pg';
import { env, type ConfigFile } from '../config.js';

export const postgresConfig = {
  databaseUrl: env.url('DATABASE_URL', {
    description:
      'PostgreSQL connection URL of the services (TLS: ?sslmode=verify-full, or DATABASE_SSL_CA_FILE); ' +
      'service connections run as the role <schema>_service',
    default: 'postgres://postgres@127.0.0.1:5432/postgres',
    protocols: ['postgres', 'postgresql'],
  }),
  databaseOwnerUrl: env.string('DATABASE_OWNER_URL', {
    description: 'connection URL of the schema owner, used for migrations only ("-": DATABASE_URL)',
    default: '-',
  }),
  databaseSslCaFile: env.file('DATABASE_SSL_CA_FILE', {
    description: 'PEM CA bundle: connect over TLS and verify the server certificate and host name against it',
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

/** What a pool needs to reach the database over TLS: the CA to verify the server with. */
export interface PgTlsOptions {
  /** PEM CA bundle; the server certificate and its host name are verified against it. */
  readonly sslCa?: ConfigFile | Buffer | string | undefined;
}

/**
 * The `ssl` option of a pg pool. A CA given here takes precedence over sslmode/sslrootcert in the URL (which pg
 * otherwise applies itself): the URL's TLS parameters are removed so the two cannot disagree.
 */
export function pgSslOptions(url: string, tls: PgTlsOptions): { url: string; ssl?: pg.ConnectionConfig['ssl'] } {
  if (tls.sslCa === undefined) return { url };
  const ca = Buffer.isBuffer(tls.sslCa) || typeof tls.sslCa === 'string' ? tls.sslCa : tls.sslCa.contents;
  const parsed = new URL(url);
  for (const p of ['sslmode', 'ssl', 'sslrootcert', 'sslcert', 'sslkey', 'uselibpqcompat'])
    parsed.searchParams.delete(p);
  return { url: parsed.toString(), ssl: { ca: ca.toString(), rejectUnauthorized: true } };
}

/** A pool whose connections resolve unqualified table names in `schema` (then public). */
export function createPgPool(options: {
  url: string;
  schema: string;
  max?: number;
  applicationName?: string;
  /** Run every connection as this role (SET ROLE at connection start), e.g. serviceRoleName(schema). */
  role?: string;
  /** TLS: the CA file to verify the server with (see pgSslOptions). */
  sslCa?: PgTlsOptions['sslCa'];
}): pg.Pool {
  assertSchemaName(options.schema);
  const { url, ssl } = pgSslOptions(options.url, { sslCa: options.sslCa });
  if (options.role !== undefined && !SCHEMA_NAME.test(options.role)) {
    throw new Error(`invalid role name "${options.role}": lowercase letters, digits and _ only, at most 63 characters`);
  }
  const roleOption = options.role === undefined ? '' : ` -c role=${options.role}`;
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 5,
    application_name: options.applicationName ?? 'telltale',
    options: `-c search_path=${options.schema},public${roleOption}`,
    connectionTimeoutMillis: 5000,
    ...(ssl === undefined ? {} : { ssl }),
  });
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on('error', () => undefined);
  // Nor a checked-out one between two queries (a transaction's client while the server restarts): pg emits 'error'
  // on the client, which crashes the process without a listener. The next query on it rejects instead, and the pool
  // discards a client that is no longer queryable when it is released.
  pool.on('connect', (client) => client.on('error', () => undefined));
  return pool;
}

export type { Pool, PoolClient } from 'pg';
