-- 0019: helpers of the tables API's depth, called from the one statement
-- of a request (tables/query_sql.c), as the caller (SECURITY INVOKER).

-- Prefer: max-affected=N with handling=strict: more rows written than N
-- fails the statement, so the write is rolled back with it (PostgREST's
-- PGRST124, answered 400).
CREATE OR REPLACE FUNCTION fluxbase.assert_max_affected(n bigint, max bigint) RETURNS bigint
  LANGUAGE plpgsql IMMUTABLE SECURITY INVOKER
  AS $$
  BEGIN
    IF n > max THEN
      RAISE SQLSTATE 'PT124' USING MESSAGE = 'Query result exceeds max-affected preference constraint',
        DETAIL = format('The query affects %s rows', n);
    END IF;
    RETURN n;
  END
  $$;

-- Accept: text/csv (RFC 4180): one field, quoted when it holds a quote, a
-- comma, CR or LF (quotes doubled); NULL is an empty field, the empty
-- string "" so the two stay apart.
CREATE OR REPLACE FUNCTION fluxbase.csv_field(v text) RETURNS text
  LANGUAGE sql IMMUTABLE SECURITY INVOKER
  AS $$
    SELECT CASE
      WHEN v IS NULL THEN ''
      WHEN v = '' OR pg_catalog.strpos(v, '"') > 0 OR pg_catalog.strpos(v, ',') > 0
        OR pg_catalog.strpos(v, pg_catalog.chr(10)) > 0 OR pg_catalog.strpos(v, pg_catalog.chr(13)) > 0
        THEN '"' || pg_catalog.replace(v, '"', '""') || '"'
      ELSE v
    END
  $$;

-- A row (row_to_json: its keys in the select's order) as one CSV line,
-- without its line break: strings as their text, numbers and booleans as
-- written in JSON, objects and arrays as their JSON text.
CREATE OR REPLACE FUNCTION fluxbase.csv_line(r json) RETURNS text
  LANGUAGE sql IMMUTABLE SECURITY INVOKER
  AS $$
    SELECT coalesce(pg_catalog.string_agg(fluxbase.csv_field(e.value), ',' ORDER BY e.i), '')
      FROM pg_catalog.json_each_text(r) WITH ORDINALITY AS e(key, value, i)
  $$;

-- The header line: the keys of a row, in order.
CREATE OR REPLACE FUNCTION fluxbase.csv_header(r json) RETURNS text
  LANGUAGE sql IMMUTABLE SECURITY INVOKER
  AS $$
    SELECT coalesce(pg_catalog.string_agg(fluxbase.csv_field(k.key), ',' ORDER BY k.i), '')
      FROM pg_catalog.json_object_keys(r) WITH ORDINALITY AS k(key, i)
  $$;

REVOKE ALL ON FUNCTION fluxbase.assert_max_affected(bigint, bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION fluxbase.csv_field(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION fluxbase.csv_line(json) FROM PUBLIC;
REVOKE ALL ON FUNCTION fluxbase.csv_header(json) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION fluxbase.assert_max_affected(bigint, bigint) TO anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION fluxbase.csv_field(text) TO anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION fluxbase.csv_line(json) TO anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION fluxbase.csv_header(json) TO anon, authenticated, service_role;
