/*
 * auth/handlers.c - /api/v1/auth: accounts, sessions, magic links.
 *
 * Passwords are hashed and verified here (Argon2id); everything else is
 * one call of a function of migration 0003, run as the role fluxbase_auth
 * in the request's single transaction.  Unknown account and wrong password
 * cost the same and answer the same.  Refresh and magic-link tokens come
 * from auth/tokens.c; the shapes of fields are checked by auth/fields.c.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <json-c/json.h>
#include <sodium.h>

#include "auth/fields.h"
#include "auth/password.h"
#include "auth/ratelimit.h"
#include "auth/tokens.h"
#include "conf.h"
#include "db.h"
#include "handlers.h"
#include "http.h"
#include "jsonbody.h"
#include "log.h"
#include "mail.h"
#include "session.h"
#include "token.h"

#define AUTH_ROLE "fluxbase_auth"

static const struct conflict user_exists = {
	"USER_EXISTS",
	"An account with this email already exists",
};

/* ---- request pieces ------------------------------------------------------ */

static const char *
user_agent(struct request *r)
{
	const char *ua = request_header(r, "User-Agent");

	return ua ? arena_strndup(r->arena, ua, strnlen(ua, 512)) : NULL;
}

/* 0, or -1 with 429 and Retry-After set. */
static int
rate_limited(struct request *r, const char *action, int limit)
{
	int wait =
	    ratelimit_hit(action, request_client_address(r), limit, r->conf->rate_limit_window);

	if (wait == 0)
		return 0;
	response_header(r, "Retry-After", arena_printf(r->arena, "%d", wait));
	response_error(r, 429, "RATE_LIMITED", "Too many attempts; try again in %d seconds", wait);
	return -1;
}

static void
put_json(void *o)
{
	json_object_put(o);
}

/*
 * The JSON object body (see jsonbody.h); freed with the request.  NULL
 * when the answer is already set.
 */
static struct json_object *
auth_body(struct request *r, const char *const *allowed, const char *const *forbidden)
{
	const char *body;
	size_t len;
	struct json_object *o;
	struct body_error e;

	if (request_body(r, r->conf->max_body_size, &body, &len) < 0)
		return NULL;
	if ((o = json_body_object(body, len, allowed, forbidden, &e)) == NULL) {
		response_body_error(r, &e);
		return NULL;
	}
	arena_on_reset(r->arena, put_json, o);
	return o;
}

/* A string field: 1 present, 0 absent, -1 wrong type (400 set). */
static int
field_string(struct request *r, struct json_object *o, const char *key, const char **out,
    size_t *len)
{
	struct body_error e;
	int rc = json_body_string(o, key, out, len, &e);

	if (rc < 0)
		response_body_error(r, &e);
	return rc;
}

/* The user_metadata field as JSON text: 1 present, 0 absent, -1 bad. */
static int
field_metadata(struct request *r, struct json_object *o, const char **out)
{
	struct body_error e;
	const char *text;
	int rc = json_body_object_text(o, "user_metadata", JSON_METADATA_MAX, &text, &e);

	*out = NULL;
	if (rc < 0)
		response_body_error(r, &e);
	else if (rc > 0)
		*out = arena_strdup(r->arena, text);
	return rc;
}

static int
email_field(struct request *r, struct json_object *o, const char **email, bool required)
{
	int rc = field_string(r, o, "email", email, NULL);

	if (rc < 0)
		return -1;
	if (rc == 0) {
		if (!required)
			return 0;
		response_error(r, 400, "VALIDATION", "email is required");
		return -1;
	}
	if (!auth_email_is_valid(*email)) {
		response_error(r, 400, "VALIDATION", "email is not a valid address");
		return -1;
	}
	return 1;
}

/* A new password must be strong enough: 0, or -1 with 400 set. */
static int
new_password_check(struct request *r, const char *password, size_t len)
{
	const char *why = password_check_strength(r->conf, password, len);

	if (why == NULL)
		return 0;
	return response_error(r, 400, "VALIDATION", "%s (at least %d characters)", why,
	    r->conf->password_min_length);
}

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
	static const char *const signup_fields[] = { "email", "password", "user_metadata", NULL };
	static const char *const signin_fields[] = { "email", "password", NULL };
	bool signup = use == CREDENTIALS_SIGNUP;
	int rc;

	if (rate_limited(r, signup ? "signup" : "signin",
	        signup ? r->conf->rate_limit_signup : r->conf->rate_limit_signin) < 0)
		return -1;
	if (signup && !r->conf->signup_enabled)
		return response_error(r, 403, "SIGNUP_DISABLED", "Sign-ups are disabled");
	if ((c->body = auth_body(r, signup ? signup_fields : signin_fields, NULL)) == NULL ||
	    email_field(r, c->body, &c->email, true) < 0)
		return -1;
	if ((rc = field_string(r, c->body, "password", &c->password, &c->password_len)) < 0)
		return -1;
	if (rc == 0)
		return response_error(r, 400, "VALIDATION", "password is required");
	if (signup)
		return new_password_check(r, c->password, c->password_len);
	if (c->password_len > PASSWORD_MAX_BYTES)
		return response_error(r, 401, "INVALID_CREDENTIALS", "Invalid email or password");
	return 0;
}

/*
 * The session object: a fresh access token for the user (JSON text from
 * auth.user_json) in session sid, and the refresh token.  With redirect,
 * a 303 to it with the tokens in the URL fragment instead.
 */
static int
respond_session(struct request *r, int status, const char *user_json, const char *sid,
    const char *refresh, const char *redirect)
{
	struct json_object *user = json_tokener_parse(user_json), *v, *extra, *out;
	struct token_claims claims = { 0 };
	time_t now = time(NULL);
	const char *body;
	char *access;

	if (user == NULL)
		return -1;
	claims.role = json_object_object_get_ex(user, "role", &v) ? json_object_get_string(v)
	                                                          : "authenticated";
	claims.sub = json_object_object_get_ex(user, "id", &v) ? json_object_get_string(v) : NULL;
	claims.email =
	    json_object_object_get_ex(user, "email", &v) ? json_object_get_string(v) : NULL;
	claims.session_id = sid;
	claims.ttl = r->conf->access_token_ttl;
	extra = json_object_new_object();
	if (json_object_object_get_ex(user, "user_metadata", &v))
		json_object_object_add(extra, "user_metadata", json_object_get(v));
	if (json_object_object_get_ex(user, "app_metadata", &v))
		json_object_object_add(extra, "app_metadata", json_object_get(v));
	claims.extra_json = json_object_to_json_string_ext(extra, JSON_C_TO_STRING_PLAIN);
	access = token_mint(&TOKEN_KEY(r->conf), &claims, now);
	json_object_put(extra);
	if (access == NULL) {
		json_object_put(user);
		return -1;
	}
	if (redirect != NULL) {
		r->resp.status = 303;
		response_header(r, "Location",
		    arena_printf(r->arena,
		        "%s#access_token=%s&token_type=bearer&expires_in=%d&expires_at=%ld&refresh_token=%s",
		        redirect, access, r->conf->access_token_ttl,
		        (long)(now + r->conf->access_token_ttl), refresh));
		response_header(r, "Cache-Control", "no-store");
		free(access);
		json_object_put(user);
		return 0;
	}
	out = json_object_new_object();
	json_object_object_add(out, "access_token", json_object_new_string(access));
	json_object_object_add(out, "token_type", json_object_new_string("bearer"));
	json_object_object_add(out, "expires_in", json_object_new_int(r->conf->access_token_ttl));
	json_object_object_add(out, "expires_at",
	    json_object_new_int64((int64_t)(now + r->conf->access_token_ttl)));
	json_object_object_add(out, "refresh_token", json_object_new_string(refresh));
	json_object_object_add(out, "user", user);
	body = arena_strdup(r->arena,
	    json_object_to_json_string_ext(out,
	        JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(out);
	sodium_memzero(access, strlen(access));
	free(access);
	response_json(r, status, body, strlen(body));
	response_header(r, "Cache-Control", "no-store");
	return 0;
}

static struct db_result *
auth_exec(struct request *r, const char *sql, int n, const char *const *values, bool read_only)
{
	return session_exec_as(r, AUTH_ROLE, sql, n, values, read_only);
}

static int
message(struct request *r, const char *text)
{
	struct json_object *o = json_object_new_object();
	const char *body;

	json_object_object_add(o, "message", json_object_new_string(text));
	body = arena_strdup(r->arena, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	response_json(r, 200, body, strlen(body));
	return 0;
}

/* ---- endpoints -------------------------------------------------------------- */

int
auth_signup(struct request *r)
{
	struct credentials c;
	const char *meta;
	char hash[crypto_pwhash_STRBYTES];
	struct refresh_token rt;
	struct db_result *res;

	if (auth_credentials(r, CREDENTIALS_SIGNUP, &c) < 0 || field_metadata(r, c.body, &meta) < 0)
		return -1;
	if (password_hash(r->conf, c.password, c.password_len, hash) < 0)
		return -1;
	refresh_token_new(r->conf, &rt);
	{
		const char *values[] = { c.email, hash, meta, rt.hash, rt.box, user_agent(r),
			request_client_address(r) };

		res = session_write(r, AUTH_ROLE,
		    "SELECT user_json::text, session_id FROM auth.signup($1, $2, $3::jsonb,"
		    " $4::bytea, $5::bytea, $6, $7)",
		    7, values, &user_exists);
	}
	sodium_memzero(hash, sizeof(hash));
	if (res == NULL)
		return -1;
	return respond_session(r, 201, db_result_value(res, 0, 0), db_result_value(res, 0, 1),
	    rt.token, NULL);
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
		    "SELECT id, password_hash FROM auth.users WHERE lower(email) ="
		    " lower($1)",
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
	if (password_needs_rehash(r->conf, stored)) {
		if (password_hash(r->conf, c.password, c.password_len, rehash) == 0)
			new_hash = rehash;
	}
	refresh_token_new(r->conf, &rt);
	{
		const char *values[] = { user_id, new_hash, rt.hash, rt.box, user_agent(r),
			request_client_address(r) };

		res = auth_exec(r,
		    "SELECT user_json::text, session_id FROM auth.signin($1::uuid, $2,"
		    " $3::bytea, $4::bytea, $5, $6)",
		    6, values, false);
	}
	sodium_memzero(rehash, sizeof(rehash));
	if (res == NULL)
		return -1;
	return respond_session(r, 200, db_result_value(res, 0, 0), db_result_value(res, 0, 1),
	    rt.token, NULL);
}

int
auth_signout(struct request *r)
{
	const char *values[] = { r->session_id };

	if (auth_exec(r, "SELECT auth.end_session($1::uuid)", 1, values, false) == NULL)
		return -1;
	return message(r, "Signed out");
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

	if (rate_limited(r, "refresh", r->conf->rate_limit_refresh) < 0)
		return -1;
	if ((o = auth_body(r, allowed, NULL)) == NULL ||
	    (rc = field_string(r, o, "refresh_token", &token, NULL)) < 0)
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
		    "SELECT outcome, user_json::text, session_id, token_box FROM"
		    " auth.refresh($1::bytea, $2::bytea, $3::bytea, $4::integer)",
		    4, values, false);
	}
	if (res == NULL)
		return -1;
	outcome = db_result_value(res, 0, 0);
	if (strcmp(outcome, "rotated") == 0)
		return respond_session(r, 200, db_result_value(res, 0, 1),
		    db_result_value(res, 0, 2), rt.token, NULL);
	if (strcmp(outcome, "current") == 0 &&
	    refresh_token_open(r->conf, db_result_value(res, 0, 3), current, sizeof(current)) ==
	        0) {
		rc = respond_session(r, 200, db_result_value(res, 0, 1), db_result_value(res, 0, 2),
		    current, NULL);
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
	response_json(r, 200, db_result_value(res, 0, 0), db_result_length(res, 0, 0));
	return 0;
}

static int
auth_user_update(struct request *r)
{
	static const char *const allowed[] = { "email", "password", "user_metadata", NULL };
	static const char *const forbidden[] = { "role", "app_metadata", "email_verified", "id",
		NULL };
	struct json_object *o = auth_body(r, allowed, forbidden);
	const char *email = NULL, *password, *meta, *values[5];
	char hash[crypto_pwhash_STRBYTES];
	struct db_result *res;
	size_t plen;
	int has_pw;

	if (o == NULL || email_field(r, o, &email, false) < 0 ||
	    (has_pw = field_string(r, o, "password", &password, &plen)) < 0 ||
	    field_metadata(r, o, &meta) < 0)
		return -1;
	if (has_pw) {
		if (new_password_check(r, password, plen) < 0 ||
		    password_hash(r->conf, password, plen, hash) < 0)
			return -1;
	}
	values[0] = r->user_id;
	values[1] = r->session_id;
	values[2] = email;
	values[3] = has_pw ? hash : NULL;
	values[4] = meta;
	res = session_write(r, AUTH_ROLE,
	    "SELECT auth.update_user($1::uuid, $2::uuid, $3, $4, $5::jsonb)::text", 5, values,
	    &user_exists);
	sodium_memzero(hash, sizeof(hash));
	if (res == NULL)
		return -1;
	if (db_result_isnull(res, 0, 0))
		return response_error(r, 401, "INVALID_TOKEN", "The user no longer exists");
	response_json(r, 200, db_result_value(res, 0, 0), db_result_length(res, 0, 0));
	return 0;
}

int
auth_user(struct request *r)
{
	if (r->method == HTTP_GET || r->method == HTTP_HEAD)
		return auth_user_read(r);
	return auth_user_update(r);
}

int
auth_magiclink(struct request *r)
{
	static const char *const allowed[] = { "email", "redirect_to", NULL };
	static const char sent_text[] = "If this address can sign in, a link is on its way";
	struct json_object *o;
	const char *email, *redirect, *outcome;
	struct refresh_token link; /* same shape: random token and its hash */
	char ttl[16], interval[16], *text;
	struct db_result *res;

	if (rate_limited(r, "magiclink", r->conf->rate_limit_magiclink) < 0)
		return -1;
	if ((o = auth_body(r, allowed, NULL)) == NULL || email_field(r, o, &email, true) < 0 ||
	    field_string(r, o, "redirect_to", &redirect, NULL) < 0)
		return -1;
	if (redirect != NULL && !auth_redirect_allowed(r->conf->redirect_allow_list, redirect))
		return response_error(r, 400, "VALIDATION", "redirect_to is not an allowed URL");
	if (r->conf->public_url[0] == '\0') {
		log_err("auth: magic links need [server] public_url (links are never built from the"
		        " request's Host header)");
		return response_internal(r);
	}
	refresh_token_new(r->conf, &link);
	snprintf(ttl, sizeof(ttl), "%d", r->conf->magiclink_ttl);
	snprintf(interval, sizeof(interval), "%d", r->conf->magiclink_interval);
	{
		const char *values[] = { email, link.hash, ttl, redirect, interval,
			r->conf->signup_enabled ? "true" : "false" };

		res = auth_exec(r,
		    "SELECT outcome, retry_after FROM auth.magic_request($1, $2::bytea,"
		    " $3::integer, $4, $5::integer, $6::boolean)",
		    6, values, false);
	}
	if (res == NULL)
		return -1;
	outcome = db_result_value(res, 0, 0);
	if (strcmp(outcome, "throttled") == 0) {
		response_header(r, "Retry-After",
		    arena_strdup(r->arena, db_result_value(res, 0, 1)));
		return response_error(r, 429, "RATE_LIMITED",
		    "A link was sent to this address a moment ago; try again later");
	}
	if (strcmp(outcome, "sent") == 0) {
		text = arena_printf(r->arena,
		    "Hello,\n\nFollow this link to sign in:\n\n"
		    "%s/api/v1/auth/magiclink/verify?token=%s\n\n"
		    "It works once and expires in %d minutes. If you did not ask for it, ignore"
		    " this message.\n",
		    r->conf->public_url, link.token, r->conf->magiclink_ttl / 60);
		/* A delivery failure is logged, never told: the answer is the same. */
		if (mail_send(r->conf, email, r->conf->mail_magiclink_subject, text) < 0)
			log_err("auth: the magic link could not be delivered (request %s)",
			    r->request_id);
		sodium_memzero(text, strlen(text));
	}
	sodium_memzero(link.token, sizeof(link.token));
	return message(r, sent_text);
}

int
auth_magiclink_verify(struct request *r)
{
	const char *token = query_get(r, "token"), *outcome;
	char hash[REFRESH_TOKEN_HASH_SIZE];
	bool consume = r->method != HTTP_HEAD;
	struct refresh_token rt;
	struct db_result *res;

	if (rate_limited(r, "verify", r->conf->rate_limit_verify) < 0)
		return -1;
	if (!auth_token_shape_ok(token))
		return response_error(r, 401, "INVALID_TOKEN",
		    "The link is invalid or has expired");
	refresh_token_hash(token, hash);
	refresh_token_new(r->conf, &rt);
	{
		const char *values[] = { hash, consume ? "true" : "false", rt.hash, rt.box,
			user_agent(r), request_client_address(r) };

		res = auth_exec(r,
		    "SELECT outcome, user_json::text, session_id, redirect_to FROM"
		    " auth.magic_verify($1::bytea, $2::boolean, $3::bytea, $4::bytea, $5,"
		    " $6)",
		    6, values, false);
	}
	if (res == NULL)
		return -1;
	outcome = db_result_value(res, 0, 0);
	if (strcmp(outcome, "valid") == 0) {
		r->resp.status = 200;
		response_header(r, "Cache-Control", "no-store");
		return 0;
	}
	if (strcmp(outcome, "signed_in") != 0)
		return response_error(r, 401, "INVALID_TOKEN",
		    "The link is invalid or has expired");
	return respond_session(r, 200, db_result_value(res, 0, 1), db_result_value(res, 0, 2),
	    rt.token, db_result_isnull(res, 0, 3) ? NULL : db_result_value(res, 0, 3));
}
