/*
 * /auth/v1 through the real stack as auth-js speaks to it: the apikey
 * header on every call, GoTrue's bodies, and what a client sees come back
 * (GoTrue's session and user shapes, its error body {"code","error_code",
 * "msg"}, its statuses); the rules underneath are /api/v1's, so a few
 * cases show they hold here too (confirmation, rotation, sessions ended).
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "auth_client.h"
#include "client.h"
#include "suites.h"

static char anon_key[1024], service_key[1024];

static void
keys(void)
{
	if (anon_key[0] == '\0')
		mint_token(anon_key, sizeof(anon_key), "anon", NULL);
	if (service_key[0] == '\0')
		mint_token(service_key, sizeof(service_key), "service_role", NULL);
}

static void
gt_password_grant(const char *email, const char *password, const char *ip, struct http_resp *r)
{
	char body[512];

	snprintf(body, sizeof(body),
	    "{\"email\":\"%s\",\"password\":\"%s\","
	    "\"gotrue_meta_security\":{}}",
	    email, password);
	gotrue_call(r, "POST", "/token?grant_type=password", anon_key, NULL, body, ip);
}

static void
gt_signin(const char *email, const char *ip, struct session *s)
{
	struct http_resp r;

	gt_password_grant(email, PASSWORD, ip, &r);
	gotrue_session(&r, email, s);
	http_resp_free(&r);
}

/* auth-js's signUp body, with confirmation off: a session. */
static void
gt_signup(const char *email, const char *ip, struct session *s)
{
	char body[512];
	struct http_resp r;

	snprintf(body, sizeof(body),
	    "{\"email\":\"%s\",\"password\":\"" PASSWORD "\","
	    "\"data\":{\"name\":\"Ada\"},\"gotrue_meta_security\":{}}",
	    email);
	gotrue_call(&r, "POST", "/signup", anon_key, NULL, body, ip);
	gotrue_session(&r, email, s);
	ck_assert_ptr_nonnull(strstr(r.body, "\"user_metadata\":{\"name\":\"Ada\"}"));
	http_resp_free(&r);
}

static long
gt_status(const char *method, const char *path, const char *token, const char *ip)
{
	struct http_resp r;
	long st;

	gotrue_call(&r, method, path, anon_key, token, NULL, ip);
	st = r.status;
	http_resp_free(&r);
	return st;
}

/* The gateway's key, and what the server says of itself. */
START_TEST(test_apikey_and_settings)
{
	struct http_resp r;
	struct json_object *o, *ext, *v;

	gotrue_call(&r, "GET", "/settings", NULL, NULL, NULL, "10.31.0.1");
	gotrue_error(&r, 401, "no_api_key");
	http_resp_free(&r);
	gotrue_call(&r, "GET", "/settings", "not-a-key", NULL, NULL, "10.31.0.1");
	gotrue_error(&r, 401, "invalid_api_key");
	http_resp_free(&r);
	gotrue_call(&r, "GET", "/settings", anon_key, NULL, NULL, "10.31.0.1");
	ck_assert_int_eq(r.status, 200);
	o = json_body(&r);
	ck_assert(json_object_object_get_ex(o, "external", &ext));
	ck_assert(json_object_get_boolean(json_object_object_get(ext, "email")));
	ck_assert(!json_object_get_boolean(json_object_object_get(ext, "phone")));
	ck_assert(json_object_object_get_ex(o, "mailer_autoconfirm", &v));
	ck_assert(json_object_get_boolean(v));
	ck_assert(!json_object_get_boolean(json_object_object_get(o, "disable_signup")));
	json_object_put(o);
	http_resp_free(&r);
	/* A path GoTrue does not have: its shape too. */
	gotrue_call(&r, "GET", "/nothing-here", anon_key, NULL, NULL, "10.31.0.1");
	gotrue_error(&r, 404, "not_found");
	http_resp_free(&r);
}
END_TEST

START_TEST(test_signup_and_password_grant)
{
	const char *ip = "10.31.1.1";
	struct session s, t;
	struct http_resp r;

	gt_signup("gt-signup@example.com", ip, &s);
	gt_signin("GT-Signup@example.com", ip, &t);
	ck_assert_str_eq(s.user_id, t.user_id);
	/* Wrong password, unknown address: the same. */
	gt_password_grant("gt-signup@example.com", "wrong password!", ip, &r);
	gotrue_error(&r, 400, "invalid_credentials");
	http_resp_free(&r);
	gt_password_grant("gt-nobody@example.com", PASSWORD, ip, &r);
	gotrue_error(&r, 400, "invalid_credentials");
	http_resp_free(&r);
	/* The address taken. */
	gotrue_call(&r, "POST", "/signup", anon_key, NULL,
	    "{\"email\":\"gt-signup@example.com\",\"password\":\"" PASSWORD "\"}", ip);
	ck_assert_int_eq(r.status, 422);
	gotrue_error(&r, 422, "user_already_exists");
	http_resp_free(&r);
	/* Bad input, in GoTrue's shape. */
	gotrue_call(&r, "POST", "/signup", anon_key, NULL,
	    "{\"email\":\"gt-weak@example.com\",\"password\":\"short\"}", ip);
	gotrue_error(&r, 422, "weak_password");
	http_resp_free(&r);
	gotrue_call(&r, "POST", "/signup", anon_key, NULL, "{\"email\":\"not an address\"}", ip);
	gotrue_error(&r, 400, "validation_failed");
	http_resp_free(&r);
	gotrue_call(&r, "POST", "/signup", anon_key, NULL,
	    "{\"phone\":\"+15550100\",\"password\":\"x\"}", ip);
	gotrue_error(&r, 400, "validation_failed");
	ck_assert_ptr_nonnull(strstr(r.body, "Phone"));
	http_resp_free(&r);
	gotrue_call(&r, "POST", "/signup", anon_key, NULL, "{\"email\":", ip);
	gotrue_error(&r, 400, "bad_json");
	http_resp_free(&r);
	gotrue_call(&r, "POST", "/signup", anon_key, NULL, "{\"emial\":\"a@example.com\"}", ip);
	gotrue_error(&r, 400, "validation_failed");
	http_resp_free(&r);
	gotrue_call(&r, "POST", "/token?grant_type=magic", anon_key, NULL, "{}", ip);
	gotrue_error(&r, 400, "unsupported_grant_type");
	http_resp_free(&r);
}
END_TEST

/* Refresh-token rotation as /api/v1 does it, GoTrue's answers. */
START_TEST(test_refresh_grant)
{
	const char *ip = "10.31.2.1";
	struct session s, t;
	struct http_resp r;
	char body[256];

	gt_signup("gt-refresh@example.com", ip, &s);
	snprintf(body, sizeof(body), "{\"refresh_token\":\"%s\"}", s.refresh);
	gotrue_call(&r, "POST", "/token?grant_type=refresh_token", anon_key, NULL, body, ip);
	gotrue_session(&r, "gt-refresh@example.com", &t);
	http_resp_free(&r);
	ck_assert_str_ne(s.refresh, t.refresh);
	gotrue_call(&r, "POST", "/token?grant_type=refresh_token", anon_key, NULL,
	    "{\"refresh_token\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}", ip);
	gotrue_error(&r, 400, "refresh_token_not_found");
	http_resp_free(&r);
	/* A rotated token replayed after the grace window ends the session. */
	sleep(3);
	gotrue_call(&r, "POST", "/token?grant_type=refresh_token", anon_key, NULL, body, ip);
	gotrue_error(&r, 400, "refresh_token_not_found");
	http_resp_free(&r);
	ck_assert_int_eq(gt_status("GET", "/user", t.access, ip), 403);
}
END_TEST

START_TEST(test_user_get_and_put)
{
	const char *ip = "10.31.3.1";
	struct session s, t;
	struct http_resp r;
	struct json_object *o;

	gt_signup("gt-user@example.com", ip, &s);
	gotrue_call(&r, "GET", "/user", anon_key, s.access, NULL, ip);
	ck_assert_int_eq(r.status, 200);
	o = json_body(&r);
	gotrue_assert_user(o, "gt-user@example.com");
	ck_assert_str_eq(jstr(o, "id"), s.user_id);
	json_object_put(o);
	http_resp_free(&r);
	/* Without a user's token the anon key is the caller: no user. */
	gotrue_call(&r, "GET", "/user", anon_key, NULL, NULL, ip);
	gotrue_error(&r, 403, "bad_jwt");
	http_resp_free(&r);
	/* Metadata merged, then a new password. */
	gotrue_call(&r, "PUT", "/user", anon_key, s.access, "{\"data\":{\"plan\":\"pro\"}}", ip);
	ck_assert_int_eq(r.status, 200);
	o = json_body(&r);
	gotrue_assert_user(o, "gt-user@example.com");
	ck_assert_str_eq(jstr(json_object_object_get(o, "user_metadata"), "plan"), "pro");
	ck_assert_str_eq(jstr(json_object_object_get(o, "user_metadata"), "name"), "Ada");
	json_object_put(o);
	http_resp_free(&r);
	gotrue_call(&r, "PUT", "/user", anon_key, s.access,
	    "{\"password\":\"a new password of mine\"}", ip);
	ck_assert_int_eq(r.status, 200);
	http_resp_free(&r);
	gt_password_grant("gt-user@example.com", "a new password of mine", ip, &r);
	gotrue_session(&r, "gt-user@example.com", &t);
	http_resp_free(&r);
	gotrue_call(&r, "PUT", "/user", anon_key, t.access, "{\"password\":\"tiny\"}", ip);
	gotrue_error(&r, 422, "weak_password");
	http_resp_free(&r);
	gotrue_call(&r, "PUT", "/user", anon_key, t.access, "{\"nonce\":\"123456\"}", ip);
	gotrue_error(&r, 400, "validation_failed");
	http_resp_free(&r);
}
END_TEST

/* logout's scopes: local, others, global (GoTrue's default); 204. */
START_TEST(test_logout_scopes)
{
	const char *ip = "10.31.4.1";
	struct session a, b, c;
	struct http_resp r;

	gt_signup("gt-logout@example.com", ip, &a);
	gt_signin("gt-logout@example.com", "10.31.4.2", &b);
	gt_signin("gt-logout@example.com", "10.31.4.3", &c);
	ck_assert_int_eq(gt_status("POST", "/logout?scope=others", a.access, ip), 204);
	ck_assert_int_eq(gt_status("GET", "/user", a.access, ip), 200);
	ck_assert_int_eq(gt_status("GET", "/user", b.access, ip), 403);
	ck_assert_int_eq(gt_status("GET", "/user", c.access, ip), 403);
	ck_assert_int_eq(gt_status("POST", "/logout?scope=local", a.access, ip), 204);
	ck_assert_int_eq(gt_status("GET", "/user", a.access, ip), 403);
	/* The session's end reaches every API. */
	ck_assert_int_eq(status_of("GET", "/auth/user", a.access, ip), 401);
	gt_signin("gt-logout@example.com", "10.31.4.4", &a);
	gt_signin("gt-logout@example.com", "10.31.4.5", &b);
	ck_assert_int_eq(gt_status("POST", "/logout", a.access, ip), 204);
	ck_assert_int_eq(gt_status("GET", "/user", b.access, ip), 403);
	ck_assert_int_eq(status_of("GET", "/auth/user", b.access, ip), 401);
	gt_signin("gt-logout@example.com", "10.31.4.6", &a);
	gotrue_call(&r, "POST", "/logout?scope=everyone", anon_key, a.access, NULL, ip);
	gotrue_error(&r, 400, "validation_failed");
	http_resp_free(&r);
	gotrue_call(&r, "POST", "/logout", anon_key, NULL, NULL, ip);
	gotrue_error(&r, 403, "bad_jwt");
	http_resp_free(&r);
}
END_TEST

/* Confirmation on: the user without a session, a mailed GoTrue link. */
START_TEST(test_signup_confirmed_by_link)
{
	const char *ip = "10.31.5.1", *email = "gt-confirm@example.com";
	struct http_resp r;
	struct session s;
	struct json_object *o;
	char *link, *loc, *p, token[128], path[256];

	stack_set("auth", "confirm_email", "on");
	gotrue_call(&r, "POST", "/signup?redirect_to=https%3A%2F%2Fapp.example%2Fdone", anon_key,
	    NULL,
	    "{\"email\":\"gt-confirm@example.com\",\"password\":\"" PASSWORD "\",\"data\":{}}", ip);
	ck_assert_msg(r.status == 200, "%ld %s", r.status, r.body);
	o = json_body(&r);
	gotrue_assert_user(o, email);
	ck_assert(!json_object_object_get_ex(o, "access_token", NULL));
	ck_assert(json_object_get_type(json_object_object_get(o, "email_confirmed_at")) ==
	    json_type_null);
	json_object_put(o);
	http_resp_free(&r);
	gt_password_grant(email, PASSWORD, ip, &r);
	gotrue_error(&r, 400, "email_not_confirmed");
	http_resp_free(&r);
	gotrue_call(&r, "GET", "/settings", anon_key, NULL, NULL, ip);
	ck_assert_ptr_nonnull(strstr(r.body, "\"mailer_autoconfirm\":false"));
	http_resp_free(&r);
	/* Resend: {} whatever the address. */
	gotrue_call(&r, "POST", "/resend", anon_key, NULL,
	    "{\"email\":\"gt-nobody@example.com\",\"type\":\"signup\"}", ip);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(r.body, "{}");
	http_resp_free(&r);
	/* The mailed link's token opens GET /auth/v1/verify: 303 to the
	 * sign-up's redirect_to with the session in the fragment. */
	link = mailed_link(email);
	ck_assert_ptr_nonnull(p = strstr(link, "token="));
	snprintf(token, sizeof(token), "%.*s", (int)strcspn(p + 6, "&"), p + 6);
	gotrue_call(&r, "GET", "/verify?token=bad&type=signup", anon_key, NULL, NULL, ip);
	gotrue_error(&r, 403, "otp_expired");
	http_resp_free(&r);
	snprintf(path, sizeof(path), "/verify?token=%s&type=signup", token);
	gotrue_call(&r, "GET", path, anon_key, NULL, NULL, ip);
	ck_assert_msg(r.status == 303, "%ld %s", r.status, r.body);
	loc = http_header(&r, "Location");
	ck_assert_msg(strncmp(loc, "https://app.example/done#access_token=", 38) == 0, "%s", loc);
	ck_assert_ptr_nonnull(strstr(loc, "&refresh_token="));
	free(loc);
	http_resp_free(&r);
	gt_signin(email, ip, &s);
	stack_set("auth", "confirm_email", "off");
}
END_TEST

/* signInWithOtp + verifyOtp: the code (type email), the token_hash. */
START_TEST(test_otp_and_verify)
{
	const char *ip = "10.31.6.1", *email = "gt-otp@example.com";
	struct http_resp r;
	struct session s;
	char body[512], token[128], *p;

	gotrue_call(&r, "POST", "/otp", anon_key, NULL,
	    "{\"email\":\"gt-otp@example.com\",\"data\":{},\"create_user\":true,"
	    "\"gotrue_meta_security\":{}}",
	    ip);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(r.body, "{}");
	http_resp_free(&r);
	/* A wrong code. */
	gotrue_call(&r, "POST", "/verify", anon_key, NULL,
	    "{\"type\":\"email\",\"email\":\"gt-otp@example.com\",\"token\":\"000000\"}", ip);
	if (strcmp(mailed_code(email), "000000") != 0)
		gotrue_error(&r, 403, "otp_expired");
	http_resp_free(&r);
	snprintf(body, sizeof(body), "{\"type\":\"email\",\"email\":\"%s\",\"token\":\"%s\"}",
	    email, mailed_code(email));
	gotrue_call(&r, "POST", "/verify", anon_key, NULL, body, ip);
	gotrue_session(&r, email, &s);
	http_resp_free(&r);
	/* Used once only. */
	gotrue_call(&r, "POST", "/verify", anon_key, NULL, body, ip);
	gotrue_error(&r, 403, "otp_expired");
	http_resp_free(&r);
	/* The link's token as token_hash (type magiclink). */
	snprintf(body, sizeof(body),
	    "UPDATE auth.magic_links SET created_at = created_at - interval '1 hour'"
	    " WHERE email = '%s'",
	    email);
	{
		char cmd[1024];

		snprintf(cmd, sizeof(cmd), "\"%s\" \"%s\" psql -q -c \"%s\" >/dev/null",
		    getenv("FB_STACK"), getenv("FB_STACK_DIR"), body);
		ck_assert_int_eq(system(cmd), 0);
	}
	gotrue_call(&r, "POST", "/otp", anon_key, NULL, "{\"email\":\"gt-otp@example.com\"}", ip);
	ck_assert_int_eq(r.status, 200);
	http_resp_free(&r);
	p = strstr(mailed_link(email), "token=");
	ck_assert_ptr_nonnull(p);
	snprintf(token, sizeof(token), "%.*s", (int)strcspn(p + 6, "&"), p + 6);
	snprintf(body, sizeof(body), "{\"type\":\"magiclink\",\"token_hash\":\"%s\"}", token);
	gotrue_call(&r, "POST", "/verify", anon_key, NULL, body, ip);
	gotrue_session(&r, email, &s);
	http_resp_free(&r);
	/* create_user false: an unknown address gets nothing, no account. */
	gotrue_call(&r, "POST", "/otp", anon_key, NULL,
	    "{\"email\":\"gt-otp-new@example.com\",\"create_user\":false}", ip);
	ck_assert_int_eq(r.status, 200);
	http_resp_free(&r);
	gotrue_call(&r, "POST", "/verify", anon_key, NULL,
	    "{\"type\":\"email\",\"email\":\"gt-otp-new@example.com\",\"token\":\"123456\"}", ip);
	gotrue_error(&r, 403, "otp_expired");
	http_resp_free(&r);
	gotrue_call(&r, "POST", "/otp", anon_key, NULL,
	    "{\"email\":\"gt-otp@example.com\",\"code_challenge\":\"abc\","
	    "\"code_challenge_method\":\"s256\"}",
	    ip);
	gotrue_error(&r, 400, "validation_failed");
	ck_assert_ptr_nonnull(strstr(r.body, "PKCE"));
	http_resp_free(&r);
}
END_TEST

/* resetPasswordForEmail, verifyOtp type recovery, then a new password. */
START_TEST(test_recover)
{
	const char *ip = "10.31.7.1", *email = "gt-recover@example.com";
	struct http_resp r;
	struct session s;
	char body[512];

	gt_signup(email, ip, &s);
	gotrue_call(&r, "POST", "/recover?redirect_to=https%3A%2F%2Fapp.example%2Freset", anon_key,
	    NULL, "{\"email\":\"gt-recover@example.com\",\"gotrue_meta_security\":{}}", ip);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(r.body, "{}");
	http_resp_free(&r);
	snprintf(body, sizeof(body), "{\"type\":\"recovery\",\"email\":\"%s\",\"token\":\"%s\"}",
	    email, mailed_code(email));
	gotrue_call(&r, "POST", "/verify", anon_key, NULL, body, ip);
	gotrue_session(&r, email, &s);
	http_resp_free(&r);
	gotrue_call(&r, "PUT", "/user", anon_key, s.access, "{\"password\":\"recovered password\"}",
	    ip);
	ck_assert_int_eq(r.status, 200);
	http_resp_free(&r);
	gt_password_grant(email, "recovered password", ip, &r);
	gotrue_session(&r, email, &s);
	http_resp_free(&r);
	gotrue_call(&r, "POST", "/recover?redirect_to=https%3A%2F%2Fevil.example%2F", anon_key,
	    NULL, "{\"email\":\"gt-recover@example.com\"}", ip);
	gotrue_error(&r, 400, "validation_failed");
	http_resp_free(&r);
}
END_TEST

/* A service-role call: the service key as apikey and as the caller. */
static void
gt_admin(struct http_resp *r, const char *method, const char *path, const char *body)
{
	gotrue_call(r, method, path, service_key, service_key, body, "10.31.8.1");
}

/* The user of an answer (the object itself), checked and its id kept. */
static void
gt_user_of(const struct http_resp *r, const char *email, char id[64])
{
	struct json_object *o;

	ck_assert_msg(r->status == 200, "%ld %s", r->status, r->body);
	o = json_body(r);
	gotrue_assert_user(o, email);
	snprintf(id, 64, "%s", jstr(o, "id"));
	json_object_put(o);
}

START_TEST(test_admin_users)
{
	const char *email = "gt-admin@example.com";
	struct http_resp r;
	struct json_object *o, *users;
	char id[64], path[128], *h;
	struct session s;

	/* Only the service role. */
	gotrue_call(&r, "GET", "/admin/users", anon_key, anon_key, NULL, "10.31.8.2");
	gotrue_error(&r, 403, "not_admin");
	http_resp_free(&r);
	gt_admin(&r, "POST", "/admin/users",
	    "{\"email\":\"gt-admin@example.com\",\"password\":\"" PASSWORD "\","
	    "\"email_confirm\":true,\"user_metadata\":{\"team\":\"a\"},"
	    "\"app_metadata\":{\"tier\":\"gold\"}}");
	gt_user_of(&r, email, id);
	ck_assert_ptr_nonnull(strstr(r.body, "\"tier\":\"gold\""));
	ck_assert_ptr_null(strstr(r.body, "\"email_confirmed_at\":null"));
	http_resp_free(&r);
	gt_admin(&r, "POST", "/admin/users", "{\"email\":\"gt-admin@example.com\"}");
	ck_assert_int_eq(r.status, 422);
	gotrue_error(&r, 422, "email_exists");
	http_resp_free(&r);
	gt_admin(&r, "POST", "/admin/users",
	    "{\"email\":\"gt-p@example.com\",\"phone\":\"+1555\"}");
	gotrue_error(&r, 400, "validation_failed");
	http_resp_free(&r);
	/* auth-js's listUsers() sends page and per_page empty. */
	gt_admin(&r, "GET", "/admin/users?page=&per_page=", NULL);
	ck_assert_int_eq(r.status, 200);
	o = json_body(&r);
	ck_assert_str_eq(jstr(o, "aud"), "authenticated");
	ck_assert(json_object_object_get_ex(o, "users", &users));
	ck_assert(json_object_array_length(users) >= 1);
	ck_assert_str_eq(jstr(json_object_array_get_idx(users, 0), "aud"), "authenticated");
	json_object_put(o);
	ck_assert_ptr_nonnull(h = http_header(&r, "X-Total-Count"));
	ck_assert(atol(h) >= 1);
	free(h);
	ck_assert_ptr_nonnull(h = http_header(&r, "Link"));
	ck_assert_msg(strstr(h, "; rel=\"last\"") != NULL, "%s", h);
	free(h);
	http_resp_free(&r);
	gt_admin(&r, "GET", "/admin/users?page=1&per_page=1", NULL);
	ck_assert_ptr_nonnull(h = http_header(&r, "Link"));
	ck_assert_msg(strncmp(h, "</admin/users?page=2&per_page=1>; rel=\"next\", ", 46) == 0, "%s",
	    h);
	free(h);
	http_resp_free(&r);
	gt_admin(&r, "GET", "/admin/users?per_page=0", NULL);
	gotrue_error(&r, 400, "validation_failed");
	http_resp_free(&r);
	/* One user: read, change (a ban, then none), delete. */
	snprintf(path, sizeof(path), "/admin/users/%s", id);
	gt_admin(&r, "GET", path, NULL);
	gt_user_of(&r, email, id);
	http_resp_free(&r);
	gt_admin(&r, "PUT", path, "{\"user_metadata\":{\"team\":\"b\"},\"ban_duration\":\"24h\"}");
	gt_user_of(&r, email, id);
	o = json_body(&r);
	ck_assert(jstr(o, "banned_until")[0] != '\0');
	ck_assert_str_eq(jstr(json_object_object_get(o, "user_metadata"), "team"), "b");
	json_object_put(o);
	http_resp_free(&r);
	gt_password_grant(email, PASSWORD, "10.31.8.3", &r);
	gotrue_error(&r, 400, "user_banned");
	http_resp_free(&r);
	gt_admin(&r, "PUT", path, "{\"ban_duration\":\"forever\"}");
	gotrue_error(&r, 400, "validation_failed");
	http_resp_free(&r);
	gt_admin(&r, "PUT", path, "{\"ban_duration\":\"none\"}");
	ck_assert_ptr_null(strstr(r.body, "banned_until"));
	http_resp_free(&r);
	gt_signin(email, "10.31.8.3", &s);
	gt_admin(&r, "DELETE", path, "{\"should_soft_delete\":false}");
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(r.body, "{}");
	http_resp_free(&r);
	ck_assert_int_eq(gt_status("GET", "/user", s.access, "10.31.8.3"), 403);
	gt_admin(&r, "GET", path, NULL);
	gotrue_error(&r, 404, "user_not_found");
	http_resp_free(&r);
	gt_admin(&r, "GET", "/admin/users/not-a-uuid", NULL);
	gotrue_error(&r, 400, "validation_failed");
	http_resp_free(&r);
}
END_TEST

/* generateLink's flat answer, its hashed_token verified; invite. */
START_TEST(test_generate_link_and_invite)
{
	const char *email = "gt-link@example.com";
	struct http_resp r;
	struct json_object *o;
	struct session s;
	char body[512], id[64];

	gt_admin(&r, "POST", "/admin/generate_link?redirect_to=https%3A%2F%2Fapp.example%2Fin",
	    "{\"type\":\"magiclink\",\"email\":\"gt-link@example.com\"}");
	gt_user_of(&r, email, id);
	o = json_body(&r);
	ck_assert_msg(strstr(jstr(o, "action_link"), "verify?") != NULL, "%s", r.body);
	ck_assert_str_eq(jstr(o, "verification_type"), "magiclink");
	ck_assert_str_eq(jstr(o, "redirect_to"), "https://app.example/in");
	ck_assert_uint_eq(strlen(jstr(o, "email_otp")), 6);
	ck_assert(strstr(jstr(o, "action_link"), jstr(o, "hashed_token")) != NULL);
	snprintf(body, sizeof(body), "{\"type\":\"magiclink\",\"token_hash\":\"%s\"}",
	    jstr(o, "hashed_token"));
	remember(jstr(o, "hashed_token"));
	json_object_put(o);
	http_resp_free(&r);
	gotrue_call(&r, "POST", "/verify", anon_key, NULL, body, "10.31.9.1");
	gotrue_session(&r, email, &s);
	http_resp_free(&r);
	/* A new address: email_change_new is our email_change. */
	gt_admin(&r, "POST", "/admin/generate_link",
	    "{\"type\":\"email_change_new\",\"email\":\"gt-link@example.com\","
	    "\"new_email\":\"gt-link2@example.com\"}");
	ck_assert_msg(r.status == 200, "%ld %s", r.status, r.body);
	o = json_body(&r);
	ck_assert_str_eq(jstr(o, "verification_type"), "email_change");
	ck_assert_str_eq(jstr(o, "new_email"), "gt-link2@example.com");
	json_object_put(o);
	http_resp_free(&r);
	gt_admin(&r, "POST", "/admin/generate_link",
	    "{\"type\":\"recovery\",\"email\":\"gt-link-nobody@example.com\"}");
	gotrue_error(&r, 404, "user_not_found");
	http_resp_free(&r);
	gt_admin(&r, "POST", "/admin/generate_link",
	    "{\"type\":\"teleport\",\"email\":\"gt-link@example.com\"}");
	gotrue_error(&r, 400, "validation_failed");
	http_resp_free(&r);
	/* inviteUserByEmail: the user, and a mail. */
	gt_admin(&r, "POST", "/invite?redirect_to=https%3A%2F%2Fapp.example%2Fjoin",
	    "{\"email\":\"gt-invited@example.com\",\"data\":{\"by\":\"admin\"}}");
	gt_user_of(&r, "gt-invited@example.com", id);
	ck_assert_ptr_nonnull(strstr(r.body, "\"by\":\"admin\""));
	http_resp_free(&r);
	ck_assert_ptr_nonnull(strstr(mailed_link("gt-invited@example.com"), "token="));
	snprintf(body, sizeof(body),
	    "{\"type\":\"invite\",\"email\":\"gt-invited@example.com\","
	    "\"token\":\"%s\"}",
	    mailed_code("gt-invited@example.com"));
	gotrue_call(&r, "POST", "/verify", anon_key, NULL, body, "10.31.9.2");
	gotrue_session(&r, "gt-invited@example.com", &s);
	http_resp_free(&r);
	gotrue_call(&r, "POST", "/invite", anon_key, NULL, "{\"email\":\"x@example.com\"}",
	    "10.31.9.3");
	gotrue_error(&r, 403, "not_admin");
	http_resp_free(&r);
}
END_TEST

TCase *
supabase_auth_tcase(void)
{
	TCase *tc = tcase_create("supabase_auth");

	tcase_add_checked_fixture(tc, keys, NULL);

	tcase_add_test(tc, test_apikey_and_settings);
	tcase_add_test(tc, test_signup_and_password_grant);
	tcase_add_test(tc, test_refresh_grant);
	tcase_add_test(tc, test_user_get_and_put);
	tcase_add_test(tc, test_logout_scopes);
	tcase_add_test(tc, test_signup_confirmed_by_link);
	tcase_add_test(tc, test_otp_and_verify);
	tcase_add_test(tc, test_recover);
	tcase_add_test(tc, test_admin_users);
	tcase_add_test(tc, test_generate_link_and_invite);
	return tc;
}
