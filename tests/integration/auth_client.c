/* Helpers of the tests that speak to the auth API (see auth_client.h). */
#include "config.h"

#include <check.h>
#include <stdarg.h>
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <sodium.h>

#include "auth_client.h"
#include "suites.h"

/* Secrets seen during the run, one per line in a file outside the log
 * directory (each test runs in its own process); the last test greps the
 * logs for them. */
void
remember(const char *secret)
{
	char path[512];
	FILE *f;

	if (secret == NULL || strlen(secret) <= 8)
		return;
	snprintf(path, sizeof(path), "%s/secrets-seen.txt", getenv("FB_STACK_DIR"));
	f = fopen(path, "a");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "%s\n", secret);
	fclose(f);
}

void
auth_call(struct http_resp *r, const char *method, const char *path, const char *token,
    const char *body, const char *ip)
{
	char auth[2100], fwd[128];
	const char *h[6];
	int n = 0;

	if (token != NULL) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
		h[n++] = auth;
	}
	snprintf(fwd, sizeof(fwd), "X-Forwarded-For: %s", ip);
	h[n++] = fwd;
	if (body != NULL)
		h[n++] = "Content-Type: application/json";
	h[n] = NULL;
	http_do(method, api_url(path), h, body, body ? strlen(body) : 0, r);
}

void
parse_session(const struct http_resp *r, struct session *s)
{
	struct json_object *o = json_body(r), *user, *v;

	ck_assert_str_eq(jstr(o, "token_type"), "bearer");
	ck_assert_int_eq(atoi(jstr(o, "expires_in")), 900);
	ck_assert(atol(jstr(o, "expires_at")) > time(NULL));
	snprintf(s->access, sizeof(s->access), "%s", jstr(o, "access_token"));
	snprintf(s->refresh, sizeof(s->refresh), "%s", jstr(o, "refresh_token"));
	ck_assert_uint_eq(strlen(s->refresh), 43);
	ck_assert(json_object_object_get_ex(o, "user", &user));
	ck_assert(json_object_object_get_ex(user, "id", &v));
	snprintf(s->user_id, sizeof(s->user_id), "%s", json_object_get_string(v));
	/* Never a hash. */
	ck_assert(!json_object_object_get_ex(user, "password_hash", &v));
	ck_assert_ptr_null(strstr(r->body, "argon2"));
	remember(s->access);
	remember(s->refresh);
	json_object_put(o);
}

void
signup(struct session *s, const char *email, const char *ip)
{
	char body[512];
	struct http_resp r;

	snprintf(body, sizeof(body), "{\"email\":\"%s\",\"password\":\"" PASSWORD "\"}", email);
	auth_call(&r, "POST", "/auth/signup", NULL, body, ip);
	ck_assert_msg(r.status == 201, "signup %s: %ld %s", email, r.status, r.body);
	parse_session(&r, s);
	http_resp_free(&r);
}

long
signin(struct session *s, const char *email, const char *password, const char *ip)
{
	char body[1400];
	struct http_resp r;
	long st;

	snprintf(body, sizeof(body), "{\"email\":\"%s\",\"password\":\"%s\"}", email, password);
	auth_call(&r, "POST", "/auth/signin", NULL, body, ip);
	st = r.status;
	if (st == 200 && s != NULL)
		parse_session(&r, s);
	http_resp_free(&r);
	return st;
}

long
refresh(const char *token, struct session *out, const char *ip)
{
	char body[256];
	struct http_resp r;
	long st;

	snprintf(body, sizeof(body), "{\"refresh_token\":\"%s\"}", token);
	auth_call(&r, "POST", "/auth/refresh", NULL, body, ip);
	st = r.status;
	if (st == 200 && out != NULL)
		parse_session(&r, out);
	else if (st != 200)
		ck_assert_ptr_nonnull(strstr(r.body, "INVALID_REFRESH_TOKEN"));
	http_resp_free(&r);
	return st;
}

long
status_of(const char *method, const char *path, const char *token, const char *ip)
{
	struct http_resp r;
	long st;

	auth_call(&r, method, path, token, NULL, ip);
	st = r.status;
	http_resp_free(&r);
	return st;
}

/* A JWT signed by hand: header and payload JSON, HMAC-SHA256 with key. */
char *
craft(const char *header, const char *payload, const char *key)
{
	static char out[4096];
	char h[1024], p[2048];
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	char sig[128];
	crypto_auth_hmacsha256_state st;

	sodium_bin2base64(h, sizeof(h), (const unsigned char *)header, strlen(header),
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_bin2base64(p, sizeof(p), (const unsigned char *)payload, strlen(payload),
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	snprintf(out, sizeof(out), "%s.%s", h, p);
	crypto_auth_hmacsha256_init(&st, (const unsigned char *)key, strlen(key));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)out, strlen(out));
	crypto_auth_hmacsha256_final(&st, mac);
	sodium_bin2base64(sig, sizeof(sig), mac, sizeof(mac),
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	snprintf(out + strlen(out), sizeof(out) - strlen(out), ".%s", sig);
	return out;
}

const char *
stack_secret(void)
{
	static char secret[256];
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/jwt_secret", getenv("FB_STACK_DIR"));
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(fgets(secret, sizeof(secret), f));
	fclose(f);
	secret[strcspn(secret, "\n")] = '\0';
	remember(secret);
	return secret;
}

/* The newest magic link mailed to address, from the mail directory. */
char *
mailed_link(const char *address)
{
	static char link[1024];
	char dirpath[512], path[1024], line[2048], newest[512] = "";
	DIR *d;
	struct dirent *e;
	FILE *f;
	bool to_match = false;

	snprintf(dirpath, sizeof(dirpath), "%s/mail", getenv("FB_STACK_DIR"));
	d = opendir(dirpath);
	ck_assert_ptr_nonnull(d);
	link[0] = '\0';
	while ((e = readdir(d)) != NULL) {
		if (strstr(e->d_name, ".eml") == NULL)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dirpath, e->d_name);
		f = fopen(path, "r");
		to_match = false;
		while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
			char *p;

			if (strncmp(line, "To: <", 5) == 0 &&
			    strncmp(line + 5, address, strlen(address)) == 0)
				to_match = true;
			if (to_match && (p = strstr(line, "http")) != NULL &&
			    strcmp(e->d_name, newest) > 0) {
				snprintf(newest, sizeof(newest), "%s", e->d_name);
				snprintf(link, sizeof(link), "%s", p);
				link[strcspn(link, "\r\n")] = '\0';
			}
		}
		if (f != NULL)
			fclose(f);
	}
	closedir(d);
	ck_assert_msg(link[0] != '\0', "no mail to %s", address);
	return link;
}

long
get_url(const char *method, const char *url, struct http_resp *keep)
{
	static unsigned calls;
	char fwd[64];
	const char *h[] = { fwd, NULL };
	struct http_resp r;
	long st;

	/* A client address of its own for each link followed: the verify
	 * rate limit of one address is not what these tests are about (and
	 * the docs' examples, run last from 127.0.0.1, must not meet it). */
	calls++;
	snprintf(fwd, sizeof(fwd), "X-Forwarded-For: 10.250.%u.%u", (unsigned)getpid() % 250,
	    calls % 250 + 1);
	http_do(method, url, h, NULL, 0, &r);
	st = r.status;
	if (keep != NULL)
		*keep = r;
	else
		http_resp_free(&r);
	return st;
}

/* The code of the newest mail to address ("...enter this code: 123456"). */
char *
mailed_code(const char *address)
{
	static char code[32];
	char dirpath[512], path[1024], line[2048], newest[512] = "";
	DIR *d;
	struct dirent *e;

	snprintf(dirpath, sizeof(dirpath), "%s/mail", getenv("FB_STACK_DIR"));
	ck_assert_ptr_nonnull(d = opendir(dirpath));
	code[0] = '\0';
	while ((e = readdir(d)) != NULL) {
		bool to_match = false;
		FILE *f;

		if (strstr(e->d_name, ".eml") == NULL || strcmp(e->d_name, newest) <= 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dirpath, e->d_name);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		while (fgets(line, sizeof(line), f) != NULL) {
			char *p;

			if (strncmp(line, "To: <", 5) == 0 &&
			    strncmp(line + 5, address, strlen(address)) == 0 &&
			    line[5 + strlen(address)] == '>')
				to_match = true;
			if (to_match && (p = strstr(line, "enter this code: ")) != NULL) {
				snprintf(newest, sizeof(newest), "%s", e->d_name);
				snprintf(code, sizeof(code), "%.16s", p + 17);
				code[strcspn(code, "\r\n")] = '\0';
				break;
			}
		}
		fclose(f);
	}
	closedir(d);
	ck_assert_msg(code[0] != '\0', "no code mailed to %s", address);
	remember(code);
	return code;
}

/* ---- /auth/v1, GoTrue's dialect (supabase_auth_test.c) ---- */

/* A call to /auth/v1 with key as the apikey (NULL: none). */
void
gotrue_call(struct http_resp *r, const char *method, const char *path, const char *key,
    const char *token, const char *body, const char *ip)
{
	char url[2048], apikey[1100], auth[2100], fwd[128];
	const char *h[6];
	int n = 0;

	snprintf(url, sizeof(url), "%s/auth/v1%s", getenv("FB_BASE"), path);
	if (key != NULL) {
		snprintf(apikey, sizeof(apikey), "apikey: %s", key);
		h[n++] = apikey;
	}
	if (token != NULL) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
		h[n++] = auth;
	}
	snprintf(fwd, sizeof(fwd), "X-Forwarded-For: %s", ip);
	h[n++] = fwd;
	if (body != NULL)
		h[n++] = "Content-Type: application/json;charset=UTF-8";
	h[n] = NULL;
	http_do(method, url, h, body, body ? strlen(body) : 0, r);
}

/* GoTrue's error: the status, and {"code": status, "error_code", "msg"}. */
void
gotrue_error(const struct http_resp *r, long status, const char *error_code)
{
	struct json_object *o;

	ck_assert_msg(r->status == status, "status %ld, wanted %ld: %s", r->status, status,
	    r->body);
	o = json_body(r);
	ck_assert_int_eq(atol(jstr(o, "code")), status);
	ck_assert_str_eq(jstr(o, "error_code"), error_code);
	ck_assert_msg(jstr(o, "msg")[0] != '\0', "no msg: %s", r->body);
	json_object_put(o);
}

/* A user in GoTrue's shape, with its address. */
void
gotrue_assert_user(struct json_object *u, const char *email)
{
	struct json_object *ids, *id, *data, *app, *v;

	ck_assert_str_eq(jstr(u, "aud"), "authenticated");
	ck_assert_str_eq(jstr(u, "role"), "authenticated");
	ck_assert_msg(strcasecmp(jstr(u, "email"), email) == 0, "%s", jstr(u, "email"));
	ck_assert_uint_eq(strlen(jstr(u, "id")), 36);
	ck_assert_str_eq(jstr(u, "phone"), "");
	ck_assert(json_object_object_get_ex(u, "email_confirmed_at", NULL));
	ck_assert(json_object_object_get_ex(u, "confirmed_at", NULL));
	ck_assert(json_object_object_get_ex(u, "last_sign_in_at", NULL));
	ck_assert(json_object_object_get_ex(u, "is_anonymous", &v));
	ck_assert(!json_object_get_boolean(v));
	ck_assert(json_object_object_get_ex(u, "app_metadata", &app));
	ck_assert_str_eq(jstr(app, "provider"), "email");
	ck_assert_str_eq(json_object_to_json_string_ext(json_object_object_get(app, "providers"),
	                     JSON_C_TO_STRING_PLAIN),
	    "[\"email\"]");
	ck_assert(json_object_object_get_ex(u, "user_metadata", NULL));
	ck_assert(json_object_object_get_ex(u, "identities", &ids));
	ck_assert_uint_eq(json_object_array_length(ids), 1);
	id = json_object_array_get_idx(ids, 0);
	ck_assert_str_eq(jstr(id, "provider"), "email");
	ck_assert_str_eq(jstr(id, "user_id"), jstr(u, "id"));
	ck_assert_str_eq(jstr(id, "id"), jstr(u, "id"));
	ck_assert(jstr(id, "identity_id")[0] != '\0');
	ck_assert(json_object_object_get_ex(id, "identity_data", &data));
	ck_assert_str_eq(jstr(data, "sub"), jstr(u, "id"));
	ck_assert(strcasecmp(jstr(data, "email"), email) == 0);
	ck_assert(jstr(u, "created_at")[0] != '\0' && jstr(u, "updated_at")[0] != '\0');
	ck_assert(!json_object_object_get_ex(u, "password_hash", NULL));
	ck_assert(!json_object_object_get_ex(u, "email_verified", NULL));
}

/* A session in GoTrue's shape: 200, bearer, expiry, tokens, the user. */
void
gotrue_session(const struct http_resp *r, const char *email, struct session *s)
{
	struct json_object *o, *user;

	ck_assert_msg(r->status == 200, "status %ld: %s", r->status, r->body);
	o = json_body(r);
	ck_assert_str_eq(jstr(o, "token_type"), "bearer");
	ck_assert_int_eq(atoi(jstr(o, "expires_in")), 900);
	ck_assert(atol(jstr(o, "expires_at")) > time(NULL));
	ck_assert(json_object_object_get_ex(o, "user", &user));
	gotrue_assert_user(user, email);
	snprintf(s->access, sizeof(s->access), "%s", jstr(o, "access_token"));
	snprintf(s->refresh, sizeof(s->refresh), "%s", jstr(o, "refresh_token"));
	snprintf(s->user_id, sizeof(s->user_id), "%s", jstr(user, "id"));
	ck_assert_uint_eq(strlen(s->refresh), 43);
	remember(s->access);
	remember(s->refresh);
	json_object_put(o);
}

void
auth_post(struct http_resp *r, const char *path, const char *token, const char *ip, const char *fmt,
    ...)
{
	char body[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(body, sizeof(body), fmt, ap);
	va_end(ap);
	auth_call(r, "POST", path, token, body, ip);
}
