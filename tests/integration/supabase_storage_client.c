/*
 * supabase_storage_client.c - the calls of the /storage/v1 tests as
 * storage-js makes them (apikey, bearer, JSON or raw bodies) and the checks
 * of Storage's answers, shared by supabase_storage_test.c's cases.
 */
#include "config.h"

#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "client.h"
#include "suites.h"
#include "supabase_storage_client.h"

char sb_anon[2048], sb_service[2048], sb_alice[2048], sb_bob[2048];

void
sb_keys(void)
{
	mint_token(sb_anon, sizeof(sb_anon), "anon", NULL);
	mint_token(sb_service, sizeof(sb_service), "service_role", NULL);
	mint_token(sb_alice, sizeof(sb_alice), "authenticated", ALICE);
	mint_token(sb_bob, sizeof(sb_bob), "authenticated", BOB);
}

/* $FB_URL without its /api/v1: where /storage/v1 lives. */
const char *
sb_url(const char *path)
{
	static char out[4096];
	const char *base = getenv("FB_URL");
	size_t n = strlen(base) - strlen("/api/v1");

	snprintf(out, sizeof(out), "%.*s/storage/v1%s", (int)n, base, path);
	return out;
}

/* The headers storage-js sends: the apikey, the caller's bearer (NULL:
 * none) and one more. */
const char **
sb_hdrs(const char *key, const char *token, const char *extra, const char *extra2)
{
	static char k[2100], auth[2100];
	static const char *h[6];
	int n = 0;

	if (key != NULL) {
		snprintf(k, sizeof(k), "apikey: %s", key);
		h[n++] = k;
	}
	if (token != NULL) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
		h[n++] = auth;
	}
	if (extra != NULL)
		h[n++] = extra;
	if (extra2 != NULL)
		h[n++] = extra2;
	h[n] = NULL;
	return h;
}

/* A call as storage-js makes it: JSON body, anon key, caller's token. */
long
sb_call(struct http_resp *r, const char *method, const char *path, const char *token,
    const char *json)
{
	http_do(method, sb_url(path),
	    sb_hdrs(sb_anon, token, json ? "Content-Type: application/json" : NULL, NULL), json,
	    json ? strlen(json) : 0, r);
	return r->status;
}

/* Storage's error: {"statusCode": "<status>", "error": error, "message"}. */
void
sb_expect_error(struct http_resp *r, long status, const char *error)
{
	struct json_object *o = json_body(r);
	char st[16];

	snprintf(st, sizeof(st), "%ld", status);
	ck_assert_msg(r->status == status, "status %ld, wanted %ld: %s", r->status, status,
	    r->body);
	ck_assert_str_eq(jstr(o, "statusCode"), st);
	ck_assert_msg(strcmp(jstr(o, "error"), error) == 0, "error %s, wanted %s", r->body, error);
	ck_assert_msg(jstr(o, "message")[0] != '\0', "no message: %s", r->body);
	json_object_put(o);
	http_resp_free(r);
}

void
sb_expect_ok(struct http_resp *r, long status, const char *what)
{
	ck_assert_msg(r->status == status, "%s: %ld %s", what, r->status, r->body);
}

void
sb_make_bucket(const char *id, bool public)
{
	struct http_resp r;
	char body[256];

	snprintf(body, sizeof(body), "{\"id\":\"%s\",\"name\":\"%s\",\"public\":%s}", id, id,
	    public ? "true" : "false");
	sb_call(&r, "POST", "/bucket", sb_service, body);
	ck_assert_msg(r.status == 200 || r.status == 409, "bucket %s: %ld %s", id, r.status,
	    r.body);
	http_resp_free(&r);
}

/* A raw upload as storage-js sends a string or Buffer. */
long
sb_put_raw(struct http_resp *r, const char *method, const char *path, const char *token,
    const char *data, const char *extra)
{
	http_do(method, sb_url(path),
	    sb_hdrs(sb_anon, token, "Content-Type: text/plain;charset=UTF-8", extra), data,
	    strlen(data), r);
	return r->status;
}

/* A raw upload that must succeed. */
void
sb_upload_ok(const char *path, const char *token, const char *data, const char *extra)
{
	struct http_resp r;

	sb_put_raw(&r, "POST", path, token, data, extra);
	sb_expect_ok(&r, 200, path);
	http_resp_free(&r);
}

/* A call that must answer 200 with exactly want. */
void
sb_expect_answer(const char *method, const char *path, const char *token, const char *json,
    const char *want)
{
	struct http_resp r;

	sb_call(&r, method, path, token, json);
	sb_expect_ok(&r, 200, path);
	ck_assert_str_eq(r.body, want);
	http_resp_free(&r);
}
