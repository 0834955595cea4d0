/*
 * Who may call each route: for every entry of the route table, callers of
 * each kind (none, a bad token, a user's token with and without a
 * session, an anon token, the service role) are held against the route's
 * access rule exactly as the worker does before a handler runs, and the
 * answer is 401 or 403 (with the JSON error) whenever the rule says no.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <fcgiapp.h>

#include "arena.h"
#include "conf.h"
#include "http.h"
#include "router.h"
#include "session.h"
#include "suites.h"
#include "token.h"

#define USER_ID "3f2a0e44-7a4c-4d3b-9d1e-0a6b0c1d2e3f"
#define SESSION_ID "9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d"

enum caller { NOBODY, BAD_TOKEN, ANON, USER_NO_SESSION, USER, SERVICE, NCALLERS };

static struct conf *conf;
static char *tokens[NCALLERS];

static void
setup(void)
{
	char err[256];
	struct token_claims c = { .ttl = 600 };
	struct token_key k;

	conf = conf_load(NULL, NULL, err, sizeof(err));
	ck_assert_ptr_nonnull(conf);
	free(conf->jwt_secret);
	conf->jwt_secret = strdup("0123456789abcdef0123456789abcdef");
	free(conf->metrics_allow);
	conf->metrics_allow = strdup("192.0.2.7");
	k = TOKEN_KEY(conf);
	c.role = "anon";
	tokens[ANON] = token_mint(&k, &c, time(NULL));
	c.role = "authenticated";
	c.sub = USER_ID;
	tokens[USER_NO_SESSION] = token_mint(&k, &c, time(NULL));
	c.session_id = SESSION_ID;
	tokens[USER] = token_mint(&k, &c, time(NULL));
	c.role = "service_role";
	c.sub = NULL;
	c.session_id = NULL;
	tokens[SERVICE] = token_mint(&k, &c, time(NULL));
	tokens[BAD_TOKEN] = strdup("eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoic2VydmljZV9yb2xlIn0.x");
}

static void
teardown(void)
{
	for (int i = 0; i < NCALLERS; i++) {
		free(tokens[i]);
		tokens[i] = NULL;
	}
	session_cache_clear();
	conf_free(conf);
}

/* The status the rule gives a caller: 0 when admitted. */
static int
expected(enum route_access access, enum caller who, bool allowed_address)
{
	if (who == BAD_TOKEN)
		return 401;
	switch (access) {
	case ACCESS_ANYONE:
		return 0;
	case ACCESS_USER:
		return who == USER || who == USER_NO_SESSION ? 0 : 401;
	case ACCESS_USER_SESSION:
		return who == USER ? 0 : 401;
	case ACCESS_METRICS:
		if (allowed_address)
			return 0;
		/* fall through */
	case ACCESS_SERVICE:
		return who == SERVICE ? 0 : who == NOBODY ? 401 : 403;
	}
	return -1;
}

static int
admit(const struct route *rt, enum caller who, const char *addr)
{
	char auth[2100], remote[64];
	char *env[3] = { auth, remote, NULL };
	FCGX_Request fcgx;
	struct request r;
	struct arena a;
	int status;

	snprintf(auth, sizeof(auth), "HTTP_AUTHORIZATION=%s%s", who == NOBODY ? "" : "Bearer ",
	    who == NOBODY ? "" : tokens[who]);
	snprintf(remote, sizeof(remote), "REMOTE_ADDR=%s", addr);
	memset(&fcgx, 0, sizeof(fcgx));
	fcgx.envp = env;
	memset(&r, 0, sizeof(r));
	arena_init(&a, 4096);
	r.arena = &a;
	r.fcgx = &fcgx;
	r.conf = conf;
	r.route = rt;
	strcpy(r.request_id, "test");
	if (session_admit(&r, rt->access) == 0) {
		ck_assert_int_eq(r.resp.status, 0);
		status = 0;
	} else {
		status = r.resp.status;
		ck_assert_ptr_nonnull(r.resp.body);
		ck_assert_ptr_nonnull(strstr(r.resp.body, "\"code\""));
	}
	arena_destroy(&a);
	return status;
}

START_TEST(test_every_route_enforces_its_access)
{
	int checked = 0;

	for (size_t i = 0; i < app_routes_count; i++) {
		const struct route *rt = &app_routes[i];

		for (int who = 0; who < NCALLERS; who++) {
			int want = expected(rt->access, (enum caller)who, false);
			int got = admit(rt, (enum caller)who, "198.51.100.1");

			ck_assert_msg(got == want, "%s, caller %d: %d, the rule says %d",
			    rt->pattern, who, got, want);
			if (rt->access == ACCESS_METRICS)
				ck_assert_int_eq(admit(rt, (enum caller)who, "192.0.2.7"),
				    expected(rt->access, (enum caller)who, true));
			checked++;
		}
	}
	ck_assert_int_gt(checked, 0);
}
END_TEST

/* The rules that matter most, named: a change to the table shows here. */
START_TEST(test_the_table_says_who_may_call)
{
	static const struct {
		const char *pattern;
		enum route_access access;
	} want[] = {
		{ "/api/v1/status", ACCESS_SERVICE },
		{ "/api/v1/metrics", ACCESS_METRICS },
		{ "/api/v1/storage/buckets/{bucket}", ACCESS_SERVICE },
		{ "/api/v1/auth/user", ACCESS_USER },
		{ "/api/v1/auth/signout", ACCESS_USER_SESSION },
		{ "/api/v1/tables/{table}", ACCESS_ANYONE },
		/* /rest/v1 as /api/v1/tables: PostgreSQL decides, as the caller. */
		{ "/rest/v1/{table}", ACCESS_ANYONE },
		{ "/rest/v1/rpc/{function}", ACCESS_ANYONE },
		{ "/rest/v1/", ACCESS_ANYONE },
		{ "/openapi-supabase.json", ACCESS_ANYONE },
	};

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		bool found = false;

		for (size_t j = 0; j < app_routes_count; j++)
			if (strcmp(app_routes[j].pattern, want[i].pattern) == 0) {
				ck_assert_int_eq(app_routes[j].access, want[i].access);
				found = true;
			}
		ck_assert_msg(found, "%s is not in the route table", want[i].pattern);
	}
}
END_TEST

Suite *
access_suite(void)
{
	Suite *s = suite_create("access");
	TCase *tc = tcase_create("routes");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_every_route_enforces_its_access);
	tcase_add_test(tc, test_the_table_says_who_may_call);
	suite_add_tcase(s, tc);
	return s;
}
