-- 0013: what the account life cycle needs (confirmation, recovery, codes,
-- e-mail change, invitations, bans, the admin API): the schema only; the
-- flows' functions come with their handlers.
--
-- Users gain confirmed_at (email_verified is true once it is set),
-- new_email (a change waiting for its confirmation) and banned_until.
-- Accounts made before this migration count as confirmed, so installs that
-- turn [auth] confirm_email on lock nobody out.
ALTER TABLE auth.users ADD COLUMN confirmed_at timestamptz,
  ADD COLUMN new_email text,
  ADD COLUMN banned_until timestamptz;
UPDATE auth.users SET email_verified = true,
  confirmed_at = coalesce(confirmed_at, last_sign_in_at, created_at);

-- How a session began, for the token's amr claim: password, magiclink,
-- otp, recovery, invite (or signup, email_change: the link's type).
ALTER TABLE auth.sessions ADD COLUMN method text NOT NULL DEFAULT 'password';

-- One table for every link and code sent by mail.  type says what
-- following it does; code_hash is the SHA-256 of the numeric code sent
-- with the link (the same action), attempts counts wrong codes for it;
-- new_email is the address an email_change link confirms.
ALTER TABLE auth.magic_links
  ADD COLUMN type text NOT NULL DEFAULT 'magiclink'
    CHECK (type IN ('signup', 'recovery', 'invite', 'magiclink', 'email_change')),
  ADD COLUMN code_hash bytea,
  ADD COLUMN attempts integer NOT NULL DEFAULT 0,
  ADD COLUMN new_email text;
CREATE INDEX magic_links_type_email_idx ON auth.magic_links (type, lower(email), created_at);

-- The public face of a user: never a hash or a secret.
CREATE OR REPLACE FUNCTION auth.user_json(u auth.users) RETURNS json
  LANGUAGE sql STABLE
  AS $$
    SELECT json_build_object('id', u.id, 'email', u.email, 'email_verified', u.email_verified,
      'confirmed_at', u.confirmed_at, 'new_email', u.new_email,
      'banned_until', u.banned_until,
      'role', u.role, 'user_metadata', u.user_metadata, 'app_metadata', u.app_metadata,
      'created_at', u.created_at, 'updated_at', u.updated_at,
      'last_sign_in_at', u.last_sign_in_at)
  $$;

-- A user who may not sign in, refresh or verify now.
CREATE FUNCTION auth.is_banned(u auth.users) RETURNS boolean
  LANGUAGE sql STABLE
  AS $$ SELECT u.banned_until IS NOT NULL AND u.banned_until > clock_timestamp() $$;
GRANT EXECUTE ON FUNCTION auth.is_banned(auth.users) TO fluxbase_auth;

-- The first proof of an address ends what was done before it.  Without
-- confirmation anyone can sign up with someone else's address and a
-- password of their choosing.  When the address is later proven (a magic
-- link opened: the mail reached its owner) and the account was not
-- verified before, every session of the account ends and the unproven
-- password is dropped (the owner sets one with PATCH /auth/user); the
-- proof also confirms the address.  A banned account's link is refused.
CREATE OR REPLACE FUNCTION auth.magic_verify(p_hash bytea, p_consume boolean, p_token_hash bytea,
    p_token_box bytea, p_user_agent text, p_ip text)
    RETURNS TABLE (outcome text, user_json json, session_id uuid, redirect_to text)
  LANGUAGE plpgsql
  AS $$
  DECLARE
    l auth.magic_links;
    u auth.users;
    s uuid;
  BEGIN
    SELECT * INTO l FROM auth.magic_links m WHERE m.token_hash = p_hash AND m.type = 'magiclink'
      FOR UPDATE;
    IF NOT FOUND OR l.used_at IS NOT NULL OR l.expires_at < clock_timestamp() THEN
      RETURN QUERY SELECT 'invalid', NULL::json, NULL::uuid, NULL::text;
      RETURN;
    END IF;
    SELECT * INTO u FROM auth.users WHERE lower(email) = lower(l.email) FOR UPDATE;
    IF FOUND AND auth.is_banned(u) THEN
      RETURN QUERY SELECT 'invalid', NULL::json, NULL::uuid, NULL::text;
      RETURN;
    END IF;
    IF NOT p_consume THEN
      RETURN QUERY SELECT 'valid', NULL::json, NULL::uuid, NULL::text;
      RETURN;
    END IF;
    UPDATE auth.magic_links SET used_at = now() WHERE id = l.id;
    IF u.id IS NULL THEN
      INSERT INTO auth.users (email, email_verified, confirmed_at, last_sign_in_at)
        VALUES (l.email, true, now(), now()) RETURNING * INTO u;
    ELSE
      IF NOT u.email_verified THEN
        FOR s IN SELECT id FROM auth.sessions WHERE user_id = u.id AND revoked_at IS NULL LOOP
          PERFORM auth.end_session(s);
        END LOOP;
        UPDATE auth.users SET password_hash = NULL WHERE id = u.id;
      END IF;
      UPDATE auth.users SET email_verified = true, confirmed_at = coalesce(confirmed_at, now()),
        last_sign_in_at = now()
        WHERE id = u.id RETURNING * INTO u;
    END IF;
    s := auth.new_session(u.id, p_token_hash, p_token_box, p_user_agent, p_ip);
    UPDATE auth.sessions SET method = 'magiclink' WHERE id = s;
    RETURN QUERY SELECT 'signed_in', auth.user_json(u), s, l.redirect_to;
  END
  $$;
