-- 0006: the session check of each request without a function call in the
-- common case.  The statement that opens a request runs as authenticator,
-- before it switches role, so authenticator may read which sessions are
-- alive (nothing secret: ids, times, user agents); only an ended session
-- calls fluxbase.session_ended(), which raises the error the worker turns
-- into 401.
GRANT USAGE ON SCHEMA auth TO authenticator;
GRANT SELECT (id, revoked_at) ON auth.sessions TO authenticator;

CREATE OR REPLACE FUNCTION fluxbase.session_ended() RETURNS boolean
  LANGUAGE plpgsql
  AS $$ BEGIN RAISE SQLSTATE 'PT401' USING MESSAGE = 'The session has ended'; END $$;
REVOKE ALL ON FUNCTION fluxbase.session_ended() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION fluxbase.session_ended() TO authenticator;

-- Replaced by the check above.
DROP FUNCTION fluxbase.check_session(uuid);
