/*
 * The tables API against PostgREST 12's documented behaviour, through
 * nginx: range and quantified operators (both filter grammars), upsert
 * answers, missing=default with identity and serial keys, counts on
 * writes and HEAD, Prefer semantics and profiles (plans and GeoJSON:
 * tables_media_test.c).  The fixture's reservation table is only read
 * here, so its counts are stable.
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

/* Each case in both grammars: Fluxbase col.op=value, PostgREST col=op.value. */
struct both {
	const char *fluxbase, *postgrest, *want;
};

static void
check_both(const struct both *cases, size_t n)
{
	char path[512];

	for (size_t i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "/tables/reservations?%s", cases[i].fluxbase);
		ck_assert_msg(strcmp(get_ids(path), cases[i].want) == 0, "%s: got %s, wanted %s",
		    path, get_ids(path), cases[i].want);
		snprintf(path, sizeof(path), "/tables/reservations?%s", cases[i].postgrest);
		ck_assert_msg(strcmp(get_ids(path), cases[i].want) == 0, "%s: got %s, wanted %s",
		    path, get_ids(path), cases[i].want);
	}
}

/* reservation: 1 [1,2)  2 [25,35)  3 [25,35)  4 [20,30) */
START_TEST(test_range_operators)
{
	static const struct both cases[] = {
		{ "age_range.sl=[2,25)", "age_range=sl.[2,25)", "1" },
		{ "age_range.sr=[2,25)", "age_range=sr.[2,25)", "2,3" },
		{ "age_range.nxl=[2,25)", "age_range=nxl.[2,25)", "2,3,4" },
		{ "age_range.nxr=[2,25)", "age_range=nxr.[2,25)", "1" },
		{ "age_range.adj=[2,25)", "age_range=adj.[2,25)", "1,2,3" },
		{ "age_range.ov=[2,25)", "age_range=ov.[2,25)", "4" },
		{ "age_range.cs=[26,27)", "age_range=cs.[26,27)", "2,3,4" },
		{ "age_range.cd=[0,30)", "age_range=cd.[0,30)", "1,4" },
		{ "age_range.not.sl=[2,25)", "age_range=not.sl.[2,25)", "2,3,4" },
		{ "or=(age_range.sl.%22[2,25)%22,age_range.ov.%22[20,21)%22)",
		    "or=(age_range.sl.%22[2,25)%22,age_range.ov.%22[20,21)%22)", "1,4" },
		{ "and=(age_range.nxl.%22[2,25)%22,age_range.not.ov.%22[20,21)%22)",
		    "and=(age_range.nxl.%22[2,25)%22,age_range.not.ov.%22[20,21)%22)", "2,3" },
	};
	struct http_resp r;

	tokens();
	check_both(cases, sizeof(cases) / sizeof(cases[0]));
	call(&r, "GET", "/tables/reservations?age_range=sl.[2,x)", service, NULL, NULL);
	assert_error(&r, 400, "22P02");
	http_resp_free(&r);
}
END_TEST

START_TEST(test_quantified_operators)
{
	static const struct both cases[] = {
		{ "who.like(any)={*supa*,*kiwi*}", "who=like(any).{*supa*,*kiwi*}", "1,2" },
		{ "who.like(any)={%25supa%25,%25kiwi%25}", "who=like(any).{%25supa%25,%25kiwi%25}",
		    "1,2" },
		{ "who.like(all)={*i*,*w*}", "who=like(all).{*i*,*w*}", "2,3" },
		{ "who.ilike(any)={SUPA*,DRAG*}", "who=ilike(any).{SUPA*,DRAG*}", "1,4" },
		{ "who.ilike(all)={*A*,*S*}", "who=ilike(all).{*A*,*S*}", "1,3" },
		{ "who.eq(any)={supabot,awailas}", "who=eq(any).{supabot,awailas}", "1,3" },
		{ "id.gt(all)={1,2}", "id=gt(all).{1,2}", "3,4" },
		{ "id.lte(any)={1,2}", "id=lte(any).{1,2}", "1,2" },
		{ "id.neq(all)={1,2}", "id=neq(all).{1,2}", "3,4" },
		{ "id.not.eq(any)={1,2}", "id=not.eq(any).{1,2}", "3,4" },
		{ "who.match(any)={^sup,^drag}", "who=match(any).{^sup,^drag}", "1,4" },
		{ "or=(who.like(any).{supa*,drag*},id.eq.2)",
		    "or=(who.like(any).{supa*,drag*},id.eq.2)", "1,2,4" },
	};
	static const char *const bad[] = {
		"who=like(some).{a}",
		"who=like(any).a",
		"who.like(any)=a*",
		"who=is(any).{null}",
	};
	struct http_resp r;
	char path[256];

	tokens();
	check_both(cases, sizeof(cases) / sizeof(cases[0]));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(path, sizeof(path), "/tables/reservations?%s", bad[i]);
		call(&r, "GET", path, service, NULL, NULL);
		ck_assert_msg(r.status == 400 && strstr(r.body, "PGRST100"), "%s: %ld %s", path,
		    r.status, r.body);
		http_resp_free(&r);
	}
}
END_TEST

START_TEST(test_upsert_answers)
{
	const char *merge[] = { "Prefer: resolution=merge-duplicates,return=representation", NULL };
	const char *ignore[] = { "Prefer: resolution=ignore-duplicates, return=representation",
		NULL };
	const char *merge_plain[] = { "Prefer: resolution=merge-duplicates", NULL };
	struct http_resp r;

	tokens();
	call(&r, "POST", "/tables/upsert_items", service,
	    "[{\"id\":1,\"code\":\"a\",\"qty\":1},{\"id\":2,\"code\":\"b\",\"qty\":2}]", merge);
	ck_assert_msg(r.status == 201, "%ld %s", r.status, r.body);
	ck_assert_str_eq(ids_of(&r, "id"), "1,2");
	http_resp_free(&r);

	/* An existing row is updated and answered, next to a new one. */
	call(&r, "POST", "/tables/upsert_items?select=id,qty", service,
	    "[{\"id\":1,\"code\":\"a\",\"qty\":10},{\"id\":3,\"code\":\"c\",\"qty\":3}]", merge);
	ck_assert_int_eq(r.status, 201);
	ck_assert_str_eq(ids_of(&r, "id"), "1,3");
	ck_assert_str_eq(ids_of(&r, "qty"), "3,10");
	expect_header(&r, "Preference-Applied",
	    "resolution=merge-duplicates, return=representation");
	http_resp_free(&r);

	/* A body that names nothing but the key still answers the row. */
	call(&r, "POST", "/tables/boxes", service, "{\"id\":77,\"label\":\"kept\"}", NULL);
	ck_assert_int_eq(r.status, 201);
	http_resp_free(&r);
	call(&r, "POST", "/tables/boxes", service, "[{\"id\":77}]", merge);
	ck_assert_msg(r.status == 201, "%ld %s", r.status, r.body);
	ck_assert_str_eq(r.body, "[{\"id\":77,\"label\":\"kept\"}]");
	http_resp_free(&r);
	call(&r, "DELETE", "/tables/boxes/77", service, NULL, NULL);
	ck_assert_int_eq(r.status, 204);
	http_resp_free(&r);

	/* on_conflict names another unique key. */
	call(&r, "POST", "/tables/upsert_items?on_conflict=code&select=id,qty", service,
	    "{\"id\":2,\"code\":\"b\",\"qty\":20}", merge);
	ck_assert_int_eq(r.status, 201);
	ck_assert_str_eq(ids_of(&r, "qty"), "20");
	http_resp_free(&r);

	/* Fluxbase's own answer without return=: an object for an object. */
	call(&r, "POST", "/tables/upsert_items", service, "{\"id\":2,\"code\":\"b\",\"qty\":21}",
	    merge_plain);
	ck_assert_int_eq(r.status, 201);
	ck_assert_msg(strstr(r.body, "{\"id\":2,") == r.body && strstr(r.body, "\"qty\":21"), "%s",
	    r.body);
	http_resp_free(&r);

	/* ignore-duplicates answers only the rows inserted. */
	call(&r, "POST", "/tables/upsert_items", service,
	    "[{\"id\":1,\"code\":\"a\",\"qty\":99},{\"id\":4,\"code\":\"d\",\"qty\":4}]", ignore);
	ck_assert_int_eq(r.status, 201);
	ck_assert_str_eq(ids_of(&r, "id"), "4");
	http_resp_free(&r);
	call(&r, "GET", "/tables/upsert_items?id=eq.1&select=id,qty", service, NULL, NULL);
	ck_assert_str_eq(ids_of(&r, "qty"), "10");
	http_resp_free(&r);
}
END_TEST

START_TEST(test_missing_default_identity_and_serial)
{
	const char *missing[] = { "Prefer: missing=default, return=representation", NULL };
	const char *rep[] = { "Prefer: return=representation", NULL };
	struct http_resp r;
	struct json_object *o, *x;

	tokens();
	call(&r, "POST", "/tables/ident_items", service,
	    "[{\"id\":1000,\"label\":\"given\"},{\"label\":\"drawn\"}]", missing);
	ck_assert_msg(r.status == 201, "%ld %s", r.status, r.body);
	expect_header(&r, "Preference-Applied", "missing=default, return=representation");
	o = json_body(&r);
	ck_assert_int_eq((int)json_object_array_length(o), 2);
	ck_assert(json_object_object_get_ex(json_object_array_get_idx(o, 1), "id", &x));
	ck_assert(json_object_is_type(x, json_type_int));
	ck_assert_int_ne(json_object_get_int(x), 1000);
	ck_assert(json_object_object_get_ex(json_object_array_get_idx(o, 1), "qty", &x));
	ck_assert_int_eq(json_object_get_int(x), 7);
	json_object_put(o);
	http_resp_free(&r);

	/* Without it a missing key is NULL, as in PostgREST: the identity refuses. */
	call(&r, "POST", "/tables/ident_items", service,
	    "[{\"id\":1001,\"label\":\"given\"},{\"label\":\"null\"}]", rep);
	assert_error(&r, 400, "23502");
	http_resp_free(&r);

	/* A serial key likewise. */
	call(&r, "POST", "/tables/products?select=id,name,stock", service,
	    "[{\"id\":50000,\"name\":\"s1\"},{\"name\":\"s2\"}]", missing);
	ck_assert_msg(r.status == 201, "%ld %s", r.status, r.body);
	ck_assert_msg(strstr(r.body, "\"name\":\"s2\",\"stock\":0") != NULL, "%s", r.body);
	http_resp_free(&r);
	call(&r, "DELETE", "/tables/products?name=in.(s1,s2)", service, NULL, NULL);
	ck_assert_int_eq(r.status, 200);
	http_resp_free(&r);
}
END_TEST

START_TEST(test_counts_on_writes)
{
	const char *count[] = { "Prefer: count=exact", NULL };
	const char *count_min[] = { "Prefer: count=exact, return=minimal", NULL };
	struct http_resp r;

	tokens();
	call(&r, "POST", "/tables/upsert_items", service,
	    "[{\"id\":100,\"code\":\"w1\"},{\"id\":101,\"code\":\"w2\"},{\"id\":102,\"code\":\"w3\"}]",
	    count);
	ck_assert_int_eq(r.status, 201);
	expect_header(&r, "Content-Range", "*/3");
	http_resp_free(&r);

	call(&r, "PATCH", "/tables/upsert_items?id.gte=100", service, "{\"qty\":5}", count);
	ck_assert_int_eq(r.status, 200);
	expect_header(&r, "Content-Range", "*/3");
	expect_header(&r, "Preference-Applied", "count=exact");
	http_resp_free(&r);
	call(&r, "PATCH", "/tables/upsert_items?id=gte.101", service, "{\"qty\":6}", count_min);
	ck_assert_int_eq(r.status, 204);
	expect_header(&r, "Content-Range", "*/2");
	http_resp_free(&r);
	call(&r, "PATCH", "/tables/upsert_items?id=gte.1000", service, "{\"qty\":6}", count);
	expect_header(&r, "Content-Range", "*/0");
	http_resp_free(&r);

	call(&r, "DELETE", "/tables/upsert_items?id=eq.100", service, NULL, count);
	ck_assert_int_eq(r.status, 200);
	expect_header(&r, "Content-Range", "*/1");
	http_resp_free(&r);
	call(&r, "DELETE", "/tables/upsert_items?id.gte=101", service, NULL, count_min);
	ck_assert_int_eq(r.status, 204);
	expect_header(&r, "Content-Range", "*/2");
	http_resp_free(&r);
}
END_TEST

START_TEST(test_head_counts)
{
	const char *count[] = { "Prefer: count=exact", NULL };
	const char *range[] = { "Prefer: count=exact", "Range: 1-2", NULL };
	const char *planned[] = { "Prefer: count=planned", NULL };
	struct http_resp r;

	tokens();
	call(&r, "HEAD", "/tables/reservations", service, NULL, count);
	ck_assert_int_eq(r.status, 200);
	ck_assert_uint_eq(r.len, 0);
	expect_header(&r, "Content-Range", "0-3/4");
	http_resp_free(&r);

	call(&r, "HEAD", "/tables/reservations?order=id&limit=2", service, NULL, count);
	ck_assert_int_eq(r.status, 206);
	ck_assert_uint_eq(r.len, 0);
	expect_header(&r, "Content-Range", "0-1/4");
	http_resp_free(&r);
	/* GET keeps /api/v1's 200 for the same read. */
	call(&r, "GET", "/tables/reservations?order=id&limit=2", service, NULL, count);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(ids_of(&r, "id"), "1,2");
	expect_header(&r, "Content-Range", "0-1/4");
	http_resp_free(&r);

	call(&r, "HEAD", "/tables/reservations?order=id", service, NULL, range);
	ck_assert_int_eq(r.status, 206);
	expect_header(&r, "Content-Range", "1-2/4");
	http_resp_free(&r);

	/* Filters count in both grammars. */
	call(&r, "HEAD", "/tables/reservations?age_range.cs=[26,27)", service, NULL, count);
	ck_assert_int_eq(r.status, 200);
	expect_header(&r, "Content-Range", "0-2/3");
	http_resp_free(&r);
	call(&r, "HEAD", "/tables/reservations?age_range=cs.[26,27)&limit=1", service, NULL, count);
	ck_assert_int_eq(r.status, 206);
	expect_header(&r, "Content-Range", "0-0/3");
	http_resp_free(&r);
	call(&r, "HEAD", "/tables/reservations?limit=1", service, NULL, planned);
	ck_assert_int_eq(r.status, 206);
	http_resp_free(&r);

	/* Not counted: the total is unknown, so 200. */
	call(&r, "HEAD", "/tables/reservations?limit=1", service, NULL, NULL);
	ck_assert_int_eq(r.status, 200);
	expect_header(&r, "Content-Range", "0-0/*");
	http_resp_free(&r);

	/* An offset beyond the rows. */
	call(&r, "HEAD", "/tables/reservations?offset=10", service, NULL, count);
	ck_assert_int_eq(r.status, 416);
	expect_header(&r, "Content-Range", "*/4");
	http_resp_free(&r);
	call(&r, "GET", "/tables/reservations?offset=10", service, NULL, count);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(r.body, "[]");
	http_resp_free(&r);
}
END_TEST

START_TEST(test_prefer_semantics)
{
	const char *minimal[] = { "Prefer: return=minimal", NULL };
	const char *headers_only[] = { "Prefer: return=headers-only", NULL };
	const char *strict_bad[] = { "Prefer: handling=strict, foo, bar", NULL };
	const char *strict_tx[] = { "Prefer: handling=strict, tx=maybe", NULL };
	const char *strict_ok[] = { "Prefer: handling=strict, count=exact", NULL };
	const char *lenient[] = { "Prefer: handling=lenient, foo, bar", NULL };
	struct http_resp r;
	struct json_object *o;
	char *loc;

	tokens();
	call(&r, "POST", "/tables/upsert_items", service, "{\"id\":200,\"code\":\"p1\"}", minimal);
	ck_assert_int_eq(r.status, 201);
	ck_assert_uint_eq(r.len, 0);
	expect_header(&r, "Preference-Applied", "return=minimal");
	http_resp_free(&r);

	call(&r, "POST", "/tables/upsert_items", service, "{\"id\":201,\"code\":\"p 2\"}",
	    headers_only);
	ck_assert_int_eq(r.status, 201);
	ck_assert_uint_eq(r.len, 0);
	expect_header(&r, "Location", "/api/v1/tables/upsert_items?id=eq.201");
	expect_header(&r, "Preference-Applied", "return=headers-only");
	http_resp_free(&r);
	/* The Location answers the row. */
	call(&r, "GET", "/tables/upsert_items?id=eq.201", service, NULL, NULL);
	ck_assert_str_eq(ids_of(&r, "id"), "201");
	http_resp_free(&r);
	/* Many rows: no single Location. */
	call(&r, "POST", "/tables/upsert_items", service,
	    "[{\"id\":202,\"code\":\"p3\"},{\"id\":203,\"code\":\"p4\"}]", headers_only);
	ck_assert_int_eq(r.status, 201);
	loc = http_header(&r, "Location");
	ck_assert_ptr_null(loc);
	http_resp_free(&r);

	call(&r, "PATCH", "/tables/upsert_items?id=eq.200", service, "{\"qty\":1}", minimal);
	ck_assert_int_eq(r.status, 204);
	expect_header(&r, "Preference-Applied", "return=minimal");
	http_resp_free(&r);
	call(&r, "DELETE", "/tables/upsert_items?id=gte.200", service, NULL, headers_only);
	ck_assert_int_eq(r.status, 204);
	http_resp_free(&r);

	call(&r, "GET", "/tables/reservations", service, NULL, strict_bad);
	assert_error(&r, 400, "PGRST122");
	o = json_body(&r);
	ck_assert_str_eq(jstr(o, "message"), "Invalid preferences given with handling=strict");
	ck_assert_str_eq(jstr(o, "details"), "Invalid preferences: foo, bar");
	json_object_put(o);
	http_resp_free(&r);
	call(&r, "POST", "/tables/upsert_items", service, "{\"id\":204,\"code\":\"p5\"}",
	    strict_tx);
	assert_error(&r, 400, "PGRST122");
	http_resp_free(&r);
	call(&r, "GET", "/tables/upsert_items?id=eq.204", service, NULL, NULL);
	ck_assert_str_eq(r.body, "[]");
	http_resp_free(&r);
	call(&r, "GET", "/tables/reservations", service, NULL, strict_ok);
	ck_assert_int_eq(r.status, 200);
	expect_header(&r, "Preference-Applied", "count=exact, handling=strict");
	http_resp_free(&r);
	call(&r, "GET", "/tables/reservations", service, NULL, lenient);
	ck_assert_int_eq(r.status, 200);
	expect_header(&r, "Preference-Applied", "handling=lenient");
	http_resp_free(&r);
}
END_TEST

START_TEST(test_profiles)
{
	const char *extra[] = { "Accept-Profile: extra", NULL };
	const char *public[] = { "Accept-Profile: public", NULL };
	const char *nope[] = { "Accept-Profile: nope", NULL };
	const char *write_extra[] = { "Content-Profile: extra", NULL };
	struct http_resp r;
	struct json_object *o;

	tokens();
	call(&r, "GET", "/tables/thing?id.eq=1", service, NULL, extra);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(r.body, "[{\"id\":1,\"v\":\"elsewhere\"}]");
	expect_header(&r, "Content-Profile", "extra");
	http_resp_free(&r);
	call(&r, "GET", "/tables/things?id=eq.1", service, NULL, extra);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(ids_of(&r, "id"), "1");
	http_resp_free(&r);
	call(&r, "GET", "/tables/reservations?id=eq.1", service, NULL, public);
	ck_assert_str_eq(ids_of(&r, "id"), "1");
	http_resp_free(&r);
	/* The profile chooses: public has no thing, extra no reservation. */
	call(&r, "GET", "/tables/thing", service, NULL, public);
	ck_assert_int_eq(r.status, 404);
	http_resp_free(&r);
	call(&r, "GET", "/tables/extra.thing", service, NULL, public);
	ck_assert_int_eq(r.status, 404);
	http_resp_free(&r);
	call(&r, "GET", "/tables/reservations", service, NULL, extra);
	ck_assert_int_eq(r.status, 404);
	http_resp_free(&r);

	call(&r, "GET", "/tables/thing", service, NULL, nope);
	assert_error(&r, 406, "PGRST106");
	o = json_body(&r);
	ck_assert_str_eq(jstr(o, "message"),
	    "The schema must be one of the following: public, extra");
	json_object_put(o);
	http_resp_free(&r);

	/* Writes name theirs with Content-Profile. */
	call(&r, "POST", "/tables/thing", service, "{\"id\":2,\"v\":\"written\"}", write_extra);
	ck_assert_msg(r.status == 201, "%ld %s", r.status, r.body);
	http_resp_free(&r);
	call(&r, "PATCH", "/tables/thing?id=eq.2", service, "{\"v\":\"patched\"}", write_extra);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(r.body, "[{\"id\":2,\"v\":\"patched\"}]");
	http_resp_free(&r);
	call(&r, "DELETE", "/tables/thing?id.eq=2", service, NULL, write_extra);
	ck_assert_int_eq(r.status, 200);
	http_resp_free(&r);
	call(&r, "DELETE", "/tables/thing?id.eq=2", service, NULL,
	    (const char *[]){ "Content-Profile: nope", NULL });
	assert_error(&r, 406, "PGRST106");
	http_resp_free(&r);
}
END_TEST

TCase *
tables_conformance_tcase(void)
{
	TCase *tc = tcase_create("tables_conformance");

	tcase_add_test(tc, test_range_operators);
	tcase_add_test(tc, test_quantified_operators);
	tcase_add_test(tc, test_upsert_answers);
	tcase_add_test(tc, test_missing_default_identity_and_serial);
	tcase_add_test(tc, test_counts_on_writes);
	tcase_add_test(tc, test_head_counts);
	tcase_add_test(tc, test_prefer_semantics);
	tcase_add_test(tc, test_profiles);
	return tc;
}
