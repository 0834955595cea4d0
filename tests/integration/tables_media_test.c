/*
 * The tables API's other media types, as PostgREST 12 answers them,
 * through nginx: plans (EXPLAIN of the request's own statement) and
 * GeoJSON (PostGIS's own rendering; skipped where PostGIS is missing).
 */
#include "config.h"

#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "client.h"
#include "suites.h"
#include "tables_client.h"

START_TEST(test_plans)
{
	const char *json[] = { "Accept: application/vnd.pgrst.plan+json", NULL };
	const char *text[] = { "Accept: application/vnd.pgrst.plan+text; for=\"application/json\"",
		NULL };
	const char *analyze[] = {
		"Accept: application/vnd.pgrst.plan+json; for=\"application/json\"; options=analyze|verbose",
		NULL
	};
	const char *bad[] = { "Accept: application/vnd.pgrst.plan; options=nope", NULL };
	struct http_resp r;
	struct json_object *o;
	char *ct, before[1024];

	tokens();
	call(&r, "GET", "/tables/reservations?who=eq.supabot", service, NULL, json);
	ck_assert_msg(r.status == 200, "%ld %s", r.status, r.body);
	ct = http_header(&r, "Content-Type");
	ck_assert_ptr_nonnull(ct);
	ck_assert_msg(strncmp(ct, "application/vnd.pgrst.plan+json", 31) == 0, "%s", ct);
	free(ct);
	o = json_tokener_parse(r.body);
	ck_assert_msg(o != NULL && json_object_is_type(o, json_type_array), "%s", r.body);
	ck_assert(json_object_object_get_ex(json_object_array_get_idx(o, 0), "Plan", NULL));
	json_object_put(o);
	ck_assert_ptr_nonnull(strstr(r.body, "reservation"));
	http_resp_free(&r);

	call(&r, "GET", "/tables/reservations?who.eq=supabot", service, NULL, text);
	ck_assert_int_eq(r.status, 200);
	ck_assert_msg(strstr(r.body, "Scan") != NULL && strstr(r.body, "reservation"), "%s",
	    r.body);
	http_resp_free(&r);
	call(&r, "GET", "/tables/reservations", service, NULL, analyze);
	ck_assert_int_eq(r.status, 200);
	ck_assert_msg(strstr(r.body, "Actual Rows") != NULL && strstr(r.body, "Output"), "%s",
	    r.body);
	http_resp_free(&r);
	call(&r, "GET", "/tables/reservations", service, NULL, bad);
	ck_assert_int_eq(r.status, 400);
	http_resp_free(&r);

	/* A write's plan, not the write: the rows are as they were. */
	call(&r, "GET", "/tables/upsert_items?id=in.(1,300)&select=id,qty", service, NULL, NULL);
	ck_assert_int_eq(r.status, 200);
	snprintf(before, sizeof(before), "%s", r.body);
	http_resp_free(&r);
	call(&r, "POST", "/tables/upsert_items", service, "{\"id\":300,\"code\":\"plan\"}", json);
	ck_assert_msg(r.status == 200 && strstr(r.body, "Insert"), "%ld %s", r.status, r.body);
	http_resp_free(&r);
	call(&r, "PATCH", "/tables/upsert_items?id=eq.1", service, "{\"qty\":0}", text);
	ck_assert_msg(r.status == 200 && strstr(r.body, "Update"), "%ld %s", r.status, r.body);
	http_resp_free(&r);
	call(&r, "GET", "/tables/upsert_items?id=in.(1,300)&select=id,qty", service, NULL, NULL);
	ck_assert_str_eq(r.body, before);
	ck_assert_ptr_null(strstr(r.body, "300"));
	http_resp_free(&r);

	/* Other callers: only with [tables] plans = on. */
	call(&r, "GET", "/tables/reservations", alice, NULL, json);
	assert_error(&r, 406, "PGRST107");
	http_resp_free(&r);
	stack_set("tables", "plans", "on");
	call(&r, "GET", "/tables/reservations", alice, NULL, json);
	ck_assert_msg(r.status == 200, "%ld %s", r.status, r.body);
	http_resp_free(&r);
	stack_set("tables", "plans", "off");
}
END_TEST

/* The features of a GeoJSON answer (status, application/geo+json, a
 * FeatureCollection); the caller puts the array. */
static struct json_object *
geojson_answer(struct http_resp *r, long status, struct json_object **root)
{
	struct json_object *type, *features;

	ck_assert_msg(r->status == status, "%ld %s", r->status, r->body);
	expect_header(r, "Content-Type", "application/geo+json; charset=utf-8");
	*root = json_tokener_parse(r->body);
	ck_assert_msg(*root != NULL && json_object_object_get_ex(*root, "type", &type) &&
	        strcmp(json_object_get_string(type), "FeatureCollection") == 0 &&
	        json_object_object_get_ex(*root, "features", &features) &&
	        json_object_is_type(features, json_type_array),
	    "not a FeatureCollection: %s", r->body);
	return features;
}

static struct json_object *
geojson_features(struct http_resp *r, struct json_object **root)
{
	return geojson_answer(r, 200, root);
}

/* Feature i: its properties as JSON text (keys sorted by json-c as given)
 * and its geometry's. */
static void
expect_feature(struct json_object *features, size_t i, const char *properties, const char *geometry)
{
	struct json_object *f = json_object_array_get_idx(features, i), *v;

	ck_assert_ptr_nonnull(f);
	ck_assert(json_object_object_get_ex(f, "type", &v));
	ck_assert_str_eq(json_object_get_string(v), "Feature");
	ck_assert(json_object_object_get_ex(f, "properties", &v));
	ck_assert_str_eq(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN), properties);
	ck_assert(json_object_object_get_ex(f, "geometry", &v));
	/* No geometry: PostGIS 3.3 renders {"type":null}, later ones null. */
	if (strcmp(geometry, "null") == 0 && v != NULL)
		geometry = "{\"type\":null}";
	ck_assert_str_eq(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN), geometry);
}

/* A GeoJSON answer of one feature, the service role asking. */
static void
one_feature(const char *method, const char *path, const char *body, const char **headers,
    long status, const char *properties, const char *geometry)
{
	struct json_object *root, *features;
	struct http_resp r;

	call(&r, method, path, service, body, headers);
	features = geojson_answer(&r, status, &root);
	ck_assert_uint_eq(json_object_array_length(features), 1);
	expect_feature(features, 0, properties, geometry);
	json_object_put(root);
	http_resp_free(&r);
}

/* Whether the fixture made the place table (PostGIS on this machine). */
static bool
have_places(const char *what)
{
	struct http_resp r;
	bool there;

	tokens();
	call(&r, "GET", "/tables/places?limit=1", service, NULL, NULL);
	there = r.status != 404;
	http_resp_free(&r);
	if (!there)
		fprintf(stderr, "tables_media: no PostGIS, %s not tested\n", what);
	return there;
}

/* place: 1 harbour port (1 2)  2 lighthouse tower (3 4)  3 mill tower (5 6)
 * 4 nowhere, no kind, no location. */
START_TEST(test_geojson)
{
	const char *geo[] = { "Accept: application/geo+json", NULL };
	const char *paths[] = { "/tables/places?kind=eq.tower&order=id.desc",
		"/tables/places?kind.eq=tower&order=id.desc" };
	struct json_object *root, *features;
	struct http_resp r;

	if (!have_places("GeoJSON"))
		return;

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		call(&r, "GET", paths[i], alice, NULL, geo);
		features = geojson_features(&r, &root);
		ck_assert_uint_eq(json_object_array_length(features), 2);
		expect_feature(features, 0, "{\"id\":3,\"name\":\"mill\",\"kind\":\"tower\"}",
		    "{\"type\":\"Point\",\"coordinates\":[5,6]}");
		expect_feature(features, 1, "{\"id\":2,\"name\":\"lighthouse\",\"kind\":\"tower\"}",
		    "{\"type\":\"Point\",\"coordinates\":[3,4]}");
		json_object_put(root);
		expect_header(&r, "Content-Range", "0-1/*");
		http_resp_free(&r);
	}
	/* select, limit and offset as for JSON; a row without a location. */
	call(&r, "GET", "/tables/places?select=id,loc&order=id&limit=2&offset=2", service, NULL,
	    geo);
	features = geojson_features(&r, &root);
	ck_assert_uint_eq(json_object_array_length(features), 2);
	expect_feature(features, 0, "{\"id\":3}", "{\"type\":\"Point\",\"coordinates\":[5,6]}");
	expect_feature(features, 1, "{\"id\":4}", "null");
	json_object_put(root);
	http_resp_free(&r);
	/* Nothing read: an empty collection. */
	call(&r, "GET", "/tables/places?name=eq.atlantis", service, NULL, geo);
	features = geojson_features(&r, &root);
	ck_assert_uint_eq(json_object_array_length(features), 0);
	json_object_put(root);
	http_resp_free(&r);
	/* By key: one feature, or no row. */
	one_feature("GET", "/tables/places/1", NULL, geo, 200,
	    "{\"id\":1,\"name\":\"harbour\",\"kind\":\"port\"}",
	    "{\"type\":\"Point\",\"coordinates\":[1,2]}");
	call(&r, "GET", "/tables/places/99", service, NULL, geo);
	assert_error(&r, 404, "NOT_FOUND");
	http_resp_free(&r);

	/* No geometry read: nothing PostGIS could make a Feature of. */
	call(&r, "GET", "/tables/reservations", service, NULL, geo);
	assert_error(&r, 406, "PGRST107");
	http_resp_free(&r);
	call(&r, "GET", "/tables/places?select=id,name", service, NULL, geo);
	assert_error(&r, 406, "PGRST107");
	http_resp_free(&r);

	/* The JSON answer of the same table is unchanged. */
	call(&r, "GET", "/tables/places?id=eq.2", service, NULL, NULL);
	ck_assert_int_eq(r.status, 200);
	expect_header(&r, "Content-Type", "application/json; charset=utf-8");
	ck_assert_str_eq(r.body,
	    "[{\"id\":2,\"name\":\"lighthouse\",\"kind\":\"tower\",\"loc\":{\"type\":\"Point\","
	    "\"crs\":{\"type\":\"name\",\"properties\":{\"name\":\"EPSG:4326\"}},"
	    "\"coordinates\":[3,4]}}]");
	http_resp_free(&r);
}
END_TEST

/* Writes that answer their rows answer them as GeoJSON when asked, as
 * reads do; one that answers none answers no body, not 406. */
START_TEST(test_geojson_writes)
{
	const char *geo[] = { "Accept: application/geo+json", "Prefer: return=representation",
		NULL };
	const char *minimal[] = { "Accept: application/geo+json", "Prefer: return=minimal", NULL };
	static const char at78[] = "{\"type\":\"Point\",\"coordinates\":[7,8]}";
	struct http_resp r;

	if (!have_places("GeoJSON writes"))
		return;
	sql("DELETE FROM place WHERE id >= 10");
	one_feature("POST", "/tables/places",
	    "{\"id\":10,\"name\":\"dock\",\"kind\":\"port\",\"loc\":\"SRID=4326;POINT(7 8)\"}", geo,
	    201, "{\"id\":10,\"name\":\"dock\",\"kind\":\"port\"}", at78);
	call(&r, "POST", "/tables/places", service, "{\"id\":11,\"name\":\"quiet\"}", minimal);
	ck_assert_msg(r.status == 201 && r.len == 0, "%ld %s", r.status, r.body);
	http_resp_free(&r);
	one_feature("PATCH", "/tables/places?id=eq.10", "{\"name\":\"quay\"}", geo, 200,
	    "{\"id\":10,\"name\":\"quay\",\"kind\":\"port\"}", at78);
	/* No geometry among the rows answered: refused before anything is
	 * written. */
	call(&r, "PATCH", "/tables/places?id=eq.10&select=id,name", service, "{\"name\":\"pier\"}",
	    geo);
	assert_error(&r, 406, "PGRST107");
	http_resp_free(&r);
	ck_assert_str_eq(sql("SELECT name FROM place WHERE id = 10"), "quay");
	one_feature("DELETE", "/tables/places?id=eq.11", NULL, geo, 200,
	    "{\"id\":11,\"name\":\"quiet\",\"kind\":null}", "null");
	call(&r, "DELETE", "/tables/places/10", service, NULL, minimal);
	ck_assert_int_eq(r.status, 204);
	http_resp_free(&r);
	ck_assert_str_eq(sql("SELECT count(*) FROM place WHERE id >= 10"), "0");
}
END_TEST

TCase *
tables_media_tcase(void)
{
	TCase *tc = tcase_create("tables_media");

	tcase_add_test(tc, test_plans);
	tcase_add_test(tc, test_geojson);
	tcase_add_test(tc, test_geojson_writes);
	return tc;
}
