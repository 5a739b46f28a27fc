-- Least privilege for services. Migrations run as the schema owner (the DATABASE_OWNER_URL user, else the
-- DATABASE_URL user); services run as <schema>_service: a NOLOGIN group role with USAGE on the schema and
-- SELECT/INSERT/UPDATE/DELETE on its tables (and, through default privileges, on every table and sequence later
-- migrations create). It owns nothing and has no CREATE on the schema, so a service cannot CREATE, ALTER, DROP or
-- TRUNCATE a table, and it only reads the migration ledger. openServiceDatabase (platform/src/db) starts every
-- service connection with role=<schema>_service. The name rule is serviceRoleName() in platform/src/db/service-role.ts.
--
-- Creating the role needs CREATEROLE (or a superuser). Where the owner has neither, a DBA creates the role first
-- (CREATE ROLE <schema>_service NOLOGIN; GRANT <schema>_service TO <owner>) and this migration only grants.
DO $migration$
DECLARE
  schema_name text := current_schema();
  role_name text := CASE
    WHEN length(current_schema()) <= 55 THEN current_schema() || '_service'
    ELSE left(current_schema(), 46) || '_' || left(md5(current_schema()), 8) || '_service'
  END;
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = role_name) THEN
    EXECUTE format('CREATE ROLE %I NOLOGIN', role_name);
  END IF;
  -- The owner must be able to SET ROLE to it (a superuser always can).
  IF NOT pg_has_role(current_user, role_name, 'MEMBER') THEN
    EXECUTE format('GRANT %I TO %I', role_name, current_user);
  END IF;
  EXECUTE format('GRANT USAGE ON SCHEMA %I TO %I', schema_name, role_name);
  EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA %I TO %I', schema_name, role_name);
  EXECUTE format('GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA %I TO %I', schema_name, role_name);
  EXECUTE format(
    'ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO %I',
    schema_name,
    role_name
  );
  EXECUTE format(
    'ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT USAGE, SELECT ON SEQUENCES TO %I',
    schema_name,
    role_name
  );
  EXECUTE format('REVOKE INSERT, UPDATE, DELETE ON %I.schema_migrations FROM %I', schema_name, role_name);
END
$migration$;
