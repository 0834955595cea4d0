-- 0008: a worker's connection keeps the request identity (role and claims)
-- from one request to the next while it does not change, instead of
-- setting it anew in every transaction: switching roles in every
-- transaction was the largest share of PostgreSQL's time on a small
-- request.
--
-- So the statement that opens a request runs as the role the previous
-- request left on the connection, not always as authenticator, and that
-- statement checks the token's session.  Every role a request can run as
-- may therefore read which sessions are alive (the id and the end of each
-- session: no user, no token material, no address) and call
-- session_ended().
GRANT SELECT (id, revoked_at) ON auth.sessions TO anon, authenticated, service_role, fluxbase_auth;
GRANT USAGE ON SCHEMA fluxbase TO anon, authenticated, service_role, fluxbase_auth;
GRANT EXECUTE ON FUNCTION fluxbase.session_ended() TO anon, authenticated, service_role,
  fluxbase_auth;

-- When the worker reuses the identity, the opening statement first checks
-- that the session still holds exactly that role and those claims.  If not
-- (a request's own SQL changed them for the session, or a pooler in
-- transaction mode handed the worker another server connection), this
-- raises FB001 before anything else runs, and the worker sets the identity
-- again.
CREATE OR REPLACE FUNCTION fluxbase.identity_lost() RETURNS boolean
  LANGUAGE plpgsql
  AS $$ BEGIN RAISE SQLSTATE 'FB001' USING MESSAGE = 'The request identity was changed'; END $$;
REVOKE ALL ON FUNCTION fluxbase.identity_lost() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION fluxbase.identity_lost() TO authenticator, anon, authenticated,
  service_role, fluxbase_auth;
