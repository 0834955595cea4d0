-- 0017: two holes in the links of 0016.
--
-- A contested sign-up.  With [auth] confirm_email on, someone may sign up
-- with another person's address and a password of their own; the account
-- waits unconfirmed.  When a second sign-up comes for that address before
-- it is confirmed, nobody can tell whose password is set, so the
-- confirmation (whoever follows the link proved only the address) ends
-- every session and drops the password, as a first proof by magic link
-- does (0009); the owner sets one through recovery.  A single sign-up
-- keeps its password: the one who chose it is the one the mail reached.
--
-- Requests for links that no address receives (unknown, banned, nothing
-- pending) now do the work of a link too, one that dies at once, so that
-- the time of the answer does not tell them apart.
ALTER TABLE auth.users ADD COLUMN signup_contested boolean NOT NULL DEFAULT false;

CREATE OR REPLACE FUNCTION auth.signup_unconfirmed(p_email text, p_hash text, p_meta jsonb,
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
    -- the password is in doubt, so the confirmation drops it (0017).
    IF u.confirmed_at IS NULL THEN
      UPDATE auth.users SET signup_contested = true WHERE id = u.id;
    END IF;
    RETURN QUERY SELECT auth.user_json_unsaved(p_email, p_meta),
      u.confirmed_at IS NULL AND NOT auth.is_banned(u) AND
      auth.issue_link('signup', u.email, u.id, NULL, p_link_hash, p_code_hash, p_ttl,
        p_redirect, p_interval) = 0;
  END
  $$;

CREATE OR REPLACE FUNCTION auth.link_request(p_type text, p_email text, p_hash bytea, p_code_hash bytea,
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

CREATE OR REPLACE FUNCTION auth.link_verify(p_type text, p_hash bytea, p_email text, p_code_hash bytea,
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
