-- 0003: accounts, sessions, refresh tokens and magic links.
--
-- Nothing secret is stored in clear: passwords as Argon2id strings, refresh
-- and magic-link tokens as their SHA-256.  The one active refresh token of a
-- session is also kept sealed (secretbox, with a key derived from the JWT
-- secret, which never reaches the database) so that a replay inside the
-- grace window can be answered with the session's current token.
--
-- The workers reach these tables only as fluxbase_auth, a role they switch
-- to for the auth endpoints; API roles have no access to them.

DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'fluxbase_auth') THEN
    CREATE ROLE fluxbase_auth NOLOGIN;
  END IF;
END
$$;
GRANT fluxbase_auth TO authenticator;
GRANT USAGE ON SCHEMA auth TO fluxbase_auth;

CREATE TABLE auth.users (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  email text NOT NULL,
  password_hash text,
  email_verified boolean NOT NULL DEFAULT false,
  role text NOT NULL DEFAULT 'authenticated',
  user_metadata jsonb NOT NULL DEFAULT '{}',
  app_metadata jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  last_sign_in_at timestamptz
);
CREATE UNIQUE INDEX users_email_key ON auth.users (lower(email));

CREATE TABLE auth.sessions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES auth.users ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  refreshed_at timestamptz,
  revoked_at timestamptz,
  user_agent text,
  ip text
);
CREATE INDEX sessions_user_idx ON auth.sessions (user_id);

CREATE TABLE auth.refresh_tokens (
  id bigserial PRIMARY KEY,
  token_hash bytea NOT NULL UNIQUE,
  token_box bytea,
  session_id uuid NOT NULL REFERENCES auth.sessions ON DELETE CASCADE,
  parent bigint REFERENCES auth.refresh_tokens ON DELETE SET NULL,
  revoked_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX refresh_tokens_session_idx ON auth.refresh_tokens (session_id);

CREATE TABLE auth.magic_links (
  id bigserial PRIMARY KEY,
  token_hash bytea NOT NULL UNIQUE,
  email text NOT NULL,
  user_id uuid REFERENCES auth.users ON DELETE CASCADE,
  redirect_to text,
  expires_at timestamptz NOT NULL,
  used_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX magic_links_email_idx ON auth.magic_links (lower(email), created_at);

GRANT SELECT, INSERT, UPDATE, DELETE ON auth.users, auth.sessions, auth.refresh_tokens,
  auth.magic_links TO fluxbase_auth;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA auth TO fluxbase_auth;

-- The public face of a user: never a hash or a secret.
CREATE FUNCTION auth.user_json(u auth.users) RETURNS json
  LANGUAGE sql STABLE
  AS $$
    SELECT json_build_object('id', u.id, 'email', u.email, 'email_verified', u.email_verified,
      'role', u.role, 'user_metadata', u.user_metadata, 'app_metadata', u.app_metadata,
      'created_at', u.created_at, 'updated_at', u.updated_at,
      'last_sign_in_at', u.last_sign_in_at)
  $$;

CREATE FUNCTION auth.new_session(p_user uuid, p_token_hash bytea, p_token_box bytea,
    p_user_agent text, p_ip text) RETURNS uuid
  LANGUAGE plpgsql
  AS $$
  DECLARE
    sid uuid;
  BEGIN
    INSERT INTO auth.sessions (user_id, user_agent, ip)
      VALUES (p_user, p_user_agent, p_ip) RETURNING id INTO sid;
    INSERT INTO auth.refresh_tokens (token_hash, token_box, session_id)
      VALUES (p_token_hash, p_token_box, sid);
    RETURN sid;
  END
  $$;

CREATE FUNCTION auth.signup(p_email text, p_hash text, p_meta jsonb, p_token_hash bytea,
    p_token_box bytea, p_user_agent text, p_ip text)
    RETURNS TABLE (user_json json, session_id uuid)
  LANGUAGE plpgsql
  AS $$
  DECLARE
    u auth.users;
  BEGIN
    INSERT INTO auth.users (email, password_hash, user_metadata, last_sign_in_at)
      VALUES (p_email, p_hash, coalesce(p_meta, '{}'), now()) RETURNING * INTO u;
    RETURN QUERY SELECT auth.user_json(u),
      auth.new_session(u.id, p_token_hash, p_token_box, p_user_agent, p_ip);
  END
  $$;

-- After the password was verified (in the worker): a new session, and the
-- hash replaced when its parameters were outdated.
CREATE FUNCTION auth.signin(p_user uuid, p_new_hash text, p_token_hash bytea,
    p_token_box bytea, p_user_agent text, p_ip text)
    RETURNS TABLE (user_json json, session_id uuid)
  LANGUAGE plpgsql
  AS $$
  DECLARE
    u auth.users;
  BEGIN
    UPDATE auth.users SET last_sign_in_at = now(),
        password_hash = coalesce(p_new_hash, password_hash)
      WHERE id = p_user RETURNING * INTO u;
    RETURN QUERY SELECT auth.user_json(u),
      auth.new_session(u.id, p_token_hash, p_token_box, p_user_agent, p_ip);
  END
  $$;

CREATE FUNCTION auth.end_session(p_session uuid) RETURNS void
  LANGUAGE sql
  AS $$
    UPDATE auth.sessions SET revoked_at = coalesce(revoked_at, now()) WHERE id = p_session;
    UPDATE auth.refresh_tokens SET revoked_at = coalesce(revoked_at, now()), token_box = NULL
      WHERE session_id = p_session;
  $$;

-- Rotation.  outcome: rotated (the token was active: p_new_hash replaces
-- it), current (a replay inside the grace window: the session's active
-- token comes back sealed), theft (a replay after it: the session ends),
-- invalid.
CREATE FUNCTION auth.refresh(p_hash bytea, p_new_hash bytea, p_new_box bytea, p_grace integer)
    RETURNS TABLE (outcome text, user_json json, session_id uuid, token_box bytea)
  LANGUAGE plpgsql
  AS $$
  DECLARE
    t auth.refresh_tokens;
    s auth.sessions;
    u auth.users;
    cur auth.refresh_tokens;
  BEGIN
    SELECT * INTO t FROM auth.refresh_tokens WHERE token_hash = p_hash FOR UPDATE;
    IF NOT FOUND THEN
      RETURN QUERY SELECT 'invalid', NULL::json, NULL::uuid, NULL::bytea;
      RETURN;
    END IF;
    SELECT * INTO s FROM auth.sessions WHERE id = t.session_id FOR UPDATE;
    IF s.revoked_at IS NOT NULL THEN
      RETURN QUERY SELECT 'invalid', NULL::json, NULL::uuid, NULL::bytea;
      RETURN;
    END IF;
    SELECT * INTO u FROM auth.users WHERE id = s.user_id;
    IF t.revoked_at IS NULL THEN
      UPDATE auth.refresh_tokens SET revoked_at = now(), token_box = NULL WHERE id = t.id;
      INSERT INTO auth.refresh_tokens (token_hash, token_box, session_id, parent)
        VALUES (p_new_hash, p_new_box, s.id, t.id);
      UPDATE auth.sessions SET refreshed_at = now() WHERE id = s.id;
      RETURN QUERY SELECT 'rotated', auth.user_json(u), s.id, NULL::bytea;
    ELSIF clock_timestamp() - t.revoked_at <= make_interval(secs => p_grace) THEN
      SELECT * INTO cur FROM auth.refresh_tokens r
        WHERE r.session_id = s.id AND r.revoked_at IS NULL ORDER BY r.id DESC LIMIT 1;
      IF NOT FOUND OR cur.token_box IS NULL THEN
        RETURN QUERY SELECT 'invalid', NULL::json, NULL::uuid, NULL::bytea;
        RETURN;
      END IF;
      RETURN QUERY SELECT 'current', auth.user_json(u), s.id, cur.token_box;
    ELSE
      PERFORM auth.end_session(s.id);
      RETURN QUERY SELECT 'theft', NULL::json, s.id, NULL::bytea;
    END IF;
  END
  $$;

CREATE FUNCTION auth.update_user(p_user uuid, p_session uuid, p_email text, p_hash text,
    p_meta jsonb) RETURNS json
  LANGUAGE plpgsql
  AS $$
  DECLARE
    u auth.users;
    other uuid;
  BEGIN
    UPDATE auth.users SET
        email = coalesce(p_email, email),
        email_verified = CASE WHEN p_email IS NOT NULL AND lower(p_email) <> lower(email)
                              THEN false ELSE email_verified END,
        password_hash = coalesce(p_hash, password_hash),
        user_metadata = CASE WHEN p_meta IS NULL THEN user_metadata
                             ELSE user_metadata || p_meta END,
        updated_at = now()
      WHERE id = p_user RETURNING * INTO u;
    IF NOT FOUND THEN
      RETURN NULL;
    END IF;
    IF p_hash IS NOT NULL THEN
      FOR other IN SELECT id FROM auth.sessions
          WHERE user_id = p_user AND id IS DISTINCT FROM p_session AND revoked_at IS NULL LOOP
        PERFORM auth.end_session(other);
      END LOOP;
    END IF;
    RETURN auth.user_json(u);
  END
  $$;

-- outcome: sent, throttled (a link went to this address less than
-- p_interval seconds ago), skip (unknown address and sign-ups closed).
CREATE FUNCTION auth.magic_request(p_email text, p_hash bytea, p_ttl integer,
    p_redirect text, p_interval integer, p_allow_new boolean)
    RETURNS TABLE (outcome text, retry_after integer)
  LANGUAGE plpgsql
  AS $$
  DECLARE
    uid uuid;
    last timestamptz;
  BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('fluxbase.magic:' || lower(p_email)));
    SELECT max(created_at) INTO last FROM auth.magic_links WHERE lower(email) = lower(p_email);
    IF last IS NOT NULL AND clock_timestamp() - last < make_interval(secs => p_interval) THEN
      RETURN QUERY SELECT 'throttled',
        greatest(1, ceil(p_interval - extract(epoch FROM clock_timestamp() - last)))::integer;
      RETURN;
    END IF;
    SELECT id INTO uid FROM auth.users WHERE lower(email) = lower(p_email);
    IF uid IS NULL AND NOT p_allow_new THEN
      RETURN QUERY SELECT 'skip', 0;
      RETURN;
    END IF;
    INSERT INTO auth.magic_links (token_hash, email, user_id, redirect_to, expires_at, created_at)
      VALUES (p_hash, p_email, uid, p_redirect, clock_timestamp() + make_interval(secs => p_ttl),
              clock_timestamp());
    RETURN QUERY SELECT 'sent', 0;
  END
  $$;

-- Single use.  With p_consume false (HEAD) only says whether it is valid.
CREATE FUNCTION auth.magic_verify(p_hash bytea, p_consume boolean, p_token_hash bytea,
    p_token_box bytea, p_user_agent text, p_ip text)
    RETURNS TABLE (outcome text, user_json json, session_id uuid, redirect_to text)
  LANGUAGE plpgsql
  AS $$
  DECLARE
    l auth.magic_links;
    u auth.users;
  BEGIN
    SELECT * INTO l FROM auth.magic_links WHERE token_hash = p_hash FOR UPDATE;
    IF NOT FOUND OR l.used_at IS NOT NULL OR l.expires_at < clock_timestamp() THEN
      RETURN QUERY SELECT 'invalid', NULL::json, NULL::uuid, NULL::text;
      RETURN;
    END IF;
    IF NOT p_consume THEN
      RETURN QUERY SELECT 'valid', NULL::json, NULL::uuid, NULL::text;
      RETURN;
    END IF;
    UPDATE auth.magic_links SET used_at = now() WHERE id = l.id;
    SELECT * INTO u FROM auth.users WHERE lower(email) = lower(l.email) FOR UPDATE;
    IF NOT FOUND THEN
      INSERT INTO auth.users (email, email_verified, last_sign_in_at)
        VALUES (l.email, true, now()) RETURNING * INTO u;
    ELSE
      UPDATE auth.users SET email_verified = true, last_sign_in_at = now()
        WHERE id = u.id RETURNING * INTO u;
    END IF;
    RETURN QUERY SELECT 'signed_in', auth.user_json(u),
      auth.new_session(u.id, p_token_hash, p_token_box, p_user_agent, p_ip), l.redirect_to;
  END
  $$;

REVOKE ALL ON FUNCTION auth.new_session(uuid, bytea, bytea, text, text), auth.signup(text, text,
  jsonb, bytea, bytea, text, text), auth.signin(uuid, text, bytea, bytea, text, text),
  auth.end_session(uuid), auth.refresh(bytea, bytea, bytea, integer), auth.update_user(uuid,
  uuid, text, text, jsonb), auth.magic_request(text, bytea, integer, text, integer, boolean),
  auth.magic_verify(bytea, boolean, bytea, bytea, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION auth.new_session(uuid, bytea, bytea, text, text), auth.signup(text,
  text, jsonb, bytea, bytea, text, text), auth.signin(uuid, text, bytea, bytea, text, text),
  auth.end_session(uuid), auth.refresh(bytea, bytea, bytea, integer), auth.update_user(uuid,
  uuid, text, text, jsonb), auth.magic_request(text, bytea, integer, text, integer, boolean),
  auth.magic_verify(bytea, boolean, bytea, bytea, text, text), auth.user_json(auth.users)
  TO fluxbase_auth;

-- A signed-out or revoked session is refused on every request: the worker
-- calls this in the statement that sets up each request's transaction.
CREATE FUNCTION fluxbase.check_session(p_session uuid) RETURNS boolean
  LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog
  AS $$
  BEGIN
    IF p_session IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM auth.sessions WHERE id = p_session AND revoked_at IS NULL) THEN
      RAISE SQLSTATE 'PT401' USING MESSAGE = 'The session has ended';
    END IF;
    RETURN true;
  END
  $$;
REVOKE ALL ON FUNCTION fluxbase.check_session(uuid) FROM PUBLIC;
GRANT USAGE ON SCHEMA fluxbase TO authenticator, fluxbase_auth;
GRANT EXECUTE ON FUNCTION fluxbase.check_session(uuid) TO authenticator, anon, authenticated,
  service_role, fluxbase_auth;
