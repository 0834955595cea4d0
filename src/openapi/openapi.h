/*
 * openapi/openapi.h - the live OpenAPI 3.0.3 document.
 *
 * The fixed part (health, auth, storage, shared components) is
 * openapi/static.json, embedded at build time; the tables part comes from
 * the schema cache, per role: only what the role has privileges on, with
 * the methods the privileges and the relation allow; the functions the
 * role may execute come from the function cache (tables/functions.h).  Built once per
 * schema-cache generation and role, then served from memory.
 */
#ifndef FLUXBASE_OPENAPI_H
#define FLUXBASE_OPENAPI_H

#include <stddef.h>

struct fn_cache;
struct schema_cache;

extern const char openapi_static_json[];

/* role: 0 anon, 1 authenticated, 2 service_role.  Returns the malloc'ed
 * document without its "servers" member and closing brace, or NULL.
 * fc may be NULL (no functions). */
char *openapi_build(const struct schema_cache *sc, const struct fn_cache *fc, int role,
    size_t *len);
int openapi_role_index(const char *role);

#endif
