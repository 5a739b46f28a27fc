export { createPgPool, postgresConfig, pgSslOptions, assertSchemaName, type Pool, type PoolClient } from './pool.js';
export { migrate, readMigrations, MIGRATIONS_DIR, type Migration } from './migrate.js';
export { openServiceDatabase, SERVICES_WITH_SCHEMA_CHANGES, type ServiceDatabaseConfig } from './service-database.js';
export { serviceRoleName, dropServiceRole } from './service-role.js';
