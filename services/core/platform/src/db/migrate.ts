/**
 * Forward-only SQL migrations: services/core/migrations/NNNN_name.sql, applied in order, each in its own
 * transaction, under an advisory lock so concurrent service starts apply each migration once. An applied file whose
 * content changed is an error: migrations are immutable once released.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import type { Logger } from 'pino';
import { TelltaleError } from '../errors.js';
import { assertSchemaName } from './pool.js';

export const MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), '../../migrations');

export interface Migration {
  readonly version: string;
  readonly name: string;
  readonly sql: string;
  readonly checksum: string;
}

export function readMigrations(dir: string = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir)
    .filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f))
    .sort()
    .map((file) => {
      const sql = readFileSync(join(dir, file), 'utf8');
      return {
        version: file.slice(0, 4),
        name: file.slice(5, -4),
        sql,
        checksum: createHash('sha256').update(sql).digest('hex'),
      };
    });
}

export async function migrate(
  pool: pg.Pool,
  options: { schema: string; log?: Logger; migrations?: readonly Migration[] },
): Promise<{ applied: string[] }> {
  const schema = assertSchemaName(options.schema);
  const migrations = options.migrations ?? readMigrations();
  const client = await pool.connect().catch((cause: unknown) => {
    throw new TelltaleError('DATABASE_UNAVAILABLE', `Cannot connect to PostgreSQL: ${(cause as Error).message}`, {
      retryable: true,
      cause,
    });
  });
  const applied: string[] = [];
  try {
    await client.query('SELECT pg_advisory_lock(hashtext($1))', [`telltale-migrate:${schema}`]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await client.query(`SET search_path = ${schema}, public`);
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version text PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now())`);
    const { rows } = await client.query<{ version: string; checksum: string }>(
      'SELECT version, checksum FROM schema_migrations',
    );
    const done = new Map(rows.map((r) => [r.version, r.checksum]));
    for (const m of migrations) {
      const checksum = done.get(m.version);
      if (checksum !== undefined) {
        if (checksum !== m.checksum) {
          throw new TelltaleError(
            'MIGRATION_CHECKSUM_MISMATCH',
            `Migration ${m.version}_${m.name} was changed after it was applied to schema ${schema}; ` +
              'add a new migration instead.',
            { details: { version: m.version } },
          );
        }
        continue;
      }
      try {
        await client.query('BEGIN');
        await client.query(m.sql);
        await client.query('INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)', [
          m.version,
          m.name,
          m.checksum,
        ]);
        await client.query('COMMIT');
      } catch (cause) {
        await client.query('ROLLBACK');
        throw new TelltaleError(
          'MIGRATION_FAILED',
          `Migration ${m.version}_${m.name} failed: ${(cause as Error).message}`,
          { cause, details: { version: m.version } },
        );
      }
      applied.push(`${m.version}_${m.name}`);
      options.log?.info({ schema, migration: `${m.version}_${m.name}` }, 'Applied migration.');
    }
    return { applied };
  } finally {
    await client
      .query('SELECT pg_advisory_unlock(hashtext($1))', [`telltale-migrate:${schema}`])
      .catch(() => undefined);
    client.release();
  }
}
