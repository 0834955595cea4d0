/*
 * Integration tests of the foundation, against the real stack that run.sh
 * starts: nginx on FB_URL, the pool, PostgreSQL.  Process control goes
 * through tests/lib/stack.sh and the pool's pid file.
 */
#include "config.h"

#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <json-c/json.h>

#include "client.h"
#include "suites.h"

/* ---- the pipeline ------------------------------------------------------- */

START_TEST(test_health_ok)
{
	struct http_resp r;
	struct json_object *o;
	char *rid, *ct;

	http_do("GET", api_url("/health"), NULL, NULL, 0, &r);
	ck_assert_int_eq(r.status, 200);
	o = json_body(&r);
	ck_assert_str_eq(jstr(o, "status"), "ok");
	ck_assert_str_eq(jstr(o, "database"), "ok");
	json_object_put(o);
	ct = http_header(&r, "Content-Type");
	ck_assert_str_eq(ct, "application/json; charset=utf-8");
	free(ct);
	rid = http_header(&r, "X-Request-Id");
	ck_assert_ptr_nonnull(rid);
	ck_assert_uint_eq(strlen(rid), 32);
	ck_assert_uint_eq(strspn(rid, "0123456789abcdef"), 32);
	free(rid);
	http_resp_free(&r);
}
END_TEST

START_TEST(test_request_id_taken_when_sane_and_logged)
{
	const char *sane[] = { "X-Request-Id: itest-abc.123", NULL };
	const char *insane[] = { "X-Request-Id: bad id with spaces", NULL };
	struct http_resp r;
	char *rid;

	http_do("GET", api_url("/health"), sane, NULL, 0, &r);
	rid = http_header(&r, "X-Request-Id");
	ck_assert_str_eq(rid, "itest-abc.123");
	free(rid);
	http_resp_free(&r);
	http_do("GET", api_url("/health"), insane, NULL, 0, &r);
	rid = http_header(&r, "X-Request-Id");
	ck_assert_ptr_nonnull(rid);
	ck_assert_str_ne(rid, "bad id with spaces");
	free(rid);
	http_resp_free(&r);
	/* One access-log line: id, method, path, status, bytes, µs, pid. */
	ck_assert(log_contains("itest-abc.123 GET /api/v1/health 200 31 "));
}
END_TEST

START_TEST(test_head_has_headers_no_body)
{
	struct http_resp r;
	char *cl;

	http_do("HEAD", api_url("/health"), NULL, NULL, 0, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_uint_eq(r.len, 0);
	cl = http_header(&r, "Content-Length");
	ck_assert_str_eq(cl, "31");
	free(cl);
	http_resp_free(&r);
}
END_TEST

START_TEST(test_unknown_route_404)
{
	struct http_resp r;

	http_do("GET", api_url("/no/such/thing"), NULL, NULL, 0, &r);
	assert_error(&r, 404, "NOT_FOUND");
	http_resp_free(&r);
	/* Outside the API the shipped nginx config answers JSON too. */
	http_do("GET", getenv("FB_BASE"), NULL, NULL, 0, &r);
	assert_error(&r, 404, "NOT_FOUND");
	http_resp_free(&r);
}
END_TEST

START_TEST(test_wrong_method_405)
{
	struct http_resp r;
	char *allow;

	http_do("DELETE", api_url("/health"), NULL, NULL, 0, &r);
	assert_error(&r, 405, "METHOD_NOT_ALLOWED");
	allow = http_header(&r, "Allow");
	ck_assert_ptr_nonnull(allow);
	ck_assert_str_eq(allow, "GET, HEAD, OPTIONS");
	free(allow);
	http_resp_free(&r);
}
END_TEST

START_TEST(test_body_over_limit_413)
{
	size_t n = (size_t)atol(getenv("FB_MAX_BODY")) * 2 + 7;
	char *big = malloc(n);
	struct http_resp r;
	const char *hdr[] = { "Content-Type: application/json", NULL };

	memset(big, 'x', n);
	http_do("POST", api_url("/health"), hdr, big, n, &r);
	assert_error(&r, 413, "PAYLOAD_TOO_LARGE");
	http_resp_free(&r);
	/* At the limit it is not refused for its size. */
	http_do("POST", api_url("/health"), hdr, big, (size_t)atol(getenv("FB_MAX_BODY")), &r);
	assert_error(&r, 405, "METHOD_NOT_ALLOWED");
	http_resp_free(&r);
	free(big);
	/* Far above it, nginx (which reads such bodies before a worker sees
	 * them) refuses it itself, in the same JSON. */
	n = 17u << 20;
	big = malloc(n);
	memset(big, 'x', n);
	http_do("POST", api_url("/tables/notes"), hdr, big, n, &r);
	assert_error(&r, 413, "PAYLOAD_TOO_LARGE");
	http_resp_free(&r);
	free(big);
}
END_TEST

START_TEST(test_malformed_escapes_400)
{
	struct http_resp r;

	http_do("GET", api_url("/health?x=%zz"), NULL, NULL, 0, &r);
	assert_error(&r, 400, "INVALID_QUERY");
	ck_assert_ptr_nonnull(strstr(r.body, "x=%zz"));
	http_resp_free(&r);
	/* nginx refuses a malformed path itself, in JSON with the shipped config;
	 * the worker's own check is covered by the unit tests. */
	http_do("GET", api_url("/heal%zzth"), NULL, NULL, 0, &r);
	ck_assert_int_eq(r.status, 400);
	ck_assert_ptr_nonnull(strstr(r.body, "\"code\""));
	http_resp_free(&r);
}
END_TEST

START_TEST(test_cors)
{
	const char *pre[] = { "Origin: https://app.example", "Access-Control-Request-Method: GET",
		NULL };
	const char *evil[] = { "Origin: https://evil.example", "Access-Control-Request-Method: GET",
		NULL };
	const char *simple[] = { "Origin: https://app.example", NULL };
	struct http_resp r;
	char *v;

	http_do("OPTIONS", api_url("/health"), pre, NULL, 0, &r);
	ck_assert_int_eq(r.status, 204);
	v = http_header(&r, "Access-Control-Allow-Origin");
	ck_assert_str_eq(v, "https://app.example");
	free(v);
	v = http_header(&r, "Access-Control-Allow-Methods");
	ck_assert_ptr_nonnull(v);
	ck_assert_ptr_nonnull(strstr(v, "PATCH"));
	free(v);
	v = http_header(&r, "Access-Control-Allow-Headers");
	ck_assert_ptr_nonnull(strstr(v, "Authorization"));
	free(v);
	v = http_header(&r, "Vary");
	ck_assert_str_eq(v, "Origin");
	free(v);
	http_resp_free(&r);

	http_do("OPTIONS", api_url("/health"), evil, NULL, 0, &r);
	ck_assert_int_eq(r.status, 204);
	ck_assert_ptr_null(http_header(&r, "Access-Control-Allow-Origin"));
	http_resp_free(&r);

	http_do("GET", api_url("/health"), simple, NULL, 0, &r);
	ck_assert_int_eq(r.status, 200);
	v = http_header(&r, "Access-Control-Allow-Origin");
	ck_assert_str_eq(v, "https://app.example");
	free(v);
	v = http_header(&r, "Access-Control-Expose-Headers");
	ck_assert_ptr_nonnull(strstr(v, "Content-Range"));
	ck_assert_ptr_nonnull(strstr(v, "X-Request-Id"));
	free(v);
	http_resp_free(&r);
}
END_TEST

/* ---- database outage ---------------------------------------------------- */

START_TEST(test_health_503_while_database_down)
{
	pid_t master = master_pid();
	struct http_resp r;
	struct json_object *o;
	double t0;
	long st = 0;

	ck_assert_int_eq(get_status("/health"), 200);
	ck_assert_int_eq(stack_cmd("pg-stop"), 0);
	for (int i = 0; i < 4; i++) {
		http_do("GET", api_url("/health"), NULL, NULL, 0, &r);
		assert_error(&r, 503, "DB_UNAVAILABLE");
		o = json_body(&r);
		ck_assert_str_eq(jstr(o, "error"), "The database is unavailable");
		json_object_put(o);
		ck_assert_msg(r.seconds < 3.0, "503 took %.2fs", r.seconds);
		http_resp_free(&r);
	}
	ck_assert_int_eq(stack_cmd("pg-start"), 0);
	t0 = now_s();
	while (now_s() - t0 < 15 && (st = get_status("/health")) != 200)
		sleep_ms(100);
	ck_assert_int_eq(st, 200);
	/* Every worker is back, without restarting the pool. */
	for (int i = 0; i < 10; i++)
		ck_assert_int_eq(get_status("/health"), 200);
	ck_assert_int_eq(master_pid(), master);
}
END_TEST

/* ---- the pool ----------------------------------------------------------- */

START_TEST(test_killed_worker_is_respawned)
{
	pid_t now[16], victim = 0;
	int n, na = 0, total, failed, kills = 0;
	bool seen = false;
	struct load l;
	char needle[128];
	double t0;

	load_start(&l, 2, 3.0);
	/* A worker may be recycling (max_requests) at the moment it is picked:
	 * then the log says it exited by itself, and another one is killed. */
	for (int attempt = 0; attempt < 3 && !seen; attempt++) {
		sleep_ms(400);
		n = worker_pids(now, 16);
		if (n < 1 || kill(now[0], SIGKILL) < 0)
			continue;
		victim = now[0];
		kills++;
		t0 = now_s();
		while (now_s() - t0 < 5) {
			n = worker_pids(now, 16);
			if (!pid_in(victim, now, n))
				break;
			sleep_ms(20);
		}
		sleep_ms(100);
		snprintf(needle, sizeof(needle), "worker %ld killed by signal 9", (long)victim);
		seen = log_contains(needle);
	}
	load_wait(&l, &total, &failed);
	ck_assert_msg(seen, "no log line \"%s\"", needle);
	ck_assert_int_gt(total, 20);
	/* At most the requests in hand on the killed workers failed. */
	ck_assert_msg(failed <= 2 * kills, "%d of %d requests failed", failed, total);
	t0 = now_s();
	while (now_s() - t0 < 5) {
		na = worker_pids(now, 16);
		if (na == 2 && !pid_in(victim, now, na))
			break;
		sleep_ms(50);
	}
	ck_assert_int_eq(na, 2);
	ck_assert(!pid_in(victim, now, na));
	for (int i = 0; i < 20; i++)
		ck_assert_int_eq(get_status("/health"), 200);
}
END_TEST

START_TEST(test_sighup_under_load_fails_nothing)
{
	pid_t master = master_pid(), before[16], after[16];
	int nb, na, total, failed;
	struct load l;

	nb = worker_pids(before, 16);
	load_start(&l, 3, 4.0);
	for (int i = 0; i < 10; i++) {
		sleep_ms(300);
		ck_assert_int_eq(kill(master, SIGHUP), 0);
	}
	load_wait(&l, &total, &failed);
	ck_assert_int_gt(total, 50);
	ck_assert_msg(failed == 0, "%d of %d requests failed across reloads", failed, total);
	sleep_ms(500);
	na = worker_pids(after, 16);
	ck_assert_int_eq(na, 2);
	for (int i = 0; i < na; i++)
		ck_assert(!pid_in(after[i], before, nb));
	ck_assert(log_contains("configuration reloaded"));
	ck_assert_int_eq(master_pid(), master);
}
END_TEST

START_TEST(test_max_requests_recycles_workers)
{
	long max = atol(getenv("FB_MAX_REQUESTS"));
	pid_t before[16], after[16];
	int nb, na;

	sleep_ms(300);
	nb = worker_pids(before, 16);
	ck_assert_int_eq(nb, 2);
	for (long i = 0; i < max * 2 * 3; i++)
		ck_assert_int_eq(get_status("/health"), 200);
	sleep_ms(300);
	na = worker_pids(after, 16);
	ck_assert_int_eq(na, 2);
	for (int i = 0; i < na; i++)
		ck_assert_msg(!pid_in(after[i], before, nb), "worker %ld was not recycled",
		    (long)after[i]);
	ck_assert(log_contains("requests, recycling"));
}
END_TEST

/* SIGTERM while a request's body is still arriving: that request is
 * finished (201), then the pool stops; the stack gets a new pool after. */
START_TEST(test_sigterm_finishes_the_request_in_hand)
{
	char token[2048], cmd[1024], auth[2100], req[4096], reply[4096] = "";
	const char *h[2] = { auth, NULL };
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct http_resp r;
	pid_t master = master_pid();
	FILE *p;
	int fd;
	ssize_t n, got = 0;
	double t0;

	snprintf(cmd, sizeof(cmd), "'%s' -c '%s/fluxbase.conf' token --role service_role",
	    getenv("FLUXBASE_BIN"), getenv("FB_STACK_DIR"));
	p = popen(cmd, "r");
	ck_assert_ptr_nonnull(fgets(token, sizeof(token), p));
	pclose(p);
	token[strcspn(token, "\n")] = '\0';
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
	http_do("POST", api_url("/storage/buckets/inflight"), h, NULL, 0, &r);
	ck_assert_int_eq(r.status, 201);
	http_resp_free(&r);

	sa.sin_port = htons((uint16_t)atoi(strrchr(getenv("FB_BASE"), ':') + 1));
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	snprintf(req, sizeof(req),
	    "POST /api/v1/storage/inflight/slow.txt HTTP/1.1\r\nHost: x\r\n"
	    "Authorization: Bearer %s\r\nContent-Type: text/plain\r\nContent-Length: 10\r\n"
	    "Connection: close\r\n\r\nfirst",
	    token);
	ck_assert_int_gt(write(fd, req, strlen(req)), 0);
	sleep_ms(700);
	ck_assert_int_eq(kill(master, SIGTERM), 0);
	sleep_ms(500);
	ck_assert_int_eq(write(fd, "-last", 5), 5);
	while ((n = read(fd, reply + got, sizeof(reply) - 1 - (size_t)got)) > 0)
		got += n;
	reply[got] = '\0';
	close(fd);
	ck_assert_msg(strstr(reply, "201 Created") != NULL, "%s", reply);
	ck_assert_ptr_nonnull(strstr(reply, "\"size\" : 10"));
	/* The pool goes, and a new one takes over for the tests after this. */
	t0 = now_s();
	while (kill(master, 0) == 0 && now_s() - t0 < 10)
		sleep_ms(100);
	ck_assert_int_ne(kill(master, 0), 0);
	ck_assert_int_eq(stack_cmd("pool-start"), 0);
	ck_assert_int_eq(get_status("/health"), 200);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("integration");
	TCase *pipeline = tcase_create("pipeline");
	TCase *outage = tcase_create("outage");
	TCase *pool = tcase_create("pool");
	SRunner *sr;
	int failed;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	tcase_add_test(pipeline, test_health_ok);
	tcase_add_test(pipeline, test_request_id_taken_when_sane_and_logged);
	tcase_add_test(pipeline, test_head_has_headers_no_body);
	tcase_add_test(pipeline, test_unknown_route_404);
	tcase_add_test(pipeline, test_wrong_method_405);
	tcase_add_test(pipeline, test_body_over_limit_413);
	tcase_add_test(pipeline, test_malformed_escapes_400);
	tcase_add_test(pipeline, test_cors);
	tcase_add_test(outage, test_health_503_while_database_down);
	tcase_add_test(pool, test_killed_worker_is_respawned);
	tcase_add_test(pool, test_sighup_under_load_fails_nothing);
	tcase_add_test(pool, test_max_requests_recycles_workers);
	tcase_add_test(pool, test_sigterm_finishes_the_request_in_hand);
	suite_add_tcase(s, pipeline);
	suite_add_tcase(s, outage);
	suite_add_tcase(s, pool);
	suite_add_tcase(s, ops_tcase());
	suite_add_tcase(s, modes_tcase());
	suite_add_tcase(s, tables_tcase());
	suite_add_tcase(s, tables_conformance_tcase());
	suite_add_tcase(s, tables_media_tcase());
	suite_add_tcase(s, tables_session_tcase());
	suite_add_tcase(s, tables_embed_tcase());
	suite_add_tcase(s, tables_rpc_tcase());
	suite_add_tcase(s, tables_formats_tcase());
	suite_add_tcase(s, supabase_rest_tcase());
	suite_add_tcase(s, supabase_auth_tcase());
	suite_add_tcase(s, supabase_storage_tcase());
	suite_add_tcase(s, ratelimit_tcase());
	suite_add_tcase(s, openapi_tcase());
	suite_add_tcase(s, storage_tcase());
	if (getenv("FB_CEPH_DIR") != NULL)
		suite_add_tcase(s, storage_s3_tcase());
	suite_add_tcase(s, auth_smtp_tcase());
	suite_add_tcase(s, auth_tcase());
	suite_add_tcase(s, auth_admin_tcase());
	suite_add_tcase(s, auth_flows_tcase());
	suite_add_tcase(s, hardening_tcase());
	sr = srunner_create(s);
	srunner_run_all(sr, CK_VERBOSE);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	curl_global_cleanup();
	return failed == 0 ? 0 : 1;
}
