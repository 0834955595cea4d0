-- 0016: links and codes of every type (signup, recovery, invite,
-- magiclink, email_change), one SQL function per request.
--
-- A link is 32 random bytes (only its SHA-256 stored) and carries a
-- numeric code for the same action (only its keyed SHA-256 stored).  Both
-- are single use and expire; a new link of a type kills the previous one
-- of that type for the address; codes are compared without an early exit
-- and a link dies after too many wrong codes.  The functions answer the
-- same for known and unknown addresses (the worker answers the same too):
-- an outcome tells the worker whether to mail, never the client.

-- A contested sign-up.  With [auth] confirm_email on, someone may sign up
-- with another person's address and a password of their own; the account
-- waits unconfirmed.  When a second sign-up comes for that address before
-- it is confirmed, nobody can tell whose password is set, so the
-- confirmation (whoever follows the link proved only the address) ends
-- every session and drops the password, as a first proof by magic link
-- does; the owner sets one through recovery.  A single sign-up keeps its
-- password: the one who chose it is the one the mail reached.
ALTER TABLE auth.users ADD COLUMN signup_contested boolean NOT NULL DEFAULT false;

-- Equality of two hashes without an early exit.
CREATE FUNCTION auth.hash_equal(a bytea, b bytea) RETURNS boolean
  LANGUAGE sql IMMUTABLE
  AS $$
    SELECT a IS NOT NULL AND b IS NOT NULL AND length(a) = length(b) AND
      (SELECT bit_or(get_byte(a, i) # get_byte(b, i)) FROM generate_series(0, length(a) - 1) i)
        = 0
  $$;

-- The amr claim of a session: how it began, and when.  Volatile, so a
-- call in the statement that made the session sees it.
CREATE FUNCTION auth.session_amr(p_session uuid) RETURNS json
  LANGUAGE sql VOLATILE
  AS $$
    SELECT json_build_array(json_build_object('method', s.method,
      'timestamp', floor(extract(epoch FROM s.created_at))::bigint))
      FROM auth.sessions s WHERE s.id = p_session
  $$;

-- A new link of p_type for an address; the previous live one of that type
-- (for the address, or for the user) dies.  Returns 0, or the seconds to
-- wait when a link of this type went to the address less than p_interval
-- seconds ago (nothing is made then).
CREATE FUNCTION auth.issue_link(p_type text, p_email text, p_user uuid, p_new_email text,
    p_hash bytea, p_code_hash bytea, p_ttl integer, p_redirect text, p_interval integer)
    RETURNS integer
  LANGUAGE plpgsql
  AS $$
  DECLARE
    last timestamptz;
  BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('fluxbase.link:' || p_type || ':' || lower(p_email)));
    SELECT max(created_at) INTO last FROM auth.magic_links
      WHERE type = p_type AND lower(email) = lower(p_email);
    IF last IS NOT NULL AND clock_timestamp() - last < make_interval(secs => p_interval) THEN
      RETURN greatest(1, ceil(p_interval - extract(epoch FROM clock_timestamp() - last)))::integer;
    END IF;
    UPDATE auth.magic_links SET used_at = clock_timestamp()
      WHERE type = p_type AND used_at IS NULL
        AND (lower(email) = lower(p_email) OR (p_user IS NOT NULL AND user_id = p_user));
    INSERT INTO auth.magic_links (token_hash, code_hash, type, email, user_id, new_email,
        redirect_to, expires_at, created_at)
      VALUES (p_hash, p_code_hash, p_type, p_email, p_user, p_new_email, p_redirect,
              clock_timestamp() + make_interval(secs => p_ttl), clock_timestamp());
    RETURN 0;
  END
  $$;

-- A user as signup shows one that was not made: the same fields, made up.
CREATE FUNCTION auth.user_json_unsaved(p_email text, p_meta jsonb) RETURNS json
  LANGUAGE plpgsql VOLATILE
  AS $$
  DECLARE
    u auth.users;
  BEGIN
    u.id := gen_random_uuid();
    u.email := p_email;
    u.email_verified := false;
    u.role := 'authenticated';
    u.user_metadata := coalesce(p_meta, '{}');
    u.app_metadata := '{}';
    u.created_at := now();
    u.updated_at := now();
    RETURN auth.user_json(u);
  END
  $$;

-- Sign-up when addresses must be confirmed: a new account waits for its
-- link; an address already taken gets the same answer and no second
-- account (its owner, when not confirmed yet, a fresh link).
CREATE FUNCTION auth.signup_unconfirmed(p_email text, p_hash text, p_meta jsonb,
    p_link_hash bytea, p_code_hash bytea, p_ttl integer, p_redirect text, p_interval integer)
    RETURNS TABLE (user_json json, mail boolean)
  LANGUAGE plpgsql
  AS $$
  DECLARE
    u auth.users;
  BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('fluxbase.signup:' || lower(p_email)));
    SELECT * INTO u FROM auth.users WHERE lower(email) = lower(p_email);
    IF NOT FOUND THEN
      INSERT INTO auth.users (email, password_hash, user_metadata)
        VALUES (p_email, p_hash, coalesce(p_meta, '{}')) RETURNING * INTO u;
      PERFORM auth.issue_link('signup', p_email, u.id, NULL, p_link_hash, p_code_hash, p_ttl,
        p_redirect, 0);
      RETURN QUERY SELECT auth.user_json(u), true;
      RETURN;
    END IF;
    -- Someone signs up again with an address not confirmed yet: who set
    -- the password is in doubt, so the confirmation drops it.
    IF u.confirmed_at IS NULL THEN
      UPDATE auth.users SET signup_contested = true WHERE id = u.id;
    END IF;
    RETURN QUERY SELECT auth.user_json_unsaved(p_email, p_meta),
      u.confirmed_at IS NULL AND NOT auth.is_banned(u) AND
      auth.issue_link('signup', u.email, u.id, NULL, p_link_hash, p_code_hash, p_ttl,
        p_redirect, p_interval) = 0;
  END
  $$;

-- A link asked for by mail address (magiclink, recovery, and resend of
-- signup and email_change).  outcome: sent (to mail_to), throttled (with
-- retry_after), skip (nothing to send: unknown, banned, nothing pending).
CREATE FUNCTION auth.link_request(p_type text, p_email text, p_hash bytea, p_code_hash bytea,
    p_ttl integer, p_redirect text, p_interval integer, p_allow_new boolean)
    RETURNS TABLE (outcome text, retry_after integer, mail_to text)
  LANGUAGE plpgsql
  AS $$
  DECLARE
    u auth.users;
    wait integer;
    target text := p_email;
  BEGIN
    SELECT * INTO u FROM auth.users WHERE lower(email) = lower(p_email);
    IF (u.id IS NULL AND NOT (p_type = 'magiclink' AND p_allow_new)) OR
        (u.id IS NOT NULL AND auth.is_banned(u)) OR
        (p_type = 'signup' AND u.confirmed_at IS NOT NULL) OR
        (p_type = 'email_change' AND u.new_email IS NULL) THEN
      -- The work a link costs, for a link nobody can use (expired at once):
      -- an address that gets no mail takes as long as one that does.
      PERFORM auth.issue_link(p_type, p_email, NULL, NULL, p_hash, p_code_hash, 0, NULL,
        p_interval);
      RETURN QUERY SELECT 'skip', 0, NULL::text;
      RETURN;
    END IF;
    IF p_type = 'email_change' THEN
      target := u.new_email;
    ELSIF u.id IS NOT NULL THEN
      target := u.email;
    END IF;
    wait := auth.issue_link(p_type, target, u.id,
      CASE WHEN p_type = 'email_change' THEN u.new_email END, p_hash, p_code_hash, p_ttl,
      p_redirect, p_interval);
    IF wait > 0 THEN
      RETURN QUERY SELECT 'throttled', wait, NULL::text;
    ELSE
      RETURN QUERY SELECT 'sent', 0, target;
    END IF;
  END
  $$;

-- The first proof of an address (0013): when the account was not verified
-- before, its sessions end and its password goes.  Then it is confirmed.
CREATE FUNCTION auth.prove_address(p_user uuid, p_keep_password boolean) RETURNS auth.users
  LANGUAGE plpgsql
  AS $$
  DECLARE
    u auth.users;
    s uuid;
  BEGIN
    SELECT * INTO u FROM auth.users WHERE id = p_user FOR UPDATE;
    IF NOT u.email_verified AND NOT p_keep_password THEN
      FOR s IN SELECT id FROM auth.sessions WHERE user_id = u.id AND revoked_at IS NULL LOOP
        PERFORM auth.end_session(s);
      END LOOP;
      UPDATE auth.users SET password_hash = NULL WHERE id = u.id;
    END IF;
    UPDATE auth.users SET email_verified = true, confirmed_at = coalesce(confirmed_at, now()),
        last_sign_in_at = now(), updated_at = now()
      WHERE id = u.id RETURNING * INTO u;
    RETURN u;
  END
  $$;

-- The live link a code is for: the newest unused one of the type for the
-- address.  A wrong code counts; the link dies at p_max_attempts.
CREATE FUNCTION auth.link_by_code(p_type text, p_email text, p_code_hash bytea,
    p_max_attempts integer) RETURNS auth.magic_links
  LANGUAGE plpgsql
  AS $$
  DECLARE
    l auth.magic_links;
  BEGIN
    SELECT * INTO l FROM auth.magic_links m
      WHERE m.type = p_type AND lower(m.email) = lower(p_email) AND m.used_at IS NULL
        AND m.expires_at >= clock_timestamp()
      ORDER BY m.id DESC LIMIT 1 FOR UPDATE;
    IF NOT FOUND THEN
      RETURN NULL;
    END IF;
    IF auth.hash_equal(l.code_hash, p_code_hash) THEN
      RETURN l;
    END IF;
    UPDATE auth.magic_links SET attempts = attempts + 1,
        used_at = CASE WHEN attempts + 1 >= p_max_attempts THEN clock_timestamp() END
      WHERE id = l.id;
    RETURN NULL;
  END
  $$;

-- Following a link (p_hash) or typing its code (p_email, p_code_hash).
-- With p_consume false (HEAD) only says whether the link is good.
-- outcome: invalid, valid, signed_in (a session), changed (email_change:
-- the user, no session).
CREATE FUNCTION auth.link_verify(p_type text, p_hash bytea, p_email text, p_code_hash bytea,
    p_consume boolean, p_max_attempts integer, p_token_hash bytea, p_token_box bytea,
    p_user_agent text, p_ip text)
    RETURNS TABLE (outcome text, user_json json, session_id uuid, redirect_to text, amr json)
  LANGUAGE plpgsql
  AS $$
  DECLARE
    l auth.magic_links;
    u auth.users;
    s uuid;
    how text;
  BEGIN
    IF p_hash IS NOT NULL THEN
      SELECT * INTO l FROM auth.magic_links m WHERE m.token_hash = p_hash AND m.type = p_type
        FOR UPDATE;
    ELSE
      l := auth.link_by_code(p_type, p_email, p_code_hash, p_max_attempts);
    END IF;
    IF l.id IS NULL OR l.used_at IS NOT NULL OR l.expires_at < clock_timestamp() THEN
      RETURN QUERY SELECT 'invalid', NULL::json, NULL::uuid, NULL::text, NULL::json;
      RETURN;
    END IF;
    IF l.user_id IS NOT NULL THEN
      SELECT * INTO u FROM auth.users WHERE id = l.user_id FOR UPDATE;
    ELSE
      SELECT * INTO u FROM auth.users WHERE lower(email) = lower(l.email) FOR UPDATE;
    END IF;
    IF (u.id IS NOT NULL AND auth.is_banned(u)) OR (u.id IS NULL AND p_type <> 'magiclink') OR
        (p_type = 'email_change' AND u.new_email IS DISTINCT FROM l.new_email) THEN
      RETURN QUERY SELECT 'invalid', NULL::json, NULL::uuid, NULL::text, NULL::json;
      RETURN;
    END IF;
    IF NOT p_consume THEN
      RETURN QUERY SELECT 'valid', NULL::json, NULL::uuid, NULL::text, NULL::json;
      RETURN;
    END IF;
    UPDATE auth.magic_links SET used_at = clock_timestamp() WHERE id = l.id;
    IF p_type = 'email_change' THEN
      UPDATE auth.users SET email = l.new_email, new_email = NULL, email_verified = true,
          confirmed_at = coalesce(confirmed_at, now()), updated_at = now()
        WHERE id = u.id RETURNING * INTO u;
      RETURN QUERY SELECT 'changed', auth.user_json(u), NULL::uuid, l.redirect_to, NULL::json;
      RETURN;
    END IF;
    IF u.id IS NULL THEN
      INSERT INTO auth.users (email, email_verified, confirmed_at)
        VALUES (l.email, true, now()) RETURNING * INTO u;
    END IF;
    u := auth.prove_address(u.id,
      (p_type = 'signup' AND NOT u.signup_contested) OR p_type = 'invite');
    how := CASE WHEN p_type IN ('recovery', 'invite') THEN p_type
                   WHEN p_hash IS NULL OR p_type = 'signup' THEN 'otp'
                   ELSE 'magiclink' END;
    s := auth.new_session(u.id, p_token_hash, p_token_box, p_user_agent, p_ip);
    UPDATE auth.sessions SET method = how WHERE id = s;
    RETURN QUERY SELECT 'signed_in', auth.user_json(u), s, l.redirect_to, auth.session_amr(s);
  END
  $$;

-- PATCH /auth/user: password and metadata as auth.update_user does; a new
-- address only waits in new_email for the link mailed to it.  outcome:
-- sent (mail the link to the new address and a notice to old_email),
-- taken (the same answer, only the notice), throttled, unchanged.
CREATE FUNCTION auth.user_change(p_user uuid, p_session uuid, p_email text, p_hash text,
    p_meta jsonb, p_link_hash bytea, p_code_hash bytea, p_ttl integer, p_interval integer)
    RETURNS TABLE (outcome text, user_json json, old_email text)
  LANGUAGE plpgsql
  AS $$
  DECLARE
    u auth.users;
    result text := 'unchanged';
  BEGIN
    IF auth.update_user(p_user, p_session, NULL, p_hash, p_meta) IS NULL THEN
      RETURN;
    END IF;
    SELECT * INTO u FROM auth.users WHERE id = p_user FOR UPDATE;
    IF p_email IS NOT NULL AND lower(p_email) <> lower(u.email) THEN
      UPDATE auth.users SET new_email = p_email, updated_at = now() WHERE id = u.id;
      IF EXISTS (SELECT 1 FROM auth.users WHERE lower(email) = lower(p_email)) THEN
        result := 'taken';
        UPDATE auth.magic_links SET used_at = clock_timestamp()
          WHERE type = 'email_change' AND user_id = u.id AND used_at IS NULL;
      ELSIF auth.issue_link('email_change', p_email, u.id, p_email, p_link_hash, p_code_hash,
          p_ttl, NULL, p_interval) = 0 THEN
        result := 'sent';
      ELSE
        result := 'throttled';
      END IF;
    END IF;
    SELECT * INTO u FROM auth.users WHERE id = p_user;
    RETURN QUERY SELECT result, auth.user_json(u), u.email;
  END
  $$;

-- Links the service role asks for (invite, generate-link): no throttle, a
-- user made when the type allows it.  outcome: ok (user_json, mail_to),
-- exists (an invitation to a confirmed account), not_found, taken
-- (email_change to an address in use).
CREATE FUNCTION auth.admin_link(p_type text, p_email text, p_new_email text, p_meta jsonb,
    p_hash bytea, p_code_hash bytea, p_ttl integer, p_redirect text)
    RETURNS TABLE (outcome text, user_json json, mail_to text)
  LANGUAGE plpgsql
  AS $$
  DECLARE
    u auth.users;
    target text := p_email;
  BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('fluxbase.signup:' || lower(p_email)));
    SELECT * INTO u FROM auth.users WHERE lower(email) = lower(p_email) FOR UPDATE;
    IF u.id IS NULL AND p_type IN ('recovery', 'email_change') THEN
      RETURN QUERY SELECT 'not_found', NULL::json, NULL::text;
      RETURN;
    END IF;
    IF p_type = 'invite' AND u.confirmed_at IS NOT NULL THEN
      RETURN QUERY SELECT 'exists', NULL::json, NULL::text;
      RETURN;
    END IF;
    IF u.id IS NULL THEN
      INSERT INTO auth.users (email, user_metadata)
        VALUES (p_email, coalesce(p_meta, '{}')) RETURNING * INTO u;
    END IF;
    IF p_type = 'email_change' THEN
      IF EXISTS (SELECT 1 FROM auth.users WHERE lower(email) = lower(p_new_email)) THEN
        RETURN QUERY SELECT 'taken', NULL::json, NULL::text;
        RETURN;
      END IF;
      UPDATE auth.users SET new_email = p_new_email, updated_at = now()
        WHERE id = u.id RETURNING * INTO u;
      target := p_new_email;
    ELSE
      target := u.email;
    END IF;
    PERFORM auth.issue_link(p_type, target, u.id,
      CASE WHEN p_type = 'email_change' THEN p_new_email END, p_hash, p_code_hash, p_ttl,
      p_redirect, 0);
    RETURN QUERY SELECT 'ok', auth.user_json(u), target;
  END
  $$;

REVOKE ALL ON FUNCTION auth.hash_equal(bytea, bytea), auth.session_amr(uuid),
  auth.issue_link(text, text, uuid, text, bytea, bytea, integer, text, integer),
  auth.user_json_unsaved(text, jsonb),
  auth.signup_unconfirmed(text, text, jsonb, bytea, bytea, integer, text, integer),
  auth.link_request(text, text, bytea, bytea, integer, text, integer, boolean),
  auth.prove_address(uuid, boolean), auth.link_by_code(text, text, bytea, integer),
  auth.link_verify(text, bytea, text, bytea, boolean, integer, bytea, bytea, text, text),
  auth.user_change(uuid, uuid, text, text, jsonb, bytea, bytea, integer, integer),
  auth.admin_link(text, text, text, jsonb, bytea, bytea, integer, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION auth.hash_equal(bytea, bytea), auth.session_amr(uuid),
  auth.issue_link(text, text, uuid, text, bytea, bytea, integer, text, integer),
  auth.user_json_unsaved(text, jsonb),
  auth.signup_unconfirmed(text, text, jsonb, bytea, bytea, integer, text, integer),
  auth.link_request(text, text, bytea, bytea, integer, text, integer, boolean),
  auth.prove_address(uuid, boolean), auth.link_by_code(text, text, bytea, integer),
  auth.link_verify(text, bytea, text, bytea, boolean, integer, bytea, bytea, text, text),
  auth.user_change(uuid, uuid, text, text, jsonb, bytea, bytea, integer, integer),
  auth.admin_link(text, text, text, jsonb, bytea, bytea, integer, text) TO fluxbase_auth;
