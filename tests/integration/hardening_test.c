/*
 * The outside review's findings, each as an attacker would try it through
 * nginx: redirect look-alikes, account pre-takeover, signed URLs that
 * outlive their object, foreign issuers and audiences, HTML in image
 * buckets, counts past row-level security, signed-out tokens on routes
 * that run no SQL, client mistakes answered 500, and slow clients.
 */
#include "config.h"

#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "auth_client.h"
#include "suites.h"

static long
call(struct http_resp *r, const char *method, const char *path, const char *token,
    const char *const *more, const char *body)
{
	char auth[2100];
	const char *h[8];
	int n = 0;

	if (token != NULL) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
		h[n++] = auth;
	}
	for (int i = 0; more != NULL && more[i] != NULL && n < 7; i++)
		h[n++] = more[i];
	h[n] = NULL;
	http_do(method, api_url(path), h, body, body ? strlen(body) : 0, r);
	return r->status;
}

START_TEST(test_redirect_lookalikes_refused)
{
	/* The stack allows https://app.example/ (tests/integration/run.sh). */
	static const char *const bad[] = {
		"https://app.example.evil.example/", "https://app.example@evil.example/",
		"https://app.example:8443/", "http://app.example/", "https://app.example\\\\@evil/",
		"https://user@app.example/", "https://app.example/../x", "//evil.example/",
		"https://app.exampleevil/", "https://app.example/#x",
	};
	struct http_resp r;
	char body[512];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(body, sizeof(body), "{\"email\":\"look%zu@example.com\",\"redirect_to\":\"%s\"}",
		    i, bad[i]);
		auth_call(&r, "POST", "/auth/magiclink", NULL, body, "10.0.16.1");
		ck_assert_msg(r.status == 400, "%s: %ld %s", bad[i], r.status, r.body);
		assert_error(&r, 400, "VALIDATION");
		http_resp_free(&r);
	}
	/* Below the allowed path, another case of the host: allowed. */
	auth_call(&r, "POST", "/auth/magiclink", NULL,
	    "{\"email\":\"look-ok@example.com\",\"redirect_to\":\"https://APP.example/a/b?c=d\"}",
	    "10.0.16.1");
	ck_assert_int_eq(r.status, 200);
	http_resp_free(&r);
}
END_TEST

START_TEST(test_proven_address_ends_the_squatters_access)
{
	struct session squat, owner;
	struct http_resp r;
	struct json_object *o;
	char *link;

	/* Someone signs up with the owner's address and a password of theirs. */
	signup(&squat, "owner@example.com", "10.0.16.2");
	ck_assert_int_eq(status_of("GET", "/auth/user", squat.access, "10.0.16.2"), 200);
	/* The owner signs in with a magic link: the address is proven. */
	auth_call(&r, "POST", "/auth/magiclink", NULL, "{\"email\":\"owner@example.com\"}",
	    "10.0.16.3");
	ck_assert_int_eq(r.status, 200);
	http_resp_free(&r);
	link = strdup(mailed_link("owner@example.com"));
	ck_assert_int_eq(get_url("GET", link, &r), 200);
	parse_session(&r, &owner);
	o = json_body(&r);
	ck_assert_str_eq(jstr(json_object_object_get(o, "user"), "email_verified"), "true");
	ck_assert_str_eq(jstr(json_object_object_get(o, "user"), "id"), squat.user_id);
	json_object_put(o);
	http_resp_free(&r);
	free(link);
	/* The squatter's session, refresh token and password are all dead. */
	auth_call(&r, "GET", "/auth/user", squat.access, NULL, "10.0.16.2");
	assert_error(&r, 401, "INVALID_TOKEN");
	http_resp_free(&r);
	auth_call(&r, "GET", "/tables/products?id=eq.1", squat.access, NULL, "10.0.16.2");
	assert_error(&r, 401, "INVALID_TOKEN");
	http_resp_free(&r);
	ck_assert_int_eq(refresh(squat.refresh, NULL, "10.0.16.2"), 401);
	ck_assert_int_eq(signin(NULL, "owner@example.com", PASSWORD, "10.0.16.2"), 401);
	/* The owner's session works and the owner sets a password. */
	auth_call(&r, "PATCH", "/auth/user", owner.access, "{\"password\":\"the owner's own one\"}",
	    "10.0.16.3");
	ck_assert_int_eq(r.status, 200);
	http_resp_free(&r);
	ck_assert_int_eq(signin(NULL, "owner@example.com", "the owner's own one", "10.0.16.3"), 200);
}
END_TEST

TCase *
hardening_tcase(void)
{
	TCase *tc = tcase_create("hardening");

	tcase_add_test(tc, test_redirect_lookalikes_refused);
	tcase_add_test(tc, test_proven_address_ends_the_squatters_access);
	return tc;
}
