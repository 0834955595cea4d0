/*
 * The tables API through nginx against the fixture schema (fixture.sql):
 * both filter grammars, every route, counts, singular objects, row-level
 * security and hostile input (views, schemas, reloads, the one round trip
 * and the request identity: tables_session_test.c).
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

#include "client.h"
#include "suites.h"
#include "tables_client.h"

START_TEST(test_read_select_order_paging)
{
	const char *range[] = { "Range: 1-2", NULL };
	const char *count[] = { "Prefer: count=exact", NULL };
	struct http_resp r;

	tokens();
	ck_assert_str_eq(get_ids("/tables/products?order=id"), "1,2,3,4");
	/* The exact name works too, and other schemas' tables are not visible. */
	ck_assert_str_eq(get_ids("/tables/product?id=lte.2"), "1,2");

	call(&r, "GET", "/tables/products?select=id,label:name&order=price.desc.nullslast&limit=2",
	    service, NULL, NULL);
	ck_assert_int_eq(r.status, 200);
	ck_assert_msg(strstr(r.body, "\"label\":\"apple\"") && !strstr(r.body, "price"), "%s",
	    r.body);
	ck_assert_msg(strstr(r.body, "apple") < strstr(r.body, "carrot"), "%s", r.body);
	expect_header(&r, "Content-Range", "0-1/*");
	http_resp_free(&r);

	call(&r, "GET", "/tables/products?order=id&limit=2&offset=1", service, NULL, count);
	ck_assert_str_eq(ids_of(&r, "id"), "2,3");
	expect_header(&r, "Content-Range", "1-2/4");
	http_resp_free(&r);

	call(&r, "GET", "/tables/products?order=id", service, NULL, range);
	ck_assert_str_eq(ids_of(&r, "id"), "2,3");
	expect_header(&r, "Content-Range", "1-2/*");
	http_resp_free(&r);

	call(&r, "GET", "/tables/products?id=gt.100", service, NULL, count);
	ck_assert_str_eq(r.body, "[]");
	expect_header(&r, "Content-Range", "*/0");
	http_resp_free(&r);

	call(&r, "HEAD", "/tables/products", service, NULL, count);
	ck_assert_int_eq(r.status, 200);
	ck_assert_uint_eq(r.len, 0);
	expect_header(&r, "Content-Range", "0-3/4");
	http_resp_free(&r);

	/* planned and estimated come back as numbers too. */
	{
		const char *planned[] = { "Prefer: count=planned", NULL };
		const char *estimated[] = { "Prefer: count=estimated", NULL };

		call(&r, "GET", "/tables/products?limit=1", service, NULL, planned);
		ck_assert_int_eq(r.status, 200);
		expect_header(&r, "Content-Range", "0-0/4");
		http_resp_free(&r);
		call(&r, "GET", "/tables/products?limit=1", service, NULL, estimated);
		expect_header(&r, "Content-Range", "0-0/4");
		http_resp_free(&r);
	}
}
END_TEST

/* Each filter in both spellings gives the same rows. */
START_TEST(test_every_operator_both_spellings)
{
	static const struct {
		const char *fluxbase, *postgrest, *want;
	} cases[] = {
		{ "price.eq=0.25", "price=eq.0.25", "2" },
		{ "price.neq=0.25", "price=neq.0.25", "1,3" },
		{ "price.gt=0.8", "price=gt.0.8", "1" },
		{ "price.gte=0.8", "price=gte.0.8", "1,3" },
		{ "price.lt=0.8", "price=lt.0.8", "2" },
		{ "price.lte=0.8", "price=lte.0.8", "2,3" },
		{ "name.like=*an*", "name=like.*an*", "2" },
		{ "name.ilike=*AN*", "name=ilike.*AN*", "2" },
		{ "name.match=^[ab]", "name=match.^[ab]", "1,2" },
		{ "name.imatch=^[AB]", "name=imatch.^[AB]", "1,2" },
		{ "name.in=(apple,%22dates,%20dried%22)", "name=in.(apple,%22dates,%20dried%22)",
		    "1,4" },
		{ "id.in=(2,3)", "id=in.(2,3)", "2,3" },
		{ "price.is=null", "price=is.null", "4" },
		{ "price.is=not_null", "price=is.not_null", "1,2,3" },
		{ "active.is=true", "active=is.true", "1,4" },
		{ "active.is=false", "active=is.false", "2" },
		{ "active.is=unknown", "active=is.unknown", "3" },
		{ "feeling.isdistinct=ok", "feeling=isdistinct.ok", "1,3,4" },
		{ "search.fts=fox%20%26%20dog", "search=fts.fox%20%26%20dog", "3" },
		{ "search.plfts=dogs%20sleep", "search=plfts.dogs%20sleep", "2" },
		{ "search.phfts=quick%20brown", "search=phfts.quick%20brown", "1" },
		{ "search.wfts=fox%20-quick", "search=wfts.fox%20-quick", "3" },
		{ "body.fts(english)=friend", "body=fts(english).friend", "3" },
		{ "tags.cs=%7Bfruit%7D", "tags=cs.%7Bfruit%7D", "1,2" },
		{ "tags.cd=%7Bfruit,red,green%7D", "tags=cd.%7Bfruit,red,green%7D", "1,4" },
		{ "tags.ov=%7Bveg,yellow%7D", "tags=ov.%7Bveg,yellow%7D", "2,3" },
		{ "meta.cs=%7B%22color%22:%22red%22%7D", "meta=cs.%7B%22color%22:%22red%22%7D",
		    "1" },
		{ "name.not.eq=apple", "name=not.eq.apple", "2,3,4" },
		{ "price.not.is=null", "price=not.is.null", "1,2,3" },
		{ "name.is.null", "name=is.null", "" },
	};
	char path[512];

	tokens();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(path, sizeof(path), "/tables/products?%s", cases[i].fluxbase);
		ck_assert_msg(strcmp(get_ids(path), cases[i].want) == 0, "%s gave %s, wanted %s",
		    cases[i].fluxbase, get_ids(path), cases[i].want);
		snprintf(path, sizeof(path), "/tables/products?%s", cases[i].postgrest);
		ck_assert_msg(strcmp(get_ids(path), cases[i].want) == 0, "%s gave %s, wanted %s",
		    cases[i].postgrest, get_ids(path), cases[i].want);
	}
	/* Repeated filters are ANDed; groups nest and negate. */
	ck_assert_str_eq(get_ids("/tables/products?price=gt.0.2&price.lt=1"), "2,3");
	ck_assert_str_eq(get_ids("/tables/products?or=(price.gt.1,name.eq.%22dates,%20dried%22)"),
	    "1,4");
	ck_assert_str_eq(get_ids(
	                     "/tables/products?or=(id.eq.4,and(price.gt.0.5,tags.cs.%7Bveg%7D))"),
	    "3,4");
	ck_assert_str_eq(get_ids("/tables/products?not.or=(id.eq.1,id.eq.2)"), "3,4");
	ck_assert_str_eq(get_ids("/tables/products?and=(stock.gt.0,not.or(id.eq.1,id.eq.3))"), "4");
	ck_assert_str_eq(get_ids("/tables/products?or=(id.in.(1,2),name.like.car*)&id=neq.2"),
	    "1,3");
}
END_TEST

START_TEST(test_bad_queries_are_400)
{
	static const char *bad[] = {
		"/tables/products?nme=eq.1",
		"/tables/products?name=eqq.1",
		"/tables/products?select=nope",
		"/tables/products?order=name.up",
		"/tables/products?limit=x",
		"/tables/products?or=(id.eq.1",
		"/tables/products?id=eq.notanumber",
		"/tables/products?id=in.1,2",
		"/tables/products?select=nosuchtable(*)",
		"/tables/products?select=name::no-such-type",
	};
	struct http_resp r;

	tokens();
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		call(&r, "GET", bad[i], service, NULL, NULL);
		ck_assert_msg(r.status == 400, "%s: %ld %s", bad[i], r.status, r.body);
		{
			struct json_object *o = json_body(&r);

			ck_assert(jstr(o, "message")[0] != '\0');
			ck_assert_ptr_nonnull(strstr(r.body, "\"hint\""));
			json_object_put(o);
		}
		http_resp_free(&r);
	}
	call(&r, "GET", "/tables/nosuchtable", service, NULL, NULL);
	assert_error(&r, 404, "NOT_FOUND");
	http_resp_free(&r);
}
END_TEST

START_TEST(test_item_routes)
{
	struct http_resp r;
	struct json_object *o;

	tokens();
	call(&r, "GET", "/tables/products/1", service, NULL, NULL);
	ck_assert_int_eq(r.status, 200);
	o = json_body(&r);
	ck_assert_str_eq(jstr(o, "name"), "apple");
	json_object_put(o);
	http_resp_free(&r);

	call(&r, "GET", "/tables/products/999", service, NULL, NULL);
	assert_error(&r, 404, "NOT_FOUND");
	http_resp_free(&r);
	call(&r, "GET", "/tables/products/abc", service, NULL, NULL);
	ck_assert_int_eq(r.status, 400);
	http_resp_free(&r);
	call(&r, "GET", "/tables/event_logs/1", service, NULL, NULL);
	assert_error(&r, 404, "NOT_FOUND");
	http_resp_free(&r);
	/* A plural that is not a plain +s: box -> boxes. */
	call(&r, "GET", "/tables/boxes/1", service, NULL, NULL);
	ck_assert_int_eq(r.status, 200);
	http_resp_free(&r);

	call(&r, "PATCH", "/tables/products/3", service, "{\"stock\": 42}", NULL);
	ck_assert_int_eq(r.status, 200);
	o = json_body(&r);
	ck_assert_str_eq(jstr(o, "stock"), "42");
	ck_assert_str_eq(jstr(o, "name"), "carrot");
	json_object_put(o);
	http_resp_free(&r);
	ck_assert_str_eq(sql("SELECT stock FROM product WHERE id = 3"), "42");
	call(&r, "PATCH", "/tables/products/999", service, "{\"stock\": 1}", NULL);
	assert_error(&r, 404, "NOT_FOUND");
	http_resp_free(&r);

	/* PUT replaces the whole row: absent columns take their default. */
	call(&r, "PUT", "/tables/products/3", service, "{\"name\": \"carrot2\", \"price\": 2}",
	    NULL);
	ck_assert_msg(r.status == 200, "%ld %s", r.status, r.body);
	http_resp_free(&r);
	ck_assert_str_eq(sql("SELECT name || ' ' || stock || ' ' || coalesce(body, '-') || ' ' || "
	                     "tags::text FROM product WHERE id = 3"),
	    "carrot2 0 - {}");
	call(&r, "PUT", "/tables/products/3", service, "{\"id\": 4, \"name\": \"x\"}", NULL);
	assert_error(&r, 400, "VALIDATION");
	http_resp_free(&r);

	call(&r, "DELETE", "/tables/boxes/1", service, NULL, NULL);
	ck_assert_int_eq(r.status, 204);
	ck_assert_uint_eq(r.len, 0);
	http_resp_free(&r);
	call(&r, "DELETE", "/tables/boxes/1", service, NULL, NULL);
	assert_error(&r, 404, "NOT_FOUND");
	http_resp_free(&r);
	ck_assert_str_eq(sql("SELECT count(*) FROM box"), "0");
}
END_TEST

START_TEST(test_inserts_and_batches)
{
	const char *minimal[] = { "Prefer: return=minimal", NULL };
	const char *merge[] = { "Prefer: resolution=merge-duplicates", NULL };
	const char *ignore[] = { "Prefer: resolution=ignore-duplicates", NULL };
	const char *missing[] = { "Prefer: missing=default", NULL };
	struct http_resp r;
	struct json_object *o;
	struct strbuf_like {
		char *p;
		size_t n;
	} big;

	tokens();
	call(&r, "POST", "/tables/categories", service, "{\"id\": 10, \"title\": \"nuts\"}", NULL);
	ck_assert_int_eq(r.status, 201);
	o = json_body(&r);
	ck_assert(json_object_is_type(o, json_type_object));
	ck_assert_str_eq(jstr(o, "title"), "nuts");
	json_object_put(o);
	http_resp_free(&r);

	/* PostgREST's shape when representation is asked for: an array. */
	{
		const char *rep[] = { "Prefer: return=representation", NULL };

		call(&r, "POST", "/tables/categories", service, "{\"id\": 17, \"title\": \"bean\"}",
		    rep);
		ck_assert_int_eq(r.status, 201);
		ck_assert_str_eq(ids_of(&r, "id"), "17");
		http_resp_free(&r);
	}
	call(&r, "POST", "/tables/categories", service,
	    "[{\"id\": 11, \"title\": \"grain\"}, {\"id\": 12, \"title\": \"herb\"}]", NULL);
	ck_assert_int_eq(r.status, 201);
	ck_assert_str_eq(ids_of(&r, "id"), "11,12");
	http_resp_free(&r);

	call(&r, "POST", "/tables/categories", service, "{\"id\": 13, \"title\": \"seed\"}",
	    minimal);
	ck_assert_int_eq(r.status, 201);
	ck_assert_uint_eq(r.len, 0);
	http_resp_free(&r);

	/* Unique violation, foreign key, not null, check: 409, 409, 400, 400. */
	call(&r, "POST", "/tables/categories", service, "{\"id\": 14, \"title\": \"nuts\"}", NULL);
	assert_error(&r, 409, "23505");
	http_resp_free(&r);
	call(&r, "POST", "/tables/products", service, "{\"name\": \"x\", \"category_id\": 99}",
	    NULL);
	assert_error(&r, 409, "23503");
	http_resp_free(&r);
	call(&r, "POST", "/tables/products", service, "{\"price\": 1}", NULL);
	assert_error(&r, 400, "23502");
	http_resp_free(&r);
	call(&r, "POST", "/tables/products", service, "{\"name\": \"x\", \"price\": -1}", NULL);
	assert_error(&r, 400, "23514");
	http_resp_free(&r);
	call(&r, "POST", "/tables/products", service, "{\"name\": \"x\", \"nope\": 1}", NULL);
	ck_assert_int_eq(r.status, 400);
	ck_assert_ptr_nonnull(strstr(r.body, "PGRST204"));
	http_resp_free(&r);
	call(&r, "POST", "/tables/products", service, "{\"name\": ", NULL);
	assert_error(&r, 400, "INVALID_JSON");
	http_resp_free(&r);
	call(&r, "POST", "/tables/products", service, "[1, 2]", NULL);
	assert_error(&r, 400, "INVALID_JSON");
	http_resp_free(&r);

	/* Upserts. */
	call(&r, "POST", "/tables/categories", service,
	    "[{\"id\": 10, \"title\": \"nuts2\"}, {\"id\": 15, \"title\": \"leaf\"}]", merge);
	ck_assert_int_eq(r.status, 201);
	http_resp_free(&r);
	ck_assert_str_eq(
	    sql("SELECT string_agg(title, ',' ORDER BY id) FROM category WHERE id IN (10, 15)"),
	    "nuts2,leaf");
	call(&r, "POST", "/tables/categories", service,
	    "[{\"id\": 10, \"title\": \"nuts3\"}, {\"id\": 16, \"title\": \"root\"}]", ignore);
	ck_assert_int_eq(r.status, 201);
	ck_assert_str_eq(ids_of(&r, "id"), "16");
	http_resp_free(&r);
	ck_assert_str_eq(sql("SELECT title FROM category WHERE id = 10"), "nuts2");

	/* missing=default: keys absent from one row take the column default. */
	call(&r, "POST", "/tables/products?select=name,stock", service,
	    "[{\"name\": \"m1\", \"stock\": 7}, {\"name\": \"m2\"}]", missing);
	ck_assert_int_eq(r.status, 201);
	ck_assert_msg(strstr(r.body, "\"name\":\"m2\",\"stock\":0") != NULL, "%s", r.body);
	http_resp_free(&r);

	/* 1,000 rows in one request. */
	big.n = 1000 * 40 + 16;
	big.p = malloc(big.n);
	strcpy(big.p, "[");
	for (int i = 0; i < 1000; i++)
		snprintf(big.p + strlen(big.p), big.n - strlen(big.p), "%s{\"name\":\"bulk%d\"}",
		    i ? "," : "", i);
	strcat(big.p, "]");
	call(&r, "POST", "/tables/products", service, big.p, minimal);
	ck_assert_msg(r.status == 201, "%ld %s", r.status, r.body);
	http_resp_free(&r);
	free(big.p);
	ck_assert_str_eq(sql("SELECT count(*) FROM product WHERE name LIKE 'bulk%'"), "1000");

	/* Batch PATCH and DELETE need a filter. */
	call(&r, "PATCH", "/tables/products", service, "{\"stock\": 1}", NULL);
	assert_error(&r, 400, "FILTER_REQUIRED");
	http_resp_free(&r);
	call(&r, "DELETE", "/tables/products", service, NULL, NULL);
	assert_error(&r, 400, "FILTER_REQUIRED");
	http_resp_free(&r);
	call(&r, "PATCH", "/tables/products?name=like.bulk99*&select=id,stock", service,
	    "{\"stock\": 99}", NULL);
	ck_assert_int_eq(r.status, 200);
	o = json_body(&r);
	ck_assert_int_eq((int)json_object_array_length(o), 11);
	json_object_put(o);
	http_resp_free(&r);
	call(&r, "DELETE", "/tables/products?name=like.bulk*", service, NULL, minimal);
	ck_assert_int_eq(r.status, 204);
	http_resp_free(&r);
	ck_assert_str_eq(sql("SELECT count(*) FROM product WHERE name LIKE 'bulk%'"), "0");
}
END_TEST

START_TEST(test_singular_object)
{
	const char *one[] = { "Accept: application/vnd.pgrst.object+json", NULL };
	struct http_resp r;
	struct json_object *o;

	tokens();
	call(&r, "GET", "/tables/products?id=eq.1", service, NULL, one);
	ck_assert_int_eq(r.status, 200);
	o = json_body(&r);
	ck_assert(json_object_is_type(o, json_type_object));
	json_object_put(o);
	http_resp_free(&r);

	call(&r, "GET", "/tables/products?id=in.(1,2)", service, NULL, one);
	assert_error(&r, 406, "PGRST116");
	o = json_body(&r);
	ck_assert_str_eq(jstr(o, "details"), "The result contains 2 rows");
	json_object_put(o);
	http_resp_free(&r);

	/* A write that touches two rows is rolled back. */
	call(&r, "PATCH", "/tables/products?id=in.(1,2)", service, "{\"stock\": 777}", one);
	assert_error(&r, 406, "PGRST116");
	http_resp_free(&r);
	ck_assert_str_eq(sql("SELECT count(*) FROM product WHERE stock = 777"), "0");
}
END_TEST

START_TEST(test_row_level_security)
{
	struct http_resp r;
	char path[128];
	long bob_note;

	tokens();
	call(&r, "POST", "/tables/notes", alice, "{\"body\": \"alice 1\"}", NULL);
	ck_assert_msg(r.status == 201, "%ld %s", r.status, r.body);
	http_resp_free(&r);
	call(&r, "POST", "/tables/notes", bob, "{\"body\": \"bob 1\"}", NULL);
	ck_assert_int_eq(r.status, 201);
	http_resp_free(&r);
	/* Alice cannot write a note in Bob's name. */
	call(&r, "POST", "/tables/notes", alice, "{\"body\": \"x\", \"owner\": \"" BOB "\"}", NULL);
	ck_assert_int_eq(r.status, 403);
	http_resp_free(&r);

	call(&r, "GET", "/tables/notes", alice, NULL, NULL);
	ck_assert_int_eq(r.status, 200);
	ck_assert(strstr(r.body, "alice 1") && !strstr(r.body, "bob 1"));
	http_resp_free(&r);
	call(&r, "GET", "/tables/notes", service, NULL, NULL);
	ck_assert(strstr(r.body, "alice 1") && strstr(r.body, "bob 1"));
	http_resp_free(&r);

	bob_note = atol(sql("SELECT id FROM notes WHERE body = 'bob 1'"));
	snprintf(path, sizeof(path), "/tables/notes/%ld", bob_note);
	call(&r, "PATCH", path, alice, "{\"body\": \"hacked\"}", NULL);
	assert_error(&r, 404, "NOT_FOUND");
	http_resp_free(&r);
	call(&r, "DELETE", path, alice, NULL, NULL);
	assert_error(&r, 404, "NOT_FOUND");
	http_resp_free(&r);
	ck_assert_str_eq(sql("SELECT body FROM notes WHERE owner = '" BOB "'"), "bob 1");

	/* Grants: anon has none on notes (401), authenticated none on secrets (403). */
	call(&r, "GET", "/tables/notes", NULL, NULL, NULL);
	assert_error(&r, 401, "42501");
	http_resp_free(&r);
	call(&r, "GET", "/tables/products?id=eq.1", NULL, NULL, NULL);
	ck_assert_int_eq(r.status, 200);
	http_resp_free(&r);
	call(&r, "POST", "/tables/products", NULL, "{\"name\": \"anon\"}", NULL);
	assert_error(&r, 401, "42501");
	http_resp_free(&r);
	call(&r, "GET", "/tables/secrets", alice, NULL, NULL);
	assert_error(&r, 403, "42501");
	http_resp_free(&r);

	/* Bad tokens are 401 before anything reaches SQL. */
	call(&r, "GET", "/tables/products", "not-a-token", NULL, NULL);
	assert_error(&r, 401, "INVALID_TOKEN");
	http_resp_free(&r);
	{
		char weird[2048];

		mint_token(weird, sizeof(weird), "postgres", NULL);
		call(&r, "GET", "/tables/products", weird, NULL, NULL);
		assert_error(&r, 401, "INVALID_TOKEN");
		http_resp_free(&r);
	}
}
END_TEST

START_TEST(test_hostile_input)
{
	static const char *paths[] = {
		"/tables/products?na%22me=eq.1",
		"/tables/products?name;drop%20table%20product=eq.1",
		"/tables/products?name=eq.x%27;%20DROP%20TABLE%20product;%20--",
		"/tables/products?name=in.(%22a%22)%20or%201=1--)",
		"/tables/products?name=eq.%FF%FE",
		"/tables/products?name=eq.a%00b",
		"/tables/products?order=name;drop%20table%20product",
		"/tables/products?select=name,(select%201)",
		"/tables/products?or=(name.eq.a)%20or%20(1=1)",
		"/tables/products?select=x%22y:name",
		"/tables/products%22;drop%20table%20product;--",
		"/tables/products?name=eq./*comment*/",
		"/tables/products?name=match.(a",
	};
	char before[256], longpath[12000];
	struct http_resp r;

	tokens();
	snprintf(before, sizeof(before), "%s",
	    sql("SELECT count(*) || ':' || (SELECT count(*) FROM "
	        "pg_tables WHERE schemaname = 'public') FROM product"));
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		call(&r, "GET", paths[i], service, NULL, NULL);
		ck_assert_msg(r.status == 200 || r.status == 400 || r.status == 404, "%s: %ld %s",
		    paths[i], r.status, r.body);
		ck_assert_ptr_nonnull(strstr(r.body, r.status == 200 ? "[" : "\"code\""));
		/* Nothing matched: hostile values are data, not SQL. */
		if (r.status == 200 && strchr(paths[i], ':') == NULL)
			ck_assert_msg(strcmp(r.body, "[]") == 0, "%s: %s", paths[i], r.body);
		http_resp_free(&r);
	}
	/* A very long value. */
	strcpy(longpath, "/tables/products?name=eq.");
	memset(longpath + strlen(longpath), 'a', 10000);
	longpath[sizeof(longpath) - 1] = '\0';
	longpath[25 + 10000] = '\0';
	call(&r, "GET", longpath, service, NULL, NULL);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(r.body, "[]");
	http_resp_free(&r);
	/* Hostile JSON keys and values on writes. */
	call(&r, "POST", "/tables/products", service, "{\"name\\\"); DROP TABLE product; --\": 1}",
	    NULL);
	ck_assert_int_eq(r.status, 400);
	http_resp_free(&r);
	call(&r, "POST", "/tables/categories", service,
	    "{\"id\": 500, \"title\": \"'); DROP TABLE product; --\"}", NULL);
	ck_assert_int_eq(r.status, 201);
	http_resp_free(&r);
	ck_assert_str_eq(sql("SELECT title FROM category WHERE id = 500"),
	    "'); DROP TABLE product; --");
	ck_assert_str_eq(sql("SELECT count(*) || ':' || (SELECT count(*) FROM pg_tables WHERE "
	                     "schemaname = 'public') FROM product"),
	    before);
}
END_TEST

TCase *
tables_tcase(void)
{
	TCase *tc = tcase_create("tables");

	tcase_add_test(tc, test_read_select_order_paging);
	tcase_add_test(tc, test_every_operator_both_spellings);
	tcase_add_test(tc, test_bad_queries_are_400);
	tcase_add_test(tc, test_singular_object);
	tcase_add_test(tc, test_item_routes);
	tcase_add_test(tc, test_inserts_and_batches);
	tcase_add_test(tc, test_row_level_security);
	tcase_add_test(tc, test_hostile_input);
	return tc;
}
