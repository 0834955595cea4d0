/*
 * storage/objects.h - the cores of the storage routes, shared between
 * handlers.c (/api/v1/storage: checks the names and dispatches), upload.c
 * (the bytes in), download.c (the bytes out) and the translation of
 * /storage/v1 (compat.c, compat_objects.c), so both APIs are one
 * implementation.  A core answers nothing when it succeeds (the route
 * shapes the answer) and sets the error when it fails.  The bucket and key
 * given have passed storage_bucket_check and storage_key_check.
 */
#ifndef FLUXBASE_STORAGE_OBJECTS_H
#define FLUXBASE_STORAGE_OBJECTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "storage/signed_url.h"

struct request;

/* How an upload is taken, whichever route it came by. */
struct upload_opts {
	bool upsert; /* replace an object at the key */
	const char *cache_control; /* stored and served as is; NULL: none */
	const char *metadata; /* JSON object text; NULL: none */
	bool supabase; /* multipart as Supabase's clients send it: the first part
	                  with a filename, cacheControl and metadata fields */
};
/* The object written: its JSON (/api/v1's shape) in the request's arena. */
struct uploaded {
	const char *object;
	size_t len;
	const char *id; /* the row's id */
};
/* An object's row, its bytes already durable as blob_id. */
struct object_row {
	const char *bucket, *key;
	uint64_t size;
	const char *content_type, *etag, *cache_control, *metadata, *blob_id;
};
/* Writes the row (storage.put_object, as the caller; upsert replaces the
 * object at the key).  The blob nothing points at afterwards, the new one
 * on failure or the replaced one, is removed. */
int storage_put_row(struct request *r, const struct object_row *o, bool upsert,
    struct uploaded *out);
/* Whether bucket takes an object of size bytes and type from the caller,
 * as an upload would (copies and moves into it): 0, or -1 with 404, 401,
 * 403, 413 or 415 set. */
int storage_bucket_admits(struct request *r, const char *bucket, uint64_t size, const char *type);
/* Streams the body into a new object (storage/upload.c); 0 with out
 * filled and no answer set, or -1 with the error answer set. */
int storage_upload_object(struct request *r, const char *bucket, const char *key,
    const struct upload_opts *o, struct uploaded *out);
int storage_upload(struct request *r, const char *bucket, const char *key);
int storage_download(struct request *r, const char *bucket, const char *key);
/* handlers.c's cores: 0 with nothing answered, or -1 with the error set. */
int storage_object_remove(struct request *r, const char *bucket, const char *key);
/* The version of bucket/key for a signed URL, when the caller may read it. */
int storage_sign_version(struct request *r, const char *bucket, const char *key,
    char version[SIGNED_VERSION_LEN + 1]);
struct bucket_opts;
/* *json: the bucket created, /api/v1's shape. */
int storage_bucket_insert(struct request *r, const char *bucket, const struct bucket_opts *b,
    const char **json);
/* Removes an empty bucket. */
int storage_bucket_remove(struct request *r, const char *bucket);
/* 404 NOT_FOUND, "<what> not found". */
int storage_not_found(struct request *r, const char *what);

#endif
