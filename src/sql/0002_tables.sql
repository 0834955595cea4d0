-- 0002: what the tables API needs from the database.

-- Every worker LISTENs on "fluxbase"; after any DDL the schema cache of
-- each one is reloaded at its next request.
CREATE OR REPLACE FUNCTION fluxbase.notify_schema_change() RETURNS event_trigger
  LANGUAGE plpgsql
  AS $$ BEGIN PERFORM pg_notify('fluxbase', 'reload schema'); END $$;

DROP EVENT TRIGGER IF EXISTS fluxbase_ddl_command_end;
CREATE EVENT TRIGGER fluxbase_ddl_command_end ON ddl_command_end
  EXECUTE FUNCTION fluxbase.notify_schema_change();
DROP EVENT TRIGGER IF EXISTS fluxbase_sql_drop;
CREATE EVENT TRIGGER fluxbase_sql_drop ON sql_drop
  EXECUTE FUNCTION fluxbase.notify_schema_change();

-- Accept: application/vnd.pgrst.object+json: anything but one row fails the
-- statement, so a write is rolled back with it.
CREATE OR REPLACE FUNCTION fluxbase.assert_singular(n bigint) RETURNS bigint
  LANGUAGE plpgsql
  AS $$
  BEGIN
    IF n <> 1 THEN
      RAISE SQLSTATE 'PT116' USING MESSAGE = 'JSON object requested, multiple (or no) rows returned',
        DETAIL = format('The result contains %s rows', n);
    END IF;
    RETURN n;
  END
  $$;

GRANT USAGE ON SCHEMA fluxbase TO anon, authenticated, service_role;
REVOKE ALL ON ALL TABLES IN SCHEMA fluxbase FROM anon, authenticated, service_role;
REVOKE ALL ON FUNCTION fluxbase.notify_schema_change() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION fluxbase.assert_singular(bigint) TO anon, authenticated, service_role;
