/*
 * openapi/supabase.c - the Supabase-compatible routes' OpenAPI documents,
 * and the serving of every document.
 *
 * /openapi-supabase.json is built from the route lists themselves (the
 * app_routes entries under /rest/v1, /auth/v1 and /storage/v1): a path
 * per route, an operation per method with its one-line summary from the
 * table below, the caller the route admits and the error shape of its
 * prefix; /rest/v1/{table} and /rest/v1/rpc/{function} are expanded from
 * the schema and function caches by the tables part of ours (openapi.c)
 * with PostgREST's names.  /rest/v1/ (PostgREST's root) is the same for
 * /rest/v1 alone, relative to it.  The shared components (parameters,
 * schemas) are static.json's.  Documents are cached per schema-cache
 * generation and role; "servers" is appended per request.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "conf.h"
#include "handlers.h"
#include "http.h"
#include "log.h"
#include "openapi/openapi.h"
#include "router.h"
#include "schema.h"
#include "session.h"
#include "tables/functions.h"

#define jstr openapi_str

/* A route's one-line summary per method (0: any method of the route). */
static const struct {
	unsigned method;
	const char *pattern;
	const char *summary;
} summaries[] = {
	{ 0, "/rest/v1/",
	    "This document: the tables and functions of /rest/v1 (PostgREST's root)" },
	{ HTTP_POST, "/auth/v1/signup", "Sign up with email and password" },
	{ HTTP_POST, "/auth/v1/token",
	    "Sign in: grant_type=password (email, password) or refresh_token" },
	{ HTTP_POST, "/auth/v1/logout", "Sign out (scope=local, global or others)" },
	{ HTTP_GET, "/auth/v1/user", "The signed-in user" },
	{ HTTP_PUT, "/auth/v1/user", "Update the signed-in user (email, password, data)" },
	{ HTTP_POST, "/auth/v1/otp", "Send a magic link or a one-time code by email" },
	{ HTTP_GET, "/auth/v1/verify", "Verify a link's token and redirect with the session" },
	{ HTTP_POST, "/auth/v1/verify", "Verify a token_hash, or an email and its code" },
	{ HTTP_POST, "/auth/v1/recover", "Send a password recovery email" },
	{ HTTP_POST, "/auth/v1/resend", "Send a signup or email change confirmation again" },
	{ HTTP_GET, "/auth/v1/settings", "The server's auth settings" },
	{ HTTP_GET, "/auth/v1/admin/users", "List users (page, per_page)" },
	{ HTTP_POST, "/auth/v1/admin/users", "Create a user" },
	{ HTTP_GET, "/auth/v1/admin/users/{id}", "Get a user" },
	{ HTTP_PUT, "/auth/v1/admin/users/{id}", "Update a user" },
	{ HTTP_DELETE, "/auth/v1/admin/users/{id}", "Delete a user" },
	{ HTTP_POST, "/auth/v1/admin/generate_link", "Generate an email action link" },
	{ HTTP_POST, "/auth/v1/invite", "Invite a user by email" },
	{ HTTP_GET, "/storage/v1/bucket", "List buckets" },
	{ HTTP_POST, "/storage/v1/bucket", "Create a bucket" },
	{ HTTP_GET, "/storage/v1/bucket/{id}", "Get a bucket" },
	{ HTTP_PUT, "/storage/v1/bucket/{id}", "Update a bucket" },
	{ HTTP_DELETE, "/storage/v1/bucket/{id}", "Delete an empty bucket" },
	{ HTTP_POST, "/storage/v1/bucket/{id}/empty", "Empty a bucket" },
	{ HTTP_POST, "/storage/v1/object/list/{bucket}",
	    "List objects (prefix, limit, offset, sortBy, search)" },
	{ HTTP_POST, "/storage/v1/object/move", "Move an object" },
	{ HTTP_POST, "/storage/v1/object/copy", "Copy an object" },
	{ HTTP_POST, "/storage/v1/object/sign/{bucket}", "Create signed URLs of several objects" },
	{ HTTP_GET, "/storage/v1/object/sign/{bucket}/{path*}", "Download by a signed URL" },
	{ HTTP_POST, "/storage/v1/object/sign/{bucket}/{path*}", "Create a signed URL" },
	{ HTTP_POST, "/storage/v1/object/upload/sign/{bucket}/{path*}",
	    "Create a signed upload URL" },
	{ HTTP_PUT, "/storage/v1/object/upload/sign/{bucket}/{path*}",
	    "Upload by a signed upload URL" },
	{ HTTP_GET, "/storage/v1/object/public/{bucket}/{path*}", "Download from a public bucket" },
	{ HTTP_GET, "/storage/v1/object/authenticated/{bucket}/{path*}", "Download as the caller" },
	{ HTTP_GET, "/storage/v1/object/info/{bucket}/{path*}", "An object's metadata" },
	{ HTTP_DELETE, "/storage/v1/object/{bucket}", "Delete objects (body: prefixes)" },
	{ HTTP_GET, "/storage/v1/object/{bucket}/{path*}", "Download as the caller" },
	{ HTTP_POST, "/storage/v1/object/{bucket}/{path*}",
	    "Upload (raw or multipart; x-upsert, cache-control)" },
	{ HTTP_PUT, "/storage/v1/object/{bucket}/{path*}", "Replace an object" },
	{ HTTP_DELETE, "/storage/v1/object/{bucket}/{path*}", "Delete an object" },
};

/* Successes that are not 200, as the server answers them. */
static const struct {
	unsigned method;
	const char *pattern;
	const char *status;
} statuses[] = {
	{ HTTP_POST, "/auth/v1/logout", "204" },
};

static const struct {
	int method;
	const char *name;
} verbs[] = {
	{ HTTP_GET, "get" },
	{ HTTP_POST, "post" },
	{ HTTP_PUT, "put" },
	{ HTTP_PATCH, "patch" },
	{ HTTP_DELETE, "delete" },
};

/* The prefixes: their tag and the error response of their shape. */
static const struct {
	const char *prefix, *tag, *error;
} prefixes[] = {
	{ "/rest/v1", "rest", "Error" },
	{ "/auth/v1/", "auth", "GoTrueError" },
	{ "/storage/v1/", "storage", "StorageError" },
};

/* Which of prefixes pattern is under, or -1. */
static int
prefix_of(const char *pattern)
{
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (strncmp(pattern, prefixes[i].prefix, strlen(prefixes[i].prefix)) == 0)
			return (int)i;
	return -1;
}

/* Routes documented one by one (the tables and functions are expanded). */
static bool
documented_route(const struct route *rt, bool postgrest)
{
	int p = prefix_of(rt->pattern);

	if (p < 0 || (postgrest && p != 0))
		return false;
	return strcmp(rt->pattern, "/rest/v1/{table}") != 0 &&
	    strcmp(rt->pattern, "/rest/v1/rpc/{function}") != 0;
}

static const char *
summary_of(const struct route *rt, unsigned method)
{
	for (size_t i = 0; i < sizeof(summaries) / sizeof(summaries[0]); i++)
		if ((summaries[i].method == 0 || summaries[i].method == method) &&
		    strcmp(summaries[i].pattern, rt->pattern) == 0)
			return summaries[i].summary;
	return NULL;
}

static const char *const callers[] = {
	[ACCESS_ANYONE] = "Anyone with the apikey (a bearer token, when sent, is the caller).",
	[ACCESS_USER] = "A signed-in user (Authorization: Bearer, with the apikey).",
	[ACCESS_USER_SESSION] = "A signed-in user with a live session (with the apikey).",
	[ACCESS_SERVICE] = "The service role (the service key as apikey and bearer).",
	[ACCESS_METRICS] = "The service role.",
};

static const char *
status_of(const struct route *rt, unsigned method)
{
	for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++)
		if (statuses[i].method == method && strcmp(statuses[i].pattern, rt->pattern) == 0)
			return statuses[i].status;
	return "200";
}

static struct json_object *
route_op(const struct route *rt, const char *verb, unsigned method, const char *path)
{
	struct json_object *op = json_object_new_object(), *tags = json_object_new_array(),
	                   *responses = json_object_new_object(), *ok = json_object_new_object(),
	                   *err = json_object_new_object();
	const char *summary = summary_of(rt, method);
	int p = prefix_of(rt->pattern);
	char opid[300], ref[200], fallback[300];
	size_t n;

	n = (size_t)snprintf(opid, sizeof(opid), "%s", verb);
	for (const char *c = path; *c && n + 1 < sizeof(opid); c++)
		if (isalnum((unsigned char)*c))
			opid[n++] = *c;
		else if (opid[n - 1] != '_')
			opid[n++] = '_';
	while (opid[n - 1] == '_')
		n--;
	opid[n] = '\0';
	json_object_array_add(tags, jstr(prefixes[p].tag));
	json_object_object_add(op, "tags", tags);
	snprintf(fallback, sizeof(fallback), "%s %s", verb, rt->pattern);
	json_object_object_add(op, "summary", jstr(summary ? summary : fallback));
	json_object_object_add(op, "description", jstr(callers[rt->access]));
	json_object_object_add(op, "operationId", jstr(opid));
	json_object_object_add(ok, "description", jstr("Success"));
	json_object_object_add(responses, status_of(rt, method), ok);
	snprintf(ref, sizeof(ref), "#/components/responses/%s", prefixes[p].error);
	json_object_object_add(err, "$ref", jstr(ref));
	json_object_object_add(responses, "default", err);
	json_object_object_add(op, "responses", responses);
	return op;
}

/* A route's path: the pattern ("{name*}" as "{name}"), relative to
 * /rest/v1 in PostgREST's document; its parameters declared. */
static void
add_route(const struct route *rt, bool postgrest, struct json_object *paths)
{
	struct json_object *item, *params = json_object_new_array();
	char path[300];
	size_t n = 0;

	for (const char *c = rt->pattern + (postgrest ? 8 : 0); *c && n + 1 < sizeof(path); c++) {
		if (*c == '{') {
			size_t len = strcspn(c + 1, "*}");
			struct json_object *p = json_object_new_object(),
			                   *schema = json_object_new_object();

			json_object_object_add(p, "name",
			    json_object_new_string_len(c + 1, (int)len));
			json_object_object_add(p, "in", jstr("path"));
			json_object_object_add(p, "required", json_object_new_boolean(1));
			if (c[1 + len] == '*')
				json_object_object_add(p, "description",
				    jstr("The rest of the path, '/' included"));
			json_object_object_add(schema, "type", jstr("string"));
			json_object_object_add(p, "schema", schema);
			json_object_array_add(params, p);
		}
		if (*c != '*')
			path[n++] = *c;
	}
	path[n] = '\0';
	/* Another route of the same pattern (other methods) has its item. */
	if (!json_object_object_get_ex(paths, path, &item)) {
		item = json_object_new_object();
		json_object_object_add(paths, path, item);
	}
	if (json_object_array_length(params) > 0 &&
	    !json_object_object_get_ex(item, "parameters", NULL))
		json_object_object_add(item, "parameters", params);
	else
		json_object_put(params);
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (rt->methods & (unsigned)verbs[i].method)
			json_object_object_add(item, verbs[i].name,
			    route_op(rt, verbs[i].name, (unsigned)verbs[i].method, path));
}

/* Each prefix's error, as compat.h's writers shape it: the response
 * "Error" (which the tables' operations name) is PostgREST's. */
static const char error_components[] =
    "{\"schemas\":{"
    "\"PostgrestError\":{\"type\":\"object\",\"required\":[\"code\",\"message\"],"
    "\"properties\":{\"code\":{\"type\":\"string\"},\"message\":{\"type\":\"string\"},"
    "\"details\":{\"type\":\"string\",\"nullable\":true},"
    "\"hint\":{\"type\":\"string\",\"nullable\":true}}},"
    "\"GoTrueError\":{\"type\":\"object\",\"required\":[\"code\",\"error_code\",\"msg\"],"
    "\"properties\":{\"code\":{\"type\":\"integer\",\"description\":\"The HTTP status\"},"
    "\"error_code\":{\"type\":\"string\"},\"msg\":{\"type\":\"string\"}}},"
    "\"StorageError\":{\"type\":\"object\","
    "\"required\":[\"statusCode\",\"error\",\"message\"],"
    "\"properties\":{\"statusCode\":{\"type\":\"string\","
    "\"description\":\"The HTTP status, as a string\"},"
    "\"error\":{\"type\":\"string\"},\"message\":{\"type\":\"string\"}}}},"
    "\"responses\":{"
    "\"Error\":{\"description\":\"An error, PostgREST's shape\",\"content\":{"
    "\"application/json\":{\"schema\":{\"$ref\":\"#/components/schemas/PostgrestError\"}}}},"
    "\"GoTrueError\":{\"description\":\"An error, GoTrue's shape\",\"content\":{"
    "\"application/json\":{\"schema\":{\"$ref\":\"#/components/schemas/GoTrueError\"}}}},"
    "\"StorageError\":{\"description\":\"An error, Supabase Storage's shape\",\"content\":{"
    "\"application/json\":{\"schema\":{\"$ref\":\"#/components/schemas/StorageError\"}}}}},"
    "\"securitySchemes\":{\"apikey\":{\"type\":\"apiKey\",\"in\":\"header\","
    "\"name\":\"apikey\",\"description\":\"The anon or the service key (fluxbase-fcgi keys);"
    " also accepted as the apikey query parameter\"}}}";

/* Merges error_components into the static document's components. */
static void
add_components(struct json_object *components)
{
	struct json_object *extra = json_tokener_parse(error_components);

	json_object_object_foreach(extra, section, members)
	{
		struct json_object *into;

		if (!json_object_object_get_ex(components, section, &into))
			continue;
		json_object_object_foreach(members, name, value)
		    json_object_object_add(into, name, json_object_get(value));
	}
	json_object_put(extra);
}

/* The document's head: info, tags and who may call (the apikey always). */
static void
set_head(struct json_object *root, bool postgrest)
{
	struct json_object *info = json_object_new_object(), *tags, *security, *both, *key;
	static const char *const tag_names[] = { "rest", "rpc", "auth", "storage" };

	json_object_object_add(info, "title",
	    jstr(postgrest ? "Fluxbase API: /rest/v1 (PostgREST's names)"
	                   : "Fluxbase API: the Supabase-compatible routes"));
	json_object_object_add(info, "version", jstr(PACKAGE_VERSION));
	json_object_object_add(info, "description",
	    jstr("/rest/v1, /auth/v1 and /storage/v1 as supabase-js calls them: a thin translation"
	         " over the handlers of /api/v1 (documented in /openapi.json).  Every request"
	         " carries the apikey."));
	json_object_object_add(root, "info", info);
	tags = json_object_new_array();
	for (size_t i = 0; i < (postgrest ? 2 : 4); i++) {
		struct json_object *t = json_object_new_object();

		json_object_object_add(t, "name", jstr(tag_names[i]));
		json_object_array_add(tags, t);
	}
	json_object_object_add(root, "tags", tags);
	security = json_object_new_array();
	both = json_object_new_object();
	json_object_object_add(both, "apikey", json_object_new_array());
	json_object_object_add(both, "bearer", json_object_new_array());
	key = json_object_new_object();
	json_object_object_add(key, "apikey", json_object_new_array());
	json_object_array_add(security, both);
	json_object_array_add(security, key);
	json_object_object_add(root, "security", security);
}

char *
openapi_supabase_build(const struct schema_cache *sc, const struct fn_cache *fc, int role,
    bool postgrest, size_t *len)
{
	struct json_object *root = json_tokener_parse(openapi_static_json), *paths, *components,
	                   *schemas;

	if (root == NULL) {
		log_err("%s: the embedded document does not parse", __func__);
		return NULL;
	}
	set_head(root, postgrest);
	json_object_object_get_ex(root, "components", &components);
	add_components(components);
	json_object_object_get_ex(components, "schemas", &schemas);
	paths = json_object_new_object();
	json_object_object_add(root, "paths", paths);
	for (size_t i = 0; i < app_routes_count; i++)
		if (documented_route(&app_routes[i], postgrest))
			add_route(&app_routes[i], postgrest, paths);
	openapi_add_relations(sc, fc, role, postgrest ? "" : "/rest/v1", true, paths, schemas);
	return openapi_unclosed(root, len);
}

/* Each document per role, rebuilt when the schema cache changes. */
static struct doc_cache {
	unsigned generation;
	char *doc;
	size_t len;
} cache[OPENAPI_NDOCS][SCHEMA_NROLES];

static const char *const doc_base[OPENAPI_NDOCS] = { "/api/v1", "", "/rest/v1" };

/* The public URL, else the Host's (when it looks like one), then base. */
static const char *
server_url(struct request *r, const char *base)
{
	const char *host = request_header(r, "Host"), *https = request_param(r, "HTTPS");

	if (r->conf->public_url[0] != '\0')
		return arena_printf(r->arena, "%s%s", r->conf->public_url, base);
	if (host != NULL && host[0] != '\0' && strlen(host) < 256) {
		for (const char *p = host; *p; p++)
			if (!isalnum((unsigned char)*p) && strchr(".-:[]", *p) == NULL)
				return base[0] ? base : "/";
		return arena_printf(r->arena, "%s://%s%s",
		    https != NULL && strcasecmp(https, "on") == 0 ? "https" : "http", host, base);
	}
	return base[0] ? base : "/";
}

int
openapi_serve(struct request *r, enum openapi_doc which)
{
	int role;
	const struct fn_cache *fc;
	struct json_object *servers, *s;
	const char *tail;
	struct strbuf sb;
	struct doc_cache *c;

	role = openapi_role_index(r->role);
	c = &cache[which][role];
	/* The functions follow the schema cache (loading it first). */
	if ((fc = functions_get(r)) == NULL)
		return response_db_unavailable(r);
	if (c->doc == NULL || c->generation != r->schema->generation) {
		free(c->doc);
		c->doc = which == OPENAPI_FLUXBASE ? openapi_build(r->schema, fc, role, &c->len)
		                                   : openapi_supabase_build(r->schema, fc, role,
		                                         which == OPENAPI_POSTGREST, &c->len);
		c->generation = r->schema->generation;
		if (c->doc == NULL)
			return -1;
	}
	servers = json_object_new_array();
	s = json_object_new_object();
	json_object_object_add(s, "url", json_object_new_string(server_url(r, doc_base[which])));
	json_object_array_add(servers, s);
	strbuf_init(&sb, r->arena, 128);
	strbuf_printf(&sb, ",\"servers\":%s}",
	    json_object_to_json_string_ext(servers,
	        JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(servers);
	tail = sb.data;
	r->resp.status = 200;
	r->resp.content_type = "application/json; charset=utf-8";
	response_header(r, "Cache-Control", "no-cache");
	response_header(r, "Content-Length", arena_printf(r->arena, "%zu", c->len + strlen(tail)));
	if (response_start(r) < 0)
		return -1;
	response_write(r, c->doc, c->len);
	response_write(r, tail, strlen(tail));
	return 0;
}

int
openapi_get(struct request *r)
{
	return openapi_serve(r, OPENAPI_FLUXBASE);
}

int
openapi_supabase_get(struct request *r)
{
	return openapi_serve(r, OPENAPI_SUPABASE);
}

int
openapi_postgrest_get(struct request *r)
{
	return openapi_serve(r, OPENAPI_POSTGREST);
}
