/*
 * openapi/openapi.h - the live OpenAPI 3.0.3 documents.
 *
 * Ours (/openapi.json): the fixed part (health, auth, storage, shared
 * components) is openapi/static.json, embedded at build time; the tables
 * part comes from the schema cache, per role: only what the role has
 * privileges on, with the methods the privileges and the relation allow;
 * the functions the role may execute come from the function cache
 * (tables/functions.h).  The Supabase-compatible prefixes' document
 * (/openapi-supabase.json) and PostgREST's root (/rest/v1/) are built in
 * openapi/supabase.c from their route lists and the same tables part.
 * Each is built once per schema-cache generation and role, then served
 * from memory.
 */
#ifndef FLUXBASE_OPENAPI_H
#define FLUXBASE_OPENAPI_H

#include <stdbool.h>
#include <stddef.h>

struct fn_cache;
struct json_object;
struct request;
struct schema_cache;

extern const char openapi_static_json[];

/* role: 0 anon, 1 authenticated, 2 service_role.  Returns the malloc'ed
 * document without its "servers" member and closing brace, or NULL.
 * fc may be NULL (no functions). */
char *openapi_build(const struct schema_cache *sc, const struct fn_cache *fc, int role,
    size_t *len);
int openapi_role_index(const char *role);

/* The documents served, each at its base URL (the public URL's or the
 * Host's, then this suffix). */
enum openapi_doc {
	OPENAPI_FLUXBASE, /* /openapi.json, at /api/v1 */
	OPENAPI_SUPABASE, /* /openapi-supabase.json, at the root */
	OPENAPI_POSTGREST, /* /rest/v1/, at /rest/v1 */
	OPENAPI_NDOCS
};

/* The same as openapi_build for the Supabase-compatible routes (postgrest:
 * /rest/v1's only, relative to it). */
char *openapi_supabase_build(const struct schema_cache *sc, const struct fn_cache *fc, int role,
    bool postgrest, size_t *len);

/* Internal: what openapi.c and supabase.c share. */

/* Answers doc for the caller's role, with its "servers". */
int openapi_serve(struct request *r, enum openapi_doc doc);
/*
 * Adds to paths (their row schemas to schemas) the tables and views role
 * may use and the functions it may execute (prefix/rpc/{name}): ours
 * (prefix/tables/{plural}, /{id} items, every exposed schema) or
 * PostgREST's (postgrest: prefix/{name}, the default schema's exact
 * names, collections only).
 */
void openapi_add_relations(const struct schema_cache *sc, const struct fn_cache *fc, int role,
    const char *prefix, bool postgrest, struct json_object *paths, struct json_object *schemas);
struct json_object *openapi_str(const char *s);
/* root's text without its final '}' (the per-request "servers" follow),
 * malloc'ed, its length in *len; root is released.  NULL without memory. */
char *openapi_unclosed(struct json_object *root, size_t *len);

#endif
