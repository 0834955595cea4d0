/* Helpers of the tests that speak to the tables API (see tables_client.h). */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "suites.h"
#include "tables_client.h"

char service[2048], alice[2048], bob[2048];

void
tokens(void)
{
	if (service[0] == '\0') {
		mint_token(service, sizeof(service), "service_role", NULL);
		mint_token(alice, sizeof(alice), "authenticated", ALICE);
		mint_token(bob, sizeof(bob), "authenticated", BOB);
	}
}

void
call(struct http_resp *r, const char *method, const char *path, const char *token, const char *body,
    const char *const *extra)
{
	const char *h[16];
	char auth[2100];
	int n = 0;

	if (token != NULL) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
		h[n++] = auth;
	}
	if (body != NULL)
		h[n++] = "Content-Type: application/json";
	for (; extra != NULL && *extra != NULL && n < 15; extra++)
		h[n++] = *extra;
	h[n] = NULL;
	http_do(method, api_url(path), h, body, body ? strlen(body) : 0, r);
}

static int
cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return (x > y) - (x < y);
}

const char *
ids_of(const struct http_resp *r, const char *key)
{
	static char out[1024];
	struct json_object *o = json_tokener_parse(r->body);
	long v[256];
	size_t n;

	ck_assert_msg(o != NULL && json_object_is_type(o, json_type_array), "not an array: %s",
	    r->body);
	n = json_object_array_length(o);
	ck_assert_uint_le(n, 256);
	for (size_t i = 0; i < n; i++) {
		struct json_object *x;

		ck_assert(json_object_object_get_ex(json_object_array_get_idx(o, i), key, &x));
		v[i] = json_object_get_int64(x);
	}
	qsort(v, n, sizeof(v[0]), cmp_long);
	out[0] = '\0';
	for (size_t i = 0; i < n; i++)
		snprintf(out + strlen(out), sizeof(out) - strlen(out), "%s%ld", i ? "," : "", v[i]);
	json_object_put(o);
	return out;
}

const char *
get_ids(const char *path)
{
	static char out[1024];
	struct http_resp r;

	call(&r, "GET", path, service, NULL, NULL);
	ck_assert_msg(r.status == 200, "%s: %ld %s", path, r.status, r.body);
	snprintf(out, sizeof(out), "%s", ids_of(&r, "id"));
	http_resp_free(&r);
	return out;
}

void
expect_header(const struct http_resp *r, const char *name, const char *value)
{
	char *v = http_header(r, name);

	ck_assert_msg(v != NULL && strcmp(v, value) == 0, "%s: got %s, wanted %s", name,
	    v ? v : "(none)", value);
	free(v);
}

/* psql as the owner; returns the first line of output. */
const char *
sql(const char *query)
{
	static char out[4096];
	char cmd[8192];
	FILE *p;
	size_t n;

	snprintf(cmd, sizeof(cmd), "\"%s\" \"%s\" psql -tA -c \"%s\"", getenv("FB_STACK"),
	    getenv("FB_STACK_DIR"), query);
	p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	ck_assert_int_eq(pclose(p), 0);
	out[strcspn(out, "\n")] = '\0';
	return out;
}
