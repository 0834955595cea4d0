/*
 * The tables API's formats and dry runs through nginx, as PostgREST 12
 * answers them: CSV out (Accept: text/csv, chosen by q-values) and in
 * (Content-Type: text/csv, a bulk insert), Prefer: tx=rollback (the
 * answer as usual, nothing kept, the workers still right about who is
 * calling), Prefer: max-affected with handling=strict, a status raised
 * by SQL with PTxyz, and [tables] statement_timeout (504, the worker free
 * again).  Its own tables, made here with psql (no double quotes or
 * dollars in that SQL: it goes through a shell).
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "client.h"
#include "suites.h"
#include "tables_client.h"

/* fmt_item with three rows: commas, quotes, line breaks, NULL, '' and
 * a JSON column, for CSV; the same rows before every test. */
static void
fmt_setup(void)
{
	tokens();
	sql("CREATE TABLE IF NOT EXISTS fmt_item (id integer PRIMARY KEY, name text, note text,"
	    " meta jsonb, qty integer)");
	sql("TRUNCATE fmt_item; INSERT INTO fmt_item VALUES"
	    " (1, 'plain', 'a,b', jsonb_build_object('color', 'red'), 3),"
	    " (2, 'He said ' || chr(34) || 'hi' || chr(34), E'two\\nlines', NULL, NULL),"
	    " (3, NULL, '', NULL, 0)");
}

/* GET path with the Accept header accept: 200 and its Content-Type. */
static void
get_as(struct http_resp *r, const char *path, const char *accept, const char *type)
{
	char h[256];
	const char *extra[] = { h, NULL };

	snprintf(h, sizeof(h), "Accept: %s", accept);
	call(r, "GET", path, service, NULL, extra);
	ck_assert_msg(r->status == 200, "%s (%s): %ld %s", path, accept, r->status, r->body);
	expect_header(r, "Content-Type", type);
}

START_TEST(test_csv_out)
{
	const char *html[] = { "Accept: text/html", NULL };
	struct http_resp r;

	fmt_setup();
	get_as(&r, "/tables/fmt_item?order=id", "text/csv", "text/csv; charset=utf-8");
	ck_assert_str_eq(r.body,
	    "id,name,note,meta,qty\n"
	    "1,plain,\"a,b\",\"{\"\"color\"\": \"\"red\"\"}\",3\n"
	    "2,\"He said \"\"hi\"\"\",\"two\nlines\",,\n"
	    "3,,\"\",,0");
	expect_header(&r, "Content-Range", "0-2/*");
	http_resp_free(&r);
	get_as(&r, "/tables/fmt_item?select=id,label:name&id=eq.1", "text/csv",
	    "text/csv; charset=utf-8");
	ck_assert_str_eq(r.body, "id,label\n1,plain");
	http_resp_free(&r);
	/* No row: the header alone. */
	get_as(&r, "/tables/fmt_item?select=id,name&id=eq.99", "text/csv",
	    "text/csv; charset=utf-8");
	ck_assert_str_eq(r.body, "id,name");
	http_resp_free(&r);
	/* One row by key. */
	get_as(&r, "/tables/fmt_item/3?select=id,note", "text/csv", "text/csv; charset=utf-8");
	ck_assert_str_eq(r.body, "id,note\n3,\"\"");
	http_resp_free(&r);

	/* The highest q wins, the first listed between equals; q=0 refuses. */
	get_as(&r, "/tables/fmt_item?select=id&id=eq.1", "application/json;q=0.5, text/csv",
	    "text/csv; charset=utf-8");
	http_resp_free(&r);
	get_as(&r, "/tables/fmt_item?select=id&id=eq.1", "text/csv;q=0.2, application/json",
	    "application/json; charset=utf-8");
	ck_assert_str_eq(r.body, "[{\"id\":1}]");
	http_resp_free(&r);
	get_as(&r, "/tables/fmt_item?select=id&id=eq.1", "text/csv; q=0, */*; q=0.1",
	    "application/json; charset=utf-8");
	http_resp_free(&r);
	get_as(&r, "/tables/fmt_item?select=id&id=eq.1", "text/html, text/csv;q=0.9",
	    "text/csv; charset=utf-8");
	http_resp_free(&r);
	/* Nothing the server can produce. */
	call(&r, "GET", "/tables/fmt_item", service, NULL, html);
	assert_error(&r, 406, "PGRST107");
	http_resp_free(&r);
}
END_TEST

/* Reads answer their rows even where the table's columns carry the names
 * the statement gives its own pieces (the rows' and the CSV header's
 * aliases, an embed's): a list, a row by key, CSV, and embeds both ways. */
START_TEST(test_reads_whatever_its_columns)
{
	static const char row[] = "{\"id\":1,\"_fb_src\":\"s\",\"_fb_h\":\"h\",\"_fb_s\":\"x\","
	                          "\"_fb_x1\":\"a\",\"_fb_x2\":\"b\"}";
	char want[256];
	struct http_resp r;

	tokens();
	sql("CREATE TABLE IF NOT EXISTS shadow_parent (id integer PRIMARY KEY, _fb_src text,"
	    " _fb_h text, _fb_s text, _fb_x1 text, _fb_x2 text);"
	    " CREATE TABLE IF NOT EXISTS shadow_kid (id integer PRIMARY KEY,"
	    " parent integer REFERENCES shadow_parent, _fb_x1 text, _fb_x2 text, _fb_x3 text)");
	sql("TRUNCATE shadow_parent, shadow_kid;"
	    " INSERT INTO shadow_parent VALUES (1, 's', 'h', 'x', 'a', 'b');"
	    " INSERT INTO shadow_kid VALUES (7, 1, 'k1', 'k2', 'k3')");
	snprintf(want, sizeof(want), "[%s]", row);
	get_as(&r, "/tables/shadow_parents?order=id", "application/json",
	    "application/json; charset=utf-8");
	ck_assert_str_eq(r.body, want);
	http_resp_free(&r);
	get_as(&r, "/tables/shadow_parents/1", "application/json",
	    "application/json; charset=utf-8");
	ck_assert_str_eq(r.body, row);
	http_resp_free(&r);
	get_as(&r, "/tables/shadow_parents?order=id", "text/csv", "text/csv; charset=utf-8");
	ck_assert_str_eq(r.body, "id,_fb_src,_fb_h,_fb_s,_fb_x1,_fb_x2\n1,s,h,x,a,b");
	http_resp_free(&r);
	get_as(&r, "/tables/shadow_parents?select=id,shadow_kid(id,_fb_x1,_fb_x2,_fb_x3)",
	    "application/json", "application/json; charset=utf-8");
	ck_assert_str_eq(r.body,
	    "[{\"id\":1,\"shadow_kid\":[{\"id\":7,\"_fb_x1\":\"k1\","
	    "\"_fb_x2\":\"k2\",\"_fb_x3\":\"k3\"}]}]");
	http_resp_free(&r);
	get_as(&r, "/tables/shadow_kids?select=id,shadow_parent(_fb_src,_fb_x1,_fb_x2)",
	    "application/json", "application/json; charset=utf-8");
	ck_assert_str_eq(r.body,
	    "[{\"id\":7,\"shadow_parent\":{\"_fb_src\":\"s\","
	    "\"_fb_x1\":\"a\",\"_fb_x2\":\"b\"}}]");
	http_resp_free(&r);
	sql("DROP TABLE shadow_kid, shadow_parent");
}
END_TEST

/* A request with a CSV body (and more headers, NULL-terminated). */
static void
post_csv(struct http_resp *r, const char *path, const char *body, const char *h1, const char *h2)
{
	char auth[2100];
	const char *h[] = { auth, "Content-Type: text/csv", h1, h2, NULL };

	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", service);
	http_do("POST", api_url(path), h, body, strlen(body), r);
}

START_TEST(test_csv_in)
{
	struct http_resp r;
	struct json_object *o, *err;

	fmt_setup();
	post_csv(&r, "/tables/fmt_item",
	    "id,name,note,qty\r\n"
	    "10,\"x, y\",\"say \"\"hi\"\"\nthere\",5\r\n"
	    "\r\n"
	    "11,NULL,,NULL\n",
	    "Prefer: return=representation", NULL);
	ck_assert_msg(r.status == 201, "%ld %s", r.status, r.body);
	ck_assert_str_eq(ids_of(&r, "id"), "10,11");
	http_resp_free(&r);
	ck_assert_str_eq(sql("SELECT name, replace(note, chr(10), '|'), qty FROM fmt_item"
	                     " WHERE id = 10"),
	    "x, y|say \"hi\"|there|5");
	ck_assert_str_eq(sql("SELECT name IS NULL, note = '', qty IS NULL FROM fmt_item"
	                     " WHERE id = 11"),
	    "t|t|t");

	/* The rows written, as CSV too. */
	post_csv(&r, "/tables/fmt_item?select=id,name", "id,name\n12,twelve",
	    "Prefer: return=representation", "Accept: text/csv");
	ck_assert_msg(r.status == 201, "%ld %s", r.status, r.body);
	expect_header(&r, "Content-Type", "text/csv; charset=utf-8");
	ck_assert_str_eq(r.body, "id,name\n12,twelve");
	http_resp_free(&r);

	/* A record of another size than the header: its line, nothing written. */
	post_csv(&r, "/tables/fmt_item", "id,name\n20,a\n21,b,c\n", NULL, NULL);
	assert_error(&r, 400, "PGRST102");
	o = json_body(&r);
	ck_assert_msg(strstr(jstr(o, "message"), "line 3") != NULL, "%s", r.body);
	json_object_put(o);
	http_resp_free(&r);
	ck_assert_str_eq(sql("SELECT count(*) FROM fmt_item WHERE id IN (20, 21)"), "0");
	post_csv(&r, "/tables/fmt_item", "id,name\n22,\"open\n", NULL, NULL);
	assert_error(&r, 400, "PGRST102");
	http_resp_free(&r);
	post_csv(&r, "/tables/fmt_item", "id,,name\n23,a,b\n", NULL, NULL);
	assert_error(&r, 400, "PGRST102");
	http_resp_free(&r);
	/* A column the table lacks. */
	post_csv(&r, "/tables/fmt_item", "id,nope\n24,a\n", NULL, NULL);
	assert_error(&r, 400, "PGRST204");
	err = json_body(&r);
	ck_assert_ptr_nonnull(strstr(jstr(err, "message"), "nope"));
	json_object_put(err);
	http_resp_free(&r);
	ck_assert_str_eq(sql("SELECT count(*) FROM fmt_item"), "6");
}
END_TEST

/* db_role and sub of /tables/whoami as the caller with token. */
static void
expect_caller(const char *token, const char *role, const char *sub)
{
	struct http_resp r;
	struct json_object *o, *row;

	call(&r, "GET", "/tables/whoami", token, NULL, NULL);
	ck_assert_msg(r.status == 200, "%ld %s", r.status, r.body);
	o = json_body(&r);
	row = json_object_array_get_idx(o, 0);
	ck_assert_msg(row != NULL && strcmp(jstr(row, "db_role"), role) == 0 &&
	        strcmp(jstr(row, "sub"), sub) == 0,
	    "wanted %s/%s, got %s", role, sub, r.body);
	json_object_put(o);
	http_resp_free(&r);
}

START_TEST(test_tx_rollback)
{
	const char *rollback[] = { "Prefer: return=representation, tx=rollback", NULL };
	const char *rollback_only[] = { "Prefer: tx=rollback", NULL };
	const char *minimal[] = { "Prefer: return=minimal, tx=rollback", NULL };
	const char *commit[] = { "Prefer: tx=commit", NULL };
	struct http_resp r;

	fmt_setup();
	call(&r, "POST", "/tables/fmt_item", service, "{\"id\":50,\"name\":\"gone\"}", rollback);
	ck_assert_msg(r.status == 201 && strstr(r.body, "\"gone\""), "%ld %s", r.status, r.body);
	expect_header(&r, "Preference-Applied", "return=representation, tx=rollback");
	http_resp_free(&r);
	call(&r, "PATCH", "/tables/fmt_item?id=eq.1", service, "{\"name\":\"changed\"}", rollback);
	ck_assert_msg(r.status == 200 && strstr(r.body, "\"changed\""), "%ld %s", r.status, r.body);
	expect_header(&r, "Preference-Applied", "return=representation, tx=rollback");
	http_resp_free(&r);
	call(&r, "DELETE", "/tables/fmt_item?id=eq.2", service, NULL, minimal);
	ck_assert_msg(r.status == 204, "%ld %s", r.status, r.body);
	expect_header(&r, "Preference-Applied", "return=minimal, tx=rollback");
	http_resp_free(&r);
	ck_assert_str_eq(sql("SELECT string_agg(id || ':' || coalesce(name, '-'), ',' ORDER BY id)"
	                     " FROM fmt_item WHERE id IN (1, 2, 3, 50)"),
	    "1:plain,2:He said \"hi\",3:-");
	/* tx=commit is the default, said so. */
	call(&r, "PATCH", "/tables/fmt_item?id=eq.3", service, "{\"name\":\"kept\"}", commit);
	ck_assert_msg(r.status < 300, "%ld %s", r.status, r.body);
	expect_header(&r, "Preference-Applied", "tx=commit");
	http_resp_free(&r);
	ck_assert_str_eq(sql("SELECT name FROM fmt_item WHERE id = 3"), "kept");

	/* As signed-in callers under RLS, a failing one among them: every
	 * worker still knows who calls next, and nothing was kept. */
	for (int i = 0; i < 12; i++) {
		call(&r, "POST", "/tables/notes", i % 2 ? alice : bob, "{\"body\":\"fmt dry run\"}",
		    rollback);
		ck_assert_msg(r.status == 201, "%ld %s", r.status, r.body);
		http_resp_free(&r);
		call(&r, "POST", "/tables/fmt_item", service, "{\"id\":1}", rollback_only);
		assert_error(&r, 409, "23505");
		http_resp_free(&r);
		expect_caller(alice, "authenticated", ALICE);
		expect_caller(bob, "authenticated", BOB);
		expect_caller(NULL, "anon", "");
	}
	ck_assert_str_eq(sql("SELECT count(*) FROM notes WHERE body = 'fmt dry run'"), "0");
}
END_TEST

START_TEST(test_max_affected)
{
	const char *over[] = { "Prefer: handling=strict, max-affected=2", NULL };
	const char *lenient[] = { "Prefer: max-affected=1", NULL };
	const char *bad[] = { "Prefer: handling=strict, max-affected=two", NULL };
	struct http_resp r;
	struct json_object *o;

	fmt_setup();
	call(&r, "PATCH", "/tables/fmt_item?id=gt.0", service, "{\"qty\":9}", over);
	assert_error(&r, 400, "PGRST124");
	o = json_body(&r);
	ck_assert_str_eq(jstr(o, "message"),
	    "Query result exceeds max-affected preference constraint");
	ck_assert_str_eq(jstr(o, "details"), "The query affects 3 rows");
	json_object_put(o);
	http_resp_free(&r);
	ck_assert_str_eq(sql("SELECT count(*) FROM fmt_item WHERE qty = 9"), "0");
	call(&r, "DELETE", "/tables/fmt_item?id=gt.0", service, NULL, over);
	assert_error(&r, 400, "PGRST124");
	http_resp_free(&r);
	ck_assert_str_eq(sql("SELECT count(*) FROM fmt_item"), "3");

	/* At the limit: done, and said so. */
	call(&r, "PATCH", "/tables/fmt_item?id=lte.2", service, "{\"qty\":9}", over);
	ck_assert_msg(r.status < 300, "%ld %s", r.status, r.body);
	expect_header(&r, "Preference-Applied", "handling=strict, max-affected=2");
	http_resp_free(&r);
	ck_assert_str_eq(sql("SELECT count(*) FROM fmt_item WHERE qty = 9"), "2");
	call(&r, "DELETE", "/tables/fmt_item?id=eq.3", service, NULL, over);
	ck_assert_msg(r.status < 300, "%ld %s", r.status, r.body);
	http_resp_free(&r);
	ck_assert_str_eq(sql("SELECT count(*) FROM fmt_item"), "2");

	/* Without handling=strict it is ignored, as PostgREST does. */
	call(&r, "PATCH", "/tables/fmt_item?id=gt.0", service, "{\"qty\":7}", lenient);
	ck_assert_msg(r.status < 300, "%ld %s", r.status, r.body);
	ck_assert_ptr_null(http_header(&r, "Preference-Applied"));
	http_resp_free(&r);
	ck_assert_str_eq(sql("SELECT count(*) FROM fmt_item WHERE qty = 7"), "2");
	call(&r, "PATCH", "/tables/fmt_item?id=gt.0", service, "{\"qty\":7}", bad);
	assert_error(&r, 400, "PGRST122");
	http_resp_free(&r);
}
END_TEST

/* RAISE SQLSTATE 'PTxyz': status xyz with the function's own words, even
 * 503, which is not the database being unavailable. */
START_TEST(test_raised_status)
{
	struct http_resp r;
	struct json_object *o;

	tokens();
	sql("CREATE OR REPLACE FUNCTION fmt_busy() RETURNS integer LANGUAGE plpgsql AS"
	    " 'BEGIN RAISE SQLSTATE ''PT503'' USING MESSAGE = ''kettle busy'',"
	    " DETAIL = ''try later'', HINT = ''wait''; END';"
	    " CREATE OR REPLACE VIEW fmt_busy_view AS SELECT fmt_busy() AS x");
	call(&r, "GET", "/tables/fmt_busy_view", service, NULL, NULL);
	assert_error(&r, 503, "PT503");
	o = json_body(&r);
	ck_assert_str_eq(jstr(o, "message"), "kettle busy");
	ck_assert_str_eq(jstr(o, "details"), "try later");
	ck_assert_str_eq(jstr(o, "hint"), "wait");
	json_object_put(o);
	http_resp_free(&r);
}
END_TEST

START_TEST(test_statement_timeout)
{
	struct http_resp r;

	fmt_setup();
	sql("CREATE OR REPLACE VIEW fmt_slow AS SELECT 1 AS n FROM pg_sleep(8)");
	stack_set("tables", "statement_timeout", "1");
	call(&r, "GET", "/tables/fmt_slow", service, NULL, NULL);
	assert_error(&r, 504, "57014");
	ck_assert_msg(r.seconds > 0.8 && r.seconds < 4, "answered in %.2f s", r.seconds);
	http_resp_free(&r);
	/* The workers are free: quick answers at once, on every one. */
	for (int i = 0; i < 8; i++) {
		call(&r, "GET", "/tables/fmt_item?select=id&id=eq.1", service, NULL, NULL);
		ck_assert_msg(r.status == 200 && r.seconds < 0.8, "%ld in %.2f s: %s", r.status,
		    r.seconds, r.body);
		http_resp_free(&r);
	}
	stack_set("tables", "statement_timeout", "10");
	call(&r, "GET", "/tables/fmt_item?select=id&id=eq.1", service, NULL, NULL);
	ck_assert_int_eq(r.status, 200);
	http_resp_free(&r);
}
END_TEST

TCase *
tables_formats_tcase(void)
{
	TCase *tc = tcase_create("tables_formats");

	tcase_add_test(tc, test_csv_out);
	tcase_add_test(tc, test_csv_in);
	tcase_add_test(tc, test_reads_whatever_its_columns);
	tcase_add_test(tc, test_tx_rollback);
	tcase_add_test(tc, test_max_affected);
	tcase_add_test(tc, test_raised_status);
	tcase_add_test(tc, test_statement_timeout);
	return tc;
}
