/**
 * The PostgreSQL role services run as: `<schema>_service`, created by migration 0009 with DML on the schema's tables
 * and no DDL. The name rule is repeated in that migration's SQL; keep the two equal (a test checks they agree).
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';
import { assertSchemaName } from './pool.js';

/** `<schema>_service`; long schema names are shortened with a hash so the name fits PostgreSQL's 63 characters. */
export function serviceRoleName(schema: string): string {
  assertSchemaName(schema);
  if (schema.length <= 55) return `${schema}_service`;
  return `${schema.slice(0, 46)}_${createHash('md5').update(schema).digest('hex').slice(0, 8)}_service`;
}

/**
 * Drops a schema's service role once the schema itself is gone (tests, decommissioning): its grants and default
 * privileges went with the schema. Roles are cluster-wide, so a dropped schema otherwise leaves its role behind.
 */
export async function dropServiceRole(pool: pg.Pool, schema: string): Promise<void> {
  await pool.query(`DROP ROLE IF EXISTS ${serviceRoleName(schema)}`);
}
