-- 0022: one way to expose a table in both database modes, and what the
-- single-login mode ([database] mode = single) needs in place of roles.
--
-- In roles mode the workers switch to anon, authenticated or service_role,
-- and a GRANT says who may do what.  On a host that gives one login with
-- neither SUPERUSER, CREATEROLE nor BYPASSRLS there are no such roles:
-- every request runs as the login, which owns the tables, and PostgreSQL
-- applies an owner's policies only where row-level security is FORCEd.  So
-- in single mode the API serves only tables protected that way, and what a
-- GRANT says is said by restrictive policies on auth.role() instead.
-- auth.expose() writes whichever the mode needs; migrate (in single mode)
-- runs fluxbase.single_mode_apply() after the migrations, which protects
-- Fluxbase's own tables the same way.  Migrate leaves out the statements
-- of every migration that speak of roles (GRANT, REVOKE, role creation,
-- default privileges, event triggers) in single mode.

-- 'roles' until single_mode_apply() replaces it.
CREATE OR REPLACE FUNCTION fluxbase.mode() RETURNS text
  LANGUAGE sql IMMUTABLE AS $$ SELECT 'roles'::text $$;

-- What auth.expose() was asked, in both modes (single mode builds its
-- policies from it; the schema cache reads it for the OpenAPI documents).
CREATE TABLE fluxbase.exposures (
  rel regclass NOT NULL,
  role text NOT NULL CHECK (role IN ('anon', 'authenticated', 'service_role')),
  command text NOT NULL CHECK (command IN ('select', 'insert', 'update', 'delete')),
  PRIMARY KEY (rel, role, command)
);
REVOKE ALL ON TABLE fluxbase.exposures FROM PUBLIC;

-- The tests single mode's policies make, as SQL text written into each
-- policy: built-in calls only, so that planning a request's statement
-- parses nothing (a SQL function would be inlined, its body parsed again
-- for every statement) and evaluating them costs a few setting lookups.
--
-- Not a request's role: Fluxbase's own code (the role claim fluxbase_auth);
-- its SECURITY DEFINER functions, which run as the login like everything
-- else, so single mode marks them with a schema that does not exist at the
-- end of their search_path (a function's SET of a setting of our own would
-- need a superuser); and a session that is no request at all (the owner in
-- psql, migrate, storage-gc: the worker sets a role claim, anon at least,
-- on its connection before any statement).  With p_service, the service
-- role too (its bypass).
CREATE OR REPLACE FUNCTION fluxbase.internal_sql(p_service boolean) RETURNS text
  LANGUAGE sql IMMUTABLE
  AS $f$ SELECT format('(coalesce(current_setting(%L, true), %L) IN (%s%L, %L)'
    ' OR position(%L IN current_setting(%L)) > 0)', 'request.jwt.claim.role', '',
    CASE WHEN p_service THEN quote_literal('service_role') || ', ' ELSE '' END, '',
    'fluxbase_auth', 'fluxbase_definer', 'search_path') $f$;

-- Raised by a restrictive policy in single mode for a role the table was
-- not exposed to: the error roles mode gives for a missing GRANT.
CREATE OR REPLACE FUNCTION fluxbase.denied(p_command text, p_rel text) RETURNS boolean
  LANGUAGE plpgsql STABLE
  AS $$ BEGIN
    RAISE insufficient_privilege USING MESSAGE = format('permission denied for table %s', p_rel),
      HINT = format('%s on it is not exposed to %s (auth.expose)', upper(p_command),
        coalesce(nullif(current_setting('request.jwt.claim.role', true), ''), 'anon'));
  END $$;

-- May p_role do p_command ('select' ... 'delete', or 'execute' on a
-- function) on the object?  Roles mode asks PostgreSQL's privileges,
-- single mode the exposures (functions run as the login: any one).
-- A definer: whoever the worker's connection runs as when it loads the
-- schema may ask, and the exposures stay private.
CREATE OR REPLACE FUNCTION fluxbase.may(p_role text, p_obj oid, p_command text) RETURNS boolean
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog
  AS $$ SELECT CASE
    WHEN fluxbase.mode() = 'single' THEN
      p_command = 'execute' OR p_role = 'service_role' OR EXISTS (SELECT 1
        FROM fluxbase.exposures e WHERE e.rel = p_obj AND e.role = p_role
          AND e.command = p_command)
    WHEN NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = p_role) THEN false
    WHEN p_command = 'execute' THEN pg_catalog.has_function_privilege(p_role, p_obj, 'EXECUTE')
    ELSE pg_catalog.has_table_privilege(p_role, p_obj, p_command) END $$;

-- Is the relation's data guarded by its policies even for its owner?  A
-- table: row-level security enabled and forced.  A view: every relation
-- it reads, through views on views, is such a table (a view reads as its
-- owner).  Materialized views and foreign tables have no policies.
CREATE OR REPLACE FUNCTION fluxbase.rls_protected(p_rel oid) RETURNS boolean
  LANGUAGE sql STABLE
  AS $$
    WITH RECURSIVE reads(rel) AS (
      SELECT p_rel
      UNION
      SELECT d.refobjid FROM reads r
        JOIN pg_catalog.pg_class v ON v.oid = r.rel AND v.relkind = 'v'
        JOIN pg_catalog.pg_rewrite rw ON rw.ev_class = v.oid
        JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_rewrite'::regclass
          AND d.objid = rw.oid AND d.refclassid = 'pg_catalog.pg_class'::regclass
          AND d.refobjid <> v.oid)
    SELECT bool_and(CASE c.relkind
        WHEN 'v' THEN true
        WHEN 'r' THEN c.relrowsecurity AND c.relforcerowsecurity
        WHEN 'p' THEN c.relrowsecurity AND c.relforcerowsecurity
        ELSE false END)
      FROM reads r JOIN pg_catalog.pg_class c ON c.oid = r.rel
      WHERE c.relkind IN ('v', 'r', 'p', 'm', 'f')
  $$;

-- Changes in the catalogs the schema cache reads, cheaply: single mode has
-- no event trigger, so workers compare this every [tables] schema_poll
-- seconds.  A DDL statement writes catalog rows with a new xmin, a DROP
-- lowers a count.
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
        FROM fluxbase.exposures e))
  $$;

-- How many migrations are applied, for check-config, which runs as the
-- workers' login (fluxbase.migrations is no API role's to read).
CREATE OR REPLACE FUNCTION fluxbase.migrations_applied() RETURNS bigint
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog
  AS $$ SELECT count(*) FROM fluxbase.migrations $$;

-- The commands of a list: 'select,insert' or 'all'.
CREATE OR REPLACE FUNCTION fluxbase.expose_commands(p_commands text) RETURNS text[]
  LANGUAGE plpgsql IMMUTABLE
  AS $$
  DECLARE
    cmds text[] := ARRAY[]::text[];
    c text;
  BEGIN
    FOREACH c IN ARRAY string_to_array(lower(replace(coalesce(p_commands, ''), ' ', '')), ',')
    LOOP
      IF c = 'all' THEN
        cmds := cmds || ARRAY['select', 'insert', 'update', 'delete'];
      ELSIF c IN ('select', 'insert', 'update', 'delete') THEN
        cmds := cmds || c;
      ELSIF c <> '' THEN
        RAISE invalid_parameter_value USING MESSAGE = format('unknown command "%s"', c),
          HINT = 'Commands are select, insert, update, delete or all, separated by commas';
      END IF;
    END LOOP;
    IF cardinality(cmds) = 0 THEN
      RAISE invalid_parameter_value USING MESSAGE = 'no command given',
        HINT = 'Commands are select, insert, update, delete or all, separated by commas';
    END IF;
    RETURN cmds;
  END $$;

-- Single mode: the table's policies from its exposures.  Row-level
-- security on and forced; per command a restrictive policy that lets in
-- the roles it was exposed to (and the service role, and Fluxbase's own
-- code) and raises permission denied for any other; the service role's
-- bypass; and, while the table has no permissive policy of its own, the
-- "all rows" one a plain GRANT implies in roles mode (drop
-- fluxbase_all_rows once you have written your own).
CREATE OR REPLACE FUNCTION fluxbase.expose_apply(p_rel regclass) RETURNS void
  LANGUAGE plpgsql SET client_min_messages = warning
  AS $$
  DECLARE
    c text;
    roles text[];
    allow text;
    service text := format('(coalesce(current_setting(%L, true), %L) IN (%L, %L, %L))',
      'request.jwt.claim.role', '', 'service_role', '', 'fluxbase_auth');
  BEGIN
    EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY', p_rel);
    FOREACH c IN ARRAY ARRAY['select', 'insert', 'update', 'delete'] LOOP
      SELECT coalesce(array_agg(e.role ORDER BY e.role), ARRAY[]::text[]) INTO roles
        FROM fluxbase.exposures e WHERE e.rel = p_rel AND e.command = c;
      -- A request always has its role claim set (anon included).
      allow := format('(current_setting(%L, true) = ANY (%L::text[]) OR %s'
        ' OR fluxbase.denied(%L, %L))', 'request.jwt.claim.role', roles,
        fluxbase.internal_sql(true), c, p_rel::text);
      EXECUTE format('DROP POLICY IF EXISTS %I ON %s', 'fluxbase_expose_' || c, p_rel);
      EXECUTE format('CREATE POLICY %I ON %s AS RESTRICTIVE FOR %s %s', 'fluxbase_expose_' || c,
        p_rel, upper(c), CASE c
          WHEN 'insert' THEN 'WITH CHECK ' || allow
          WHEN 'update' THEN 'USING ' || allow || ' WITH CHECK ' || allow
          ELSE 'USING ' || allow END);
    END LOOP;
    -- The bypass: false for every request but the service role's, so one
    -- setting lookup, and named to be tried after your policies
    -- (PostgreSQL 15 ORs permissive policies in reverse order of their
    -- names): a row your policy admits does not evaluate it.
    EXECUTE format('DROP POLICY IF EXISTS _fluxbase_service ON %s', p_rel);
    EXECUTE format('CREATE POLICY _fluxbase_service ON %s USING %s WITH CHECK %s', p_rel,
      service, service);
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_policy p WHERE p.polrelid = p_rel
        AND p.polpermissive AND p.polname NOT IN ('_fluxbase_service', 'fluxbase_all_rows')) THEN
      EXECUTE format('DROP POLICY IF EXISTS fluxbase_all_rows ON %s', p_rel);
      EXECUTE format('CREATE POLICY fluxbase_all_rows ON %s USING (true) WITH CHECK (true)', p_rel);
    END IF;
  END $$;

-- Not through the API: a request's identity is on the session it runs in.
CREATE OR REPLACE FUNCTION fluxbase.expose_guard(p_rel regclass, p_role text) RETURNS void
  LANGUAGE plpgsql
  AS $$ BEGIN
    IF coalesce(current_setting('request.jwt.claim.role', true), '') <> '' THEN
      RAISE insufficient_privilege USING MESSAGE = 'auth.expose and auth.unexpose are run by the'
        ' database owner (psql), not through the API';
    END IF;
    IF p_role IS NULL OR p_role NOT IN ('anon', 'authenticated', 'service_role') THEN
      RAISE invalid_parameter_value USING MESSAGE = format('unknown role "%s"', p_role),
        HINT = 'Roles are anon, authenticated and service_role';
    END IF;
    IF (SELECT relkind FROM pg_catalog.pg_class WHERE oid = p_rel) NOT IN ('r', 'p', 'v') THEN
      RAISE invalid_parameter_value USING MESSAGE = format('%s is not a table or a view', p_rel);
    END IF;
  END $$;

-- auth.expose('public.posts', 'authenticated', 'select,insert'): in roles
-- mode GRANTs, in single mode policies (above).  Idempotent.
CREATE OR REPLACE FUNCTION auth.expose(p_table regclass, p_role text, p_commands text DEFAULT 'select')
    RETURNS void
  LANGUAGE plpgsql
  AS $$
  DECLARE
    c text;
  BEGIN
    PERFORM fluxbase.expose_guard(p_table, p_role);
    FOREACH c IN ARRAY fluxbase.expose_commands(p_commands) LOOP
      INSERT INTO fluxbase.exposures (rel, role, command) VALUES (p_table, p_role, c)
        ON CONFLICT DO NOTHING;
      IF fluxbase.mode() = 'roles' THEN
        EXECUTE format('GRANT %s ON %s TO %I', upper(c), p_table, p_role);
      END IF;
    END LOOP;
    IF fluxbase.mode() = 'roles' AND 'insert' = ANY (fluxbase.expose_commands(p_commands)) THEN
      -- Inserting through an identity or serial column takes its sequence.
      FOR c IN SELECT s.oid::regclass::text FROM pg_catalog.pg_depend d
          JOIN pg_catalog.pg_class s ON s.oid = d.objid AND s.relkind = 'S'
          WHERE d.refobjid = p_table AND d.deptype IN ('a', 'i') LOOP
        EXECUTE format('GRANT USAGE, SELECT ON SEQUENCE %s TO %I', c, p_role);
      END LOOP;
    END IF;
    IF fluxbase.mode() = 'single' AND (SELECT relkind FROM pg_catalog.pg_class
        WHERE oid = p_table) <> 'v' THEN
      PERFORM fluxbase.expose_apply(p_table);
    END IF;
  END $$;

CREATE OR REPLACE FUNCTION auth.unexpose(p_table regclass, p_role text, p_commands text DEFAULT 'all')
    RETURNS void
  LANGUAGE plpgsql
  AS $$
  DECLARE
    c text;
  BEGIN
    PERFORM fluxbase.expose_guard(p_table, p_role);
    FOREACH c IN ARRAY fluxbase.expose_commands(p_commands) LOOP
      DELETE FROM fluxbase.exposures e WHERE e.rel = p_table AND e.role = p_role
        AND e.command = c;
      IF fluxbase.mode() = 'roles' THEN
        EXECUTE format('REVOKE %s ON %s FROM %I', upper(c), p_table, p_role);
      END IF;
    END LOOP;
    IF fluxbase.mode() = 'single' AND (SELECT relkind FROM pg_catalog.pg_class
        WHERE oid = p_table) <> 'v' THEN
      PERFORM fluxbase.expose_apply(p_table);
    END IF;
  END $$;

-- Single mode, run by migrate after the migrations (idempotent): Fluxbase's
-- own tables (schemas auth, storage, fluxbase) get row-level security
-- forced, with policies that let in only Fluxbase's code (and, for
-- storage, the roles its GRANTs name in roles mode); its SECURITY DEFINER
-- functions are marked for those policies.
CREATE OR REPLACE FUNCTION fluxbase.single_mode_apply() RETURNS void
  LANGUAGE plpgsql SET client_min_messages = warning
  AS $$
  DECLARE
    t regclass;
    f regprocedure;
    path text;
  BEGIN
    EXECUTE 'CREATE OR REPLACE FUNCTION fluxbase.mode() RETURNS text LANGUAGE sql IMMUTABLE'
      ' AS $m$ SELECT ''single''::text $m$';
    FOR t IN SELECT c.oid::regclass FROM pg_catalog.pg_class c
        JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname IN ('auth', 'storage', 'fluxbase') AND c.relkind IN ('r', 'p') LOOP
      EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY', t);
      EXECUTE format('DROP POLICY IF EXISTS fluxbase_internal ON %s', t);
      EXECUTE format('CREATE POLICY fluxbase_internal ON %s USING %s WITH CHECK %s', t,
        fluxbase.internal_sql(false), fluxbase.internal_sql(false));
    END LOOP;
    -- The request's opening statement checks its own session as the caller.
    DROP POLICY IF EXISTS fluxbase_own_session ON auth.sessions;
    CREATE POLICY fluxbase_own_session ON auth.sessions FOR SELECT
      USING (id::text = nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'session_id');
    -- Roles mode's GRANTs on storage (0004), as exposures.
    PERFORM auth.expose('storage.buckets', 'anon', 'select');
    PERFORM auth.expose('storage.buckets', 'authenticated', 'select');
    PERFORM auth.expose('storage.objects', 'anon', 'select');
    PERFORM auth.expose('storage.objects', 'authenticated', 'all');
    FOR f, path IN SELECT p.oid::regprocedure, (SELECT substr(c, 13) FROM unnest(p.proconfig) c
          WHERE c LIKE 'search_path=%') FROM pg_catalog.pg_proc p
        JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname IN ('auth', 'storage', 'fluxbase') AND p.prosecdef LOOP
      IF position('fluxbase_definer' IN coalesce(path, '')) = 0 THEN
        EXECUTE format('ALTER FUNCTION %s SET search_path = %s, fluxbase_definer', f,
          coalesce(path, 'pg_catalog'));
      END IF;
    END LOOP;
  END $$;

-- Run by the database owner, never by a request's role.
REVOKE ALL ON FUNCTION auth.expose(regclass, text, text), auth.unexpose(regclass, text, text),
  fluxbase.expose_apply(regclass), fluxbase.single_mode_apply() FROM PUBLIC;
