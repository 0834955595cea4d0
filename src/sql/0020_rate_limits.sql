-- 0020: rate-limit counters kept in PostgreSQL ([auth] rate_limit_store =
-- database), so a limit holds across every process and host that uses the
-- database (lone workers a web server spawns, several hosts behind a
-- balancer) and across restarts of the pool.
--
-- Fixed windows, as the in-memory store counts them: a window starts at a
-- multiple of its length since the epoch, so every process agrees on it
-- without talking to the others.  One row per action, key (a client
-- address, or the account address the flow passes; stored as given, it is
-- no secret) and window.  UNLOGGED: no WAL for a counter bumped on every
-- attempt; a crash of PostgreSQL empties the table (the limits start
-- afresh), a clean restart keeps it.  A low fillfactor leaves room on each
-- page so a hit (which changes no indexed column) is a HOT update.
CREATE UNLOGGED TABLE fluxbase.rate_limits (
  action text NOT NULL,
  key text NOT NULL,
  window_start timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  hits integer NOT NULL,
  CONSTRAINT rate_limits_pkey PRIMARY KEY (action, key, window_start)
) WITH (fillfactor = 70);
CREATE INDEX rate_limits_expires_at_idx ON fluxbase.rate_limits (expires_at);
REVOKE ALL ON TABLE fluxbase.rate_limits FROM PUBLIC, anon, authenticated, service_role,
  authenticator, fluxbase_auth;

-- Counts one attempt of action by key against lim per window of window_s
-- seconds: returns 0 when it is allowed (and counted), else the seconds
-- until the window ends (a refused attempt is not counted, as in memory).
-- lim <= 0 means unlimited.  One statement per limited request: the upsert
-- takes the row's lock only for itself, so concurrent attempts of one key
-- queue on it and exactly lim of them pass.  Then a few expired windows of
-- any key go (SKIP LOCKED: never waiting on another attempt, so no lock
-- cycle), oldest first through the index: each call adds at most one row
-- and may remove eight, so the table holds little more than the windows
-- still running.  A window whose row outlived its length (the length was
-- changed in the configuration) starts again at 1.
CREATE FUNCTION fluxbase.rate_limit_hit(action text, key text, lim integer, window_s integer)
    RETURNS integer
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
  AS $$
  DECLARE
    t timestamptz := clock_timestamp();
    w_start timestamptz;
    w_end timestamptz;
  BEGIN
    IF lim IS NULL OR lim <= 0 THEN
      RETURN 0;
    END IF;
    IF rate_limit_hit.action IS NULL OR length(rate_limit_hit.action) > 64
        OR rate_limit_hit.key IS NULL OR length(rate_limit_hit.key) > 320
        OR window_s IS NULL OR window_s < 1 OR window_s > 86400 THEN
      RAISE SQLSTATE '22023' USING MESSAGE = 'rate_limit_hit: invalid argument';
    END IF;
    w_start := to_timestamp(floor(extract(epoch FROM t) / window_s) * window_s);
    w_end := w_start + make_interval(secs => window_s);
    INSERT INTO fluxbase.rate_limits AS r (action, key, window_start, expires_at, hits)
      VALUES (rate_limit_hit.action, rate_limit_hit.key, w_start, w_end, 1)
      ON CONFLICT ON CONSTRAINT rate_limits_pkey DO UPDATE
        SET hits = CASE WHEN r.expires_at <= t THEN 1 ELSE r.hits + 1 END,
          expires_at = CASE WHEN r.expires_at <= t THEN excluded.expires_at ELSE r.expires_at END
        WHERE r.hits < lim OR r.expires_at <= t;
    IF NOT FOUND THEN
      RETURN greatest(1, ceil(extract(epoch FROM w_end - t))::integer);
    END IF;
    DELETE FROM fluxbase.rate_limits
      WHERE ctid = ANY (ARRAY(SELECT e.ctid FROM fluxbase.rate_limits e WHERE e.expires_at <= t
        ORDER BY e.expires_at LIMIT 8 FOR UPDATE SKIP LOCKED));
    RETURN 0;
  END
  $$;
REVOKE ALL ON FUNCTION fluxbase.rate_limit_hit(text, text, integer, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION fluxbase.rate_limit_hit(text, text, integer, integer) TO fluxbase_auth;
