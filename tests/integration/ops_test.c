/*
 * Operating the pool: /status and /metrics tell the truth during a load,
 * a connection wakes one waiting worker, and the slow-request log,
 * request_timeout and the hashing gate ([auth] hash_concurrency) work (on
 * pools of their own, reached with cgi-fcgi and a FastCGI client of a few
 * lines).
 */
#include "config.h"

#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <json-c/json.h>

#include "client.h"
#include "suites.h"

static char service[2048], user[2048];

static long
fetch(const char *path, const char *token, struct http_resp *r)
{
	char auth[2100];
	const char *h[2] = { auth, NULL };

	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token ? token : "");
	http_do("GET", api_url(path), token ? h : NULL, NULL, 0, r);
	return r->status;
}

static long
accepted(void)
{
	struct http_resp r;
	struct json_object *o;
	long n;

	ck_assert_int_eq(fetch("/status", service, &r), 200);
	o = json_body(&r);
	n = atol(jstr(o, "accepted_conn"));
	json_object_put(o);
	http_resp_free(&r);
	return n;
}

START_TEST(test_status_during_load)
{
	struct http_resp r;
	struct json_object *o, *procs;
	pid_t workers[16];
	int nw, total, failed;
	long before, after;
	struct load l;

	mint_token(service, sizeof(service), "service_role", NULL);
	mint_token(user, sizeof(user), "authenticated", "dddddddd-4444-4444-8444-444444444444");
	ck_assert_int_eq(fetch("/status", NULL, &r), 401);
	http_resp_free(&r);
	ck_assert_int_eq(fetch("/status", user, &r), 403);
	http_resp_free(&r);

	ck_assert_int_eq(fetch("/status", service, &r), 200);
	o = json_body(&r);
	ck_assert_int_eq(atoi(jstr(o, "total_processes")), 2);
	ck_assert_int_ge(atoi(jstr(o, "active_processes")), 1); /* this very request */
	ck_assert(json_object_object_get_ex(o, "processes", &procs));
	nw = worker_pids(workers, 16);
	ck_assert_int_eq((int)json_object_array_length(procs), nw);
	for (int i = 0; i < nw; i++) {
		struct json_object *p = json_object_array_get_idx(procs, (size_t)i);

		ck_assert(pid_in((pid_t)atol(jstr(p, "pid")), workers, nw));
		ck_assert_int_gt(atol(jstr(p, "rss_kib")), 1000);
	}
	json_object_put(o);
	http_resp_free(&r);

	before = accepted();
	load_start(&l, 2, 1.5);
	load_wait(&l, &total, &failed);
	after = accepted();
	ck_assert_int_gt(total, 20);
	/* Every request of the load was counted, plus the status requests. */
	ck_assert_msg(after - before >= total && after - before <= total + 3,
	    "accepted went from %ld to %ld for %d requests", before, after, total);
}
END_TEST

static unsigned long long
metric(const char *text, const char *name)
{
	const char *p = text;
	size_t n = strlen(name);

	while ((p = strstr(p, name)) != NULL) {
		if ((p == text || p[-1] == '\n') && p[n] == ' ')
			return strtoull(p + n + 1, NULL, 10);
		p += n;
	}
	ck_abort_msg("no metric %s", name);
	return 0;
}

START_TEST(test_metrics)
{
	struct http_resp r;
	unsigned long long h0, h1, count, sum = 0;
	char *ct;
	static const char *groups[] = { "health", "auth", "storage", "tables", "openapi", "other" };
	static const char *classes[] = { "2xx", "3xx", "4xx", "5xx" };

	mint_token(service, sizeof(service), "service_role", NULL);
	mint_token(user, sizeof(user), "authenticated", "dddddddd-4444-4444-8444-444444444444");
	ck_assert_int_eq(fetch("/metrics", NULL, &r), 401);
	http_resp_free(&r);
	ck_assert_int_eq(fetch("/metrics", user, &r), 403);
	http_resp_free(&r);
	ck_assert_int_eq(fetch("/metrics", service, &r), 200);
	h0 = metric(r.body, "fluxbase_requests_total{group=\"health\",status=\"2xx\"}");
	http_resp_free(&r);
	for (int i = 0; i < 7; i++)
		ck_assert_int_eq(get_status("/health"), 200);
	ck_assert_int_eq(fetch("/metrics", service, &r), 200);
	ct = http_header(&r, "Content-Type");
	ck_assert_ptr_nonnull(strstr(ct, "text/plain; version=0.0.4"));
	free(ct);
	h1 = metric(r.body, "fluxbase_requests_total{group=\"health\",status=\"2xx\"}");
	ck_assert_uint_eq(h1 - h0, 7);
	/* The histogram counted every request the counters did. */
	for (int g = 0; g < 6; g++)
		for (int c = 0; c < 4; c++) {
			char name[128];

			snprintf(name, sizeof(name),
			    "fluxbase_requests_total{group=\"%s\",status=\"%s\"}", groups[g],
			    classes[c]);
			sum += metric(r.body, name);
		}
	count = metric(r.body, "fluxbase_request_duration_seconds_count");
	ck_assert_uint_eq(count, sum);
	ck_assert_uint_eq(metric(r.body, "fluxbase_request_duration_seconds_bucket{le=\"+Inf\"}"),
	    count);
	ck_assert_uint_eq(metric(r.body, "fluxbase_workers{state=\"idle\"}") +
	        metric(r.body, "fluxbase_workers{state=\"running\"}") +
	        metric(r.body, "fluxbase_workers{state=\"reading\"}") +
	        metric(r.body, "fluxbase_workers{state=\"starting\"}"),
	    2);
	h0 = metric(r.body, "fluxbase_schema_reloads_total");
	http_resp_free(&r);
	/* DDL makes every worker reload its schema cache: the count grows. */
	ck_assert_int_eq(stack_cmd("psql -q -c 'CREATE TABLE metrics_probe (id int)'"), 0);
	for (int i = 0; i < 6; i++) {
		char auth[2100];
		const char *h[2] = { auth, NULL };

		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", service);
		http_do("GET", api_url("/tables/metrics_probes"), h, NULL, 0, &r);
		ck_assert_int_eq(r.status, 200);
		http_resp_free(&r);
	}
	ck_assert_int_eq(fetch("/metrics", service, &r), 200);
	ck_assert_uint_gt(metric(r.body, "fluxbase_schema_reloads_total"), h0);
	http_resp_free(&r);
	ck_assert_int_eq(stack_cmd("psql -q -c 'DROP TABLE metrics_probe'"), 0);
}
END_TEST

/* The output of a cgi-fcgi request started by run_fcgi. */
static void
read_fcgi(FILE *p, char *out, size_t size)
{
	size_t n = fread(out, 1, size - 1, p);

	out[n] = '\0';
	pclose(p);
}

/* A GET (body NULL) or a JSON POST (body without single quotes). */
static FILE *
run_fcgi(const char *sock, const char *uri, const char *token, const char *body)
{
	char cmd[4096];

	snprintf(cmd, sizeof(cmd),
	    "printf %%s '%s' | env -i REQUEST_METHOD=%s REQUEST_URI=%s%s%s%s"
	    " CONTENT_TYPE=application/json CONTENT_LENGTH=%zu"
	    " timeout 30 cgi-fcgi -bind -connect '%s' 2>&1",
	    body ? body : "", body ? "POST" : "GET", uri,
	    token ? " HTTP_AUTHORIZATION='Bearer " : "", token ? token : "", token ? "'" : "",
	    body ? strlen(body) : 0, sock);
	return popen(cmd, "r");
}

/* A pool of the test's own on sock, logging to logf, with the stack's
 * configuration and these FLUXBASE_* settings (up to 8). */
static pid_t
own_pool(const char *sock, const char *logf, const char *const *settings)
{
	char conf[600];
	pid_t pool = fork();

	if (pool == 0) {
		static char e1[600], e2[600];

		snprintf(e1, sizeof(e1), "FLUXBASE_SERVER_LISTEN=%s", sock);
		snprintf(e2, sizeof(e2), "FLUXBASE_SERVER_ERROR_LOG=%s", logf);
		putenv(e1);
		putenv(e2);
		putenv("FLUXBASE_SERVER_PID_FILE=");
		for (int i = 0; i < 8 && settings[i] != NULL; i++)
			putenv((char *)settings[i]);
		snprintf(conf, sizeof(conf), "%s/fluxbase.conf", getenv("FB_STACK_DIR"));
		execl(getenv("FLUXBASE_BIN"), "fluxbase-fcgi", "-c", conf, "serve", (char *)NULL);
		_exit(127);
	}
	wait_for_socket(sock, pool);
	return pool;
}

static void
fcgi_record(int fd, int type, const unsigned char *body, size_t len)
{
	unsigned char h[8] = { 1, (unsigned char)type, 0, 1, (unsigned char)(len >> 8),
		(unsigned char)len, 0, 0 };

	ck_assert(write(fd, h, 8) == 8);
	ck_assert(len == 0 || write(fd, body, len) == (ssize_t)len);
}

/*
 * A connection wakes one waiting worker, not every idle one: the workers
 * wait on the shared listening socket with EPOLLEXCLUSIVE (with poll(),
 * each connection woke them all, and all but one found nothing to accept:
 * EAGAIN).  Requests one at a time, the pool idle between them, traced.
 */
START_TEST(test_one_worker_woken_per_connection)
{
	pid_t workers[16], st;
	char trace[512], p1[16], p2[16], *line = NULL;
	size_t cap = 0;
	int accepted_ok = 0, missed = 0;
	FILE *f;

	ck_assert_int_eq(worker_pids(workers, 16), 2);
	snprintf(trace, sizeof(trace), "%s/log/strace-accept.txt", getenv("FB_STACK_DIR"));
	unlink(trace);
	snprintf(p1, sizeof(p1), "%ld", (long)workers[0]);
	snprintf(p2, sizeof(p2), "%ld", (long)workers[1]);
	if ((st = fork()) == 0) {
		execlp("strace", "strace", "-q", "-e", "trace=accept,accept4", "-o", trace, "-p",
		    p1, "-p", p2, (char *)NULL);
		_exit(127);
	}
	sleep_ms(1000);
	for (int i = 0; i < 20; i++) {
		struct http_resp r;

		ck_assert_int_eq(fetch("/health", NULL, &r), 200);
		http_resp_free(&r);
		sleep_ms(50);
	}
	sleep_ms(300);
	kill(st, SIGINT);
	waitpid(st, NULL, 0);
	ck_assert_ptr_nonnull(f = fopen(trace, "r"));
	while (getline(&line, &cap, f) > 0) {
		if (strstr(line, "EAGAIN") != NULL)
			missed++;
		else if (strstr(line, "accept") != NULL && strstr(line, "= -1") == NULL)
			accepted_ok++;
	}
	free(line);
	fclose(f);
	ck_assert_msg(accepted_ok >= 20, "strace saw %d accepts of 20 requests", accepted_ok);
	/* (The kernel may wake a second waiter now and then; poll() woke the
	 * other worker for every one of the 20.) */
	ck_assert_msg(missed <= 3, "%d wake-ups for nothing in 20 requests", missed);
}
END_TEST

/*
 * A GET as a web server sends it, read to its FCGI_END_REQUEST; the
 * connection is left open, as a web server slow to close its end would.
 * Returns the socket and the answer's stdout in out.
 */
static int
fcgi_get_keep_open(const char *sock, const char *uri, char *out, size_t size)
{
	static const unsigned char begin[8] = { 0, 1, 0, 0, 0, 0, 0, 0 };
	unsigned char params[512], h[8], body[65536 + 256];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *kv[][2] = { { "REQUEST_METHOD", "GET" }, { "REQUEST_URI", uri },
		{ "CONTENT_LENGTH", "" } };
	size_t n = 0, got = 0;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	ck_assert(strlen(sock) < sizeof(sa.sun_path));
	memcpy(sa.sun_path, sock, strlen(sock) + 1);
	ck_assert(connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	for (size_t i = 0; i < sizeof(kv) / sizeof(kv[0]); i++) {
		size_t kl = strlen(kv[i][0]), vl = strlen(kv[i][1]);

		params[n++] = (unsigned char)kl;
		params[n++] = (unsigned char)vl;
		memcpy(params + n, kv[i][0], kl);
		memcpy(params + n + kl, kv[i][1], vl);
		n += kl + vl;
	}
	fcgi_record(fd, 1, begin, sizeof(begin));
	fcgi_record(fd, 4, params, n);
	fcgi_record(fd, 4, NULL, 0);
	fcgi_record(fd, 5, NULL, 0);
	for (;;) {
		size_t len;

		ck_assert(recv(fd, h, 8, MSG_WAITALL) == 8);
		len = ((size_t)h[4] << 8 | h[5]) + h[6];
		ck_assert(len == 0 || recv(fd, body, len, MSG_WAITALL) == (ssize_t)len);
		if (h[1] == 3)
			break;
		len -= h[6];
		if (h[1] == 6 && got + len < size) {
			memcpy(out + got, body, len);
			got += len;
		}
	}
	out[got] = '\0';
	return fd;
}

START_TEST(test_slowlog_and_request_timeout)
{
	char sock[512], logf[512], accf[512], cmd[4096], out[4096];
	pid_t pool;
	FILE *slow, *stuck;
	double t0;

	mint_token(service, sizeof(service), "service_role", NULL);
	snprintf(sock, sizeof(sock), "%s/run/ops.sock", getenv("FB_STACK_DIR"));
	snprintf(logf, sizeof(logf), "%s/log/ops-pool.log", getenv("FB_STACK_DIR"));
	snprintf(accf, sizeof(accf), "%s/log/ops-access.log", getenv("FB_STACK_DIR"));
	snprintf(cmd, sizeof(cmd), "FLUXBASE_SERVER_ACCESS_LOG=%s", accf);
	{
		const char *settings[] = { cmd, "FLUXBASE_SERVER_WORKERS=1",
			"FLUXBASE_SERVER_SLOWLOG_TIMEOUT=1", "FLUXBASE_SERVER_REQUEST_TIMEOUT=3",
			NULL };

		pool = own_pool(sock, logf, settings);
	}
	/* A web server that keeps its end open after the answer does not hold
	 * the one worker: the next request is answered at once (libfcgi's own
	 * close would wait up to 2 s for the web server to close first). */
	{
		int held = fcgi_get_keep_open(sock, "/api/v1/health", out, sizeof(out));

		ck_assert_msg(strstr(out, "Status: 200") != NULL, "%s", out);
		t0 = now_s();
		read_fcgi(run_fcgi(sock, "/api/v1/health", NULL, NULL), out, sizeof(out));
		ck_assert_msg(strstr(out, "Status: 200") != NULL, "%s", out);
		ck_assert_msg(now_s() - t0 < 1.0, "the next request waited %.1fs", now_s() - t0);
		close(held);
	}
	/* 1.6 s: answered, and logged as slow.  The stuck request waits
	 * behind it, so the one worker goes from one to the other without a
	 * pause: the first one's access line is still in its buffer when the
	 * worker is killed at 3 s (and replaced); the master writes it out. */
	slow = run_fcgi(sock, "/api/v1/tables/slow_ones", service, NULL);
	sleep_ms(300);
	t0 = now_s();
	stuck = run_fcgi(sock, "/api/v1/tables/slow_forevers", service, NULL);
	read_fcgi(slow, out, sizeof(out));
	ck_assert_msg(strstr(out, "Status: 200") != NULL, "%s", out);
	read_fcgi(stuck, out, sizeof(out));
	ck_assert_msg(now_s() - t0 < 8, "the stuck request lasted %.1fs", now_s() - t0);
	ck_assert_ptr_null(strstr(out, "Status: 200"));
	sleep_ms(1500);
	read_fcgi(run_fcgi(sock, "/api/v1/health", NULL, NULL), out, sizeof(out));
	ck_assert_msg(strstr(out, "Status: 200") != NULL, "after the kill: %s", out);
	kill(pool, SIGTERM);
	waitpid(pool, NULL, 0);
	snprintf(cmd, sizeof(cmd),
	    "grep -q 'slow request: worker [0-9]* GET /api/v1/tables/slow_ones"
	    " running for 1' '%s' && grep -q 'request_timeout: worker [0-9]* GET"
	    " /api/v1/tables/slow_forevers ran 3' '%s'",
	    logf, logf);
	ck_assert_msg(system(cmd) == 0, "log lines missing in %s", logf);
	/* Both answered requests are in the access log, the one the killed
	 * worker had not written out first. */
	snprintf(cmd, sizeof(cmd),
	    "grep -c ' GET /api/v1/tables/slow_ones 200 ' '%s' | grep -qx 1"
	    " && awk '/ GET \\/api\\/v1\\/tables\\/slow_ones 200 / { s = NR }"
	    " / GET \\/api\\/v1\\/health 200 / { h = NR } END { exit !(s && h > s) }' '%s'",
	    accf, accf);
	ck_assert_msg(system(cmd) == 0, "access lines missing in %s", accf);
}
END_TEST

/* The children of pid (at most max). */
static int
children_of(pid_t pid, pid_t *out, int max)
{
	char path[64];
	int n = 0;
	long k;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/task/%ld/children", (long)pid, (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	while (n < max && fscanf(f, "%ld", &k) == 1)
		out[n++] = (pid_t)k;
	fclose(f);
	return n;
}

/* The children of pid once there are want of them (a loaded machine may
 * take a while to fork them after the socket is there): their count. */
static int
children_when(pid_t pid, pid_t *out, int max, int want)
{
	double t0 = now_s();
	int n;

	while ((n = children_of(pid, out, max)) < want && now_s() - t0 < 10)
		sleep_ms(50);
	return n;
}

/* The record locks of these processes in /proc/locks: held (the last
 * holder seen in *holder) and waited for. */
static void
record_locks(const pid_t *pids, int n, int *held, int *waiting, pid_t *holder)
{
	char line[512];
	FILE *f = fopen("/proc/locks", "r");

	ck_assert_ptr_nonnull(f);
	*held = *waiting = 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		const char *p = strstr(line, "POSIX");
		long pid;

		if (p == NULL || sscanf(p, "POSIX %*s %*s %ld", &pid) != 1 ||
		    !pid_in((pid_t)pid, pids, n))
			continue;
		if (strstr(line, "->") != NULL) {
			(*waiting)++;
		} else {
			(*held)++;
			*holder = (pid_t)pid;
		}
	}
	fclose(f);
}

/*
 * [auth] hash_concurrency: at most that many Argon2id hashes at once in
 * the pool, the other workers with one to do waiting their turn; every
 * sign-in is answered.  A worker killed in the middle of its hash does not
 * keep the turn: the next sign-in goes through.
 */
START_TEST(test_hashes_take_turns)
{
	static const char body[] =
	    "{\"email\":\"turns@example.com\",\"password\":\"taking turns\"}";
	/* The default cost (the suite's own is cheaper): a hash lasts long
	 * enough to be seen. */
	const char *settings[] = { "FLUXBASE_SERVER_WORKERS=3", "FLUXBASE_AUTH_HASH_CONCURRENCY=1",
		"FLUXBASE_AUTH_PASSWORD_OPS_LIMIT=2", "FLUXBASE_AUTH_PASSWORD_MEM_LIMIT=64M",
		"FLUXBASE_AUTH_RATE_LIMIT_SIGNIN=0", "FLUXBASE_AUTH_RATE_LIMIT_SIGNUP=0", NULL };
	char sock[512], logf[512], out[8192];
	pid_t pool, workers[8], holder = 0;
	int nw, held, waiting, most = 0, queued = 0;
	FILE *in[6];

	snprintf(sock, sizeof(sock), "%s/run/turns.sock", getenv("FB_STACK_DIR"));
	snprintf(logf, sizeof(logf), "%s/log/turns-pool.log", getenv("FB_STACK_DIR"));
	pool = own_pool(sock, logf, settings);
	ck_assert_int_eq(nw = children_when(pool, workers, 8, 3), 3);
	read_fcgi(run_fcgi(sock, "/api/v1/auth/signup", NULL, body), out, sizeof(out));
	ck_assert_msg(strstr(out, "\"access_token\"") != NULL, "sign-up: %s", out);
	for (int i = 0; i < 6; i++)
		in[i] = run_fcgi(sock, "/api/v1/auth/signin", NULL, body);
	/* Six sign-ins on three workers: about half a second of hashing. */
	for (int t = 0; t < 500; t++) {
		record_locks(workers, nw, &held, &waiting, &holder);
		most = held > most ? held : most;
		queued += waiting > 0;
		sleep_ms(2);
	}
	for (int i = 0; i < 6; i++) {
		read_fcgi(in[i], out, sizeof(out));
		ck_assert_msg(strstr(out, "\"access_token\"") != NULL, "sign-in %d: %s", i, out);
	}
	ck_assert_int_eq(most, 1);
	ck_assert_msg(queued > 0, "no worker was ever seen waiting for its turn");

	/* Killed while hashing: the turn goes with it. */
	in[0] = run_fcgi(sock, "/api/v1/auth/signin", NULL, body);
	held = 0;
	for (int t = 0; t < 500 && held == 0; t++) {
		record_locks(workers, nw, &held, &waiting, &holder);
		if (held == 0)
			sleep_ms(1);
	}
	ck_assert_int_eq(held, 1);
	kill(holder, SIGKILL);
	read_fcgi(in[0], out, sizeof(out));
	sleep_ms(500);
	read_fcgi(run_fcgi(sock, "/api/v1/auth/signin", NULL, body), out, sizeof(out));
	ck_assert_msg(strstr(out, "\"access_token\"") != NULL, "after the kill: %s", out);
	kill(pool, SIGTERM);
	waitpid(pool, NULL, 0);
}
END_TEST

TCase *
ops_tcase(void)
{
	TCase *tc = tcase_create("ops");

	tcase_add_test(tc, test_status_during_load);
	tcase_add_test(tc, test_metrics);
	tcase_add_test(tc, test_one_worker_woken_per_connection);
	tcase_add_test(tc, test_slowlog_and_request_timeout);
	tcase_add_test(tc, test_hashes_take_turns);
	return tc;
}
