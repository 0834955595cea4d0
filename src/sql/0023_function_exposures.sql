-- 0023: functions (/rpc) are exposed as tables are, and in single mode
-- only once exposed; and single mode's session check reads the session's
-- id from a setting of its own.
--
-- In roles mode a request calls a function as its role: PostgreSQL checks
-- EXECUTE, and a SECURITY INVOKER function reads tables under the caller's
-- privileges and policies.  In single mode every request runs as the one
-- login, which owns the tables, so a function reading a table whose
-- row-level security is not forced would hand all of it to anyone; a
-- function is therefore callable in single mode only by the roles it was
-- exposed to (the service role always), as a table is served only to the
-- roles auth.expose named.
--
--   SELECT auth.expose_function('public.add(int, int)', 'anon');
--   SELECT auth.unexpose_function('public.add(int, int)', 'anon');
--
-- Roles mode GRANTs and REVOKEs EXECUTE (PostgreSQL grants EXECUTE on a
-- new function to PUBLIC: revoke that yourself to close a function to
-- every role but those you expose it to).

CREATE TABLE fluxbase.function_exposures (
  fn regprocedure NOT NULL,
  role text NOT NULL CHECK (role IN ('anon', 'authenticated', 'service_role')),
  PRIMARY KEY (fn, role)
);
REVOKE ALL ON TABLE fluxbase.function_exposures FROM PUBLIC;

CREATE OR REPLACE FUNCTION fluxbase.may(p_role text, p_obj oid, p_command text) RETURNS boolean
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog
  AS $$ SELECT CASE
    WHEN fluxbase.mode() = 'single' THEN
      p_role = 'service_role' OR CASE WHEN p_command = 'execute'
        THEN EXISTS (SELECT 1 FROM fluxbase.function_exposures e
          WHERE e.fn = p_obj AND e.role = p_role)
        ELSE EXISTS (SELECT 1 FROM fluxbase.exposures e
          WHERE e.rel = p_obj AND e.role = p_role AND e.command = p_command) END
    WHEN NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = p_role) THEN false
    WHEN p_command = 'execute' THEN pg_catalog.has_function_privilege(p_role, p_obj, 'EXECUTE')
    ELSE pg_catalog.has_table_privilege(p_role, p_obj, p_command) END $$;

-- Exposures of functions change what a role may call: the workers' poll
-- (single mode) sees them as it sees a table's.
CREATE OR REPLACE FUNCTION fluxbase.schema_fingerprint(p_schemas text[]) RETURNS text
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog
  AS $$
    WITH ns AS (SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = ANY (p_schemas)),
    rels AS (SELECT oid, xmin::text::bigint AS xmin FROM pg_catalog.pg_class WHERE relnamespace IN (SELECT oid FROM ns))
    SELECT concat_ws('/',
      (SELECT count(*) || ':' || coalesce(sum(x.xmin::text::bigint), 0) FROM ns n
        JOIN pg_catalog.pg_namespace x ON x.oid = n.oid),
      (SELECT count(*) || ':' || coalesce(sum(r.xmin), 0) FROM rels r),
      (SELECT count(*) || ':' || coalesce(sum(a.xmin::text::bigint), 0)
        FROM pg_catalog.pg_attribute a WHERE a.attrelid IN (SELECT oid FROM rels)),
      (SELECT count(*) || ':' || coalesce(sum(c.xmin::text::bigint), 0)
        FROM pg_catalog.pg_constraint c WHERE c.conrelid IN (SELECT oid FROM rels)),
      (SELECT count(*) || ':' || coalesce(sum(p.xmin::text::bigint), 0)
        FROM pg_catalog.pg_proc p WHERE p.pronamespace IN (SELECT oid FROM ns)),
      (SELECT count(*) || ':' || coalesce(sum(e.xmin::text::bigint), 0)
        FROM fluxbase.exposures e),
      (SELECT count(*) || ':' || coalesce(sum(e.xmin::text::bigint), 0)
        FROM fluxbase.function_exposures e))
  $$;

-- Who runs it and for whom, as for a table (fluxbase.expose_guard).
CREATE OR REPLACE FUNCTION fluxbase.expose_function_guard(p_role text) RETURNS void
  LANGUAGE plpgsql
  AS $$ BEGIN
    IF coalesce(current_setting('request.jwt.claim.role', true), '') <> '' THEN
      RAISE insufficient_privilege USING MESSAGE = 'auth.expose_function and'
        ' auth.unexpose_function are run by the database owner (psql), not through the API';
    END IF;
    IF p_role IS NULL OR p_role NOT IN ('anon', 'authenticated', 'service_role') THEN
      RAISE invalid_parameter_value USING MESSAGE = format('unknown role "%s"', p_role),
        HINT = 'Roles are anon, authenticated and service_role';
    END IF;
  END $$;

CREATE OR REPLACE FUNCTION auth.expose_function(p_function regprocedure, p_role text)
    RETURNS void
  LANGUAGE plpgsql
  AS $$ BEGIN
    PERFORM fluxbase.expose_function_guard(p_role);
    INSERT INTO fluxbase.function_exposures (fn, role) VALUES (p_function, p_role)
      ON CONFLICT DO NOTHING;
    IF fluxbase.mode() = 'roles' THEN
      EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO %I', p_function, p_role);
    END IF;
  END $$;

CREATE OR REPLACE FUNCTION auth.unexpose_function(p_function regprocedure, p_role text)
    RETURNS void
  LANGUAGE plpgsql
  AS $$ BEGIN
    PERFORM fluxbase.expose_function_guard(p_role);
    DELETE FROM fluxbase.function_exposures e WHERE e.fn = p_function AND e.role = p_role;
    IF fluxbase.mode() = 'roles' THEN
      EXECUTE format('REVOKE EXECUTE ON FUNCTION %s FROM %I', p_function, p_role);
    END IF;
  END $$;

-- Run by the database owner, never by a request's role.
REVOKE ALL ON FUNCTION auth.expose_function(regprocedure, text),
  auth.unexpose_function(regprocedure, text) FROM PUBLIC;

-- Single mode: a request's check that its session is alive reads
-- auth.sessions under forced row-level security (single_mode_apply), and
-- fluxbase_own_session finds the caller's own row by parsing the claims
-- as jsonb.  The worker now also sets the session's id as a setting of its
-- own, request.jwt.claim.session_id ('' without a session), which this
-- policy compares with the key directly; named to be tried before
-- fluxbase_own_session (PostgreSQL 15 ORs permissive policies in reverse
-- order of their names), which stays for workers that do not set it yet.
-- In roles mode auth.sessions has no row-level security: no effect.
CREATE POLICY fluxbase_own_session_id ON auth.sessions FOR SELECT
  USING (id = nullif(current_setting('request.jwt.claim.session_id', true), '')::uuid);
