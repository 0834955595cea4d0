/*
 * auth/reply.c - the pieces every auth flow shares (see auth/reply.h):
 * the statement as fluxbase_auth, the rate limits, and the two answers.
 * A session's access token carries the user's metadata and the session's
 * amr claim (how it began: password, magiclink, otp, recovery, invite),
 * so policies can tell a recovery session from a normal one.  On /auth/v1
 * every answer here takes GoTrue's shape (auth/gotrue.h).
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>
#include <sodium.h>

#include "auth/gotrue.h"
#include "auth/ratelimit.h"
#include "auth/reply.h"
#include "conf.h"
#include "http.h"
#include "jsonbody.h"
#include "session.h"
#include "token.h"

struct db_result *
auth_exec(struct request *r, const char *sql, int n, const char *const *values, bool read_only)
{
	return session_exec_as(r, AUTH_ROLE, sql, n, values, read_only);
}

const char *
auth_user_agent(struct request *r)
{
	const char *ua = request_header(r, "User-Agent");

	return ua ? arena_strndup(r->arena, ua, strnlen(ua, 512)) : NULL;
}

int
auth_rate_limited(struct request *r, const char *action, const char *key, int limit)
{
	const char *who = key ? key : request_client_address(r);
	int wait = strcmp(r->conf->rate_limit_store, "database") == 0
	    ? ratelimit_hit_db(r, action, who, limit, r->conf->rate_limit_window)
	    : ratelimit_hit(action, who, limit, r->conf->rate_limit_window);

	if (wait <= 0)
		return wait;
	response_header(r, "Retry-After", arena_printf(r->arena, "%d", wait));
	return response_error(r, 429, "RATE_LIMITED", "Too many attempts; try again in %d seconds",
	    wait);
}

/* The access token's claims beyond the standard ones. */
static const char *
reply_extra_claims(struct request *r, struct json_object *user, const char *amr)
{
	struct json_object *extra = json_object_new_object(), *v;
	const char *text;

	if (json_object_object_get_ex(user, "user_metadata", &v))
		json_object_object_add(extra, "user_metadata", json_object_get(v));
	if (json_object_object_get_ex(user, "app_metadata", &v))
		json_object_object_add(extra, "app_metadata", json_object_get(v));
	if (amr != NULL && (v = json_tokener_parse(amr)) != NULL)
		json_object_object_add(extra, "amr", v);
	text = json_arena_text(r->arena, extra);
	json_object_put(extra);
	return text;
}

static char *
reply_access_token(struct request *r, struct json_object *user, const char *sid, const char *amr,
    time_t now)
{
	struct token_claims claims = { 0 };
	struct json_object *v;
	const char *extra;
	char *access;

	claims.role = json_object_object_get_ex(user, "role", &v) ? json_object_get_string(v)
	                                                          : "authenticated";
	claims.sub = json_object_object_get_ex(user, "id", &v) ? json_object_get_string(v) : NULL;
	claims.email =
	    json_object_object_get_ex(user, "email", &v) ? json_object_get_string(v) : NULL;
	claims.session_id = sid;
	claims.ttl = r->conf->access_token_ttl;
	if ((extra = reply_extra_claims(r, user, amr)) == NULL)
		return NULL;
	claims.extra_json = extra;
	access = token_mint(&TOKEN_KEY(r->conf), &claims, now);
	return access;
}

static void
reply_redirect(struct request *r, const char *redirect, const char *access, const char *refresh,
    time_t now)
{
	r->resp.status = 303;
	response_header(r, "Location",
	    arena_printf(r->arena,
	        "%s#access_token=%s&token_type=bearer&expires_in=%d&expires_at=%ld&refresh_token=%s",
	        redirect, access, r->conf->access_token_ttl,
	        (long)(now + r->conf->access_token_ttl), refresh));
	response_header(r, "Cache-Control", "no-store");
}

int
auth_reply_session(struct request *r, int status, const char *user_json, const char *sid,
    const char *amr, const char *refresh, const char *redirect)
{
	struct json_object *user = json_tokener_parse(user_json), *out;
	time_t now = time(NULL);
	const char *body;
	char *access;

	if (user == NULL)
		return -1;
	if ((access = reply_access_token(r, user, sid, amr, now)) == NULL) {
		json_object_put(user);
		return -1;
	}
	if (redirect != NULL) {
		reply_redirect(r, redirect, access, refresh, now);
		free(access);
		json_object_put(user);
		return 0;
	}
	if (r->dialect == DIALECT_GOTRUE) {
		struct json_object *shaped = gotrue_user(user);

		json_object_put(user);
		user = shaped;
		status = 200;
	}
	out = json_object_new_object();
	json_object_object_add(out, "access_token", json_object_new_string(access));
	json_object_object_add(out, "token_type", json_object_new_string("bearer"));
	json_object_object_add(out, "expires_in", json_object_new_int(r->conf->access_token_ttl));
	json_object_object_add(out, "expires_at",
	    json_object_new_int64((int64_t)(now + r->conf->access_token_ttl)));
	json_object_object_add(out, "refresh_token", json_object_new_string(refresh));
	json_object_object_add(out, "user", user);
	body = json_arena_text(r->arena, out);
	json_object_put(out);
	sodium_memzero(access, strlen(access));
	free(access);
	response_json(r, status, body, strlen(body));
	response_header(r, "Cache-Control", "no-store");
	return 0;
}

int
auth_reply_message(struct request *r, const char *text)
{
	struct json_object *o;
	const char *body;

	if (r->dialect == DIALECT_GOTRUE) {
		response_json(r, 200, "{}", 2);
		return 0;
	}
	o = json_object_new_object();
	json_object_object_add(o, "message", json_object_new_string(text));
	body = json_arena_text(r->arena, o);
	json_object_put(o);
	response_json(r, 200, body, strlen(body));
	return 0;
}

int
auth_reply_user(struct request *r, int status, const char *user_json)
{
	const char *body = user_json;

	if (r->dialect == DIALECT_GOTRUE) {
		if ((body = gotrue_user_text(r, user_json)) == NULL)
			return -1;
		status = status == 201 ? 200 : status;
	}
	response_json(r, status, body, strlen(body));
	response_header(r, "Cache-Control", "no-store");
	return 0;
}

int
auth_reply_pending(struct request *r, const char *user_json)
{
	if (r->dialect == DIALECT_GOTRUE)
		return auth_reply_user(r, 200, user_json);
	return auth_reply_user(r, 200,
	    arena_printf(r->arena, "{\"user\":%s,\"session\":null}", user_json));
}

int
auth_reply_done(struct request *r)
{
	if (r->dialect == DIALECT_GOTRUE)
		response_json(r, 200, "{}", 2);
	else
		r->resp.status = 204;
	return 0;
}
