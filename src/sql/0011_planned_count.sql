-- 0011: Prefer: count=planned (and estimated, beyond max_rows) from the
-- plan of the caller's own read, as PostgREST does, not from the table's
-- statistics: the plan is made as the caller, so row-level security
-- policies shape the estimate, and a caller never learns the size of rows
-- hidden from them.  The table is a regclass from the worker's schema
-- cache; EXPLAIN needs the caller's SELECT privilege on it like the read.
CREATE FUNCTION fluxbase.plan_rows(p_table regclass) RETURNS bigint
  LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog
  AS $$
  DECLARE
    plan json;
  BEGIN
    EXECUTE format('EXPLAIN (FORMAT JSON) SELECT 1 FROM %s', p_table) INTO plan;
    RETURN (plan -> 0 -> 'Plan' ->> 'Plan Rows')::numeric::bigint;
  END
  $$;
REVOKE ALL ON FUNCTION fluxbase.plan_rows(regclass) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION fluxbase.plan_rows(regclass) TO anon, authenticated, service_role;
