export { createPgPool, postgresConfig, assertSchemaName, type Pool, type PoolClient } from './pool.js';
export { migrate, readMigrations, MIGRATIONS_DIR, type Migration } from './migrate.js';
export { openServiceDatabase } from './service-database.js';
