/*
 * RPC through nginx: POST, GET and HEAD of /api/v1/rpc/{function} and of
 * /api/v1/tables/rpc/{function}, against functions this file creates (as
 * the owner, once per run) next to the fixture's add(): a scalar, SETOF a
 * table under row-level security, RETURNS TABLE, OUT arguments, SETOF
 * scalars, void, overloads, json arguments, params=single-object, RAISE
 * with a PT status, EXECUTE revoked, a function created a moment ago, and
 * the OpenAPI document that lists them.
 *
 * Each check is one row: who asks, the method and path, maybe a body and
 * a request header, and what a user sees — the status and the exact body
 * (compared as JSON; ' stands for "), or the error's code and message, or
 * a response header.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "client.h"
#include "suites.h"
#include "tables_client.h"

/* Run through the shell in double quotes: no double quote, no bare $. */
static const char *const setup_sql[] = {
	"CREATE TABLE IF NOT EXISTS rpc_item (id integer PRIMARY KEY, owner uuid, label text,"
	" n integer);"
	" ALTER TABLE rpc_item ENABLE ROW LEVEL SECURITY;"
	" DROP POLICY IF EXISTS rpc_item_owner ON rpc_item;"
	" CREATE POLICY rpc_item_owner ON rpc_item USING (owner IS NULL OR owner = auth.uid());"
	" GRANT SELECT ON rpc_item TO anon, authenticated;"
	" INSERT INTO rpc_item VALUES (1, NULL, 'public', 10), (2, '" ALICE "', 'alice', 20),"
	" (3, '" BOB "', 'bob', 30), (4, NULL, 'shared', 40), (5, '" ALICE "', 'alice2', 50)"
	" ON CONFLICT DO NOTHING",
	"CREATE TABLE IF NOT EXISTS rpc_log (label text);"
	" GRANT SELECT, INSERT ON rpc_log TO anon, authenticated",
	"CREATE OR REPLACE FUNCTION add(a integer, b integer) RETURNS integer LANGUAGE sql"
	" IMMUTABLE AS 'SELECT a + b'",
	"CREATE OR REPLACE FUNCTION rpc_items(min integer DEFAULT 0) RETURNS SETOF rpc_item"
	" LANGUAGE sql STABLE AS 'SELECT * FROM rpc_item WHERE n >= min'",
	"CREATE OR REPLACE FUNCTION rpc_table(n integer) RETURNS TABLE (x integer, label text)"
	" LANGUAGE sql IMMUTABLE AS 'SELECT g, ''n'' || g FROM generate_series(1, n) g'",
	"CREATE OR REPLACE FUNCTION rpc_out(a integer, OUT doubled integer, OUT label text)"
	" LANGUAGE sql IMMUTABLE AS 'SELECT a * 2, ''x'' || a'",
	"CREATE OR REPLACE FUNCTION rpc_nums(n integer) RETURNS SETOF integer LANGUAGE sql"
	" IMMUTABLE AS 'SELECT generate_series(1, n)'",
	"CREATE OR REPLACE FUNCTION rpc_touch(label text) RETURNS void LANGUAGE sql VOLATILE"
	" AS 'INSERT INTO rpc_log VALUES (label)'",
	"CREATE OR REPLACE FUNCTION rpc_over(a integer) RETURNS text LANGUAGE sql IMMUTABLE"
	" AS 'SELECT ''int''';"
	" CREATE OR REPLACE FUNCTION rpc_over(b text, c integer DEFAULT 1) RETURNS text"
	" LANGUAGE sql IMMUTABLE AS 'SELECT ''text'' || c'",
	"CREATE OR REPLACE FUNCTION rpc_amb(x integer) RETURNS text LANGUAGE sql IMMUTABLE"
	" AS 'SELECT ''int''';"
	" CREATE OR REPLACE FUNCTION rpc_amb(x text) RETURNS text LANGUAGE sql IMMUTABLE"
	" AS 'SELECT ''text'''",
	"CREATE OR REPLACE FUNCTION rpc_single(body jsonb) RETURNS jsonb LANGUAGE sql IMMUTABLE"
	" AS 'SELECT body'",
	"CREATE OR REPLACE FUNCTION rpc_whole(jsonb) RETURNS integer LANGUAGE sql IMMUTABLE"
	" AS 'SELECT count(*)::integer FROM jsonb_object_keys(\\$1)'",
	"CREATE OR REPLACE FUNCTION rpc_json(doc json, k text, tags text[] DEFAULT '{}')"
	" RETURNS text LANGUAGE sql IMMUTABLE"
	" AS 'SELECT (doc ->> k) || array_length(tags, 1)::text'",
	"CREATE OR REPLACE FUNCTION rpc_len(tags text[]) RETURNS integer LANGUAGE sql STABLE"
	" AS 'SELECT array_length(tags, 1)'",
	"CREATE OR REPLACE FUNCTION rpc_log_add(labels text[]) RETURNS SETOF rpc_log LANGUAGE sql"
	" VOLATILE AS 'INSERT INTO rpc_log SELECT unnest(labels) RETURNING *'",
	"CREATE OR REPLACE FUNCTION extra.rpc_hello(who text DEFAULT 'you') RETURNS text"
	" LANGUAGE sql STABLE AS 'SELECT ''hello '' || who'",
	"CREATE OR REPLACE FUNCTION rpc_pay() RETURNS void LANGUAGE plpgsql AS"
	" 'BEGIN RAISE SQLSTATE ''PT402'' USING MESSAGE = ''Payment required'',"
	" DETAIL = ''Your plan is used up'', HINT = ''Top up on the billing page''; END'",
	"CREATE OR REPLACE FUNCTION rpc_secret() RETURNS integer LANGUAGE sql STABLE"
	" AS 'SELECT 42';"
	" REVOKE EXECUTE ON FUNCTION rpc_secret() FROM PUBLIC;"
	" GRANT EXECUTE ON FUNCTION rpc_secret() TO service_role",
};

static void
rpc_setup(void)
{
	for (size_t i = 0; i < sizeof(setup_sql) / sizeof(setup_sql[0]); i++)
		sql(setup_sql[i]);
}

enum who { ANON, ALICE_T, BOB_T, SVC };

struct rcase {
	enum who who;
	const char *method;
	const char *path;
	const char *body; /* ' for ", or NULL */
	const char *header; /* a request header, or NULL */
	long status;
	const char *expect; /* the exact JSON answer (' for "), or NULL */
	const char *code; /* the error's code, or NULL */
	const char *message; /* the error's message, or NULL */
	const char *resp_header; /* "Name: value" expected in the answer, or NULL */
};

static const char *
token_of(enum who w)
{
	tokens();
	return w == ALICE_T ? alice : w == BOB_T ? bob : w == SVC ? service : NULL;
}

static char *
unquote(const char *s)
{
	char *copy = strdup(s);

	for (char *p = copy; *p; p++)
		if (*p == '\'')
			*p = '"';
	return copy;
}

static void
expect_json(const struct http_resp *r, const char *want, const char *what)
{
	char *text = unquote(want);
	struct json_object *got = json_tokener_parse(r->body), *exp = json_tokener_parse(text);

	ck_assert_msg(exp != NULL, "%s: bad expectation %s", what, text);
	ck_assert_msg(got != NULL && json_object_equal(got, exp), "%s: got %s, wanted %s", what,
	    r->body, text);
	json_object_put(got);
	json_object_put(exp);
	free(text);
}

static const char *
field(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) && v ? json_object_get_string(v) : NULL;
}

static void
run_case(const struct rcase *c)
{
	const char *h[3] = { c->header, NULL, NULL };
	char *body = c->body ? unquote(c->body) : NULL, what[600];
	struct http_resp r;

	snprintf(what, sizeof(what), "%s %s %s", c->method, c->path, c->body ? c->body : "");
	call(&r, c->method, c->path, token_of(c->who), body, c->header ? h : NULL);
	ck_assert_msg(r.status == c->status, "%s: %ld %s", what, r.status, r.body ? r.body : "");
	if (c->expect != NULL)
		expect_json(&r, c->expect, what);
	if (c->code != NULL || c->message != NULL) {
		struct json_object *o = json_tokener_parse(r.body);

		ck_assert_msg(o != NULL, "%s: %s", what, r.body);
		if (c->code != NULL)
			ck_assert_msg(field(o, "code") && strcmp(field(o, "code"), c->code) == 0,
			    "%s: code %s", what, r.body);
		if (c->message != NULL)
			ck_assert_msg(field(o, "message") &&
			        strcmp(field(o, "message"), c->message) == 0,
			    "%s: message %s", what, r.body);
		json_object_put(o);
	}
	if (c->resp_header != NULL) {
		char name[64];
		const char *colon = strchr(c->resp_header, ':');

		snprintf(name, sizeof(name), "%.*s", (int)(colon - c->resp_header), c->resp_header);
		expect_header(&r, name, colon + 2);
	}
	if (strcmp(c->method, "HEAD") == 0)
		ck_assert_uint_eq(r.len, 0);
	http_resp_free(&r);
	free(body);
}

static void
run_cases(const struct rcase *cases, size_t n)
{
	for (size_t i = 0; i < n; i++)
		run_case(&cases[i]);
}

#define RUN(cases) run_cases(cases, sizeof(cases) / sizeof(cases[0]))

/* A scalar by POST and GET, under both prefixes; HEAD; JSON arguments. */
START_TEST(test_scalar)
{
	static const struct rcase cases[] = {
		{ ANON, "POST", "/rpc/add", "{'a': 1, 'b': 2}", NULL, 200, "3", NULL, NULL, NULL },
		{ ANON, "POST", "/tables/rpc/add", "{'a': 40, 'b': 2}", NULL, 200, "42", NULL, NULL,
		    NULL },
		{ ANON, "GET", "/rpc/add?a=1&b=2", NULL, NULL, 200, "3", NULL, NULL, NULL },
		{ ALICE_T, "GET", "/tables/rpc/add?b=5&a=1", NULL, NULL, 200, "6", NULL, NULL,
		    NULL },
		{ ANON, "HEAD", "/rpc/add?a=1&b=2", NULL, NULL, 200, NULL, NULL, NULL, NULL },
		{ ANON, "POST", "/rpc/add", "{'a': '7', 'b': 1}", NULL, 200, "8", NULL, NULL,
		    NULL },
		{ ANON, "POST", "/rpc/rpc_json",
		    "{'doc': {'color': 'red'}, 'k': 'color', 'tags': ['a']}", NULL, 200, "'red1'",
		    NULL, NULL, NULL },
		{ ANON, "POST", "/rpc/rpc_json",
		    "{'doc': {'n': [1, 2]}, 'k': 'n', 'tags': ['a', 'b']}", NULL, 200, "'[1, 2]2'",
		    NULL, NULL, NULL },
		{ ANON, "GET", "/rpc/rpc_len?tags=%7Bx,y,z%7D", NULL, NULL, 200, "3", NULL, NULL,
		    NULL },
		{ ANON, "POST", "/rpc/rpc_len", "{'tags': ['x', 'y']}", NULL, 200, "2", NULL, NULL,
		    NULL },
		{ ANON, "POST", "/rpc/add", "{'a': 'x', 'b': 1}", NULL, 400, NULL, "22P02", NULL,
		    NULL },
		{ ANON, "POST", "/rpc/add", "[1, 2]", NULL, 400, NULL, "INVALID_JSON", NULL, NULL },
	};

	RUN(cases);
}
END_TEST

/* SETOF a table: select, filters, order, limit, offset, Range and counts
 * on the result; row-level security as the caller. */
START_TEST(test_setof_table)
{
	static const struct rcase cases[] = {
		{ SVC, "GET", "/rpc/rpc_items?min=20&select=id,label&order=id.desc&limit=2", NULL,
		    NULL, 200, "[{'id': 5, 'label': 'alice2'}, {'id': 4, 'label': 'shared'}]", NULL,
		    NULL, NULL },
		{ SVC, "GET", "/rpc/rpc_items?select=id&label=like.alice*&order=id", NULL, NULL,
		    200, "[{'id': 2}, {'id': 5}]", NULL, NULL, NULL },
		{ SVC, "GET", "/rpc/rpc_items?select=id&label.like=alice*&order=id", NULL, NULL,
		    200, "[{'id': 2}, {'id': 5}]", NULL, NULL, NULL },
		{ SVC, "POST", "/rpc/rpc_items?select=id&order=id&offset=1", "{'min': 30}", NULL,
		    200, "[{'id': 4}, {'id': 5}]", NULL, NULL, NULL },
		{ SVC, "GET", "/rpc/rpc_items?select=id&order=id&limit=2", NULL,
		    "Prefer: count=exact", 200, "[{'id': 1}, {'id': 2}]", NULL, NULL,
		    "Content-Range: 0-1/5" },
		{ SVC, "GET", "/rpc/rpc_items?select=id&order=id", NULL, "Range: 1-2", 200,
		    "[{'id': 2}, {'id': 3}]", NULL, NULL, "Content-Range: 1-2/*" },
		{ SVC, "HEAD", "/rpc/rpc_items?min=25", NULL, "Prefer: count=exact", 200, NULL,
		    NULL, NULL, "Content-Range: 0-2/3" },
		{ SVC, "GET", "/rpc/rpc_items?select=nope", NULL, NULL, 400, NULL, NULL, NULL,
		    NULL },
		{ SVC, "GET", "/rpc/rpc_items?nope=1", NULL, NULL, 404, NULL, "PGRST202",
		    "Could not find the function public.rpc_items(nope) in the schema cache",
		    NULL },
		/* The caller's policies apply inside a SECURITY INVOKER function. */
		{ ANON, "POST", "/rpc/rpc_items?select=id&order=id", "{}", NULL, 200,
		    "[{'id': 1}, {'id': 4}]", NULL, NULL, NULL },
		{ ALICE_T, "POST", "/rpc/rpc_items?select=id&order=id", "{}", NULL, 200,
		    "[{'id': 1}, {'id': 2}, {'id': 4}, {'id': 5}]", NULL, NULL, NULL },
		{ BOB_T, "GET", "/tables/rpc/rpc_items?select=id&order=id", NULL, NULL, 200,
		    "[{'id': 1}, {'id': 3}, {'id': 4}]", NULL, NULL, NULL },
		{ ANON, "GET", "/rpc/rpc_items?select=id&order=id", NULL,
		    "Accept: application/vnd.pgrst.object+json", 406, NULL, "PGRST116", NULL,
		    NULL },
		{ ANON, "GET", "/rpc/rpc_items?select=id&id=eq.4", NULL,
		    "Accept: application/vnd.pgrst.object+json", 200, "{'id': 4}", NULL, NULL,
		    NULL },
	};

	RUN(cases);
}
END_TEST

/* RETURNS TABLE, OUT arguments (one row: an object), SETOF scalars, void. */
START_TEST(test_result_shapes)
{
	static const struct rcase cases[] = {
		{ ANON, "GET", "/rpc/rpc_table?n=3", NULL, NULL, 200,
		    "[{'x': 1, 'label': 'n1'}, {'x': 2, 'label': 'n2'}, {'x': 3, 'label': 'n3'}]",
		    NULL, NULL, NULL },
		{ ANON, "GET", "/rpc/rpc_table?n=4&x=gt.2&select=x&order=x.desc", NULL, NULL, 200,
		    "[{'x': 4}, {'x': 3}]", NULL, NULL, NULL },
		{ ANON, "POST", "/rpc/rpc_table?select=label&limit=1", "{'n': 2}", NULL, 200,
		    "[{'label': 'n1'}]", NULL, NULL, NULL },
		{ ANON, "POST", "/rpc/rpc_out", "{'a': 21}", NULL, 200,
		    "{'doubled': 42, 'label': 'x21'}", NULL, NULL, NULL },
		{ ANON, "GET", "/rpc/rpc_nums?n=3", NULL, NULL, 200, "[1, 2, 3]", NULL, NULL,
		    NULL },
		{ ANON, "GET", "/rpc/rpc_nums?n=0", NULL, NULL, 200, "[]", NULL, NULL, NULL },
		{ ANON, "POST", "/rpc/rpc_touch", "{'label': 'void-called'}", NULL, 204, NULL, NULL,
		    NULL, NULL },
		/* A VOLATILE function is not called by GET. */
		{ ANON, "GET", "/rpc/rpc_touch?label=x", NULL, NULL, 405, NULL, "PGRST101",
		    "Cannot use the GET method on RPC", "Allow: POST" },
		{ ANON, "HEAD", "/tables/rpc/rpc_touch?label=x", NULL, NULL, 405, NULL, NULL, NULL,
		    "Allow: POST" },
	};
	struct http_resp r;

	RUN(cases);
	ck_assert_str_eq(sql("SELECT count(*) FROM rpc_log WHERE label = 'void-called'"), "1");
	ck_assert_str_eq(sql("SELECT count(*) FROM rpc_log WHERE label = 'x'"), "0");
	/* The answer of a void function has no body. */
	call(&r, "POST", "/rpc/rpc_touch", NULL, "{\"label\": \"again\"}", NULL);
	ck_assert_int_eq(r.status, 204);
	ck_assert_uint_eq(r.len, 0);
	http_resp_free(&r);
}
END_TEST

/* Overloads chosen by argument names; missing functions and unknown
 * arguments; params=single-object; one unnamed json argument. */
START_TEST(test_overloads_and_arguments)
{
	static const struct rcase cases[] = {
		{ ANON, "POST", "/rpc/rpc_over", "{'a': 1}", NULL, 200, "'int'", NULL, NULL, NULL },
		{ ANON, "POST", "/rpc/rpc_over", "{'b': 'x'}", NULL, 200, "'text1'", NULL, NULL,
		    NULL },
		{ ANON, "GET", "/rpc/rpc_over?b=x&c=5", NULL, NULL, 200, "'text5'", NULL, NULL,
		    NULL },
		{ ANON, "POST", "/rpc/rpc_over", "{'a': 1, 'b': 'x'}", NULL, 404, NULL, "PGRST202",
		    "Could not find the function public.rpc_over(a, b) in the schema cache", NULL },
		{ ANON, "POST", "/rpc/rpc_amb", "{'x': 1}", NULL, 300, NULL, "PGRST203",
		    "Could not choose the best candidate function between: public.rpc_amb(x => integer),"
		    " public.rpc_amb(x => text)",
		    NULL },
		{ ANON, "POST", "/rpc/no_such_function", "{}", NULL, 404, NULL, "PGRST202",
		    "Could not find the function public.no_such_function without parameters in the"
		    " schema cache",
		    NULL },
		{ ANON, "POST", "/rpc/add", "{'a': 1, 'c': 2}", NULL, 404, NULL, "PGRST202",
		    "Could not find the function public.add(a, c) in the schema cache", NULL },
		{ ANON, "POST", "/rpc/add", "{'a': 1}", NULL, 404, NULL, "PGRST202", NULL, NULL },
		{ ANON, "GET", "/rpc/add?a=1&b=2&c=3", NULL, NULL, 404, NULL, "PGRST202",
		    "Could not find the function public.add(a, b, c) in the schema cache", NULL },
		{ ANON, "POST", "/rpc/rpc_single", "{'a': 1, 'b': [2]}",
		    "Prefer: params=single-object", 200, "{'a': 1, 'b': [2]}", NULL, NULL, NULL },
		{ ANON, "POST", "/rpc/rpc_single", "{'body': {'c': 3}}", NULL, 200, "{'c': 3}",
		    NULL, NULL, NULL },
		{ ANON, "POST", "/rpc/rpc_whole", "{'x': 1, 'y': 2, 'z': 3}", NULL, 200, "3", NULL,
		    NULL, NULL },
		{ ANON, "POST", "/rpc/add", "{'a': 1, 'b': 2}", "Prefer: params=single-object", 404,
		    NULL, "PGRST202", "Could not find the function public.add in the schema cache",
		    NULL },
	};
	struct http_resp r;
	struct json_object *o;

	RUN(cases);
	/* PostgREST's details and hint. */
	call(&r, "POST", "/rpc/add", NULL, "{\"a\": 1, \"c\": 2}", NULL);
	o = json_tokener_parse(r.body);
	ck_assert_str_eq(field(o, "details"),
	    "Searched for the function public.add with parameters a, c or with a single unnamed"
	    " json/jsonb parameter, but no matches were found in the schema cache.");
	ck_assert_str_eq(field(o, "hint"),
	    "Perhaps you meant to call the function public.add(a, b)");
	json_object_put(o);
	http_resp_free(&r);
}
END_TEST

/* RAISE SQLSTATE 'PTxyz' answers xyz with PostgREST's fields; EXECUTE is
 * PostgreSQL's to grant. */
START_TEST(test_errors_and_privileges)
{
	static const struct rcase cases[] = {
		{ ANON, "POST", "/rpc/rpc_pay", "{}", NULL, 402, NULL, "PT402", "Payment required",
		    NULL },
		{ ANON, "POST", "/rpc/rpc_secret", "{}", NULL, 401, NULL, "42501", NULL, NULL },
		{ ALICE_T, "GET", "/rpc/rpc_secret", NULL, NULL, 403, NULL, "42501", NULL, NULL },
		{ SVC, "GET", "/rpc/rpc_secret", NULL, NULL, 200, "42", NULL, NULL, NULL },
	};
	struct http_resp r;
	struct json_object *o;

	RUN(cases);
	call(&r, "POST", "/rpc/rpc_pay", NULL, "{}", NULL);
	o = json_tokener_parse(r.body);
	ck_assert_str_eq(field(o, "details"), "Your plan is used up");
	ck_assert_str_eq(field(o, "hint"), "Top up on the billing page");
	json_object_put(o);
	http_resp_free(&r);
}
END_TEST

/* A VOLATILE function returning rows writes on POST (tx=rollback undoes
 * it, max-affected refuses it); other schemas by name or profile; CSV. */
START_TEST(test_writes_profiles_and_media)
{
	static const struct rcase cases[] = {
		{ ALICE_T, "POST", "/rpc/rpc_log_add?select=label&order=label",
		    "{'labels': ['w1', 'w2']}", NULL, 200, "[{'label': 'w1'}, {'label': 'w2'}]",
		    NULL, NULL, NULL },
		{ ALICE_T, "POST", "/rpc/rpc_log_add", "{'labels': ['r1']}", "Prefer: tx=rollback",
		    200, "[{'label': 'r1'}]", NULL, NULL, "Preference-Applied: tx=rollback" },
		{ ALICE_T, "POST", "/rpc/rpc_log_add", "{'labels': ['m1', 'm2', 'm3']}",
		    "Prefer: handling=strict, max-affected=2", 400, NULL, "PGRST124", NULL, NULL },
		{ ALICE_T, "POST", "/rpc/rpc_log_add?select=label", "{'labels': ['m4']}",
		    "Prefer: handling=strict, max-affected=2", 200, "[{'label': 'm4'}]", NULL, NULL,
		    "Preference-Applied: handling=strict, max-affected=2" },
		{ ALICE_T, "GET", "/rpc/rpc_log_add?labels=%7Bg1%7D", NULL, NULL, 405, NULL,
		    "PGRST101", NULL, NULL },
		{ ANON, "GET", "/rpc/extra.rpc_hello", NULL, NULL, 200, "'hello you'", NULL, NULL,
		    NULL },
		{ ANON, "GET", "/rpc/rpc_hello?who=ann", NULL, "Accept-Profile: extra", 200,
		    "'hello ann'", NULL, NULL, NULL },
		{ ANON, "POST", "/tables/rpc/rpc_hello", "{'who': 'bo'}", "Content-Profile: extra",
		    200, "'hello bo'", NULL, NULL, NULL },
		{ ANON, "GET", "/rpc/rpc_hello", NULL, NULL, 404, NULL, "PGRST202",
		    "Could not find the function public.rpc_hello without parameters in the schema"
		    " cache",
		    NULL },
		{ ANON, "GET", "/rpc/rpc_table?n=2", NULL, "Accept: text/csv", 200, NULL, NULL,
		    NULL, "Content-Type: text/csv; charset=utf-8" },
	};
	struct http_resp r;
	const char *csv[] = { "Accept: text/csv", NULL };

	RUN(cases);
	ck_assert_str_eq(sql("SELECT count(*) FROM rpc_log WHERE label IN ('w1', 'w2')"), "2");
	ck_assert_str_eq(sql("SELECT count(*) FROM rpc_log WHERE label IN ('r1', 'm1', 'g1')"),
	    "0");
	call(&r, "GET", "/rpc/rpc_table?n=2", NULL, NULL, csv);
	ck_assert_str_eq(r.body, "x,label\n1,n1\n2,n2");
	http_resp_free(&r);
}
END_TEST

/* A function created a moment ago is called at once (the NOTIFY of the
 * event trigger, or the reload on a miss). */
START_TEST(test_new_function_seen)
{
	char q[512], path[128];
	struct http_resp r;

	snprintf(q, sizeof(q),
	    "CREATE FUNCTION rpc_fresh_%d(x integer) RETURNS integer LANGUAGE sql IMMUTABLE"
	    " AS 'SELECT x * 3'",
	    (int)getpid());
	sql(q);
	snprintf(path, sizeof(path), "/rpc/rpc_fresh_%d?x=5", (int)getpid());
	call(&r, "GET", path, NULL, NULL, NULL);
	ck_assert_msg(r.status == 200 && strcmp(r.body, "15") == 0, "%ld %s", r.status, r.body);
	http_resp_free(&r);
}
END_TEST

/* auth.expose_function in roles mode GRANTs EXECUTE, and unexpose
 * REVOKEs it (PUBLIC's default EXECUTE revoked first, as docs/API.md
 * says to). */
START_TEST(test_expose_function_in_roles_mode)
{
	char q[512], path[128];
	struct http_resp r;
	int pid = (int)getpid();

	snprintf(q, sizeof(q),
	    "CREATE FUNCTION rpc_shown_%d() RETURNS integer LANGUAGE sql STABLE AS 'SELECT 7';"
	    " REVOKE EXECUTE ON FUNCTION rpc_shown_%d() FROM PUBLIC",
	    pid, pid);
	sql(q);
	snprintf(path, sizeof(path), "/rpc/rpc_shown_%d", pid);
	call(&r, "GET", path, NULL, NULL, NULL);
	ck_assert_msg(r.status == 401 && strstr(r.body, "42501") != NULL, "%ld %s", r.status,
	    r.body);
	http_resp_free(&r);
	snprintf(q, sizeof(q), "SELECT auth.expose_function('public.rpc_shown_%d()', 'anon')", pid);
	sql(q);
	call(&r, "GET", path, NULL, NULL, NULL);
	ck_assert_msg(r.status == 200 && strcmp(r.body, "7") == 0, "%ld %s", r.status, r.body);
	http_resp_free(&r);
	snprintf(q, sizeof(q), "SELECT auth.unexpose_function('public.rpc_shown_%d()', 'anon')",
	    pid);
	sql(q);
	call(&r, "GET", path, NULL, NULL, NULL);
	ck_assert_msg(r.status == 401, "%ld %s", r.status, r.body);
	http_resp_free(&r);
}
END_TEST

/* SETOF a table embeds what its table relates to. */
START_TEST(test_embedding_from_a_function)
{
	static const struct rcase cases[] = {
		{ ANON, "GET",
		    "/rpc/posts_by?author=1&select=id,author:users!posts_author_id_fkey(name)"
		    "&order=id",
		    NULL, NULL, 200,
		    "[{'id': 1, 'author': {'name': 'Alice'}}, {'id': 2, 'author': {'name': 'Alice'}}]",
		    NULL, NULL, NULL },
	};

	RUN(cases);
}
END_TEST

/* The functions this file made are in the OpenAPI document, as each role
 * may execute them, and the document stays valid with them. */
START_TEST(test_openapi_knows_them)
{
	const char *roles[] = { "anon", "service_role" };

	tokens();
	for (int i = 0; i < 2; i++) {
		const char *h[2] = { NULL, NULL };
		char auth[2100], file[512], cmd[1200];
		struct http_resp r;
		struct json_object *doc, *paths, *item;
		FILE *f;

		if (i == 1) {
			snprintf(auth, sizeof(auth), "Authorization: Bearer %s", service);
			h[0] = auth;
		}
		http_do("GET", api_url("/openapi.json"), h, NULL, 0, &r);
		ck_assert_int_eq(r.status, 200);
		snprintf(file, sizeof(file), "%s/openapi-rpc-%s.json", getenv("FB_STACK_DIR"),
		    roles[i]);
		f = fopen(file, "w");
		ck_assert_ptr_nonnull(f);
		fwrite(r.body, 1, r.len, f);
		fclose(f);
		snprintf(cmd, sizeof(cmd), "node '%s/validate.js' '%s' >/dev/null",
		    getenv("FB_JS_DIR"), file);
		ck_assert_msg(system(cmd) == 0, "the document for %s is not valid OpenAPI",
		    roles[i]);
		doc = json_tokener_parse(r.body);
		paths = json_object_object_get(doc, "paths");
		ck_assert(json_object_object_get_ex(paths, "/rpc/rpc_items", &item));
		ck_assert(json_object_object_get_ex(item, "get", NULL));
		ck_assert(json_object_object_get_ex(paths, "/rpc/rpc_touch", &item));
		ck_assert(!json_object_object_get_ex(item, "get", NULL));
		ck_assert(json_object_object_get_ex(paths, "/rpc/extra.rpc_hello", NULL));
		/* EXECUTE revoked from anon: not in anon's document. */
		ck_assert(json_object_object_get_ex(paths, "/rpc/rpc_secret", NULL) == (i == 1));
		json_object_put(doc);
		http_resp_free(&r);
	}
}
END_TEST

TCase *
tables_rpc_tcase(void)
{
	TCase *tc = tcase_create("tables_rpc");

	tcase_add_unchecked_fixture(tc, rpc_setup, NULL);
	tcase_add_test(tc, test_scalar);
	tcase_add_test(tc, test_setof_table);
	tcase_add_test(tc, test_result_shapes);
	tcase_add_test(tc, test_overloads_and_arguments);
	tcase_add_test(tc, test_errors_and_privileges);
	tcase_add_test(tc, test_writes_profiles_and_media);
	tcase_add_test(tc, test_new_function_seen);
	tcase_add_test(tc, test_expose_function_in_roles_mode);
	tcase_add_test(tc, test_embedding_from_a_function);
	tcase_add_test(tc, test_openapi_knows_them);
	return tc;
}
