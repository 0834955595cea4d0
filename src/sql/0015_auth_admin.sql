-- 0015: the admin API of the service role (/auth/admin/users).
--
-- One function per request, as for the rest of auth: listing, creating,
-- reading, changing and deleting a user, and ending all of a user's
-- sessions.  They run as fluxbase_auth, the only role that may call them;
-- the worker admits only the service role to the routes that do.  They
-- return auth.user_json, never a hash.
--
-- A ban (banned_until in the future) or a new password ends every session
-- of the user at once: their access tokens are refused at their next
-- request by the session check every request makes, their refresh tokens
-- are dead, and auth.refresh (replaced below) refuses a banned user.
-- Deleting a user deletes their sessions (ON DELETE CASCADE), so their
-- tokens are refused the same way; the objects they owned in storage stay,
-- with owner set to NULL (only the service role, or a policy of the
-- operator's, reaches them then).

-- Every session of a user ends (access and refresh tokens alike).
CREATE FUNCTION auth.end_user_sessions(p_user uuid) RETURNS void
  LANGUAGE plpgsql
  AS $$
  DECLARE
    s uuid;
  BEGIN
    FOR s IN SELECT id FROM auth.sessions WHERE user_id = p_user AND revoked_at IS NULL LOOP
      PERFORM auth.end_session(s);
    END LOOP;
  END
  $$;

-- A page of users (by created_at, then id) and how many match in all;
-- p_email, when given, is a case-insensitive substring of the address
-- (strpos: no LIKE wildcards).
CREATE FUNCTION auth.admin_list_users(p_page bigint, p_per_page integer, p_email text)
    RETURNS json
  LANGUAGE sql STABLE
  AS $$
    WITH matching AS (
      SELECT u FROM auth.users u
        WHERE p_email IS NULL OR strpos(lower(u.email), lower(p_email)) > 0
    ), page AS (
      SELECT m.u FROM matching m ORDER BY (m.u).created_at, (m.u).id
        LIMIT p_per_page OFFSET (p_page - 1) * p_per_page
    )
    SELECT json_build_object(
      'users', coalesce((SELECT json_agg(auth.user_json(p.u) ORDER BY (p.u).created_at,
        (p.u).id) FROM page p), '[]'::json),
      'total', (SELECT count(*) FROM matching))
  $$;

CREATE FUNCTION auth.admin_get_user(p_user uuid) RETURNS json
  LANGUAGE sql STABLE
  AS $$ SELECT auth.user_json(u) FROM auth.users u WHERE u.id = p_user $$;

-- A new account.  p_hash may be NULL (no password: a magic link or an
-- invitation signs the user in); p_confirmed marks the address proven.
CREATE FUNCTION auth.admin_create_user(p_email text, p_hash text, p_confirmed boolean,
    p_user_meta jsonb, p_app_meta jsonb, p_role text) RETURNS json
  LANGUAGE plpgsql
  AS $$
  DECLARE
    u auth.users;
  BEGIN
    INSERT INTO auth.users (email, password_hash, email_verified, confirmed_at, user_metadata,
        app_metadata, role)
      VALUES (p_email, p_hash, coalesce(p_confirmed, false),
              CASE WHEN p_confirmed THEN now() END, coalesce(p_user_meta, '{}'),
              coalesce(p_app_meta, '{}'), coalesce(p_role, 'authenticated'))
      RETURNING * INTO u;
    RETURN auth.user_json(u);
  END
  $$;

-- Metadata given to PATCH: its top-level keys replace the stored ones, and
-- a key given as null is removed.
CREATE FUNCTION auth.admin_merge(p_old jsonb, p_new jsonb) RETURNS jsonb
  LANGUAGE sql IMMUTABLE
  AS $$
    SELECT CASE WHEN p_new IS NULL THEN p_old
      ELSE (p_old || p_new) - coalesce((SELECT array_agg(k) FROM jsonb_each(p_new) AS e(k, v)
        WHERE v = 'null'::jsonb), '{}'::text[]) END
  $$;

-- NULL arguments leave a field as it is, but for the ban: p_ban_set says
-- whether banned_until was given (NULL lifts a ban).  A new address is
-- unconfirmed unless p_confirmed says otherwise, and replaces a pending
-- change.  NULL when there is no such user.
CREATE FUNCTION auth.admin_update_user(p_user uuid, p_email text, p_hash text,
    p_confirmed boolean, p_user_meta jsonb, p_app_meta jsonb, p_role text, p_ban_set boolean,
    p_banned_until timestamptz) RETURNS json
  LANGUAGE plpgsql
  AS $$
  DECLARE
    u auth.users;
    moved boolean;
  BEGIN
    SELECT * INTO u FROM auth.users WHERE id = p_user FOR UPDATE;
    IF NOT FOUND THEN
      RETURN NULL;
    END IF;
    moved := p_email IS NOT NULL AND lower(p_email) <> lower(u.email);
    UPDATE auth.users SET
        email = coalesce(p_email, email),
        new_email = CASE WHEN p_email IS NULL THEN new_email END,
        email_verified = CASE WHEN p_confirmed IS NOT NULL THEN p_confirmed
                              WHEN moved THEN false ELSE email_verified END,
        confirmed_at = CASE WHEN p_confirmed AND NOT moved THEN coalesce(confirmed_at, now())
                            WHEN p_confirmed THEN now()
                            WHEN p_confirmed IS NOT NULL OR moved THEN NULL
                            ELSE confirmed_at END,
        password_hash = coalesce(p_hash, password_hash),
        user_metadata = auth.admin_merge(user_metadata, p_user_meta),
        app_metadata = auth.admin_merge(app_metadata, p_app_meta),
        role = coalesce(p_role, role),
        banned_until = CASE WHEN p_ban_set THEN p_banned_until ELSE banned_until END,
        updated_at = now()
      WHERE id = p_user RETURNING * INTO u;
    IF p_hash IS NOT NULL OR auth.is_banned(u) THEN
      PERFORM auth.end_user_sessions(p_user);
    END IF;
    RETURN auth.user_json(u);
  END
  $$;

-- The storage rows a deleted user owned keep their blob and lose their
-- owner.  fluxbase_auth has no rights in storage: this one change, and
-- nothing else, runs as the owner of the table.
CREATE FUNCTION storage.disown(p_user uuid) RETURNS void
  LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog
  AS $$ UPDATE storage.objects SET owner = NULL WHERE owner = p_user $$;
REVOKE ALL ON FUNCTION storage.disown(uuid) FROM PUBLIC;
GRANT USAGE ON SCHEMA storage TO fluxbase_auth;
GRANT EXECUTE ON FUNCTION storage.disown(uuid) TO fluxbase_auth;

-- false when there is no such user.  Sessions, refresh tokens and links go
-- with the user (ON DELETE CASCADE).
CREATE FUNCTION auth.admin_delete_user(p_user uuid) RETURNS boolean
  LANGUAGE plpgsql
  AS $$
  BEGIN
    PERFORM 1 FROM auth.users WHERE id = p_user FOR UPDATE;
    IF NOT FOUND THEN
      RETURN false;
    END IF;
    PERFORM storage.disown(p_user);
    DELETE FROM auth.users WHERE id = p_user;
    RETURN true;
  END
  $$;

-- false when there is no such user.
CREATE FUNCTION auth.admin_signout_user(p_user uuid) RETURNS boolean
  LANGUAGE plpgsql
  AS $$
  BEGIN
    PERFORM 1 FROM auth.users WHERE id = p_user;
    IF NOT FOUND THEN
      RETURN false;
    END IF;
    PERFORM auth.end_user_sessions(p_user);
    RETURN true;
  END
  $$;

-- 0003's rotation, unchanged but for one outcome: a banned user's token is
-- invalid (the session lives on, its tokens refused, until the ban ends).
CREATE OR REPLACE FUNCTION auth.refresh(p_hash bytea, p_new_hash bytea, p_new_box bytea,
    p_grace integer)
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
    IF auth.is_banned(u) THEN
      RETURN QUERY SELECT 'invalid', NULL::json, NULL::uuid, NULL::bytea;
      RETURN;
    END IF;
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

REVOKE ALL ON FUNCTION auth.end_user_sessions(uuid), auth.admin_list_users(bigint, integer, text),
  auth.admin_get_user(uuid), auth.admin_create_user(text, text, boolean, jsonb, jsonb, text),
  auth.admin_merge(jsonb, jsonb), auth.admin_update_user(uuid, text, text, boolean, jsonb, jsonb,
  text, boolean, timestamptz), auth.admin_delete_user(uuid), auth.admin_signout_user(uuid)
  FROM PUBLIC;
GRANT EXECUTE ON FUNCTION auth.end_user_sessions(uuid), auth.admin_list_users(bigint, integer,
  text), auth.admin_get_user(uuid), auth.admin_create_user(text, text, boolean, jsonb, jsonb,
  text), auth.admin_merge(jsonb, jsonb), auth.admin_update_user(uuid, text, text, boolean, jsonb,
  jsonb, text, boolean, timestamptz), auth.admin_delete_user(uuid),
  auth.admin_signout_user(uuid) TO fluxbase_auth;
