/*
 * /rest/v1 as supabase-js's postgrest-js speaks it, through nginx: the
 * project's keys (`fluxbase-fcgi keys`), the gateway's apikey (missing,
 * bad, a user's token, in the header or the query), who the request runs
 * as (the anon key alone, a user's token with it under row-level
 * security, the service key), PostgREST's exact names (a plural or
 * schema.name is PGRST205, the schema from Accept-Profile), writes (PUT
 * by a key filter too), functions, embedding, a browser's preflight
 * without a key and the root's OpenAPI document.  The fixture is
 * tests/integration/fixture.sql, as for the tables tests.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <sodium.h>

#include "suites.h"
#include "tables_client.h"

static char anon_key[2048], service_key[2048];

static void
keys(void)
{
	tokens();
	if (anon_key[0] == '\0') {
		mint_token(anon_key, sizeof(anon_key), "anon", NULL);
		mint_token(service_key, sizeof(service_key), "service_role", NULL);
	}
}

/* One request to FB_BASE + path with apikey (NULL: none) and token as
 * the bearer (NULL: none); extra headers NULL-terminated (may be NULL). */
static void
rest(struct http_resp *r, const char *method, const char *path, const char *apikey,
    const char *token, const char *body, const char *const *extra)
{
	char url[2048], key[2100], auth[2100];
	const char *h[16];
	int n = 0;

	snprintf(url, sizeof(url), "%s%s", getenv("FB_BASE"), path);
	if (apikey != NULL) {
		snprintf(key, sizeof(key), "apikey: %s", apikey);
		h[n++] = key;
	}
	if (token != NULL) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
		h[n++] = auth;
	}
	if (body != NULL)
		h[n++] = "Content-Type: application/json";
	for (; extra != NULL && *extra != NULL && n < 15; extra++)
		h[n++] = *extra;
	h[n] = NULL;
	http_do(method, url, h, body, body ? strlen(body) : 0, r);
}

/* A PostgREST-shaped error: status, code, message, and the hint when
 * given (details and hint are always there, maybe null). */
static void
assert_pgrst(const struct http_resp *r, long status, const char *code, const char *message,
    const char *hint)
{
	struct json_object *o;

	ck_assert_msg(r->status == status, "status %ld, wanted %ld: %s", r->status, status,
	    r->body);
	o = json_body(r);
	ck_assert_str_eq(jstr(o, "code"), code);
	if (message != NULL)
		ck_assert_str_eq(jstr(o, "message"), message);
	ck_assert(json_object_object_get_ex(o, "details", NULL));
	ck_assert(json_object_object_get_ex(o, "hint", NULL));
	if (hint != NULL)
		ck_assert_str_eq(jstr(o, "hint"), hint);
	json_object_put(o);
}

static void
expect_body(struct http_resp *r, long status, const char *body)
{
	ck_assert_msg(r->status == status, "status %ld, wanted %ld: %s", r->status, status,
	    r->body);
	ck_assert_str_eq(r->body, body);
	http_resp_free(r);
}

START_TEST(test_apikey_gate)
{
	struct http_resp r;
	char path[2300];

	keys();
	/* None: Supabase's gateway's 401, in PostgREST's shape. */
	rest(&r, "GET", "/rest/v1/product?select=id", NULL, NULL, NULL, NULL);
	assert_pgrst(&r, 401, "NO_API_KEY", "No API key found in request", NULL);
	http_resp_free(&r);
	/* A user's token does not name a project: not a key; nor is garbage. */
	rest(&r, "GET", "/rest/v1/product?select=id", alice, NULL, NULL, NULL);
	assert_pgrst(&r, 401, "INVALID_API_KEY", "Invalid API key", NULL);
	http_resp_free(&r);
	rest(&r, "GET", "/rest/v1/product?select=id", "eyJhbGciOiJIUzI1NiJ9.e30.x", NULL, NULL,
	    NULL);
	assert_pgrst(&r, 401, "INVALID_API_KEY", "Invalid API key", NULL);
	http_resp_free(&r);
	/* Even a bearer token does not stand in for the key. */
	rest(&r, "GET", "/rest/v1/product?select=id", NULL, service, NULL, NULL);
	assert_pgrst(&r, 401, "NO_API_KEY", NULL, NULL);
	http_resp_free(&r);
	/* In the header, or in the query, where it is neither filter nor argument. */
	/* (Other cases add products: the fixture's own are ids 1 to 4.) */
	rest(&r, "GET", "/rest/v1/product?select=id&id=lt.5&order=id", anon_key, NULL, NULL, NULL);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(ids_of(&r, "id"), "1,2,3,4");
	http_resp_free(&r);
	snprintf(path, sizeof(path), "/rest/v1/product?select=id&id=lt.3&apikey=%s", anon_key);
	rest(&r, "GET", path, NULL, NULL, NULL, NULL);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(ids_of(&r, "id"), "1,2");
	http_resp_free(&r);
	snprintf(path, sizeof(path), "/rest/v1/rpc/add?a=2&b=3&apikey=%s", anon_key);
	rest(&r, "GET", path, NULL, NULL, NULL, NULL);
	expect_body(&r, 200, "5");
	/* /api/v1 never asks for it. */
	call(&r, "GET", "/tables/products?select=id&id=eq.1", NULL, NULL, NULL);
	expect_body(&r, 200, "[{\"id\":1}]");
}
END_TEST

/* The key alone is its role; a user's bearer token with it is the user,
 * under row-level security; a bearer anon key is anon. */
START_TEST(test_who_the_request_runs_as)
{
	struct http_resp r;

	keys();
	rest(&r, "GET", "/rest/v1/posts?select=id&order=id", anon_key, NULL, NULL, NULL);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(ids_of(&r, "id"), "1,2,3,4");
	http_resp_free(&r);
	rest(&r, "GET", "/rest/v1/posts?select=id&order=id", anon_key, anon_key, NULL, NULL);
	ck_assert_str_eq(ids_of(&r, "id"), "1,2,3,4");
	http_resp_free(&r);
	/* bob (users.uid BOB) sees his draft, 5. */
	rest(&r, "GET", "/rest/v1/posts?select=id&order=id", anon_key, bob, NULL, NULL);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(ids_of(&r, "id"), "1,2,3,4,5");
	http_resp_free(&r);
	/* The service key alone is the service role: secrets, hidden from others. */
	rest(&r, "GET", "/rest/v1/secrets?select=s", service_key, NULL, NULL, NULL);
	expect_body(&r, 200, "[{\"s\":\"hidden\"}]");
	/* PostgreSQL refuses the anon role: 401, as PostgREST 12 answers the
	 * anon role (its token or not), in its shape. */
	rest(&r, "GET", "/rest/v1/secrets?select=s", anon_key, NULL, NULL, NULL);
	assert_pgrst(&r, 401, "42501", "permission denied for table secrets", NULL);
	http_resp_free(&r);
	/* A user's writes as the user: notes' owner defaults to auth.uid(). */
	{
		const char *rep[] = { "Prefer: return=representation", NULL };
		struct json_object *o;
		char path[200];
		long id;

		rest(&r, "POST", "/rest/v1/notes?select=id,owner,body", anon_key, alice,
		    "{\"body\":\"from rest\"}", rep);
		ck_assert_msg(r.status == 201, "%ld %s", r.status, r.body);
		o = json_body(&r);
		ck_assert(json_object_is_type(o, json_type_array));
		ck_assert_str_eq(jstr(json_object_array_get_idx(o, 0), "owner"), ALICE);
		id = json_object_get_int64(
		    json_object_object_get(json_object_array_get_idx(o, 0), "id"));
		json_object_put(o);
		http_resp_free(&r);
		snprintf(path, sizeof(path), "/rest/v1/notes?id=eq.%ld&select=body", id);
		rest(&r, "PATCH", path, anon_key, alice, "{\"body\":\"edited\"}", rep);
		expect_body(&r, 200, "[{\"body\":\"edited\"}]");
		/* bob sees none of it, and changes nothing. */
		rest(&r, "PATCH", path, anon_key, bob, "{\"body\":\"bob's\"}", rep);
		expect_body(&r, 200, "[]");
		rest(&r, "DELETE", path, anon_key, alice, NULL, NULL);
		ck_assert_int_eq(r.status, 204);
		http_resp_free(&r);
		rest(&r, "GET", path, anon_key, alice, NULL, NULL);
		expect_body(&r, 200, "[]");
		/* Without return=representation, PostgREST's answers carry no rows. */
		rest(&r, "POST", "/rest/v1/notes", anon_key, alice, "{\"body\":\"minimal\"}", NULL);
		ck_assert_int_eq(r.status, 201);
		ck_assert_uint_eq(r.len, 0);
		http_resp_free(&r);
		rest(&r, "PATCH", "/rest/v1/notes?body=eq.minimal", anon_key, alice,
		    "{\"body\":\"minimal too\"}", NULL);
		ck_assert_int_eq(r.status, 204);
		http_resp_free(&r);
		rest(&r, "DELETE", "/rest/v1/notes?body=eq.minimal%20too", anon_key, alice, NULL,
		    NULL);
		ck_assert_int_eq(r.status, 204);
		http_resp_free(&r);
		rest(&r, "GET", "/rest/v1/notes?select=id&body=like.minimal*", anon_key, alice,
		    NULL, NULL);
		expect_body(&r, 200, "[]");
	}
}
END_TEST

/* PostgREST's names: exact, no plural, no schema.name; the schema comes
 * from Accept-Profile (reads) or Content-Profile (writes). */
START_TEST(test_exact_names_and_profiles)
{
	const char *extra[] = { "Accept-Profile: extra", NULL };
	const char *nope[] = { "Accept-Profile: nope", NULL };
	struct http_resp r;

	keys();
	rest(&r, "GET", "/rest/v1/product?select=name&id=eq.1", anon_key, NULL, NULL, NULL);
	expect_body(&r, 200, "[{\"name\":\"apple\"}]");
	/* The plural /api/v1 takes is no name here; the hint names the table. */
	rest(&r, "GET", "/rest/v1/products?select=name", anon_key, NULL, NULL, NULL);
	assert_pgrst(&r, 404, "PGRST205",
	    "Could not find the table 'public.products' in the schema cache",
	    "Perhaps you meant the table 'public.product'");
	http_resp_free(&r);
	/* Embedded tables by exact name too (/api/v1 also takes the plural). */
	rest(&r, "GET", "/rest/v1/product?select=id,category(title)&id=eq.1", anon_key, NULL, NULL,
	    NULL);
	ck_assert_int_eq(r.status, 200);
	http_resp_free(&r);
	rest(&r, "GET", "/rest/v1/product?select=id,categories(title)&id=eq.1", anon_key, NULL,
	    NULL, NULL);
	assert_pgrst(&r, 400, "PGRST200", NULL, NULL);
	http_resp_free(&r);
	rest(&r, "GET", "/rest/v1/nothing_here", anon_key, NULL, NULL, NULL);
	assert_pgrst(&r, 404, "PGRST205",
	    "Could not find the table 'public.nothing_here' in the schema cache", NULL);
	http_resp_free(&r);
	/* Another schema: by its profile, never as schema.name. */
	rest(&r, "GET", "/rest/v1/extra.thing", service_key, NULL, NULL, NULL);
	assert_pgrst(&r, 404, "PGRST205", NULL, NULL);
	http_resp_free(&r);
	rest(&r, "GET", "/rest/v1/thing?select=v", service_key, NULL, NULL, extra);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(r.body, "[{\"v\":\"elsewhere\"}]");
	expect_header(&r, "Content-Profile", "extra");
	http_resp_free(&r);
	rest(&r, "GET", "/rest/v1/things", service_key, NULL, NULL, extra);
	assert_pgrst(&r, 404, "PGRST205",
	    "Could not find the table 'extra.things' in the schema cache",
	    "Perhaps you meant the table 'extra.thing'");
	http_resp_free(&r);
	rest(&r, "GET", "/rest/v1/thing", service_key, NULL, NULL, nope);
	assert_pgrst(&r, 406, "PGRST106", NULL, NULL);
	http_resp_free(&r);
	/* Functions too: the default schema's by name, no schema.name. */
	rest(&r, "POST", "/rest/v1/rpc/public.add", anon_key, NULL, "{\"a\":1,\"b\":2}", NULL);
	assert_pgrst(&r, 404, "PGRST202", NULL, NULL);
	http_resp_free(&r);
}
END_TEST

START_TEST(test_rpc_and_embedding)
{
	const char *single[] = { "Accept: application/vnd.pgrst.object+json", NULL };
	struct http_resp r;

	keys();
	rest(&r, "POST", "/rest/v1/rpc/add", anon_key, NULL, "{\"a\":1,\"b\":2}", NULL);
	expect_body(&r, 200, "3");
	rest(&r, "GET", "/rest/v1/rpc/posts_by?author=1&select=id&order=id", anon_key, NULL, NULL,
	    NULL);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(ids_of(&r, "id"), "1,2");
	http_resp_free(&r);
	/* supabase-js's from('posts').select('title, author:users(name)'). */
	rest(&r, "GET", "/rest/v1/posts?select=title,author:users!author_id(name)&id=eq.1",
	    anon_key, NULL, NULL, single);
	expect_body(&r, 200, "{\"title\":\"Hello\",\"author\":{\"name\":\"Alice\"}}");
	/* Counted, as .select('*', { count: 'exact', head: true }) asks. */
	{
		const char *count[] = { "Prefer: count=exact", NULL };

		rest(&r, "HEAD", "/rest/v1/posts", anon_key, NULL, NULL, count);
		ck_assert_int_eq(r.status, 200);
		expect_header(&r, "Content-Range", "0-3/4");
		http_resp_free(&r);
	}
}
END_TEST

/* PostgREST's PUT: one row upserted, named by its key's eq filter. */
START_TEST(test_put_by_key_filter)
{
	const char *rep[] = { "Prefer: return=representation", NULL };
	struct http_resp r;

	keys();
	rest(&r, "PUT", "/rest/v1/box?id=eq.7", service_key, NULL, "{\"id\":7,\"label\":\"put\"}",
	    rep);
	expect_body(&r, 200, "[{\"id\":7,\"label\":\"put\"}]");
	rest(&r, "PUT", "/rest/v1/box?id=eq.7", service_key, NULL, "{\"id\":7,\"label\":\"again\"}",
	    NULL);
	ck_assert_int_eq(r.status, 204);
	http_resp_free(&r);
	rest(&r, "GET", "/rest/v1/box?id=eq.7&select=label", service_key, NULL, NULL, NULL);
	expect_body(&r, 200, "[{\"label\":\"again\"}]");
	/* The filters name the key, all of it, with eq; the body agrees. */
	rest(&r, "PUT", "/rest/v1/box?label=eq.again", service_key, NULL,
	    "{\"id\":7,\"label\":\"x\"}", NULL);
	assert_pgrst(&r, 405, "PGRST105", NULL, NULL);
	http_resp_free(&r);
	rest(&r, "PUT", "/rest/v1/box?id=gt.6", service_key, NULL, "{\"id\":7,\"label\":\"x\"}",
	    NULL);
	assert_pgrst(&r, 405, "PGRST105", NULL, NULL);
	http_resp_free(&r);
	rest(&r, "PUT", "/rest/v1/box?id=eq.7", service_key, NULL, "{\"id\":8,\"label\":\"x\"}",
	    NULL);
	assert_pgrst(&r, 400, "PGRST115", NULL, NULL);
	http_resp_free(&r);
	rest(&r, "DELETE", "/rest/v1/box?id=eq.7", service_key, NULL, NULL, NULL);
	ck_assert_int_eq(r.status, 204);
	http_resp_free(&r);
}
END_TEST

/* A browser asks before it sends the key: the preflight needs none. */
START_TEST(test_preflight_without_apikey)
{
	const char *pre[] = { "Origin: https://app.example", "Access-Control-Request-Method: POST",
		"Access-Control-Request-Headers: apikey, authorization, x-client-info, content-type",
		NULL };
	struct http_resp r;
	char *v;

	rest(&r, "OPTIONS", "/rest/v1/posts", NULL, NULL, NULL, pre);
	ck_assert_msg(r.status == 204, "%ld %s", r.status, r.body);
	v = http_header(&r, "Access-Control-Allow-Origin");
	ck_assert_ptr_nonnull(v);
	ck_assert_str_eq(v, "https://app.example");
	free(v);
	v = http_header(&r, "Access-Control-Allow-Headers");
	ck_assert_ptr_nonnull(v);
	ck_assert_ptr_nonnull(strcasestr(v, "apikey"));
	ck_assert_ptr_nonnull(strcasestr(v, "x-client-info"));
	free(v);
	http_resp_free(&r);
}
END_TEST

/* PostgREST's root: the OpenAPI document of /rest/v1, relative to it. */
START_TEST(test_root_is_the_openapi_document)
{
	struct http_resp r;
	struct json_object *o, *paths, *servers;

	keys();
	rest(&r, "GET", "/rest/v1/", anon_key, NULL, NULL, NULL);
	ck_assert_int_eq(r.status, 200);
	o = json_body(&r);
	ck_assert_str_eq(jstr(o, "openapi"), "3.0.3");
	ck_assert(json_object_object_get_ex(o, "paths", &paths));
	ck_assert(
	    json_object_object_get_ex(json_object_object_get(paths, "/product"), "get", NULL));
	/* anon reads product, writes nothing. */
	ck_assert(
	    !json_object_object_get_ex(json_object_object_get(paths, "/product"), "post", NULL));
	ck_assert(json_object_object_get_ex(paths, "/rpc/add", NULL));
	ck_assert(!json_object_object_get_ex(paths, "/products", NULL));
	ck_assert(!json_object_object_get_ex(paths, "/auth/v1/signup", NULL));
	servers = json_object_object_get(o, "servers");
	ck_assert_ptr_nonnull(
	    strstr(jstr(json_object_array_get_idx(servers, 0), "url"), "/rest/v1"));
	json_object_put(o);
	http_resp_free(&r);
	rest(&r, "GET", "/rest/v1/", NULL, NULL, NULL, NULL);
	assert_pgrst(&r, 401, "NO_API_KEY", NULL, NULL);
	http_resp_free(&r);
}
END_TEST

/* The claims of a token, decoded (no check: the server checks). */
static struct json_object *
claims_of(const char *token)
{
	const char *dot = strchr(token, '.'), *end = dot ? strchr(dot + 1, '.') : NULL;
	unsigned char json[2048];
	size_t len = 0;

	ck_assert_ptr_nonnull(end);
	ck_assert_int_eq(sodium_base642bin(json, sizeof(json) - 1, dot + 1, (size_t)(end - dot - 1),
	                     NULL, &len, NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING),
	    0);
	json[len] = '\0';
	return json_tokener_parse((const char *)json);
}

/* `fluxbase-fcgi keys`: two lines a shell can source, each key one of
 * ours: the anon key runs as anon, the service key as the service role;
 * no user in either, ten years to live. */
START_TEST(test_keys_command)
{
	static const char *const roles[] = { "anon", "service_role" };
	char cmd[1024], line[2][2200];
	const char *key[2];
	struct http_resp r;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "'%s' -c '%s/fluxbase.conf' keys", getenv("FLUXBASE_BIN"),
	    getenv("FB_STACK_DIR"));
	p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	for (int i = 0; i < 2; i++) {
		ck_assert_ptr_nonnull(fgets(line[i], sizeof(line[i]), p));
		line[i][strcspn(line[i], "\n")] = '\0';
	}
	ck_assert_ptr_null(fgets(cmd, sizeof(cmd), p));
	ck_assert_int_eq(pclose(p), 0);
	ck_assert_int_eq(strncmp(line[0], "FLUXBASE_ANON_KEY=", 18), 0);
	ck_assert_int_eq(strncmp(line[1], "FLUXBASE_SERVICE_KEY=", 21), 0);
	key[0] = line[0] + 18;
	key[1] = line[1] + 21;
	for (int i = 0; i < 2; i++) {
		struct json_object *c = claims_of(key[i]), *v;
		long ttl;

		ck_assert_ptr_nonnull(c);
		ck_assert_str_eq(jstr(c, "role"), roles[i]);
		ck_assert(!json_object_object_get_ex(c, "sub", NULL));
		ck_assert(json_object_object_get_ex(c, "exp", &v));
		ttl = (long)json_object_get_int64(v) -
		    (long)json_object_get_int64(json_object_object_get(c, "iat"));
		ck_assert_int_eq(ttl, 10L * 366 * 86400);
		json_object_put(c);
		rest(&r, "GET", "/rest/v1/whoami?select=db_role", key[i], NULL, NULL, NULL);
		ck_assert_msg(r.status == 200, "%ld %s", r.status, r.body);
		ck_assert_ptr_nonnull(strstr(r.body, roles[i]));
		http_resp_free(&r);
	}
	rest(&r, "GET", "/rest/v1/secrets?select=s", key[1], NULL, NULL, NULL);
	expect_body(&r, 200, "[{\"s\":\"hidden\"}]");
}
END_TEST

TCase *
supabase_rest_tcase(void)
{
	TCase *tc = tcase_create("supabase_rest");

	tcase_add_test(tc, test_keys_command);
	tcase_add_test(tc, test_apikey_gate);
	tcase_add_test(tc, test_who_the_request_runs_as);
	tcase_add_test(tc, test_exact_names_and_profiles);
	tcase_add_test(tc, test_rpc_and_embedding);
	tcase_add_test(tc, test_put_by_key_filter);
	tcase_add_test(tc, test_preflight_without_apikey);
	tcase_add_test(tc, test_root_is_the_openapi_document);
	return tc;
}
