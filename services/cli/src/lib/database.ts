import { loadConfig } from '@telltale/platform';
import { createPgPool, migrate, postgresConfig, type Pool } from '@telltale/platform/db';
import type { CliIo } from '../command.js';

/**
 * A command's database: a pool on DATABASE_URL / DATABASE_SCHEMA (from the command's environment), migrated before
 * `work` runs and closed after it, whatever `work` does.
 */
export async function withCliDatabase<T>(
  io: CliIo,
  work: (pool: Pool, schema: string) => Promise<T>,
  options: { readonly connections?: number } = {},
): Promise<T> {
  const config = loadConfig(postgresConfig, io.env);
  const pool = createPgPool({
    url: config.databaseUrl,
    schema: config.databaseSchema,
    max: options.connections ?? 1,
    applicationName: 'telltale-cli',
  });
  try {
    await migrate(pool, { schema: config.databaseSchema });
    return await work(pool, config.databaseSchema);
  } finally {
    await pool.end();
  }
}
