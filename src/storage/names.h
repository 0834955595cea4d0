/*
 * storage/names.h - what a bucket name and an object key may be, and the
 * JSON bodies of storage requests.
 */
#ifndef FLUXBASE_STORAGE_NAMES_H
#define FLUXBASE_STORAGE_NAMES_H

#include <stdbool.h>
#include <stddef.h>

#include "arena.h"
#include "jsonbody.h"

#define STORAGE_KEY_MAX 1024
#define SIGNED_URL_SUFFIX "/signed-url"

/* NULL when acceptable, else the reason. */
const char *storage_bucket_check(const char *name);
const char *storage_key_check(const char *key);

/* 1 to max printable ASCII characters (header values we store). */
bool storage_printable(const char *v, size_t max);

/* The body of POST .../signed-url: empty or {"expires_in": 1..max_ttl}
 * (default 3600, capped by max_ttl). */
int storage_signed_url_body(const char *body, size_t len, long max_ttl, long *expires_in,
    struct body_error *e);

/* The body of POST /storage/buckets/{id}: empty or {public?, file_size_limit?,
 * allowed_mime_types?, allow_active_content?}; fields left out are NULL (SQL defaults). */
struct bucket_opts {
	const char *public; /* "true", "false" or NULL */
	const char *file_size_limit; /* digits or NULL */
	const char *allowed_mime_types; /* JSON array text or NULL */
	const char *allow_active_content; /* "true", "false" or NULL */
};
int storage_bucket_body(const char *body, size_t len, struct arena *a, struct bucket_opts *b,
    struct body_error *e);

#endif
