/*
 * ratelimit_test.c - the rate limits' two stores ([auth] rate_limit_store)
 * through the real stack, as a client sees them (401 while allowed, then
 * 429 with Retry-After) and as the database holds them (rows of
 * fluxbase.rate_limits, read with psql).  database: counters are rows per
 * action, address and window; they outlive a restart of the pool and of
 * PostgreSQL; addresses count apart; expired windows go; the database
 * down means 503, never an attempt let through; attempts at once pass
 * exactly the limit.  memory: a restart of the pool forgets.  One test
 * times 100 attempts with each store (printed, not asserted).  Each test
 * picks addresses of its own (10.0.2x.y) and the TCase's teardown puts
 * the stack's settings back.
 */
#include "config.h"

#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "auth_client.h"
#include "client.h"
#include "suites.h"

#define NOBODY "{\"email\":\"nobody-rl@example.com\",\"password\":\"whatever-pass\"}"

/* One number from a query run by psql as the database's owner. */
static long
sql_long(const char *query)
{
	char cmd[2048], out[64] = "";
	FILE *p;

	snprintf(cmd, sizeof(cmd), "\"%s\" \"%s\" psql -A -t -c \"%s\"", getenv("FB_STACK"),
	    getenv("FB_STACK_DIR"), query);
	p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	ck_assert_msg(fgets(out, sizeof(out), p) != NULL, "no answer to %s", query);
	ck_assert_int_eq(pclose(p), 0);
	return atol(out);
}

/* The hits counted for a sign-in address, all windows together. */
static long
hits(const char *ip)
{
	char q[256];

	snprintf(q, sizeof(q),
	    "SELECT coalesce(sum(hits), 0) FROM fluxbase.rate_limits"
	    " WHERE action = 'signin' AND key = '%s'",
	    ip);
	return sql_long(q);
}

static long
rows(const char *ip)
{
	char q[256];

	snprintf(q, sizeof(q), "SELECT count(*) FROM fluxbase.rate_limits WHERE key = '%s'", ip);
	return sql_long(q);
}

static void
use_store(const char *store, const char *signin_limit, const char *window)
{
	stack_set("auth", "rate_limit_store", store);
	stack_set("auth", "rate_limit_signin", signin_limit);
	stack_set("auth", "rate_limit_window", window);
}

/* A sign-in attempt that is wrong but allowed (401), or refused. */
static long
attempt(const char *ip)
{
	return signin(NULL, "nobody-rl@example.com", "whatever-pass", ip);
}

static void
assert_limited(const char *ip, int window)
{
	struct http_resp r;
	char *after;

	auth_call(&r, "POST", "/auth/signin", NULL, NOBODY, ip);
	assert_error(&r, 429, "RATE_LIMITED");
	after = http_header(&r, "Retry-After");
	ck_assert_ptr_nonnull(after);
	ck_assert_int_gt(atoi(after), 0);
	ck_assert_int_le(atoi(after), window);
	free(after);
	http_resp_free(&r);
}

static void
wait_healthy(void)
{
	double t0 = now_s();
	long st = 0;

	while (now_s() - t0 < 20 && (st = get_status("/health")) != 200)
		sleep_ms(100);
	ck_assert_int_eq(st, 200);
}

/* A stop (SIGTERM: workers finish and go) and a fresh start of the pool. */
static void
pool_restart(void)
{
	pid_t master = master_pid();
	double t0 = now_s();

	ck_assert_int_eq(kill(master, SIGTERM), 0);
	while (kill(master, 0) == 0 && now_s() - t0 < 15)
		sleep_ms(100);
	ck_assert_int_ne(kill(master, 0), 0);
	ck_assert_int_eq(stack_cmd("pool-start"), 0);
	wait_healthy();
	ck_assert_int_ne(master_pid(), master);
}

/* Sleeps until 100 ms into the next window of window seconds (the
 * database's clock is this machine's). */
static void
window_begins(int window)
{
	struct timeval tv;
	long ms;

	gettimeofday(&tv, NULL);
	ms = (long)(tv.tv_sec % window) * 1000 + tv.tv_usec / 1000;
	sleep_ms((long)window * 1000 - ms + 100);
}

START_TEST(test_database_store_holds_across_restarts)
{
	const char *a = "10.0.20.1", *b = "10.0.20.2";
	char anon[1024];
	struct http_resp r;

	stack_psql("DELETE FROM fluxbase.rate_limits WHERE key LIKE '10.0.20.%'");
	use_store("database", "3", "300");
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(attempt(a), 401);
	assert_limited(a, 300);
	/* One row for the window, the refused attempt not counted. */
	ck_assert_int_eq(rows(a), 1);
	ck_assert_int_eq(hits(a), 3);
	ck_assert_int_eq(sql_long("SELECT extract(epoch FROM expires_at - window_start)::int"
	                          " FROM fluxbase.rate_limits WHERE key = '10.0.20.1'"),
	    300);
	/* Another address counts apart. */
	ck_assert_int_eq(attempt(b), 401);
	ck_assert_int_eq(hits(b), 1);
	/* /auth/v1 counts the same sign-ins, and refuses in GoTrue's shape. */
	mint_token(anon, sizeof(anon), "anon", NULL);
	gotrue_call(&r, "POST", "/token?grant_type=password", anon, NULL, NOBODY, a);
	gotrue_error(&r, 429, "over_request_rate_limit");
	http_resp_free(&r);

	/* A new pool (every process new) still knows. */
	pool_restart();
	assert_limited(a, 300);
	ck_assert_int_eq(attempt(b), 401);
	ck_assert_int_eq(hits(b), 2);

	/* The database down: 503, nothing let through; back, nothing lost
	 * (UNLOGGED rows outlive a clean restart of PostgreSQL). */
	ck_assert_int_eq(stack_cmd("pg-stop"), 0);
	auth_call(&r, "POST", "/auth/signin", NULL, NOBODY, b);
	assert_error(&r, 503, "DB_UNAVAILABLE");
	http_resp_free(&r);
	ck_assert_int_eq(stack_cmd("pg-start"), 0);
	wait_healthy();
	for (int i = 0; i < 4; i++)
		assert_limited(a, 300);
	ck_assert_int_eq(hits(a), 3);
	ck_assert_int_eq(hits(b), 2);
}
END_TEST

START_TEST(test_memory_store_forgets_on_restart)
{
	const char *c = "10.0.20.3";

	use_store("memory", "3", "300");
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(attempt(c), 401);
	assert_limited(c, 300);
	/* Nothing in the database. */
	ck_assert_int_eq(rows(c), 0);
	pool_restart();
	ck_assert_int_eq(attempt(c), 401);
}
END_TEST

START_TEST(test_expired_windows_are_removed)
{
	const char *d = "10.0.21.1";

	stack_psql("DELETE FROM fluxbase.rate_limits WHERE key LIKE '10.0.21.%'");
	/* A window of another address that ended a day ago. */
	stack_psql("INSERT INTO fluxbase.rate_limits (action, key, window_start, expires_at, hits)"
	           " VALUES ('signin', '10.0.21.99', now() - interval '1 day',"
	           " now() - interval '1 day' + interval '3 seconds', 7)");
	ck_assert_int_eq(rows("10.0.21.99"), 1);
	use_store("database", "2", "3");
	window_begins(3);
	ck_assert_int_eq(attempt(d), 401);
	/* Any allowed attempt sweeps a few expired windows, oldest first. */
	ck_assert_int_eq(rows("10.0.21.99"), 0);
	ck_assert_int_eq(attempt(d), 401);
	assert_limited(d, 3);
	ck_assert_int_eq(hits(d), 2);
	/* The next window: allowed again, and the last one's row is gone. */
	window_begins(3);
	ck_assert_int_eq(attempt(d), 401);
	ck_assert_int_eq(rows(d), 1);
	ck_assert_int_eq(hits(d), 1);
}
END_TEST

/* Attempts at once from one address, spread over the pool's workers:
 * exactly the limit passes (the window's row is locked by each count). */
START_TEST(test_concurrent_attempts_count_once_each)
{
	const char *e = "10.0.22.1";
	int fds[2], allowed = 0, refused = 0, other = 0;
	pid_t kids[6];
	char c;

	stack_psql("DELETE FROM fluxbase.rate_limits WHERE key = '10.0.22.1'");
	use_store("database", "10", "300");
	ck_assert_int_eq(pipe(fds), 0);
	for (int k = 0; k < 6; k++) {
		kids[k] = fork();
		ck_assert_int_ge(kids[k], 0);
		if (kids[k] == 0) {
			close(fds[0]);
			for (int i = 0; i < 5; i++) {
				struct http_resp r;

				auth_call(&r, "POST", "/auth/signin", NULL, NOBODY, e);
				c = r.status == 401 ? 'a' : r.status == 429 ? 'r' : 'x';
				if (write(fds[1], &c, 1) != 1)
					_exit(1);
				http_resp_free(&r);
			}
			_exit(0);
		}
	}
	close(fds[1]);
	while (read(fds[0], &c, 1) == 1)
		*(c == 'a' ? &allowed : c == 'r' ? &refused : &other) += 1;
	close(fds[0]);
	for (int k = 0; k < 6; k++)
		waitpid(kids[k], NULL, 0);
	ck_assert_int_eq(other, 0);
	ck_assert_int_eq(allowed, 10);
	ck_assert_int_eq(refused, 20);
	ck_assert_int_eq(hits(e), 10);
}
END_TEST

/* Seconds for n sign-in attempts from ip, each answered with status. */
static double
timed_attempts(int n, const char *ip, long status)
{
	double t0 = now_s();

	for (int i = 0; i < n; i++) {
		struct http_resp r;

		auth_call(&r, "POST", "/auth/signin", NULL, NOBODY, ip);
		ck_assert_int_eq(r.status, status);
		http_resp_free(&r);
	}
	return now_s() - t0;
}

/* What each store costs, for the record: 100 refused attempts (the
 * counter and the answer alone) and 100 allowed ones (a wrong password
 * checked, as an attacker's attempts are). */
START_TEST(test_cost_of_each_store)
{
	const char *stores[] = { "memory", "database" };
	double refused[2], allowed[2];

	for (int s = 0; s < 2; s++) {
		char ip_refused[32], ip_allowed[32];

		snprintf(ip_refused, sizeof(ip_refused), "10.0.23.%d", 1 + s);
		snprintf(ip_allowed, sizeof(ip_allowed), "10.0.23.%d", 11 + s);
		use_store(stores[s], "1", "300");
		ck_assert_int_eq(attempt(ip_refused), 401);
		refused[s] = timed_attempts(100, ip_refused, 429);
		stack_set("auth", "rate_limit_signin", "1000");
		allowed[s] = timed_attempts(100, ip_allowed, 401);
	}
	fprintf(stderr,
	    "ratelimit: 100 refused sign-ins: memory %.3f s, database %.3f s;"
	    " 100 allowed (wrong password): memory %.3f s, database %.3f s\n",
	    refused[0], refused[1], allowed[0], allowed[1]);
}
END_TEST

/* The stack as run.sh made it, whatever a test left. */
static void
restore(void)
{
	long st = get_status("/health");

	/* 503: PostgreSQL is down; 502 (or none): the pool is. */
	if (st == 503)
		stack_cmd("pg-start");
	else if (st != 200)
		stack_cmd("pool-start");
	wait_healthy();
	use_store("memory", "5", "300");
}

TCase *
ratelimit_tcase(void)
{
	TCase *tc = tcase_create("ratelimit");

	tcase_add_unchecked_fixture(tc, NULL, restore);
	tcase_add_test(tc, test_database_store_holds_across_restarts);
	tcase_add_test(tc, test_memory_store_forgets_on_restart);
	tcase_add_test(tc, test_expired_windows_are_removed);
	tcase_add_test(tc, test_concurrent_attempts_count_once_each);
	tcase_add_test(tc, test_cost_of_each_store);
	return tc;
}
