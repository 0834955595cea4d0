/*
 * The auth API through nginx: the life cycle of a session, rotation and
 * theft, enumeration, hostile tokens, magic links (the mail directory;
 * SMTP: auth_smtp_test.c), validation and rate limits, and no secret in
 * any log.  Each test speaks from its own client address
 * (X-Forwarded-For is trusted in the test configuration), so the rate
 * limits of one do not touch another.
 */
#include "config.h"

#include <check.h>
#include <dirent.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <sodium.h>

#include "client.h"
#include "auth_client.h"
#include "suites.h"

START_TEST(test_session_life_cycle)
{
	struct session s, s2, again;
	struct http_resp r;
	struct json_object *o;

	signup(&s, "Life@Example.com", "10.0.1.1");
	auth_call(&r, "GET", "/auth/user", s.access, NULL, "10.0.1.1");
	ck_assert_int_eq(r.status, 200);
	o = json_body(&r);
	ck_assert_str_eq(jstr(o, "email"), "Life@Example.com");
	ck_assert_str_eq(jstr(o, "role"), "authenticated");
	ck_assert_str_eq(jstr(o, "id"), s.user_id);
	json_object_put(o);
	http_resp_free(&r);
	/* The user's token reaches the tables API as that user. */
	ck_assert_int_eq(status_of("GET", "/tables/products?id=eq.1", s.access, "10.0.1.1"), 200);

	ck_assert_int_eq(refresh(s.refresh, &s2, "10.0.1.1"), 200);
	ck_assert_str_ne(s2.refresh, s.refresh);
	/* Inside the grace window the old token gives the session's current one. */
	ck_assert_int_eq(refresh(s.refresh, &again, "10.0.1.1"), 200);
	ck_assert_str_eq(again.refresh, s2.refresh);

	/* Workers keep a token's identity on their connection between
	 * requests: warm every worker with it, so the ones below reuse it. */
	for (int i = 0; i < 12; i++)
		ck_assert_int_eq(status_of("GET", "/tables/products?id=eq.1", s2.access,
		                     "10.0.1.1"),
		    200);
	auth_call(&r, "POST", "/auth/signout", s2.access, NULL, "10.0.1.1");
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_nonnull(strstr(r.body, "\"message\""));
	http_resp_free(&r);
	/* Every token of the session is dead, on every endpoint. */
	auth_call(&r, "GET", "/auth/user", s2.access, NULL, "10.0.1.1");
	assert_error(&r, 401, "INVALID_TOKEN");
	http_resp_free(&r);
	auth_call(&r, "GET", "/auth/user", s.access, NULL, "10.0.1.1");
	assert_error(&r, 401, "INVALID_TOKEN");
	http_resp_free(&r);
	for (int i = 0; i < 12; i++) {
		auth_call(&r, "GET", "/tables/products?id=eq.1", s2.access, NULL, "10.0.1.1");
		assert_error(&r, 401, "INVALID_TOKEN");
		http_resp_free(&r);
	}
	ck_assert_int_eq(refresh(s2.refresh, NULL, "10.0.1.1"), 401);
	ck_assert_int_eq(status_of("POST", "/auth/signout", s2.access, "10.0.1.1"), 401);
	/* Signing in again works, case-insensitively. */
	ck_assert_int_eq(signin(NULL, "life@example.COM", PASSWORD, "10.0.1.1"), 200);
}
END_TEST

START_TEST(test_refresh_theft_revokes_the_session)
{
	struct session s, t1, t2, t3;

	signup(&s, "theft@example.com", "10.0.2.1");
	ck_assert_int_eq(refresh(s.refresh, &t1, "10.0.2.1"), 200);
	ck_assert_int_eq(refresh(t1.refresh, &t2, "10.0.2.1"), 200);
	ck_assert_int_eq(refresh(t2.refresh, &t3, "10.0.2.1"), 200);
	sleep_ms(2600); /* past refresh_reuse_interval = 2 */
	ck_assert_int_eq(refresh(s.refresh, NULL, "10.0.2.1"), 401);
	/* The whole session is gone: the newest refresh and access tokens too. */
	ck_assert_int_eq(refresh(t3.refresh, NULL, "10.0.2.1"), 401);
	ck_assert_int_eq(status_of("GET", "/auth/user", t3.access, "10.0.2.1"), 401);
	ck_assert(log_contains("session"));
}
END_TEST

START_TEST(test_concurrent_refresh_same_token)
{
	struct session s;
	char tokens[2][128];
	int fds[2][2];
	pid_t pids[2];

	signup(&s, "tabs@example.com", "10.0.3.1");
	for (int i = 0; i < 2; i++) {
		ck_assert_int_eq(pipe(fds[i]), 0);
		pids[i] = fork();
		if (pids[i] == 0) {
			struct session out;
			long st;

			memset(&out, 0, sizeof(out));
			st = refresh(s.refresh, &out, "10.0.3.1");
			dprintf(fds[i][1], "%ld %s", st, out.refresh);
			_exit(0);
		}
		close(fds[i][1]);
	}
	for (int i = 0; i < 2; i++) {
		char buf[256] = "";
		long st = 0;
		ssize_t n = read(fds[i][0], buf, sizeof(buf) - 1);

		ck_assert_int_gt(n, 0);
		buf[n] = '\0';
		ck_assert_int_eq(sscanf(buf, "%ld %127s", &st, tokens[i]), 2);
		ck_assert_int_eq(st, 200);
		waitpid(pids[i], NULL, 0);
		close(fds[i][0]);
	}
	/* Both callers hold the same, valid token of the one session. */
	ck_assert_str_eq(tokens[0], tokens[1]);
	ck_assert_int_eq(refresh(tokens[0], NULL, "10.0.3.1"), 200);
}
END_TEST

static int
cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return (a > b) - (a < b);
}

START_TEST(test_no_enumeration)
{
	enum { ROUNDS = 25 };
	struct session s;
	struct http_resp a, b;
	double ta[ROUNDS], tb[ROUNDS];

	signup(&s, "known@example.com", "10.0.4.1");
	/* Interleaved, from addresses of their own (rate limits), medians. */
	for (int i = 0; i < ROUNDS; i++) {
		char ip[32];

		snprintf(ip, sizeof(ip), "10.0.5.%d", i + 1);
		auth_call(&a, "POST", "/auth/signin", NULL,
		    "{\"email\":\"known@example.com\",\"password\":\"wrong password\"}", ip);
		snprintf(ip, sizeof(ip), "10.0.6.%d", i + 1);
		auth_call(&b, "POST", "/auth/signin", NULL,
		    "{\"email\":\"unknown@example.com\",\"password\":\"wrong password\"}", ip);
		assert_error(&a, 401, "INVALID_CREDENTIALS");
		ck_assert_int_eq(b.status, 401);
		ck_assert_str_eq(a.body, b.body);
		ta[i] = a.seconds;
		tb[i] = b.seconds;
		http_resp_free(&a);
		http_resp_free(&b);
	}
	qsort(ta, ROUNDS, sizeof(double), cmp_double);
	qsort(tb, ROUNDS, sizeof(double), cmp_double);
	fprintf(stderr,
	    "signin medians over %d rounds: unknown email %.4f s, wrong password %.4f s\n", ROUNDS,
	    tb[ROUNDS / 2], ta[ROUNDS / 2]);
	/* The unknown account pays for a hash too: within 20 %. */
	ck_assert_msg(tb[ROUNDS / 2] > ta[ROUNDS / 2] * 0.8 &&
	        tb[ROUNDS / 2] < ta[ROUNDS / 2] * 1.2,
	    "median signin: unknown email %.4fs, wrong password %.4fs", tb[ROUNDS / 2],
	    ta[ROUNDS / 2]);

	auth_call(&a, "POST", "/auth/magiclink", NULL, "{\"email\":\"known@example.com\"}",
	    "10.0.4.4");
	auth_call(&b, "POST", "/auth/magiclink", NULL, "{\"email\":\"stranger@example.com\"}",
	    "10.0.4.4");
	ck_assert_int_eq(a.status, 200);
	ck_assert_int_eq(b.status, 200);
	ck_assert_str_eq(a.body, b.body);
	http_resp_free(&a);
	http_resp_free(&b);
}
END_TEST

START_TEST(test_hostile_tokens)
{
	const char *hs = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
	const char *secret = stack_secret();
	struct session s;
	char payload[512], tampered[4096], *tok;
	long now = (long)time(NULL);
	struct http_resp r;
	char *cases[12];
	bool owned[12] = { false };
	int n = 0;

	signup(&s, "tokens@example.com", "10.0.5.1");
	/* A correct hand-made token is accepted: the crafting is right. */
	snprintf(payload, sizeof(payload),
	    "{" ISS_AUD "\"role\":\"authenticated\",\"sub\":\"%s\",\"exp\":%ld,\"iat\":%ld}",
	    s.user_id, now + 600, now);
	ck_assert_int_eq(status_of("GET", "/auth/user", craft(hs, payload, secret), "10.0.5.1"),
	    200);

	snprintf(tampered, sizeof(tampered), "%s", s.access);
	tampered[strlen(tampered) / 2] = tampered[strlen(tampered) / 2] == 'A' ? 'B' : 'A';
	cases[n++] = tampered;
	owned[n] = true;
	cases[n++] = strdup(craft("{\"alg\":\"none\",\"typ\":\"JWT\"}", payload, ""));
	owned[n] = true;
	cases[n++] = strdup(craft(hs, payload, "a-completely-different-secret-of-32+"));
	snprintf(payload, sizeof(payload),
	    "{" ISS_AUD "\"role\":\"authenticated\",\"sub\":\"%s\",\"exp\":%ld}", s.user_id,
	    now - 120);
	owned[n] = true;
	cases[n++] = strdup(craft(hs, payload, secret));
	snprintf(payload, sizeof(payload),
	    "{" ISS_AUD "\"role\":\"authenticated\",\"sub\":\"%s\",\"exp\":%ld,\"nbf\":%ld}",
	    s.user_id, now + 600, now + 300);
	owned[n] = true;
	cases[n++] = strdup(craft(hs, payload, secret));
	snprintf(payload, sizeof(payload), "{" ISS_AUD "\"role\":\"authenticated\",\"exp\":%ld}",
	    now + 600);
	owned[n] = true;
	cases[n++] = strdup(craft(hs, payload, secret));
	cases[n++] = "garbage.garbage.garbage";
	/* Our secret, another issuer or audience, or none named. */
	snprintf(payload, sizeof(payload),
	    "{\"iss\":\"supabase\",\"aud\":\"authenticated\","
	    "\"role\":\"authenticated\",\"sub\":\"%s\",\"exp\":%ld}",
	    s.user_id, now + 600);
	owned[n] = true;
	cases[n++] = strdup(craft(hs, payload, secret));
	snprintf(payload, sizeof(payload),
	    "{\"iss\":\"fluxbase\",\"aud\":[\"billing\"],"
	    "\"role\":\"authenticated\",\"sub\":\"%s\",\"exp\":%ld}",
	    s.user_id, now + 600);
	owned[n] = true;
	cases[n++] = strdup(craft(hs, payload, secret));
	snprintf(payload, sizeof(payload), "{\"role\":\"service_role\",\"sub\":\"%s\",\"exp\":%ld}",
	    s.user_id, now + 600);
	owned[n] = true;
	cases[n++] = strdup(craft(hs, payload, secret));
	snprintf(payload, sizeof(payload),
	    "{" ISS_AUD "\"role\":\"authenticated\",\"sub\":\"x';--\",\"exp\":%ld}", now + 600);
	owned[n] = true;
	cases[n++] = strdup(craft(hs, payload, secret));
	for (int i = 0; i < n; i++) {
		auth_call(&r, "GET", "/auth/user", cases[i], NULL, "10.0.5.1");
		ck_assert_msg(r.status == 401, "case %d: %ld %s", i, r.status, r.body);
		ck_assert_ptr_nonnull(strstr(r.body, "TOKEN"));
		/* The token is never echoed. */
		ck_assert_ptr_null(strstr(r.body, cases[i]));
		tok = http_header(&r, "WWW-Authenticate");
		ck_assert_str_eq(tok, "Bearer");
		free(tok);
		http_resp_free(&r);
	}
	/* An expired token on the tables API says so. */
	auth_call(&r, "GET", "/tables/products", cases[3], NULL, "10.0.5.1");
	assert_error(&r, 401, "TOKEN_EXPIRED");
	http_resp_free(&r);
	for (int i = 0; i < n; i++)
		if (owned[i])
			free(cases[i]);
}
END_TEST

START_TEST(test_magic_link)
{
	struct http_resp r;
	struct session s;
	char *link, *loc;

	auth_call(&r, "POST", "/auth/magiclink", NULL, "{\"email\":\"Magic@Example.com\"}",
	    "10.0.6.1");
	ck_assert_int_eq(r.status, 200);
	http_resp_free(&r);
	link = strdup(mailed_link("Magic@Example.com"));
	ck_assert_ptr_nonnull(strstr(link, "/api/v1/auth/magiclink/verify?token="));
	remember(strchr(link, '=') + 1);
	/* A mail scanner's HEAD does not use it up. */
	ck_assert_int_eq(get_url("HEAD", link, NULL), 200);
	ck_assert_int_eq(get_url("HEAD", link, NULL), 200);
	ck_assert_int_eq(get_url("GET", link, &r), 200);
	parse_session(&r, &s);
	http_resp_free(&r);
	/* The account exists now, verified; the link is spent. */
	auth_call(&r, "GET", "/auth/user", s.access, NULL, "10.0.6.1");
	ck_assert_ptr_nonnull(strstr(r.body, "\"email_verified\" : true"));
	http_resp_free(&r);
	ck_assert_int_eq(get_url("GET", link, &r), 401);
	assert_error(&r, 401, "INVALID_TOKEN");
	http_resp_free(&r);
	ck_assert_int_eq(get_url("HEAD", link, NULL), 401);
	free(link);

	/* One link per address per minute. */
	auth_call(&r, "POST", "/auth/magiclink", NULL, "{\"email\":\"magic@example.com\"}",
	    "10.0.6.2");
	assert_error(&r, 429, "RATE_LIMITED");
	loc = http_header(&r, "Retry-After");
	ck_assert_ptr_nonnull(loc);
	ck_assert_int_gt(atoi(loc), 0);
	free(loc);
	http_resp_free(&r);

	/* An allow-listed redirect: 303 with the tokens in the fragment. */
	auth_call(&r, "POST", "/auth/magiclink", NULL,
	    "{\"email\":\"redirect@example.com\",\"redirect_to\":\"https://app.example/welcome\"}",
	    "10.0.6.3");
	ck_assert_int_eq(r.status, 200);
	http_resp_free(&r);
	link = strdup(mailed_link("redirect@example.com"));
	ck_assert_int_eq(get_url("GET", link, &r), 303);
	loc = http_header(&r, "Location");
	ck_assert_msg(loc && strncmp(loc, "https://app.example/welcome#access_token=", 41) == 0,
	    "%s", loc ? loc : "(none)");
	ck_assert_ptr_nonnull(strstr(loc, "&refresh_token="));
	free(loc);
	http_resp_free(&r);
	free(link);
	auth_call(&r, "POST", "/auth/magiclink", NULL,
	    "{\"email\":\"evil@example.com\",\"redirect_to\":\"https://evil.example/\"}",
	    "10.0.6.3");
	assert_error(&r, 400, "VALIDATION");
	http_resp_free(&r);

	/* Unknown, malformed and expired tokens. */
	ck_assert_int_eq(get_url("GET",
	                     api_url("/auth/magiclink/verify?token="
	                             "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
	                     NULL),
	    401);
	ck_assert_int_eq(get_url("GET", api_url("/auth/magiclink/verify?token=%27;--"), NULL), 401);
	ck_assert_int_eq(get_url("GET", api_url("/auth/magiclink/verify"), NULL), 401);
	auth_call(&r, "POST", "/auth/magiclink", NULL, "{\"email\":\"late@example.com\"}",
	    "10.0.6.4");
	http_resp_free(&r);
	link = strdup(mailed_link("late@example.com"));
	{
		char cmd[1024];

		snprintf(cmd, sizeof(cmd),
		    "\"%s\" \"%s\" psql -q -c \"UPDATE auth.magic_links SET "
		    "expires_at = now() - interval '1 second' WHERE email = 'late@example.com'\"",
		    getenv("FB_STACK"), getenv("FB_STACK_DIR"));
		ck_assert_int_eq(system(cmd), 0);
	}
	ck_assert_int_eq(get_url("GET", link, NULL), 401);
	free(link);
}
END_TEST

START_TEST(test_validation)
{
	static const char *bad_signups[] = {
		"{\"email\":\"not-an-email\",\"password\":\"" PASSWORD "\"}",
		"{\"email\":\"a@b\",\"password\":\"" PASSWORD "\"}",
		"{\"email\":\"a b@example.com\",\"password\":\"" PASSWORD "\"}",
		"{\"email\":\"a@example.com\\r\\nBcc: x@y.z\",\"password\":\"" PASSWORD "\"}",
		"{\"email\":\"ok@example.com\",\"password\":\"short\"}",
		"{\"email\":\"ok@example.com\"}",
		"{\"email\":42,\"password\":\"" PASSWORD "\"}",
		"{\"email\":\"ok@example.com\",\"password\":\"" PASSWORD
		"\",\"role\":\"service_role\"}",
		"{\"email\":\"ok@example.com\",\"password\":\"" PASSWORD
		"\",\"user_metadata\":[1]}",
		"[\"ok@example.com\"]",
		"{\"email\":\"ok@example.com\",",
	};
	char *big;
	struct http_resp r;
	struct session s;

	for (size_t i = 0; i < sizeof(bad_signups) / sizeof(bad_signups[0]); i++) {
		auth_call(&r, "POST", "/auth/signup", NULL, bad_signups[i], "10.0.7.1");
		ck_assert_msg(r.status == 400, "%s: %ld %s", bad_signups[i], r.status, r.body);
		ck_assert(strstr(r.body, "VALIDATION") || strstr(r.body, "INVALID_JSON"));
		http_resp_free(&r);
	}
	/* 1025 bytes of password, and 17 KiB of metadata. */
	big = malloc(40000);
	strcpy(big, "{\"email\":\"long@example.com\",\"password\":\"");
	{
		size_t at = strlen(big);

		memset(big + at, 'p', 1025);
		strcpy(big + at + 1025, "\"}");
		auth_call(&r, "POST", "/auth/signup", NULL, big, "10.0.7.1");
		assert_error(&r, 400, "VALIDATION");
		ck_assert_ptr_nonnull(strstr(r.body, "1024"));
		http_resp_free(&r);
		/* 1024 bytes is fine: no 72-byte cut-off as with bcrypt. */
		strcpy(big + at + 1024, "\"}");
		auth_call(&r, "POST", "/auth/signup", NULL, big, "10.0.7.1");
		ck_assert_int_eq(r.status, 201);
		http_resp_free(&r);
	}
	strcpy(big,
	    "{\"email\":\"meta@example.com\",\"password\":\"" PASSWORD
	    "\",\"user_metadata\":{\"k\":\"");
	{
		size_t at = strlen(big);

		memset(big + at, 'm', 17000);
		strcpy(big + at + 17000, "\"}}");
	}
	auth_call(&r, "POST", "/auth/signup", NULL, big, "10.0.7.1");
	assert_error(&r, 400, "VALIDATION");
	http_resp_free(&r);
	free(big);

	signup(&s, "Dup@Example.com", "10.0.7.2");
	auth_call(&r, "POST", "/auth/signup", NULL,
	    "{\"email\":\"dup@EXAMPLE.com\",\"password\":\"" PASSWORD "\"}", "10.0.7.2");
	assert_error(&r, 409, "USER_EXISTS");
	http_resp_free(&r);
	/* What a user may not change about themselves. */
	auth_call(&r, "PATCH", "/auth/user", s.access, "{\"app_metadata\":{\"admin\":true}}",
	    "10.0.7.2");
	assert_error(&r, 403, "FORBIDDEN_FIELD");
	http_resp_free(&r);
	auth_call(&r, "PATCH", "/auth/user", s.access, "{\"email_verified\":true}", "10.0.7.2");
	assert_error(&r, 403, "FORBIDDEN_FIELD");
	http_resp_free(&r);
	auth_call(&r, "PATCH", "/auth/user", s.access, "{\"password\":\"short\"}", "10.0.7.2");
	assert_error(&r, 400, "VALIDATION");
	http_resp_free(&r);
	/* A taken address: the same 200 as any (issue 18), the change only pending. */
	auth_call(&r, "PATCH", "/auth/user", s.access, "{\"email\":\"known@example.com\"}",
	    "10.0.7.2");
	ck_assert_int_eq(r.status, 200);
	http_resp_free(&r);
	auth_call(&r, "PATCH", "/auth/user", s.access, "{\"user_metadata\":{\"theme\":\"dark\"}}",
	    "10.0.7.2");
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_nonnull(strstr(r.body, "dark"));
	http_resp_free(&r);
}
END_TEST

START_TEST(test_password_change_ends_other_sessions)
{
	struct session a, b;
	struct http_resp r;

	signup(&a, "change@example.com", "10.0.8.1");
	ck_assert_int_eq(signin(&b, "change@example.com", PASSWORD, "10.0.8.1"), 200);
	auth_call(&r, "PATCH", "/auth/user", a.access, "{\"password\":\"a brand new secret\"}",
	    "10.0.8.1");
	ck_assert_int_eq(r.status, 200);
	http_resp_free(&r);
	ck_assert_int_eq(status_of("GET", "/auth/user", a.access, "10.0.8.1"), 200);
	ck_assert_int_eq(status_of("GET", "/auth/user", b.access, "10.0.8.1"), 401);
	ck_assert_int_eq(refresh(b.refresh, NULL, "10.0.8.1"), 401);
	ck_assert_int_eq(signin(NULL, "change@example.com", PASSWORD, "10.0.8.1"), 401);
	ck_assert_int_eq(signin(NULL, "change@example.com", "a brand new secret", "10.0.8.1"), 200);
}
END_TEST

/* A hash made with other Argon2id parameters is replaced at sign-in. */
START_TEST(test_rehash_on_signin)
{
	struct session s;
	char hash[crypto_pwhash_STRBYTES], cmd[1024], out[512];
	FILE *p;
	size_t n;

	signup(&s, "rehash@example.com", "10.0.11.1");
	ck_assert_int_eq(crypto_pwhash_str(hash, PASSWORD, strlen(PASSWORD), 3, 16 << 20), 0);
	/* Through a file: the hash is full of $ signs a shell would expand. */
	snprintf(out, sizeof(out), "%s/rehash.sql", getenv("FB_STACK_DIR"));
	p = fopen(out, "w");
	ck_assert_ptr_nonnull(p);
	fprintf(p,
	    "UPDATE auth.users SET password_hash = '%s' WHERE email = 'rehash@example.com';\n",
	    hash);
	fclose(p);
	snprintf(cmd, sizeof(cmd), "\"%s\" \"%s\" psql -q < '%s'", getenv("FB_STACK"),
	    getenv("FB_STACK_DIR"), out);
	ck_assert_int_eq(system(cmd), 0);
	ck_assert_int_eq(signin(NULL, "rehash@example.com", PASSWORD, "10.0.11.1"), 200);
	snprintf(cmd, sizeof(cmd),
	    "\"%s\" \"%s\" psql -tA -c \"SELECT password_hash FROM auth.users"
	    " WHERE email = 'rehash@example.com'\"",
	    getenv("FB_STACK"), getenv("FB_STACK_DIR"));
	p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	pclose(p);
	/* The configured cost now (password_mem_limit = 8M, ops 1). */
	ck_assert_msg(strstr(out, "$argon2id$v=19$m=8192,t=1,") != NULL, "%s", out);
	ck_assert_int_eq(signin(NULL, "rehash@example.com", PASSWORD, "10.0.11.1"), 200);
}
END_TEST

START_TEST(test_rate_limit)
{
	struct http_resp r;
	char *after;

	/* rate_limit_signin = 5 in the test configuration. */
	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(signin(NULL, "nobody@example.com", "whatever-pass", "10.0.9.9"),
		    401);
	auth_call(&r, "POST", "/auth/signin", NULL,
	    "{\"email\":\"nobody@example.com\",\"password\":\"whatever-pass\"}", "10.0.9.9");
	assert_error(&r, 429, "RATE_LIMITED");
	after = http_header(&r, "Retry-After");
	ck_assert_ptr_nonnull(after);
	ck_assert_int_gt(atoi(after), 0);
	ck_assert_int_le(atoi(after), 300);
	free(after);
	http_resp_free(&r);
	/* Another address is not affected. */
	ck_assert_int_eq(signin(NULL, "nobody@example.com", "whatever-pass", "10.0.9.10"), 401);
}
END_TEST

START_TEST(test_no_secret_in_logs)
{
	char cmd[2048], path[512], line[700];
	FILE *f;
	int n = 0;

	stack_secret();
	remember(PASSWORD);
	remember("a brand new secret");
	snprintf(path, sizeof(path), "%s/secrets-seen.txt", getenv("FB_STACK_DIR"));
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f) != NULL)
		n++;
	fclose(f);
	ck_assert_int_gt(n, 20);
	snprintf(cmd, sizeof(cmd), "grep -r -F -f '%s' '%s/log' --exclude=strace.txt", path,
	    getenv("FB_STACK_DIR"));
	ck_assert_msg(system(cmd) != 0, "a secret is in a log (lines above)");
}
END_TEST

TCase *
auth_tcase(void)
{
	TCase *tc = tcase_create("auth");

	tcase_add_test(tc, test_session_life_cycle);
	tcase_add_test(tc, test_refresh_theft_revokes_the_session);
	tcase_add_test(tc, test_concurrent_refresh_same_token);
	tcase_add_test(tc, test_no_enumeration);
	tcase_add_test(tc, test_hostile_tokens);
	tcase_add_test(tc, test_magic_link);
	tcase_add_test(tc, test_validation);
	tcase_add_test(tc, test_password_change_ends_other_sessions);
	tcase_add_test(tc, test_rehash_on_signin);
	tcase_add_test(tc, test_rate_limit);
	tcase_add_test(tc, test_no_secret_in_logs);
	return tc;
}
