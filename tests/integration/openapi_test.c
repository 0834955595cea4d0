/*
 * The live OpenAPI documents: valid for anon, a user and the service role
 * (checked by swagger-parser), tables and functions (/rpc) as each role
 * may use them, no drift from what the server answers, the /openapi.json
 * alias, and the explorer page rendered in headless Chromium; the
 * Supabase-compatible routes' document (/openapi-supabase.json) valid and
 * answered the same way, with PostgREST's names under /rest/v1.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <json-c/json.h>

#include "client.h"
#include "suites.h"

/* The document as role sees it; also written to FB_STACK_DIR/openapi-<role>.json. */
static struct json_object *
fetch(const char *role, char *file, size_t n)
{
	char token[2048], auth[2100];
	const char *h[2] = { NULL, NULL };
	struct http_resp r;
	struct json_object *o;
	FILE *f;

	if (strcmp(role, "anon") != 0) {
		mint_token(token, sizeof(token), role,
		    strcmp(role, "authenticated") == 0 ? "cccccccc-3333-4333-8333-333333333333"
		                                       : NULL);
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
		h[0] = auth;
	}
	http_do("GET", api_url("/openapi.json"), h, NULL, 0, &r);
	ck_assert_int_eq(r.status, 200);
	snprintf(file, n, "%s/openapi-%s.json", getenv("FB_STACK_DIR"), role);
	f = fopen(file, "w");
	ck_assert_ptr_nonnull(f);
	fwrite(r.body, 1, r.len, f);
	fclose(f);
	o = json_body(&r);
	http_resp_free(&r);
	return o;
}

static bool
has_path(struct json_object *doc, const char *path, const char *method)
{
	struct json_object *paths, *item;

	return json_object_object_get_ex(doc, "paths", &paths) &&
	    json_object_object_get_ex(paths, path, &item) &&
	    (method == NULL || json_object_object_get_ex(item, method, NULL));
}

START_TEST(test_valid_for_each_role)
{
	static const char *roles[] = { "anon", "authenticated", "service_role" };
	char file[512], cmd[1200];
	struct json_object *doc[3], *v;

	for (int i = 0; i < 3; i++) {
		doc[i] = fetch(roles[i], file, sizeof(file));
		/* FB_JS_DIR: where script/setup installed the npm tools. */
		snprintf(cmd, sizeof(cmd), "node '%s/validate.js' '%s'", getenv("FB_JS_DIR"), file);
		ck_assert_msg(system(cmd) == 0, "the document for %s is not valid OpenAPI",
		    roles[i]);
	}
	ck_assert_str_eq(json_object_get_string(json_object_object_get(doc[0], "openapi")),
	    "3.0.3");
	/* What each role may use, with the methods its grants allow. */
	ck_assert(has_path(doc[0], "/tables/products", "get"));
	ck_assert(!has_path(doc[0], "/tables/products", "post"));
	ck_assert(!has_path(doc[0], "/tables/notes", NULL));
	ck_assert(has_path(doc[1], "/tables/notes", "post"));
	ck_assert(has_path(doc[1], "/tables/notes/{id}", "patch"));
	ck_assert(!has_path(doc[1], "/tables/secrets", NULL));
	ck_assert(has_path(doc[2], "/tables/secrets", "delete"));
	/* Views read-only; tables without a key have no /{id}. */
	ck_assert(has_path(doc[2], "/tables/product_stats", "get"));
	ck_assert(!has_path(doc[2], "/tables/product_stats", "post"));
	ck_assert(has_path(doc[2], "/tables/event_logs", "get"));
	ck_assert(!has_path(doc[2], "/tables/event_logs/{id}", NULL));
	ck_assert(has_path(doc[2], "/tables/extra.things", "get"));
	/* Functions at /rpc/{name}: POST, and GET when not VOLATILE. */
	ck_assert(has_path(doc[0], "/rpc/add", "post"));
	ck_assert(has_path(doc[0], "/rpc/add", "get"));
	ck_assert(has_path(doc[1], "/rpc/posts_by", "get"));
	ck_assert(has_path(doc[2], "/rpc/sneaky", "post"));
	ck_assert(!has_path(doc[2], "/rpc/sneaky", "get"));
	/* Every auth and storage path for everyone. */
	ck_assert(has_path(doc[0], "/auth/signup", "post"));
	ck_assert(has_path(doc[0], "/storage/{bucket}/{key}", "get"));
	/* Column types. */
	v = json_object_object_get(json_object_object_get(json_object_object_get(doc[0],
	                                                      "components"),
	                               "schemas"),
	    "all_types");
	ck_assert_ptr_nonnull(v);
	{
		struct json_object *props = json_object_object_get(v, "properties");
		static const struct {
			const char *col, *type, *format;
		} want[] = {
			{ "small", "integer", "int32" },
			{ "big", "integer", "int64" },
			{ "exact", "number", NULL },
			{ "approx", "number", "double" },
			{ "flag", "boolean", NULL },
			{ "ident", "string", "uuid" },
			{ "day", "string", "date" },
			{ "at", "string", "date-time" },
			{ "doc", "object", NULL },
			{ "names", "array", NULL },
			{ "feeling", "string", NULL },
		};

		for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
			struct json_object *c = json_object_object_get(props, want[i].col);

			ck_assert_msg(c != NULL, "no %s", want[i].col);
			ck_assert_str_eq(json_object_get_string(json_object_object_get(c, "type")),
			    want[i].type);
			if (want[i].format)
				ck_assert_str_eq(json_object_get_string(
				                     json_object_object_get(c, "format")),
				    want[i].format);
		}
		ck_assert_int_eq((int)json_object_array_length(
		                     json_object_object_get(json_object_object_get(props,
		                                                "feeling"),
		                         "enum")),
		    3);
		ck_assert_ptr_nonnull(
		    strstr(json_object_get_string(
		               json_object_object_get(json_object_object_get(props, "category_id"),
		                   "description")),
		        "Foreign key to"));
		ck_assert_ptr_nonnull(
		    strstr(json_object_get_string(
		               json_object_object_get(json_object_object_get(props, "whole"),
		                   "description")),
		        "A required integer"));
		ck_assert_str_eq(json_object_to_json_string_ext(json_object_object_get(v,
		                                                    "required"),
		                     JSON_C_TO_STRING_PLAIN),
		    "[\"whole\"]");
	}
	for (int i = 0; i < 3; i++)
		json_object_put(doc[i]);
}
END_TEST

/* Every documented operation is answered, and the alias serves the same. */
START_TEST(test_no_drift_and_alias)
{
	char file[512], url[1024];
	struct json_object *doc = fetch("service_role", file, sizeof(file)), *paths;
	struct http_resp r;
	int checked = 0;

	ck_assert(json_object_object_get_ex(doc, "paths", &paths));
	json_object_object_foreach(paths, path, item)
	{
		char concrete[600] = "";
		char *allow;

		for (const char *p = path; *p; p++) {
			if (*p == '{') {
				strcat(concrete,
				    strncmp(p, "{id}", 4) == 0        ? "1"
				        : strncmp(p, "{key}", 5) == 0 ? "k1/k2"
				                                      : "b1");
				p = strchr(p, '}');
			} else {
				strncat(concrete, p, 1);
			}
		}
		http_do("OPTIONS", api_url(concrete), NULL, NULL, 0, &r);
		ck_assert_msg(r.status == 204, "OPTIONS %s: %ld", concrete, r.status);
		allow = http_header(&r, "Allow");
		json_object_object_foreach(item, verb, op)
		{
			char upper[16];

			(void)op;
			if (strcmp(verb, "parameters") == 0)
				continue;
			for (size_t i = 0; i <= strlen(verb) && i < sizeof(upper); i++)
				upper[i] = (char)(verb[i] >= 'a' && verb[i] <= 'z' ? verb[i] - 32
				                                                   : verb[i]);
			ck_assert_msg(allow && strstr(allow, upper), "%s %s documented, Allow: %s",
			    upper, concrete, allow ? allow : "(none)");
			checked++;
		}
		free(allow);
		http_resp_free(&r);
	}
	ck_assert_int_gt(checked, 40);
	json_object_put(doc);
	snprintf(url, sizeof(url), "%s/openapi.json", getenv("FB_BASE"));
	http_do("GET", url, NULL, NULL, 0, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_nonnull(strstr(r.body, "\"openapi\":\"3.0.3\""));
	ck_assert_ptr_nonnull(strstr(r.body, "\"servers\":[{\"url\":\"http://127.0.0.1:"));
	http_resp_free(&r);
}
END_TEST

START_TEST(test_explorer_in_chromium)
{
	char url[512], cmd[2400], shot[600], out[512];
	struct http_resp r;
	FILE *p;
	char *dom;
	size_t n = 0, cap = 1 << 22;

	snprintf(url, sizeof(url), "%s/api/v1/docs/", getenv("FB_BASE"));
	http_do("GET", url, NULL, NULL, 0, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_nonnull(strstr(r.body, "swagger-ui-bundle.js"));
	http_resp_free(&r);
	snprintf(out, sizeof(out), "%s/chromium-profile", getenv("FB_STACK_DIR"));
	snprintf(cmd, sizeof(cmd),
	    "timeout 90 chromium --headless --no-sandbox --disable-gpu --disable-dev-shm-usage"
	    " --disable-quic --no-first-run --disable-background-networking"
	    " --disable-component-update --disable-sync --user-data-dir='%s'"
	    " --virtual-time-budget=20000 --dump-dom '%s' 2>/dev/null",
	    out, url);
	p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	dom = malloc(cap);
	while (n + 1 < cap && (cap - n - 1) > 0) {
		size_t k = fread(dom + n, 1, cap - n - 1, p);

		if (k == 0)
			break;
		n += k;
	}
	dom[n] = '\0';
	pclose(p);
	/* The operations of a table are listed. */
	ck_assert_msg(strstr(dom, "/tables/products") != NULL,
	    "no table operation in %zu bytes of DOM", n);
	ck_assert_ptr_nonnull(strstr(dom, "opblock"));
	free(dom);
	/* And a picture of it next to the test log. */
	snprintf(shot, sizeof(shot), "%s/tests/integration/explorer.png", getenv("top_builddir"));
	snprintf(cmd, sizeof(cmd),
	    "timeout 90 chromium --headless --no-sandbox --disable-gpu --disable-dev-shm-usage"
	    " --disable-quic --no-first-run --disable-background-networking"
	    " --disable-component-update --disable-sync --user-data-dir='%s'"
	    " --window-size=1280,2000 --virtual-time-budget=20000 --screenshot='%s' '%s'"
	    " >/dev/null 2>&1",
	    out, shot, url);
	ck_assert_int_eq(system(cmd), 0);
	ck_assert_int_eq(access(shot, R_OK), 0);
	fprintf(stderr, "explorer screenshot: %s\n", shot);
}
END_TEST

/* /openapi-supabase.json: valid for each role, /rest/v1's tables by their
 * exact names, and every documented operation answered (OPTIONS needs no
 * apikey, its Allow names the method). */
START_TEST(test_supabase_document)
{
	static const char *roles[] = { "anon", "service_role" };
	char file[512], cmd[1200], url[1024];
	struct json_object *doc = NULL, *paths;
	struct http_resp r;
	int checked = 0;

	for (int i = 0; i < 2; i++) {
		char token[2048], auth[2100];
		const char *h[2] = { NULL, NULL };
		FILE *f;

		if (i > 0) {
			mint_token(token, sizeof(token), roles[i], NULL);
			snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
			h[0] = auth;
		}
		http_do("GET", api_url("/openapi-supabase.json"), h, NULL, 0, &r);
		ck_assert_int_eq(r.status, 200);
		snprintf(file, sizeof(file), "%s/openapi-supabase-%s.json", getenv("FB_STACK_DIR"),
		    roles[i]);
		f = fopen(file, "w");
		ck_assert_ptr_nonnull(f);
		fwrite(r.body, 1, r.len, f);
		fclose(f);
		snprintf(cmd, sizeof(cmd), "node '%s/validate.js' '%s'", getenv("FB_JS_DIR"), file);
		ck_assert_msg(system(cmd) == 0, "the Supabase document for %s is not valid OpenAPI",
		    roles[i]);
		json_object_put(doc);
		doc = json_body(&r);
		http_resp_free(&r);
	}
	ck_assert(has_path(doc, "/rest/v1/product", "get"));
	ck_assert(!has_path(doc, "/rest/v1/products", NULL));
	ck_assert(!has_path(doc, "/rest/v1/product/{id}", NULL));
	ck_assert(has_path(doc, "/rest/v1/secrets", "delete"));
	ck_assert(has_path(doc, "/rest/v1/rpc/add", "post"));
	ck_assert(has_path(doc, "/rest/v1/", "get"));
	ck_assert(json_object_object_get_ex(doc, "paths", &paths));
	/* Each success as the server answers it: logout 204, the others 200. */
	{
		struct json_object *item, *op, *resp;

		ck_assert(json_object_object_get_ex(paths, "/auth/v1/logout", &item));
		ck_assert(json_object_object_get_ex(item, "post", &op));
		ck_assert(json_object_object_get_ex(op, "responses", &resp));
		ck_assert(json_object_object_get_ex(resp, "204", NULL));
		ck_assert(!json_object_object_get_ex(resp, "200", NULL));
		ck_assert(json_object_object_get_ex(paths, "/auth/v1/user", &item));
		ck_assert(json_object_object_get_ex(item, "get", &op));
		ck_assert(json_object_object_get_ex(op, "responses", &resp));
		ck_assert(json_object_object_get_ex(resp, "200", NULL));
	}
	json_object_object_foreach(paths, path, item)
	{
		char concrete[600];
		size_t n = 0;
		int found = 0;
		char *allow;

		/* Each parameter one segment ({path*} takes one too). */
		snprintf(concrete, sizeof(concrete), "%s", getenv("FB_BASE"));
		n = strlen(concrete);
		for (const char *p = path; *p && n + 3 < sizeof(concrete); p++) {
			if (*p == '{') {
				memcpy(concrete + n, "b1", 2);
				n += 2;
				p = strchr(p, '}');
			} else {
				concrete[n++] = *p;
			}
		}
		concrete[n] = '\0';
		http_do("OPTIONS", concrete, NULL, NULL, 0, &r);
		ck_assert_msg(r.status == 204, "OPTIONS %s: %ld", concrete, r.status);
		allow = http_header(&r, "Allow");
		/* Allow names the methods of the first route of the path (a path
		 * split over routes by caller shows one part; the unit drift test
		 * routes every method): at least one documented verb. */
		json_object_object_foreach(item, verb, op)
		{
			char upper[16];

			(void)op;
			if (strcmp(verb, "parameters") == 0)
				continue;
			for (size_t i = 0; i <= strlen(verb) && i < sizeof(upper); i++)
				upper[i] = (char)(verb[i] >= 'a' && verb[i] <= 'z' ? verb[i] - 32
				                                                   : verb[i]);
			if (allow != NULL && strstr(allow, upper) != NULL)
				found++;
			checked++;
		}
		ck_assert_msg(found > 0, "%s: no documented method in Allow: %s", concrete,
		    allow ? allow : "(none)");
		free(allow);
		http_resp_free(&r);
	}
	ck_assert_int_gt(checked, 10);
	json_object_put(doc);
	/* At the root too, where code generators look. */
	snprintf(url, sizeof(url), "%s/openapi-supabase.json", getenv("FB_BASE"));
	http_do("GET", url, NULL, NULL, 0, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_nonnull(strstr(r.body, "\"servers\":[{\"url\":\"http://127.0.0.1:"));
	http_resp_free(&r);
}
END_TEST

TCase *
openapi_tcase(void)
{
	TCase *tc = tcase_create("openapi");

	tcase_add_test(tc, test_valid_for_each_role);
	tcase_add_test(tc, test_no_drift_and_alias);
	tcase_add_test(tc, test_supabase_document);
	tcase_add_test(tc, test_explorer_in_chromium);
	return tc;
}
