/*
 * auth/gotrue.c - /auth/v1: GoTrue's paths, bodies and answers over the
 * handlers of /api/v1/auth (auth/gotrue.h says how).
 *
 * A route here reads GoTrue's body (the fields auth-js sends, nothing
 * else), refuses what it cannot honour (phone, PKCE, reauthentication),
 * renames the rest to /api/v1's names and hands that body to the /api/v1
 * handler or its core: rate limits, confirmation, sessions, rotation,
 * mails and the redirect allow-list are theirs.  This file also holds
 * what gives the answers GoTrue's shape: its user object, and its error
 * body with GoTrue's error codes and statuses, one table.
 */
#include "config.h"

#include <ctype.h>
#include <string.h>

#include <json-c/json.h>

#include "auth/body.h"
#include "auth/gotrue.h"
#include "auth/reply.h"
#include "compat.h"
#include "conf.h"
#include "handlers.h"
#include "http.h"
#include "jsonbody.h"

/* ---- errors ------------------------------------------------------------- */

/* Our codes GoTrue names otherwise, with its status (0: ours). */
static const struct {
	const char *ours, *gotrue;
	int status;
} gotrue_errors[] = {
	{ "VALIDATION", "validation_failed", 400 },
	{ "INVALID_JSON", "bad_json", 400 },
	{ "FORBIDDEN_FIELD", "validation_failed", 400 },
	{ "INVALID_CREDENTIALS", "invalid_credentials", 400 },
	{ "EMAIL_NOT_CONFIRMED", "email_not_confirmed", 400 },
	{ "USER_BANNED", "user_banned", 400 },
	{ "USER_EXISTS", "user_already_exists", 422 },
	{ "EMAIL_TAKEN", "email_exists", 422 },
	{ "WEAK_PASSWORD", "weak_password", 422 },
	{ "SIGNUP_DISABLED", "signup_disabled", 422 },
	{ "RATE_LIMITED", "over_request_rate_limit", 429 },
	{ "INVALID_REFRESH_TOKEN", "refresh_token_not_found", 400 },
	{ "OTP_EXPIRED", "otp_expired", 403 },
	{ "INVALID_TOKEN", "bad_jwt", 403 },
	{ "TOKEN_EXPIRED", "bad_jwt", 403 },
	{ "UNAUTHORIZED", "no_authorization", 401 },
	{ "FORBIDDEN", "not_admin", 403 },
	{ "USER_NOT_FOUND", "user_not_found", 404 },
	{ "INTERNAL", "unexpected_failure", 0 },
};

static int
gotrue_error_find(const char *code)
{
	for (size_t i = 0; i < sizeof(gotrue_errors) / sizeof(gotrue_errors[0]); i++)
		if (strcmp(gotrue_errors[i].ours, code) == 0)
			return (int)i;
	return -1;
}

int
gotrue_error_status(int status, const char *code)
{
	int i = gotrue_error_find(code);

	return i >= 0 && gotrue_errors[i].status != 0 ? gotrue_errors[i].status : status;
}

/* {"code": status, "error_code": GoTrue's name (else ours in lower case),
 * "msg": message}. */
char *
gotrue_error_body(struct arena *a, int status, const char *code, const char *message)
{
	struct json_object *o = json_object_new_object();
	int i = gotrue_error_find(code);
	char *name, *out;

	if (i >= 0) {
		name = arena_strdup(a, gotrue_errors[i].gotrue);
	} else {
		name = arena_strdup(a, code);
		for (char *p = name; *p; p++)
			*p = (char)tolower((unsigned char)*p);
	}
	json_object_object_add(o, "code", json_object_new_int(status));
	json_object_object_add(o, "error_code", json_object_new_string(name));
	json_object_object_add(o, "msg", json_object_new_string(message));
	out = json_arena_text(a, o);
	json_object_put(o);
	return out;
}

/* ---- the user object ------------------------------------------------------ */

static void
copy_field(struct json_object *to, const char *key, struct json_object *from, const char *as)
{
	struct json_object *v = NULL;

	json_object_object_get_ex(from, key, &v);
	json_object_object_add(to, as ? as : key, json_object_get(v));
}

/* The one identity of an account: its address. */
static struct json_object *
gotrue_identity(struct json_object *u)
{
	struct json_object *i = json_object_new_object(), *data = json_object_new_object(), *v;

	copy_field(data, "id", u, "sub");
	copy_field(data, "email", u, NULL);
	copy_field(data, "email_verified", u, NULL);
	json_object_object_add(data, "phone_verified", json_object_new_boolean(0));
	copy_field(i, "id", u, "identity_id");
	copy_field(i, "id", u, NULL);
	copy_field(i, "id", u, "user_id");
	json_object_object_add(i, "identity_data", data);
	json_object_object_add(i, "provider", json_object_new_string("email"));
	copy_field(i, "last_sign_in_at", u, NULL);
	copy_field(i, "created_at", u, NULL);
	copy_field(i, "updated_at", u, NULL);
	if (json_object_object_get_ex(u, "email", &v))
		json_object_object_add(i, "email", json_object_get(v));
	return i;
}

/* app_metadata: GoTrue's provider keys, then the account's own. */
static struct json_object *
gotrue_app_metadata(struct json_object *u)
{
	struct json_object *m = json_object_new_object(), *providers = json_object_new_array(), *v;

	json_object_object_add(m, "provider", json_object_new_string("email"));
	json_object_array_add(providers, json_object_new_string("email"));
	json_object_object_add(m, "providers", providers);
	if (json_object_object_get_ex(u, "app_metadata", &v) &&
	    json_object_is_type(v, json_type_object)) {
		json_object_object_foreach(v, key, val)
		{
			if (strcmp(key, "provider") != 0 && strcmp(key, "providers") != 0)
				json_object_object_add(m, key, json_object_get(val));
		}
	}
	return m;
}

struct json_object *
gotrue_user(struct json_object *u)
{
	struct json_object *g = json_object_new_object(), *ids = json_object_new_array(), *v;

	copy_field(g, "id", u, NULL);
	json_object_object_add(g, "aud", json_object_new_string("authenticated"));
	copy_field(g, "role", u, NULL);
	copy_field(g, "email", u, NULL);
	copy_field(g, "confirmed_at", u, "email_confirmed_at");
	json_object_object_add(g, "phone", json_object_new_string(""));
	copy_field(g, "confirmed_at", u, NULL);
	if (json_object_object_get_ex(u, "new_email", &v) && v != NULL)
		json_object_object_add(g, "new_email", json_object_get(v));
	if (json_object_object_get_ex(u, "banned_until", &v) && v != NULL)
		json_object_object_add(g, "banned_until", json_object_get(v));
	copy_field(g, "last_sign_in_at", u, NULL);
	json_object_object_add(g, "app_metadata", gotrue_app_metadata(u));
	copy_field(g, "user_metadata", u, NULL);
	json_object_array_add(ids, gotrue_identity(u));
	json_object_object_add(g, "identities", ids);
	copy_field(g, "created_at", u, NULL);
	copy_field(g, "updated_at", u, NULL);
	json_object_object_add(g, "is_anonymous", json_object_new_boolean(0));
	return g;
}

const char *
gotrue_user_text(struct request *r, const char *ours)
{
	struct json_object *u = json_tokener_parse(ours), *g;
	const char *text;

	if (u == NULL || !json_object_is_type(u, json_type_object)) {
		json_object_put(u);
		return NULL;
	}
	g = gotrue_user(u);
	text = json_arena_text(r->arena, g);
	json_object_put(g);
	json_object_put(u);
	return text;
}

/* ---- bodies ------------------------------------------------------------- */

/* Fields auth-js may send that nothing here honours, when not null. */
static int
gotrue_unsupported(struct request *r, struct json_object *in)
{
	static const struct {
		const char *key, *why;
	} refused[] = {
		{ "phone", "Phone sign-in is not supported" },
		{ "code_challenge", "The PKCE flow is not supported; use flowType 'implicit'" },
		{ "nonce", "Reauthentication is not supported" },
		{ "password_hash", "password_hash is not supported" },
		{ "phone_confirm", "Phone sign-in is not supported" },
		{ "id", "A user's id is chosen by the server" },
	};
	struct json_object *v;

	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		if (json_object_object_get_ex(in, refused[i].key, &v) && v != NULL)
			return response_error(r, 400, "VALIDATION", "%s", refused[i].why);
	return 0;
}

struct json_object *
gotrue_body(struct request *r, const char *const *allowed)
{
	struct json_object *in = auth_body_read(r, allowed, NULL);

	if (in == NULL || gotrue_unsupported(r, in) < 0)
		return NULL;
	return in;
}

/*
 * Hands /api/v1's body to the handler: the fields of renames (non-null
 * ones) under our names, and redirect_to from the query (auth-js sends it
 * there) when with_redirect.  0, or -1 with 400 for an overlong redirect.
 */
int
gotrue_hand_over(struct request *r, struct json_object *in, const struct rename *renames,
    bool with_redirect)
{
	struct json_object *out = json_object_new_object(), *v;
	const char *redirect = with_redirect ? query_get(r, "redirect_to") : NULL;

	for (const struct rename *m = renames; m->gotrue != NULL; m++)
		if (json_object_object_get_ex(in, m->gotrue, &v) && v != NULL)
			json_object_object_add(out, m->ours, json_object_get(v));
	if (redirect != NULL && redirect[0] != '\0') {
		if (strlen(redirect) > 2048) {
			json_object_put(out);
			return response_error(r, 400, "VALIDATION", "redirect_to is too long");
		}
		json_object_object_add(out, "redirect_to", json_object_new_string(redirect));
	}
	auth_body_preset(r, out);
	return 0;
}

/* ---- accounts and sessions ---------------------------------------------- */

int
gotrue_signup(struct request *r)
{
	static const char *const allowed[] = { "email", "password", "data", "phone", "channel",
		"gotrue_meta_security", "code_challenge", "code_challenge_method", NULL };
	static const struct rename renames[] = { { "email", "email" }, { "password", "password" },
		{ "data", "user_metadata" }, { NULL, NULL } };
	struct json_object *in = gotrue_body(r, allowed);

	if (in == NULL || gotrue_hand_over(r, in, renames, true) < 0)
		return -1;
	return auth_signup(r);
}

/* POST /token: grant_type password or refresh_token. */
int
gotrue_token(struct request *r)
{
	static const char *const password_fields[] = { "email", "password", "phone",
		"gotrue_meta_security", NULL };
	static const char *const refresh_fields[] = { "refresh_token", NULL };
	static const struct rename password_renames[] = { { "email", "email" },
		{ "password", "password" }, { NULL, NULL } };
	static const struct rename refresh_renames[] = { { "refresh_token", "refresh_token" },
		{ NULL, NULL } };
	const char *grant = query_get(r, "grant_type");
	struct json_object *in;

	if (grant != NULL && strcmp(grant, "password") == 0) {
		if ((in = gotrue_body(r, password_fields)) == NULL ||
		    gotrue_hand_over(r, in, password_renames, false) < 0)
			return -1;
		return auth_signin(r);
	}
	if (grant != NULL && strcmp(grant, "refresh_token") == 0) {
		if ((in = gotrue_body(r, refresh_fields)) == NULL ||
		    gotrue_hand_over(r, in, refresh_renames, false) < 0)
			return -1;
		return auth_refresh(r);
	}
	return response_error(r, 400, "UNSUPPORTED_GRANT_TYPE",
	    "grant_type must be password or refresh_token");
}

/* POST /logout?scope=global (the default), local or others: 204. */
int
gotrue_logout(struct request *r)
{
	const char *scope = query_get(r, "scope");
	enum signout_scope s;

	if (scope == NULL || scope[0] == '\0' || strcmp(scope, "global") == 0)
		s = SIGNOUT_GLOBAL;
	else if (strcmp(scope, "local") == 0)
		s = SIGNOUT_LOCAL;
	else if (strcmp(scope, "others") == 0)
		s = SIGNOUT_OTHERS;
	else
		return response_error(r, 400, "VALIDATION",
		    "scope must be global, local or others");
	if (auth_sessions_end(r, s) < 0)
		return -1;
	r->resp.status = 204;
	return 0;
}

/* GET /user, and PUT /user {email, password, data}. */
int
gotrue_user_route(struct request *r)
{
	static const char *const allowed[] = { "email", "password", "data", "phone", "nonce",
		"code_challenge", "code_challenge_method", NULL };
	static const struct rename renames[] = { { "email", "email" }, { "password", "password" },
		{ "data", "user_metadata" }, { NULL, NULL } };
	struct json_object *in;

	if (r->method == HTTP_PUT &&
	    ((in = gotrue_body(r, allowed)) == NULL || gotrue_hand_over(r, in, renames, false) < 0))
		return -1;
	return auth_user(r);
}

/* ---- links and codes -------------------------------------------------- */

/* POST /otp {email, create_user, data}: a magic link and its code. */
int
gotrue_otp(struct request *r)
{
	static const char *const allowed[] = { "email", "data", "create_user", "phone", "channel",
		"gotrue_meta_security", "code_challenge", "code_challenge_method", NULL };
	static const struct rename renames[] = { { "email", "email" }, { NULL, NULL } };
	struct json_object *in = gotrue_body(r, allowed);
	bool create_user = true;

	if (in == NULL || auth_body_bool(r, in, "create_user", &create_user) < 0)
		return -1;
	if (!json_object_object_get_ex(in, "create_user", NULL))
		create_user = true;
	if (gotrue_hand_over(r, in, renames, true) < 0)
		return -1;
	return auth_magiclink_send(r, create_user);
}

int
gotrue_recover(struct request *r)
{
	static const char *const allowed[] = { "email", "gotrue_meta_security", "code_challenge",
		"code_challenge_method", NULL };
	static const struct rename renames[] = { { "email", "email" }, { NULL, NULL } };
	struct json_object *in = gotrue_body(r, allowed);

	if (in == NULL || gotrue_hand_over(r, in, renames, true) < 0)
		return -1;
	return auth_recover(r);
}

int
gotrue_resend(struct request *r)
{
	static const char *const allowed[] = { "email", "type", "phone", "gotrue_meta_security",
		NULL };
	static const struct rename renames[] = { { "email", "email" }, { "type", "type" },
		{ NULL, NULL } };
	struct json_object *in = gotrue_body(r, allowed);

	if (in == NULL || gotrue_hand_over(r, in, renames, true) < 0)
		return -1;
	return auth_resend(r);
}

/*
 * GET /verify?token&type&redirect_to is /api/v1's (the link's names are
 * GoTrue's).  POST {type, token_hash} or {type, email, token}: GoTrue's
 * type "email" is a code or link of signInWithOtp, a magic link here.
 */
int
gotrue_verify(struct request *r)
{
	static const char *const allowed[] = { "type", "token_hash", "email", "token", "phone",
		"gotrue_meta_security", NULL };
	static const struct rename renames[] = { { "type", "type" }, { "token_hash", "token" },
		{ "email", "email" }, { "token", "code" }, { NULL, NULL } };
	struct json_object *in, *type;

	if (r->method != HTTP_POST)
		return auth_verify(r);
	if ((in = gotrue_body(r, allowed)) == NULL)
		return -1;
	if (json_object_object_get_ex(in, "type", &type) &&
	    json_object_is_type(type, json_type_string) &&
	    strcmp(json_object_get_string(type), "email") == 0)
		json_object_object_add(in, "type", json_object_new_string("magiclink"));
	if (gotrue_hand_over(r, in, renames, false) < 0)
		return -1;
	return auth_verify(r);
}

/* ---- about the server ------------------------------------------------- */

/* GET /settings: what is on (e-mail and password), what is not. */
int
gotrue_settings(struct request *r)
{
	static const char *const providers[] = { "anonymous_users", "apple", "azure", "bitbucket",
		"discord", "facebook", "figma", "fly", "github", "gitlab", "google", "keycloak",
		"kakao", "linkedin_oidc", "notion", "phone", "slack_oidc", "spotify", "twitch",
		"twitter", "workos", "zoom" };
	struct json_object *o = json_object_new_object(), *ext = json_object_new_object();
	const char *body;

	json_object_object_add(ext, "email", json_object_new_boolean(1));
	for (size_t i = 0; i < sizeof(providers) / sizeof(providers[0]); i++)
		json_object_object_add(ext, providers[i], json_object_new_boolean(0));
	json_object_object_add(o, "external", ext);
	json_object_object_add(o, "disable_signup",
	    json_object_new_boolean(!r->conf->signup_enabled));
	json_object_object_add(o, "mailer_autoconfirm",
	    json_object_new_boolean(!r->conf->confirm_email));
	json_object_object_add(o, "phone_autoconfirm", json_object_new_boolean(0));
	json_object_object_add(o, "sms_provider", json_object_new_string(""));
	json_object_object_add(o, "saml_enabled", json_object_new_boolean(0));
	body = json_arena_text(r->arena, o);
	json_object_put(o);
	response_json(r, 200, body, strlen(body));
	return 0;
}
