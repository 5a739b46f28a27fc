import type { Logger } from 'pino';
import type { Lifecycle } from '../lifecycle.js';
import { migrate } from './migrate.js';
import { createPgPool, type Pool } from './pool.js';

/**
 * A service's PostgreSQL pool on its schema, with the migrations applied (services migrate at start) and closed as
 * the last step of its shutdown.
 */
export async function openServiceDatabase(
  config: { readonly databaseUrl: string; readonly databaseSchema: string },
  options: { readonly service: string; readonly max: number; readonly lifecycle: Lifecycle; readonly log: Logger },
): Promise<Pool> {
  const pool = createPgPool({
    url: config.databaseUrl,
    schema: config.databaseSchema,
    max: options.max,
    applicationName: `telltale-${options.service}`,
  });
  options.lifecycle.onShutdown('postgres', () => pool.end());
  await migrate(pool, { schema: config.databaseSchema, log: options.log });
  return pool;
}
