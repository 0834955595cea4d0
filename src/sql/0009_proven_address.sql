-- 0009: the first proof of an address ends what was done before it.
--
-- Without e-mail confirmation anyone can sign up with someone else's
-- address and a password of their choosing.  When the address is later
-- proven (a magic link opened: the mail reached its owner) and the account
-- was not verified before, everything the unproven account holder set up
-- that would let them in goes: every session of the account ends (access
-- tokens are refused at their next request, refresh tokens are dead) and
-- the password is dropped (the owner sets one with PATCH /auth/user).
-- Later proofs of an already verified address change nothing of this.
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
      IF NOT u.email_verified THEN
        FOR s IN SELECT id FROM auth.sessions WHERE user_id = u.id AND revoked_at IS NULL LOOP
          PERFORM auth.end_session(s);
        END LOOP;
        UPDATE auth.users SET password_hash = NULL WHERE id = u.id;
      END IF;
      UPDATE auth.users SET email_verified = true, last_sign_in_at = now()
        WHERE id = u.id RETURNING * INTO u;
    END IF;
    RETURN QUERY SELECT 'signed_in', auth.user_json(u),
      auth.new_session(u.id, p_token_hash, p_token_box, p_user_agent, p_ip), l.redirect_to;
  END
  $$;
