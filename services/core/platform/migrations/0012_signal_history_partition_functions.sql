-- The store creates and drops signal_history's day partitions at run time, which needs the table's owner. These two
-- functions do exactly that and nothing else, as the owner (SECURITY DEFINER), so the store can run as the service
-- role like every other service. A day is the UTC day number (ms since the epoch / 86,400,000); the partition is
-- signal_history_YYYYMMDD, as services/store/src/domain/coalesce.ts names it.
DO $migration$
DECLARE
  schema_name text := current_schema();
  role_name text := CASE
    WHEN length(current_schema()) <= 55 THEN current_schema() || '_service'
    ELSE left(current_schema(), 46) || '_' || left(md5(current_schema()), 8) || '_service'
  END;
BEGIN
  EXECUTE format($f$
    CREATE FUNCTION %1$I.signal_history_ensure_day(day integer) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = %1$I, pg_temp AS $body$
    DECLARE
      name text := 'signal_history_' || to_char(to_timestamp(day::bigint * 86400) AT TIME ZONE 'UTC', 'YYYYMMDD');
    BEGIN
      -- Serialises creation between instances (CREATE ... IF NOT EXISTS still races on the catalog).
      PERFORM pg_advisory_xact_lock(hashtext(%1$L || '.signal_history'));
      EXECUTE format('CREATE TABLE IF NOT EXISTS %%I PARTITION OF signal_history FOR VALUES FROM (%%s) TO (%%s)',
        name, day::bigint * 86400000, (day::bigint + 1) * 86400000);
    END
    $body$$f$, schema_name);
  EXECUTE format($f$
    CREATE FUNCTION %1$I.signal_history_drop_day(day integer) RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = %1$I, pg_temp AS $body$
    DECLARE
      name text := 'signal_history_' || to_char(to_timestamp(day::bigint * 86400) AT TIME ZONE 'UTC', 'YYYYMMDD');
    BEGIN
      -- Only a day partition of this schema's signal_history, never another table.
      IF NOT EXISTS (
        SELECT FROM pg_inherits i
        JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
        JOIN pg_namespace n ON n.oid = p.relnamespace
        WHERE p.relname = 'signal_history' AND n.nspname = %1$L AND c.relname = name
      ) THEN
        RETURN false;
      END IF;
      EXECUTE format('DROP TABLE %%I', name);
      RETURN true;
    END
    $body$$f$, schema_name);
  EXECUTE format('REVOKE ALL ON FUNCTION %I.signal_history_ensure_day(integer) FROM PUBLIC', schema_name);
  EXECUTE format('REVOKE ALL ON FUNCTION %I.signal_history_drop_day(integer) FROM PUBLIC', schema_name);
  EXECUTE format('GRANT EXECUTE ON FUNCTION %I.signal_history_ensure_day(integer) TO %I', schema_name, role_name);
  EXECUTE format('GRANT EXECUTE ON FUNCTION %I.signal_history_drop_day(integer) TO %I', schema_name, role_name);
END
$migration$;
