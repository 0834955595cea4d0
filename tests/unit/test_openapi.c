/*
 * The OpenAPI documents against the router: every route is documented and
 * every documented operation is routed (no drift), ours and the
 * Supabase-compatible routes' (their three route lists), and the tables
 * part follows a role's privileges, with PostgREST's names on /rest/v1.
 */
#include "config.h"

#include <string.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

#include <json-c/json.h>

#include "arena.h"
#include "http.h"
#include "openapi/openapi.h"
#include "router.h"
#include "schema.h"
#include "suites.h"
#include "tables/functions.h"

static const struct {
	int method;
	const char *name;
} methods[] = {
	{ HTTP_GET, "get" },
	{ HTTP_POST, "post" },
	{ HTTP_PUT, "put" },
	{ HTTP_PATCH, "patch" },
	{ HTTP_DELETE, "delete" },
};

/* /storage/{bucket}/{key} -> /api/v1/storage/b1/k1/k2 */
static char *
concrete(struct arena *a, const char *path)
{
	struct strbuf sb;

	strbuf_init(&sb, a, 128);
	strbuf_puts(&sb, "/api/v1");
	for (const char *p = path; *p; p++) {
		if (*p == '{') {
			const char *end = strchr(p, '}');

			strbuf_puts(&sb, strncmp(p, "{key}", 5) == 0 ? "k1/k2" : "x1");
			p = end;
		} else {
			strbuf_putc(&sb, *p);
		}
	}
	return sb.data;
}

START_TEST(test_static_document_matches_routes)
{
	struct json_object *doc = json_tokener_parse(openapi_static_json), *paths;
	struct arena a;
	int checked = 0;

	ck_assert_ptr_nonnull(doc);
	ck_assert(json_object_object_get_ex(doc, "paths", &paths));
	arena_init(&a, 4096);
	/* Every route (but the tables, which the schema cache documents) is in it. */
	for (size_t i = 0; i < app_routes_count; i++) {
		const struct route *rt = &app_routes[i];
		char path[256];
		struct json_object *item;

		if (strncmp(rt->pattern, "/api/v1/", 8) != 0)
			continue; /* the /openapi.json alias */
		if (strncmp(rt->pattern, "/api/v1/tables/", 15) == 0 ||
		    strncmp(rt->pattern, "/api/v1/rpc/", 12) == 0)
			continue; /* documented from the schema and function caches */
		snprintf(path, sizeof(path), "%s", rt->pattern + 7);
		if (strstr(path, "{key*}") != NULL)
			strcpy(strstr(path, "{key*}"), "{key}");
		ck_assert_msg(json_object_object_get_ex(paths, path, &item), "%s is not documented",
		    path);
		for (size_t m = 0; m < sizeof(methods) / sizeof(methods[0]); m++)
			if (rt->methods & (unsigned)methods[m].method)
				ck_assert_msg(json_object_object_get_ex(item, methods[m].name,
				                  NULL),
				    "%s %s is not documented", methods[m].name, path);
	}
	/* Every documented operation is routed. */
	json_object_object_foreach(paths, path, item)
	{
		json_object_object_foreach(item, verb, op)
		{
			struct request r;
			unsigned allowed = 0;
			int method = http_method_parse(arena_strdup(&a, verb));

			(void)op;
			if (strcmp(verb, "parameters") == 0)
				continue;
			memset(&r, 0, sizeof(r));
			r.arena = &a;
			r.raw_path = concrete(&a, path);
			for (size_t m = 0; m < sizeof(methods) / sizeof(methods[0]); m++)
				if (strcmp(methods[m].name, verb) == 0)
					method = methods[m].method;
			r.method = method;
			ck_assert_msg(router_match(app_routes, app_routes_count, &r, &allowed) ==
			        ROUTE_FOUND,
			    "%s %s is documented but not routed", verb, r.raw_path);
			checked++;
		}
	}
	ck_assert_int_gt(checked, 15);
	json_object_put(doc);
	arena_destroy(&a);
}
END_TEST

static const char *moods[] = { "sad", "ok", NULL };

START_TEST(test_tables_follow_privileges)
{
	static struct sc_column cols[] = {
		{ .name = "id",
		    .quoted = "\"id\"",
		    .type = "bigint",
		    .typname = "int8",
		    .typcategory = 'N',
		    .pk = true,
		    .notnull = true,
		    .default_expr = "nextval('s')" },
		{ .name = "title",
		    .quoted = "\"title\"",
		    .type = "text",
		    .typname = "text",
		    .typcategory = 'S',
		    .notnull = true,
		    .comment = "What it is called" },
		{ .name = "tags",
		    .quoted = "\"tags\"",
		    .type = "text[]",
		    .typname = "_text",
		    .typcategory = 'A',
		    .elemtype = "text" },
		{ .name = "mood",
		    .quoted = "\"mood\"",
		    .type = "mood",
		    .typname = "mood",
		    .typcategory = 'E',
		    .enum_values = moods },
	};
	static struct sc_table tables[] = { {
	    .schema = "public",
	    .name = "item",
	    .url_name = "item",
	    .url_plural = "items",
	    .qualified = "\"public\".\"item\"",
	    .kind = 'r',
	    .insertable = true,
	    .updatable = true,
	    .deletable = true,
	    .columns = cols,
	    .ncolumns = 4,
	    .pk = 0,
	    .npk = 1,
	    .privileges = { PRIV_SELECT, PRIV_SELECT | PRIV_INSERT | PRIV_UPDATE | PRIV_DELETE,
		15 },
	} };
	struct schema_cache sc = { .tables = tables, .ntables = 1, .loaded = true };
	size_t len;
	char *doc = openapi_build(&sc, NULL, 0, &len), *full;
	struct json_object *o, *paths, *item, *schema, *v;

	ck_assert_ptr_nonnull(doc);
	full = malloc(len + 32);
	snprintf(full, len + 32, "%s,\"servers\":[]}", doc);
	o = json_tokener_parse(full);
	ck_assert_ptr_nonnull(o);
	ck_assert(json_object_object_get_ex(o, "paths", &paths));
	ck_assert(json_object_object_get_ex(paths, "/tables/items", &item));
	/* anon may only read. */
	ck_assert(json_object_object_get_ex(item, "get", NULL));
	ck_assert(!json_object_object_get_ex(item, "post", NULL));
	ck_assert(!json_object_object_get_ex(item, "delete", NULL));
	ck_assert(json_object_object_get_ex(paths, "/tables/items/{id}", &item));
	ck_assert(!json_object_object_get_ex(item, "put", NULL));
	schema =
	    json_object_object_get(json_object_object_get(json_object_object_get(o, "components"),
	                               "schemas"),
	        "item");
	ck_assert_ptr_nonnull(schema);
	v = json_object_object_get(json_object_object_get(schema, "properties"), "id");
	ck_assert_str_eq(json_object_get_string(json_object_object_get(v, "format")), "int64");
	ck_assert_ptr_nonnull(
	    strstr(json_object_get_string(json_object_object_get(v, "description")),
	        "Primary key"));
	v = json_object_object_get(json_object_object_get(schema, "properties"), "tags");
	ck_assert_str_eq(json_object_get_string(json_object_object_get(v, "type")), "array");
	ck_assert(json_object_get_boolean(json_object_object_get(v, "nullable")));
	v = json_object_object_get(json_object_object_get(schema, "properties"), "mood");
	ck_assert_int_eq((int)json_object_array_length(json_object_object_get(v, "enum")), 2);
	/* required: NOT NULL without a default. */
	ck_assert_str_eq(json_object_to_json_string(json_object_object_get(schema, "required")),
	    "[ \"title\" ]");
	json_object_put(o);
	free(full);
	free(doc);

	doc = openapi_build(&sc, NULL, 1, &len);
	ck_assert_ptr_nonnull(strstr(doc, "\"post_item\""));
	ck_assert_ptr_nonnull(strstr(doc, "\"put_item_by_id\""));
	free(doc);
}
END_TEST

static const char *
plain(struct json_object *o)
{
	return json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
}

/* The functions a role may execute, at /rpc/{name}: POST with a body of
 * the arguments, GET for STABLE and IMMUTABLE ones, routed both. */
START_TEST(test_functions_follow_execute)
{
	static struct fn_arg add_args[] = {
		{ .name = "a", .quoted = "\"a\"", .type = "integer", .typname = "int4" },
		{ .name = "b",
		    .quoted = "\"b\"",
		    .type = "integer",
		    .typname = "int4",
		    .has_default = true },
	};
	static struct fn_arg tag_args[] = {
		{ .name = "tags",
		    .quoted = "\"tags\"",
		    .type = "text[]",
		    .typname = "_text",
		    .typcategory = 'A',
		    .elemtype = "text" },
	};
	static struct sc_column cols[] = {
		{ .name = "id", .quoted = "\"id\"", .type = "bigint", .typname = "int8" },
	};
	static struct sc_table item = { .schema = "public",
		.name = "item",
		.url_name = "item",
		.qualified = "\"public\".\"item\"",
		.columns = cols,
		.ncolumns = 1,
		.pk = -1 };
	static struct sc_function fns[] = {
		{ .schema = "public",
		    .name = "add",
		    .url_name = "add",
		    .args = add_args,
		    .nargs = 2,
		    .returns = FN_RETURNS_SCALAR,
		    .rettypname = "int4",
		    .volatility = 'i',
		    .executable = { true, true, true } },
		{ .schema = "public",
		    .name = "items_tagged",
		    .url_name = "items_tagged",
		    .args = tag_args,
		    .nargs = 1,
		    .returns = FN_RETURNS_ROWS,
		    .retset = true,
		    .table = &item,
		    .volatility = 's',
		    .executable = { true, true, true } },
		{ .schema = "public",
		    .name = "touch",
		    .url_name = "touch",
		    .returns = FN_RETURNS_VOID,
		    .rettypname = "void",
		    .volatility = 'v',
		    .executable = { false, false, true } },
	};
	struct fn_cache fc = { .fns = fns, .nfns = 3, .loaded = true };
	struct schema_cache sc = { .loaded = true };
	struct json_object *o, *paths, *item_path, *v;
	struct arena a;
	char *doc, *full;
	size_t len;

	doc = openapi_build(&sc, &fc, 0, &len);
	ck_assert_ptr_nonnull(doc);
	full = malloc(len + 32);
	snprintf(full, len + 32, "%s,\"servers\":[]}", doc);
	o = json_tokener_parse(full);
	ck_assert_ptr_nonnull(o);
	paths = json_object_object_get(o, "paths");
	/* anon may not execute touch. */
	ck_assert(!json_object_object_get_ex(paths, "/rpc/touch", NULL));
	ck_assert(json_object_object_get_ex(paths, "/rpc/add", &item_path));
	v = json_object_object_get(
	    json_object_object_get(
	        json_object_object_get(json_object_object_get(json_object_object_get(item_path,
	                                                          "post"),
	                                   "requestBody"),
	            "content"),
	        "application/json"),
	    "schema");
	ck_assert_str_eq(json_object_to_json_string_ext(json_object_object_get(v, "required"),
	                     JSON_C_TO_STRING_PLAIN),
	    "[\"a\"]");
	ck_assert_str_eq(json_object_get_string(
	                     json_object_object_get(json_object_object_get(json_object_object_get(v,
	                                                                       "properties"),
	                                                "b"),
	                         "format")),
	    "int32");
	/* GET takes the arguments as query parameters. */
	v = json_object_object_get(json_object_object_get(item_path, "get"), "parameters");
	ck_assert_ptr_nonnull(strstr(plain(v), "\"name\":\"a\""));
	ck_assert_ptr_nonnull(strstr(plain(v), "\"required\":true"));
	/* Rows: shaped like a table read, an array of the result's component. */
	ck_assert(json_object_object_get_ex(paths, "/rpc/items_tagged", &item_path));
	v = json_object_object_get(json_object_object_get(item_path, "get"), "parameters");
	ck_assert_ptr_nonnull(strstr(plain(v), "#/components/parameters/select"));
	ck_assert_ptr_nonnull(strstr(plain(v), "\"name\":\"tags\""));
	ck_assert_ptr_nonnull(
	    strstr(plain(item_path), "\"#/components/schemas/rpc_items_tagged\""));
	json_object_put(o);
	free(full);
	free(doc);

	/* The service role may execute touch: POST only, 204. */
	doc = openapi_build(&sc, &fc, 2, &len);
	ck_assert_ptr_nonnull(strstr(doc, "\"/rpc/touch\":{\"post\""));
	ck_assert_ptr_null(strstr(doc, "rpc_touch_get"));
	free(doc);

	/* Every /rpc path is routed, under both prefixes. */
	arena_init(&a, 4096);
	for (int i = 0; i < 2; i++) {
		struct request r;
		unsigned allowed = 0;

		memset(&r, 0, sizeof(r));
		r.arena = &a;
		r.method = i == 0 ? HTTP_POST : HTTP_GET;
		r.raw_path = i == 0 ? "/api/v1/rpc/add" : "/api/v1/tables/rpc/add";
		ck_assert_int_eq(router_match(app_routes, app_routes_count, &r, &allowed),
		    ROUTE_FOUND);
		ck_assert_str_eq(r.route->pattern + strlen(r.route->pattern) - 15,
		    "/rpc/{function}");
		ck_assert_str_eq(r.path_params[0], "add");
	}
	arena_destroy(&a);
}
END_TEST

/* The Supabase-compatible routes' document (postgrest: /rest/v1's) as
 * built for role, "servers" added, parsed whole. */
static struct json_object *
build_supabase(const struct schema_cache *sc, const struct fn_cache *fc, int role, bool postgrest)
{
	size_t len = 0;
	char *doc = openapi_supabase_build(sc, fc, role, postgrest, &len), *full;
	struct json_object *o;

	ck_assert_ptr_nonnull(doc);
	full = malloc(len + 32);
	snprintf(full, len + 32, "%s,\"servers\":[]}", doc);
	o = json_tokener_parse(full);
	ck_assert_ptr_nonnull(o);
	free(full);
	free(doc);
	return o;
}

static bool
is_compat(const char *pattern)
{
	return strncmp(pattern, "/rest/v1", 8) == 0 || strncmp(pattern, "/auth/v1/", 9) == 0 ||
	    strncmp(pattern, "/storage/v1/", 12) == 0;
}

/* /openapi-supabase.json: every route of the three compatibility lists
 * with its methods (the tables and functions expanded, by their exact
 * names, collections only), and every documented operation routed to
 * one of those routes; /rest/v1/ documents /rest/v1 alone, relative. */
START_TEST(test_supabase_document_matches_routes)
{
	static struct sc_column cols[] = {
		{ .name = "id",
		    .quoted = "\"id\"",
		    .type = "bigint",
		    .typname = "int8",
		    .pk = true },
	};
	static struct sc_table tables[] = {
		{ .schema = "public",
		    .name = "item",
		    .url_name = "item",
		    .url_plural = "items",
		    .qualified = "\"public\".\"item\"",
		    .kind = 'r',
		    .insertable = true,
		    .updatable = true,
		    .deletable = true,
		    .columns = cols,
		    .ncolumns = 1,
		    .pk = 0,
		    .npk = 1,
		    .privileges = { 15, 15, 15 } },
		{ .schema = "extra",
		    .name = "thing",
		    .url_name = "extra.thing",
		    .url_plural = "extra.things",
		    .qualified = "\"extra\".\"thing\"",
		    .kind = 'r',
		    .columns = cols,
		    .ncolumns = 1,
		    .pk = 0,
		    .npk = 1,
		    .privileges = { 1, 1, 1 } },
	};
	static struct sc_function fns[] = {
		{ .schema = "public",
		    .name = "add",
		    .url_name = "add",
		    .returns = FN_RETURNS_SCALAR,
		    .rettypname = "int4",
		    .volatility = 'i',
		    .executable = { true, true, true } },
	};
	struct fn_cache fc = { .fns = fns, .nfns = 1, .loaded = true };
	struct schema_cache sc = { .tables = tables, .ntables = 2, .loaded = true };
	struct json_object *o, *paths, *item;
	struct arena a;
	int routes = 0, checked = 0;

	o = build_supabase(&sc, &fc, 2, false);
	ck_assert(json_object_object_get_ex(o, "paths", &paths));
	arena_init(&a, 4096);
	for (size_t i = 0; i < app_routes_count; i++) {
		const struct route *rt = &app_routes[i];
		char path[256];

		if (!is_compat(rt->pattern))
			continue;
		routes++;
		if (strcmp(rt->pattern, "/rest/v1/{table}") == 0)
			snprintf(path, sizeof(path), "/rest/v1/item");
		else if (strcmp(rt->pattern, "/rest/v1/rpc/{function}") == 0)
			snprintf(path, sizeof(path), "/rest/v1/rpc/add");
		else
			snprintf(path, sizeof(path), "%s", rt->pattern);
		if (strchr(path, '*') != NULL)
			memmove(strchr(path, '*'), strchr(path, '*') + 1,
			    strlen(strchr(path, '*')));
		ck_assert_msg(json_object_object_get_ex(paths, path, &item), "%s is not documented",
		    path);
		for (size_t m = 0; m < sizeof(methods) / sizeof(methods[0]); m++)
			if (rt->methods & (unsigned)methods[m].method)
				ck_assert_msg(json_object_object_get_ex(item, methods[m].name,
				                  NULL),
				    "%s %s is not documented", methods[m].name, path);
	}
	ck_assert_int_ge(routes, 3);
	/* PostgREST's names: exact, no /{id}, the default schema's. */
	ck_assert(!json_object_object_get_ex(paths, "/rest/v1/items", NULL));
	ck_assert(!json_object_object_get_ex(paths, "/rest/v1/item/{id}", NULL));
	ck_assert(!json_object_object_get_ex(paths, "/rest/v1/extra.thing", NULL));
	json_object_object_foreach(paths, path, pitem)
	{
		ck_assert_msg(is_compat(path), "%s is not a compatibility path", path);
		json_object_object_foreach(pitem, verb, op)
		{
			struct request r;
			unsigned allowed = 0;
			struct strbuf sb;

			if (strcmp(verb, "parameters") == 0)
				continue;
			ck_assert_ptr_nonnull(json_object_object_get(op, "summary"));
			memset(&r, 0, sizeof(r));
			r.arena = &a;
			strbuf_init(&sb, &a, 128);
			/* Each parameter one segment: {path*} takes one too. */
			for (const char *p = path; *p; p++)
				if (*p == '{')
					p = strchr(p, '}'), strbuf_puts(&sb, "x1");
				else
					strbuf_putc(&sb, *p);
			r.raw_path = sb.data;
			for (size_t m = 0; m < sizeof(methods) / sizeof(methods[0]); m++)
				if (strcmp(methods[m].name, verb) == 0)
					r.method = methods[m].method;
			ck_assert_msg(router_match(app_routes, app_routes_count, &r, &allowed) ==
			            ROUTE_FOUND &&
			        is_compat(r.route->pattern),
			    "%s %s is documented but not routed", verb, path);
			checked++;
		}
	}
	ck_assert_int_ge(checked, routes);
	json_object_put(o);

	/* /rest/v1/: the root, the tables and functions, relative to /rest/v1. */
	o = build_supabase(&sc, &fc, 0, true);
	paths = json_object_object_get(o, "paths");
	ck_assert(json_object_object_get_ex(paths, "/", NULL));
	ck_assert(json_object_object_get_ex(paths, "/item", &item));
	ck_assert(json_object_object_get_ex(item, "delete", NULL));
	ck_assert(json_object_object_get_ex(paths, "/rpc/add", NULL));
	json_object_object_foreach(paths, rpath, ritem)
	{
		(void)ritem;
		ck_assert_msg(strncmp(rpath, "/auth", 5) != 0 && strncmp(rpath, "/storage", 8) != 0,
		    "%s in /rest/v1's document", rpath);
	}
	json_object_put(o);
	arena_destroy(&a);
}
END_TEST

Suite *
openapi_suite(void)
{
	Suite *s = suite_create("openapi");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_static_document_matches_routes);
	tcase_add_test(tc, test_tables_follow_privileges);
	tcase_add_test(tc, test_functions_follow_execute);
	tcase_add_test(tc, test_supabase_document_matches_routes);
	suite_add_tcase(s, tc);
	return s;
}
