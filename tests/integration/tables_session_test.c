/*
 * The tables API through nginx, beyond the rows: views, other exposed
 * schemas and max_rows, reads that would write, the schema reloaded
 * without a restart, a read by key, an embedded read (to-one, to-many,
 * many-to-many, nested) and writes each one statement in one round trip,
 * and the request identity never passing from one caller to the next.
 */
#include "config.h"

#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <json-c/json.h>

#include "auth_client.h"
#include "client.h"
#include "suites.h"
#include "tables_client.h"

START_TEST(test_views)
{
	struct http_resp r;
	char *allow;

	tokens();
	call(&r, "GET", "/tables/product_stats", service, NULL, NULL);
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_nonnull(strstr(r.body, "avg_price"));
	http_resp_free(&r);
	call(&r, "POST", "/tables/product_stats", service, "{\"n\": 1}", NULL);
	assert_error(&r, 405, "METHOD_NOT_ALLOWED");
	allow = http_header(&r, "Allow");
	ck_assert_str_eq(allow, "GET, HEAD, OPTIONS");
	free(allow);
	http_resp_free(&r);
}
END_TEST

START_TEST(test_other_schema_max_rows_read_only)
{
	struct http_resp r;
	struct json_object *o;

	tokens();
	call(&r, "GET", "/tables/extra.things", service, NULL, NULL);
	ck_assert_msg(r.status == 200 && strstr(r.body, "elsewhere"), "%ld %s", r.status, r.body);
	http_resp_free(&r);
	call(&r, "GET", "/tables/extra.thing/1", service, NULL, NULL);
	ck_assert_int_eq(r.status, 200);
	http_resp_free(&r);
	/* Not exposed: a schema missing from [tables] schemas. */
	call(&r, "GET", "/tables/auth.users", service, NULL, NULL);
	assert_error(&r, 404, "NOT_FOUND");
	http_resp_free(&r);

	/* max_rows caps reads whatever limit is asked. */
	sql("INSERT INTO event_log (message) SELECT 'm' || g FROM generate_series(1, 1100) g");
	call(&r, "GET", "/tables/event_logs?limit=5000", service, NULL, NULL);
	ck_assert_int_eq(r.status, 200);
	o = json_body(&r);
	ck_assert_int_eq((int)json_object_array_length(o), 1000);
	json_object_put(o);
	http_resp_free(&r);
	sql("DELETE FROM event_log");

	/* Reads run in a read-only transaction. */
	call(&r, "GET", "/tables/sneaky_view", service, NULL, NULL);
	ck_assert_msg(r.status >= 400 && strstr(r.body, "25006"), "%ld %s", r.status, r.body);
	http_resp_free(&r);
	ck_assert_str_eq(sql("SELECT count(*) FROM write_log"), "0");
}
END_TEST

START_TEST(test_schema_reload_without_restart)
{
	pid_t master = master_pid();
	struct http_resp r;

	tokens();
	sql("CREATE TABLE widget (id serial PRIMARY KEY, label text)");
	sql("INSERT INTO widget (label) VALUES ('w1')");
	/* Every worker sees it (the NOTIFY reaches each at its next request). */
	for (int i = 0; i < 6; i++) {
		call(&r, "GET", "/tables/widgets", service, NULL, NULL);
		ck_assert_msg(r.status == 200, "%ld %s", r.status, r.body);
		ck_assert_ptr_nonnull(strstr(r.body, "w1"));
		http_resp_free(&r);
	}
	sql("ALTER TABLE widget ADD COLUMN color text DEFAULT 'blue'");
	for (int i = 0; i < 6; i++) {
		call(&r, "GET", "/tables/widgets?select=label,color", service, NULL, NULL);
		ck_assert_msg(r.status == 200, "%ld %s", r.status, r.body);
		ck_assert_ptr_nonnull(strstr(r.body, "blue"));
		http_resp_free(&r);
	}
	sql("DROP TABLE widget");
	call(&r, "GET", "/tables/widgets", service, NULL, NULL);
	assert_error(&r, 404, "NOT_FOUND");
	http_resp_free(&r);
	ck_assert_int_eq(master_pid(), master);
}
END_TEST

/* The hex strace -xx shows for s. */
static void
hex_of(const char *s, char *out, size_t n)
{
	for (; *s && n > 5; s++, out += 4, n -= 4)
		snprintf(out, n, "\\x%02x", (unsigned char)*s);
	*out = '\0';
}

/* Occurrences of needle in line. */
static int
occurrences(const char *line, const char *needle)
{
	int n = 0;

	for (const char *p = line; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	return n;
}

/* The statements a send to PostgreSQL runs: its Execute messages (of the
 * unnamed portal, all rows: 'E', length 9, "", 0), in strace -xx's hex. */
#define EXECUTE_HEX "\\x45\\x00\\x00\\x00\\x09\\x00\\x00\\x00\\x00\\x00"

/* strace on the workers: one traced request (method, path, JSON body or
 * NULL) as token, a 2xx whose body must hold want; returns the sends to PostgreSQL, or -1 when a worker
 * (re)connected meanwhile (a recycled worker's first request also
 * connects and loads its schema cache), and the statements they ran in
 * *statements.  Behind a pooler a worker polls the catalogs' fingerprint
 * between requests at most every [tables] schema_poll seconds: that
 * send is not the request's and is not counted. */
static int
traced_sends(const char *method, const char *path, const char *token, const char *body,
    const char *want, int *statements)
{
	pid_t workers[16], st;
	int n, sends = 0;
	bool connected = false;
	char trace[512], poll[128], *line = NULL;
	size_t cap = 0;
	FILE *f;

	n = worker_pids(workers, 16);
	ck_assert_int_eq(n, 2);
	snprintf(trace, sizeof(trace), "%s/log/strace.txt", getenv("FB_STACK_DIR"));
	unlink(trace);
	st = fork();
	if (st == 0) {
		char p1[16], p2[16];

		snprintf(p1, sizeof(p1), "%ld", (long)workers[0]);
		snprintf(p2, sizeof(p2), "%ld", (long)workers[1]);
		execlp("strace", "strace", "-q", "-xx", "-s", "65536", "-e",
		    "trace=sendto,sendmsg,connect", "-o", trace, "-p", p1, "-p", p2, (char *)NULL);
		_exit(127);
	}
	sleep_ms(1000);
	{
		struct http_resp r;

		call(&r, method, path, token, body, NULL);
		ck_assert_msg(r.status / 100 == 2 && strstr(r.body, want) != NULL, "%s %s: %ld %s",
		    method, path, r.status, r.body);
		http_resp_free(&r);
	}
	sleep_ms(300);
	kill(st, SIGINT);
	waitpid(st, NULL, 0);
	f = fopen(trace, "r");
	ck_assert_ptr_nonnull(f);
	hex_of("schema_fingerprint", poll, sizeof(poll));
	*statements = 0;
	while (getline(&line, &cap, f) > 0) {
		if (strstr(line, "sendto(") != NULL && strstr(line, poll) == NULL) {
			sends++;
			*statements += occurrences(line, EXECUTE_HEX);
		}
		if (strstr(line, "connect(") != NULL)
			connected = true;
	}
	free(line);
	fclose(f);
	return connected ? -1 : sends;
}

/*
 * One request (method, path, JSON body or NULL) as token, traced until
 * every worker is warm: 1 send expected, and one statement in it: a
 * caller seen before on the connection has the checks of its identity and
 * session folded into the read or the write.  Behind a pooler in
 * transaction mode the identity is set in every transaction (FB_POOLED):
 * two statements, still one send.
 */
static void
expect_one_statement(const char *method, const char *path, const char *token, const char *body,
    const char *want)
{
	int sends = -1, statements = 0, want_statements = getenv("FB_POOLED") ? 2 : 1;

	for (int i = 0; i < 12; i++) {
		struct http_resp r;

		call(&r, method, path, token, body, NULL);
		ck_assert_int_eq(r.status / 100, 2);
		http_resp_free(&r);
	}
	/* Steady state: a worker that had not yet served a request since the
	 * last DDL reloads its schema cache first (a second round trip, once);
	 * a few more traced requests reach every worker warm. */
	for (int attempt = 0; attempt < 4 && (sends != 1 || statements != want_statements);
	     attempt++)
		sends = traced_sends(method, path, token, body, want, &statements);
	ck_assert_msg(sends == 1, "%d sends to PostgreSQL for one %s %s", sends, method, path);
	ck_assert_msg(statements == want_statements, "%d statements for one %s %s (wanted %d)",
	    statements, method, path, want_statements);
}

static void
expect_one_round_trip_as(const char *path, const char *token, const char *want)
{
	expect_one_statement("GET", path, token, NULL, want);
}

static void
expect_one_round_trip(const char *path, const char *want)
{
	tokens();
	expect_one_round_trip_as(path, service, want);
}

START_TEST(test_get_by_id_is_one_round_trip)
{
	expect_one_round_trip("/tables/products/2", "banana");
	struct session s;

	/* A user with a session: its check rides in the same statement. */
	signup(&s, "one-statement@example.com", "10.77.0.1");
	expect_one_round_trip_as("/tables/products/2", s.access, "banana");
}
END_TEST

/* Embedding (to-one, to-many, many-to-many, nested) stays one statement,
 * for the service role and for a user whose every embedded table is read
 * under row-level security. */
START_TEST(test_embedded_read_is_one_round_trip)
{
	static const char path[] =
	    "/tables/posts?select=id,title,author:users!author_id(name),"
	    "comments(id,body,users(name)),tags(name)&order=id.desc&limit=20";

	expect_one_round_trip(path, "\"tags\"");
	expect_one_round_trip_as(path, alice, "\"tags\"");
}
END_TEST

/* A write by a caller seen before is one statement too: an insert, an
 * update and a delete (their checks filter the statement's last SELECT,
 * over the rows written), as the service role and as a user under
 * row-level security, and a function's call (a SELECT). */
START_TEST(test_writes_are_one_statement)
{
	struct session s;

	tokens();
	expect_one_statement("POST", "/tables/event_logs", service, "{\"message\":\"folded\"}",
	    "folded");
	signup(&s, "one-statement-writes@example.com", "10.77.0.2");
	expect_one_statement("POST", "/tables/notes", s.access, "{\"body\":\"mine\"}", "mine");
	expect_one_statement("PATCH", "/tables/notes?body=eq.mine", s.access, "{\"body\":\"mine\"}",
	    "mine");
	expect_one_statement("DELETE", "/tables/notes?body=eq.nothing", s.access, NULL, "[]");
	/* Every row the user wrote is the user's, nobody else's. */
	ck_assert_str_eq(sql("SELECT count(*) FROM notes WHERE body = 'mine' AND owner <> "
	                     "(SELECT id FROM auth.users WHERE email = "
	                     "'one-statement-writes@example.com')"),
	    "0");
	sql("DELETE FROM event_log WHERE message = 'folded'");
}
END_TEST

/* A one-object insert answers its row even where the table's columns
 * carry the names the statement gives its own pieces (the row's alias,
 * the answer's columns): the first insert of a caller on a worker and the
 * next ones, whose checks ride in the statement. */
START_TEST(test_insert_answers_its_row_whatever_its_columns)
{
	static const char body[] = "{\"_fb_t\":\"t\",\"_fb_src\":\"s\",\"total\":7,\"n\":8,"
	                           "\"body\":\"b\"}";
	struct http_resp r;

	tokens();
	sql("CREATE TABLE IF NOT EXISTS shadow (id serial PRIMARY KEY, _fb_t text, _fb_src text,"
	    " total integer, n integer, body text)");
	for (int i = 0; i < 8; i++) {
		call(&r, "POST", "/tables/shadows", service, body, NULL);
		ck_assert_msg(r.status == 201, "%ld %s", r.status, r.body);
		ck_assert_msg(strstr(r.body,
		                  "\"_fb_t\":\"t\",\"_fb_src\":\"s\",\"total\":7,"
		                  "\"n\":8,\"body\":\"b\"}") != NULL &&
		        r.body[0] == '{',
		    "%s", r.body);
		http_resp_free(&r);
	}
	ck_assert_str_eq(sql("SELECT count(*) FROM shadow WHERE _fb_t = 't' AND total = 7"), "8");
	sql("DROP TABLE shadow");
}
END_TEST

/* A write by a signed-out session is refused on the very next request on
 * every worker, and writes nothing, also where the workers held that
 * caller's identity (the checks then ride in the write itself). */
START_TEST(test_signed_out_token_refused_on_writes)
{
	struct session s;
	struct http_resp r;
	char count[256];

	signup(&s, "signed-out-writer@example.com", "10.0.16.5");
	snprintf(count, sizeof(count), "SELECT count(*) FROM notes WHERE owner = '%s'", s.user_id);
	/* Every worker serves this caller's writes, and so holds its identity. */
	for (int i = 0; i < 6; i++) {
		call(&r, "POST", "/tables/notes", s.access, "{\"body\":\"before\"}", NULL);
		ck_assert_msg(r.status == 201, "%ld %s", r.status, r.body);
		http_resp_free(&r);
	}
	ck_assert_str_eq(sql(count), "6");
	auth_call(&r, "POST", "/auth/signout", s.access, NULL, "10.0.16.5");
	ck_assert_int_eq(r.status, 200);
	http_resp_free(&r);
	for (int i = 0; i < 6; i++) {
		call(&r, "POST", "/tables/notes", s.access, "{\"body\":\"after\"}", NULL);
		assert_error(&r, 401, "INVALID_TOKEN");
		http_resp_free(&r);
		call(&r, "DELETE", "/tables/notes?body=eq.before", s.access, NULL, NULL);
		assert_error(&r, 401, "INVALID_TOKEN");
		http_resp_free(&r);
	}
	ck_assert_str_eq(sql(count), "6");
}
END_TEST

/* db_role and sub of /tables/whoami as the caller with token (NULL: anon). */
static void
expect_identity(const char *token, const char *role, const char *sub)
{
	struct http_resp r;
	struct json_object *o, *row;

	call(&r, "GET", "/tables/whoami", token, NULL, NULL);
	ck_assert_msg(r.status == 200, "%ld %s", r.status, r.body);
	o = json_body(&r);
	ck_assert_int_eq(json_object_array_length(o), 1);
	row = json_object_array_get_idx(o, 0);
	ck_assert_msg(strcmp(jstr(row, "db_role"), role) == 0 && strcmp(jstr(row, "sub"), sub) == 0,
	    "wanted %s/%s, got %s", role, sub, r.body);
	json_object_put(o);
	http_resp_free(&r);
}

START_TEST(test_identity_never_passes_between_requests)
{
	struct {
		const char *token, *role, *sub;
	} who[4];
	struct http_resp r;
	unsigned seed = 7;

	tokens();
	who[0].token = alice, who[0].role = "authenticated", who[0].sub = ALICE;
	who[1].token = bob, who[1].role = "authenticated", who[1].sub = BOB;
	who[2].token = NULL, who[2].role = "anon", who[2].sub = "";
	who[3].token = service, who[3].role = "service_role", who[3].sub = "";
	/* Runs of the same caller (reused) and changes of caller, mixed. */
	for (int i = 0; i < 80; i++) {
		int k = (int)((seed = seed * 1103515245u + 12345u) >> 16) % 4;

		expect_identity(who[k].token, who[k].role, who[k].sub);
		if (i % 3 == 0)
			expect_identity(who[k].token, who[k].role, who[k].sub);
	}
	/* A request's SQL that makes the session service_role and Bob: the
	 * next anonymous request on that connection is still anonymous. */
	for (int i = 0; i < 40; i++) {
		call(&r, "GET", "/tables/become_service", NULL, NULL, NULL);
		ck_assert_msg(r.status == 200, "%ld %s", r.status, r.body);
		http_resp_free(&r);
		expect_identity(NULL, "anon", "");
		call(&r, "GET", "/tables/notes", NULL, NULL, NULL);
		assert_error(&r, 401, "42501");
		http_resp_free(&r);
		/* A write too: as service_role and Bob it would pass; it is
		 * anonymous, refused, and writes nothing. */
		call(&r, "GET", "/tables/become_service", NULL, NULL, NULL);
		ck_assert_int_eq(r.status, 200);
		http_resp_free(&r);
		call(&r, "POST", "/tables/notes", NULL, "{\"body\":\"as bob?\"}", NULL);
		assert_error(&r, 401, "42501");
		http_resp_free(&r);
		expect_identity(alice, "authenticated", ALICE);
	}
	ck_assert_str_eq(sql("SELECT count(*) FROM notes WHERE body = 'as bob?'"), "0");
	ck_assert(log_contains("request identity was changed"));
}
END_TEST

TCase *
tables_session_tcase(void)
{
	TCase *tc = tcase_create("tables_session");

	tcase_add_test(tc, test_views);
	tcase_add_test(tc, test_other_schema_max_rows_read_only);
	tcase_add_test(tc, test_schema_reload_without_restart);
	tcase_add_test(tc, test_get_by_id_is_one_round_trip);
	tcase_add_test(tc, test_embedded_read_is_one_round_trip);
	tcase_add_test(tc, test_writes_are_one_statement);
	tcase_add_test(tc, test_insert_answers_its_row_whatever_its_columns);
	tcase_add_test(tc, test_signed_out_token_refused_on_writes);
	tcase_add_test(tc, test_identity_never_passes_between_requests);
	return tc;
}
