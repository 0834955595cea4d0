/*
 * auth/handlers.c - /api/v1/auth: accounts and sessions.
 *
 * Passwords are hashed and verified here (Argon2id); everything else is
 * one call of a function of migrations 0003 and 0016, run as the role
 * fluxbase_auth in the request's single transaction.  Unknown account and
 * wrong password cost the same and answer the same; with [auth]
 * confirm_email, so do a new address and a taken one at sign-up.  Refresh
 * tokens come from auth/tokens.c, mailed links from auth/links.c and
 * auth/linkmail.c; the shapes of fields are checked by auth/fields.c.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <json-c/json.h>
#include <sodium.h>

#include "auth/body.h"
#include "auth/fields.h"
#include "auth/gotrue.h"
#include "auth/linkmail.h"
#include "auth/password.h"
#include "auth/reply.h"
#include "auth/tokens.h"
#include "conf.h"
#include "db.h"
#include "handlers.h"
#include "http.h"
#include "jsonbody.h"
#include "log.h"
#include "session.h"

static const struct conflict user_exists = {
	"USER_EXISTS",
	"An account with this email already exists",
};

/* ---- request pieces ------------------------------------------------------ */

/* What an email and a password are for: a new account, or signing in. */
enum credentials_use { CREDENTIALS_SIGNUP, CREDENTIALS_SIGNIN };

struct credentials {
	struct json_object *body;
	const char *email, *password;
	size_t password_len;
};

/*
 * The opening of signup and signin: the action's rate limit, then (signup)
 * whether sign-ups are open, the strict body, the email and the password.
 * A new password must be strong enough; one to check is only capped, and
 * an overlong one is refused like a wrong one, before any hash is made.
 * 0, or -1 with the answer set.
 */
static int
auth_credentials(struct request *r, enum credentials_use use, struct credentials *c)
{
	static const char *const signup_fields[] = { "email", "password", "user_metadata",
		"redirect_to", NULL };
	static const char *const signin_fields[] = { "email", "password", NULL };
	bool signup = use == CREDENTIALS_SIGNUP;
	int rc;

	if (auth_rate_limited(r, signup ? "signup" : "signin", NULL,
	        signup ? r->conf->rate_limit_signup : r->conf->rate_limit_signin) < 0)
		return -1;
	if (signup && !r->conf->signup_enabled)
		return response_error(r, 403, "SIGNUP_DISABLED", "Sign-ups are disabled");
	if ((c->body = auth_body_read(r, signup ? signup_fields : signin_fields, NULL)) == NULL ||
	    auth_body_email(r, c->body, &c->email, true) < 0)
		return -1;
	if ((rc = auth_body_string(r, c->body, "password", &c->password, &c->password_len)) < 0)
		return -1;
	if (rc == 0)
		return response_error(r, 400, "VALIDATION", "password is required");
	if (signup)
		return auth_body_new_password(r, c->password, c->password_len);
	if (c->password_len > PASSWORD_MAX_BYTES)
		return response_error(r, 401, "INVALID_CREDENTIALS", "Invalid email or password");
	return 0;
}

/* ---- endpoints -------------------------------------------------------------- */

/*
 * Sign-up when addresses must be confirmed: 200 with the user and no
 * session, the same for a taken address (no second account, and the same
 * work: the hash, the statement and a mail rendered).
 */
static int
signup_unconfirmed(struct request *r, const struct credentials *c, const char *meta,
    const char *hash)
{
	char ttl[16], interval[16];
	const char *redirect = NULL;
	struct db_result *res;
	struct link l;

	if (auth_body_string(r, c->body, "redirect_to", &redirect, NULL) < 0 ||
	    (redirect != NULL && !auth_redirect_allowed(r->conf->redirect_allow_list, redirect)))
		return redirect != NULL
		    ? response_error(r, 400, "VALIDATION", "redirect_to is not an allowed URL")
		    : -1;
	if (link_public_url_check(r) < 0)
		return -1;
	link_new(r, &l);
	snprintf(ttl, sizeof(ttl), "%d", r->conf->magiclink_ttl);
	snprintf(interval, sizeof(interval), "%d", r->conf->magiclink_interval);
	{
		const char *values[] = { c->email, hash, meta, l.token.hash, l.code_hash, ttl,
			redirect, interval };

		res = auth_exec(r,
		    "SELECT user_json::text, mail FROM"
		    " auth.signup_unconfirmed($1, $2, $3::jsonb, $4::bytea, $5::bytea,"
		    " $6::integer, $7, $8::integer)",
		    8, values, false);
	}
	if (res != NULL)
		linkmail_send(r, "signup",
		    strcmp(db_result_value(res, 0, 1), "t") == 0 ? c->email : NULL, &l, c->email,
		    NULL);
	link_wipe(&l);
	if (res == NULL)
		return -1;
	return auth_reply_pending(r, db_result_value(res, 0, 0));
}

int
auth_signup(struct request *r)
{
	struct credentials c;
	const char *meta;
	char hash[crypto_pwhash_STRBYTES];
	struct refresh_token rt;
	struct db_result *res;
	int rc;

	if (auth_credentials(r, CREDENTIALS_SIGNUP, &c) < 0 ||
	    auth_body_metadata(r, c.body, "user_metadata", &meta) < 0)
		return -1;
	if (password_hash(r->conf, c.password, c.password_len, hash) < 0)
		return -1;
	if (r->conf->confirm_email) {
		rc = signup_unconfirmed(r, &c, meta, hash);
		sodium_memzero(hash, sizeof(hash));
		return rc;
	}
	refresh_token_new(r->conf, &rt);
	{
		const char *values[] = { c.email, hash, meta, rt.hash, rt.box, auth_user_agent(r),
			request_client_address(r) };

		res = session_write(r, AUTH_ROLE,
		    "SELECT user_json::text, session_id, auth.session_amr(session_id)::text FROM"
		    " auth.signup($1, $2, $3::jsonb, $4::bytea, $5::bytea, $6, $7)",
		    7, values, &user_exists);
	}
	sodium_memzero(hash, sizeof(hash));
	if (res == NULL)
		return -1;
	return auth_reply_session(r, 201, db_result_value(res, 0, 0), db_result_value(res, 0, 1),
	    db_result_value(res, 0, 2), rt.token, NULL);
}

int
auth_signin(struct request *r)
{
	struct credentials c;
	const char *stored = NULL, *user_id = NULL, *new_hash = NULL;
	char rehash[crypto_pwhash_STRBYTES];
	struct refresh_token rt;
	struct db_result *res;

	if (auth_credentials(r, CREDENTIALS_SIGNIN, &c) < 0)
		return -1;
	{
		const char *values[] = { c.email };

		res = auth_exec(r,
		    "SELECT id, password_hash, confirmed_at IS NOT NULL, auth.is_banned(u)"
		    " FROM auth.users u WHERE lower(email) = lower($1)",
		    1, values, true);
	}
	if (res == NULL)
		return -1;
	if (db_result_rows(res) == 1 && !db_result_isnull(res, 0, 1)) {
		user_id = db_result_value(res, 0, 0);
		stored = db_result_value(res, 0, 1);
	}
	if (stored == NULL) {
		/* No such account (or no password): the same work, the same answer. */
		password_dummy_verify(r->conf, c.password, c.password_len);
		return response_error(r, 401, "INVALID_CREDENTIALS", "Invalid email or password");
	}
	if (password_verify(stored, c.password, c.password_len) != 0)
		return response_error(r, 401, "INVALID_CREDENTIALS", "Invalid email or password");
	/* Told only to whoever knows the password. */
	if (strcmp(db_result_value(res, 0, 3), "t") == 0)
		return response_error(r, 403, "USER_BANNED", "This account is banned");
	if (r->conf->confirm_email && strcmp(db_result_value(res, 0, 2), "t") != 0)
		return response_error(r, 403, "EMAIL_NOT_CONFIRMED",
		    "The address of this account is not confirmed yet");
	if (password_needs_rehash(r->conf, stored)) {
		if (password_hash(r->conf, c.password, c.password_len, rehash) == 0)
			new_hash = rehash;
	}
	refresh_token_new(r->conf, &rt);
	{
		const char *values[] = { user_id, new_hash, rt.hash, rt.box, auth_user_agent(r),
			request_client_address(r) };

		res = auth_exec(r,
		    "SELECT user_json::text, session_id, auth.session_amr(session_id)::text FROM"
		    " auth.signin($1::uuid, $2, $3::bytea, $4::bytea, $5, $6)",
		    6, values, false);
	}
	sodium_memzero(rehash, sizeof(rehash));
	if (res == NULL)
		return -1;
	return auth_reply_session(r, 200, db_result_value(res, 0, 0), db_result_value(res, 0, 1),
	    db_result_value(res, 0, 2), rt.token, NULL);
}

int
auth_sessions_end(struct request *r, enum signout_scope scope)
{
	const char *values[] = { r->session_id, r->user_id };
	const char *sql;

	switch (scope) {
	case SIGNOUT_GLOBAL:
		sql = "SELECT auth.end_user_sessions($2::uuid), $1::uuid";
		break;
	case SIGNOUT_OTHERS:
		sql = "SELECT auth.end_session(s.id) FROM auth.sessions s"
		      " WHERE s.user_id = $2::uuid AND s.id <> $1::uuid AND s.revoked_at IS NULL";
		break;
	case SIGNOUT_LOCAL:
	default:
		sql = "SELECT auth.end_session($1::uuid), $2::uuid";
		break;
	}
	return auth_exec(r, sql, 2, values, false) == NULL ? -1 : 0;
}

int
auth_signout(struct request *r)
{
	if (auth_sessions_end(r, SIGNOUT_LOCAL) < 0)
		return -1;
	return auth_reply_message(r, "Signed out");
}

int
auth_refresh(struct request *r)
{
	static const char *const allowed[] = { "refresh_token", NULL };
	struct json_object *o;
	const char *token, *outcome;
	char hash[REFRESH_TOKEN_HASH_SIZE], grace[16], current[REFRESH_TOKEN_TEXT_MAX];
	struct refresh_token rt;
	struct db_result *res;
	int rc;

	if (auth_rate_limited(r, "refresh", NULL, r->conf->rate_limit_refresh) < 0)
		return -1;
	if ((o = auth_body_read(r, allowed, NULL)) == NULL ||
	    (rc = auth_body_string(r, o, "refresh_token", &token, NULL)) < 0)
		return -1;
	if (rc == 0)
		return response_error(r, 400, "VALIDATION", "refresh_token is required");
	if (!auth_token_shape_ok(token))
		return response_error(r, 401, "INVALID_REFRESH_TOKEN", "Invalid refresh token");
	refresh_token_hash(token, hash);
	refresh_token_new(r->conf, &rt);
	snprintf(grace, sizeof(grace), "%d", r->conf->refresh_reuse_interval);
	{
		const char *values[] = { hash, rt.hash, rt.box, grace };

		res = auth_exec(r,
		    "SELECT outcome, user_json::text, session_id, token_box,"
		    " auth.session_amr(session_id)::text FROM"
		    " auth.refresh($1::bytea, $2::bytea, $3::bytea, $4::integer)",
		    4, values, false);
	}
	if (res == NULL)
		return -1;
	outcome = db_result_value(res, 0, 0);
	if (strcmp(outcome, "rotated") == 0)
		return auth_reply_session(r, 200, db_result_value(res, 0, 1),
		    db_result_value(res, 0, 2), db_result_value(res, 0, 4), rt.token, NULL);
	if (strcmp(outcome, "current") == 0 &&
	    refresh_token_open(r->conf, db_result_value(res, 0, 3), current, sizeof(current)) ==
	        0) {
		rc = auth_reply_session(r, 200, db_result_value(res, 0, 1),
		    db_result_value(res, 0, 2), db_result_value(res, 0, 4), current, NULL);
		sodium_memzero(current, sizeof(current));
		return rc;
	}
	if (strcmp(outcome, "theft") == 0)
		log_warn(
		    "auth: a rotated refresh token was replayed after the grace window; session"
		    " %s revoked (request %s)",
		    db_result_value(res, 0, 2), r->request_id);
	return response_error(r, 401, "INVALID_REFRESH_TOKEN", "Invalid refresh token");
}

static int
auth_user_read(struct request *r)
{
	const char *values[] = { r->user_id };
	struct db_result *res;

	res = auth_exec(r, "SELECT auth.user_json(u)::text FROM auth.users u WHERE id = $1::uuid",
	    1, values, true);
	if (res == NULL)
		return -1;
	if (db_result_rows(res) != 1)
		return response_error(r, 401, "INVALID_TOKEN", "The user no longer exists");
	return auth_reply_user(r, 200, db_result_value(res, 0, 0));
}

/*
 * The mails of an address change: the link to the new address (rendered
 * and rehearsed when it is taken or throttled: the same work), a notice
 * to the old one.
 */
static void
user_change_mail(struct request *r, struct db_result *res, const char *email, const struct link *l)
{
	const char *outcome = db_result_value(res, 0, 0), *old = db_result_value(res, 0, 2);

	if (strcmp(outcome, "unchanged") == 0)
		return;
	linkmail_send(r, "email_change", strcmp(outcome, "sent") == 0 ? email : NULL, l, old,
	    email);
	linkmail_send(r, NOTICE_EMAIL_CHANGE, old, NULL, old, email);
}

/*
 * Password and metadata change at once; a new address waits in new_email
 * until the link mailed to it is followed (auth.user_change).
 */
static int
auth_user_update(struct request *r)
{
	static const char *const allowed[] = { "email", "password", "user_metadata", NULL };
	static const char *const forbidden[] = { "role", "app_metadata", "email_verified", "id",
		NULL };
	struct json_object *o = auth_body_read(r, allowed, forbidden);
	const char *email = NULL, *password, *meta;
	char hash[crypto_pwhash_STRBYTES], ttl[16], interval[16];
	struct db_result *res;
	struct link l;
	size_t plen;
	int has_pw;

	if (o == NULL || auth_body_email(r, o, &email, false) < 0 ||
	    (has_pw = auth_body_string(r, o, "password", &password, &plen)) < 0 ||
	    auth_body_metadata(r, o, "user_metadata", &meta) < 0 ||
	    (email != NULL && link_public_url_check(r) < 0))
		return -1;
	if (has_pw) {
		if (auth_body_new_password(r, password, plen) < 0 ||
		    password_hash(r->conf, password, plen, hash) < 0)
			return -1;
	}
	link_new(r, &l);
	snprintf(ttl, sizeof(ttl), "%d", r->conf->magiclink_ttl);
	snprintf(interval, sizeof(interval), "%d", r->conf->magiclink_interval);
	{
		const char *values[] = { r->user_id, r->session_id, email, has_pw ? hash : NULL,
			meta, l.token.hash, l.code_hash, ttl, interval };

		res = session_write(r, AUTH_ROLE,
		    "SELECT outcome, user_json::text, old_email FROM auth.user_change($1::uuid,"
		    " $2::uuid, $3, $4, $5::jsonb, $6::bytea, $7::bytea, $8::integer, $9::integer)",
		    9, values, &user_exists);
	}
	sodium_memzero(hash, sizeof(hash));
	if (res != NULL && db_result_rows(res) == 1)
		user_change_mail(r, res, email, &l);
	link_wipe(&l);
	if (res == NULL)
		return -1;
	if (db_result_rows(res) != 1)
		return response_error(r, 401, "INVALID_TOKEN", "The user no longer exists");
	return auth_reply_user(r, 200, db_result_value(res, 0, 1));
}

int
auth_user(struct request *r)
{
	if (r->method == HTTP_GET || r->method == HTTP_HEAD)
		return auth_user_read(r);
	return auth_user_update(r);
}
