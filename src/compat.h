/*
 * compat.h - the Supabase-compatible prefixes: /rest/v1 (PostgREST's
 * names), /auth/v1 (GoTrue's) and /storage/v1 (Supabase Storage's), thin
 * translations over the same handlers as /api/v1.
 *
 * The prefix decides the dialect (the error shape every answer of that
 * path takes, 404s and 405s included) and, as Supabase's gateway does,
 * that an apikey (header "apikey" or query parameter) must be one of our
 * keys (`fluxbase-fcgi keys`: a token with role anon or service_role).
 * A request without Authorization is then the key's caller.  Links that
 * are fetched without headers need no key, as with Supabase's gateway:
 * GoTrue's verify, a public bucket's objects and signed URLs.
 */
#ifndef FLUXBASE_COMPAT_H
#define FLUXBASE_COMPAT_H

#include "arena.h"
#include "http.h"

/* Sets r->dialect from the path. */
void compat_classify(struct request *r);
/* On a compatibility prefix: 0 when the apikey is one of ours (r->apikey
 * set), else -1 with a 401 in the prefix's shape.  0 elsewhere. */
int compat_apikey(struct request *r);

/* Error bodies in GoTrue's shape, {"code","error_code","msg"}
 * (auth/gotrue.c), and Supabase Storage's, {"statusCode","error",
 * "message"} (storage/compat.c), from our code and message. */
char *gotrue_error_body(struct arena *a, int status, const char *code, const char *message);
/* The status GoTrue answers for our code (422 where we say 409, ...). */
int gotrue_error_status(int status, const char *code);
char *storage_compat_error_body(struct arena *a, int status, const char *code, const char *message);

#endif
