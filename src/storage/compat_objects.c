/*
 * storage/compat_objects.c - /storage/v1, Supabase Storage's API (part
 * two): an object's bytes in and out, batch removal, move, copy, signed
 * URLs and signed uploads.
 *
 * Each route is a translation onto /api/v1/storage's cores (objects.h):
 * uploads stream through storage_upload_object (raw, or the multipart form
 * storage-js sends: the file part with a filename, cacheControl and
 * metadata fields), downloads through storage_download (Range, ETag, 304,
 * nosniff, offload), signed URLs are made and checked by signed_url.c.  A
 * signed upload token is a token of its own purpose (SIGNED_UPLOAD): it
 * cannot download, nor a download URL upload.  Rows are read and written
 * as the caller, so the policies on storage.objects decide; a signed URL
 * or upload token speaks for itself.
 */
#include "config.h"

#include <errno.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <json-c/json.h>
#include <sodium.h>

#include "conf.h"
#include "db.h"
#include "handlers.h"
#include "http.h"
#include "jsonbody.h"
#include "log.h"
#include "session.h"
#include "storage/blob.h"
#include "storage/names.h"
#include "storage/objects.h"
#include "storage/signed_url.h"
#include "storage/supabase.h"

/* A signed upload's default lifetime, as Storage's (two hours). */
#define UPLOAD_URL_TTL 7200

/* A JSON string's text, quotes included, in the arena. */
static const char *
json_quote(struct request *r, const char *s)
{
	struct json_object *v = json_object_new_string(s);
	const char *out = json_arena_text(r->arena, v);

	json_object_put(v);
	return out;
}

/* 200 {"Id": id, "Key": "bucket/key"}, Storage's answer to a write, the
 * id from the statement that wrote the row. */
static int
answer_key(struct request *r, const char *bucket, const char *key, const char *id,
    const char *extra)
{
	const char *json = arena_printf(r->arena, "{%s\"Id\":%s,\"Key\":%s}", extra ? extra : "",
	    json_quote(r, id), json_quote(r, arena_printf(r->arena, "%s/%s", bucket, key)));

	response_json(r, 200, json, strlen(json));
	return 0;
}

/* ---- upload and download ------------------------------------------------------- */

/* x-metadata as storage-js sends it: base64 of a JSON object. */
static int
header_metadata(struct request *r, const char **meta)
{
	const char *h = request_header(r, "X-Metadata");
	unsigned char *bin;
	size_t len, max = JSON_METADATA_MAX;

	*meta = NULL;
	if (h == NULL)
		return 0;
	if (strlen(h) > (max / 3 + 1) * 4)
		return response_error(r, 400, "VALIDATION",
		    "x-metadata must be a JSON object of at most %d bytes", JSON_METADATA_MAX);
	bin = arena_alloc(r->arena, max + 1);
	if (sodium_base642bin(bin, max, h, strlen(h), NULL, &len, NULL,
	        sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    memchr(bin, '\0', len) != NULL)
		return response_error(r, 400, "VALIDATION",
		    "x-metadata must be the base64 of a JSON object");
	bin[len] = '\0';
	*meta = (const char *)bin;
	return 0;
}

/* Streams the upload (raw or storage-js's form) into bucket/key and
 * answers {"Id", "Key"}. */
static int
upload(struct request *r, const char *bucket, const char *key, bool upsert)
{
	struct upload_opts o = { .upsert = upsert, .supabase = true };
	struct uploaded up;

	o.cache_control = request_header(r, "Cache-Control");
	if (header_metadata(r, &o.metadata) < 0 ||
	    storage_upload_object(r, bucket, key, &o, &up) < 0)
		return -1;
	return answer_key(r, bucket, key, up.id, NULL);
}

static bool
header_true(struct request *r, const char *name)
{
	const char *v = request_header(r, name);

	return v != NULL && strcasecmp(v, "true") == 0;
}

/* GET, HEAD, POST (upload), PUT (update: replaces) and DELETE of
 * /object/{bucket}/{key}. */
int
storage_compat_object(struct request *r)
{
	const char *bucket = r->path_params[0], *key = r->path_params[1];

	if (storage_compat_names(r, bucket, key) < 0)
		return -1;
	switch (r->method) {
	case HTTP_POST:
	case HTTP_PUT:
		return upload(r, bucket, key, r->method == HTTP_PUT || header_true(r, "X-Upsert"));
	case HTTP_DELETE:
		if (storage_object_remove(r, bucket, key) < 0)
			return -1;
		return storage_compat_message(r, "Successfully deleted");
	default:
		return storage_download(r, bucket, key);
	}
}

/* /object/authenticated/{bucket}/{key}: the caller's download. */
int
storage_compat_authenticated(struct request *r)
{
	if (storage_compat_names(r, r->path_params[0], r->path_params[1]) < 0)
		return -1;
	return storage_download(r, r->path_params[0], r->path_params[1]);
}

/* /object/public/{bucket}/{key}: public buckets only, whoever asks. */
int
storage_compat_public(struct request *r)
{
	const char *values[] = { r->path_params[0] };
	struct db_result *res;

	if (storage_compat_names(r, r->path_params[0], r->path_params[1]) < 0)
		return -1;
	res = session_exec(r, "SELECT public FROM storage.bucket_info($1)", 1, values, true);
	if (res == NULL)
		return -1;
	if (db_result_rows(res) != 1 || strcmp(db_result_value(res, 0, 0), "t") != 0)
		return storage_not_found(r, "Bucket");
	return storage_download(r, r->path_params[0], r->path_params[1]);
}

/* ---- remove, move, copy -------------------------------------------------------- */

/* DELETE /object/{bucket} {"prefixes": [key, ...]}: the objects removed,
 * in Storage's shape. */
int
storage_compat_remove(struct request *r)
{
	static const char *const keys[] = { "prefixes", NULL };
	const char *bucket = r->path_params[0], *list;
	struct json_object *body, *p = NULL;
	struct db_result *res;
	struct strbuf sb;
	size_t n;
	int rows;

	if (storage_compat_names(r, bucket, NULL) < 0 ||
	    (body = storage_compat_body(r, keys)) == NULL)
		return -1;
	json_object_object_get_ex(body, "prefixes", &p);
	n = p != NULL && json_object_is_type(p, json_type_array) ? json_object_array_length(p) : 0;
	for (size_t i = 0; i < n; i++)
		if (!json_object_is_type(json_object_array_get_idx(p, i), json_type_string))
			n = 0;
	if (n == 0 || n > SUPABASE_BATCH_MAX) {
		json_object_put(body);
		return response_error(r, 400, "VALIDATION",
		    "prefixes must be an array of 1 to %d keys", SUPABASE_BATCH_MAX);
	}
	list = json_arena_text(r->arena, p);
	json_object_put(body);
	{
		const char *values[] = { bucket, list };

		res = session_exec(r,
		    "DELETE FROM storage.objects o WHERE o.bucket_id = $1 AND o.key IN"
		    " (SELECT json_array_elements_text($2::json)) RETURNING json_build_object("
		    "'name', o.key, 'id', o.id, 'bucket_id', o.bucket_id, 'owner', o.owner,"
		    " 'created_at', o.created_at, 'updated_at', o.updated_at, 'last_accessed_at',"
		    " o.updated_at, 'metadata', json_build_object('eTag', '\"' || o.etag || '\"',"
		    " 'size', o.size, 'mimetype', o.content_type, 'cacheControl', o.cache_control,"
		    " 'lastModified', o.updated_at, 'contentLength', o.size, 'httpStatusCode', 200),"
		    " 'user_metadata', o.metadata)::text, o.blob_id",
		    2, values, false);
	}
	if (res == NULL)
		return -1;
	rows = db_result_rows(res);
	strbuf_init(&sb, r->arena, 256);
	strbuf_putc(&sb, '[');
	for (int i = 0; i < rows; i++) {
		/* After the commit: the rows are gone, so are their blobs. */
		blob_delete(r->conf, db_result_value(res, i, 1));
		if (i > 0)
			strbuf_putc(&sb, ',');
		strbuf_append(&sb, db_result_value(res, i, 0), db_result_length(res, i, 0));
	}
	strbuf_putc(&sb, ']');
	response_json(r, 200, sb.data, sb.len);
	return 0;
}

/* The body of move and copy: source and destination, checked. */
struct transfer {
	const char *bucket, *key, *dst_bucket, *dst_key;
	bool copy_metadata; /* copy: the source's metadata too (default) */
};

static int
transfer_body(struct request *r, struct transfer *t)
{
	static const char *const keys[] = { "bucketId", "sourceKey", "destinationKey",
		"destinationBucket", "copyMetadata", NULL };
	struct json_object *body = storage_compat_body(r, keys), *v;
	bool bad = false;
	int rc = -1;

	if (body == NULL)
		return -1;
	t->bucket = storage_compat_string(body, "bucketId", &bad);
	t->key = storage_compat_string(body, "sourceKey", &bad);
	t->dst_key = storage_compat_string(body, "destinationKey", &bad);
	t->dst_bucket = storage_compat_string(body, "destinationBucket", &bad);
	t->copy_metadata = true;
	if (json_object_object_get_ex(body, "copyMetadata", &v) && v != NULL) {
		bad = bad || !json_object_is_type(v, json_type_boolean);
		t->copy_metadata = json_object_get_boolean(v);
	}
	if (bad || t->bucket == NULL || t->key == NULL || t->dst_key == NULL) {
		response_error(r, 400, "VALIDATION",
		    "bucketId, sourceKey and destinationKey are strings (destinationBucket too)");
		goto out;
	}
	t->bucket = arena_strdup(r->arena, t->bucket);
	t->key = arena_strdup(r->arena, t->key);
	t->dst_key = arena_strdup(r->arena, t->dst_key);
	t->dst_bucket = arena_strdup(r->arena, t->dst_bucket ? t->dst_bucket : t->bucket);
	if (storage_compat_names(r, t->bucket, t->key) < 0 ||
	    storage_compat_names(r, t->dst_bucket, t->dst_key) < 0)
		goto out;
	rc = 0;
out:
	json_object_put(body);
	return rc;
}

/* Into another bucket, an object meets that bucket's rules, as an upload
 * would: its size and type read as the caller sees the source. */
static int
transfer_admitted(struct request *r, const struct transfer *t)
{
	const char *values[] = { t->bucket, t->key };
	struct db_result *res;

	res = session_exec(r,
	    "SELECT size, content_type FROM storage.objects WHERE bucket_id = $1 AND key = $2", 2,
	    values, true);
	if (res == NULL)
		return -1;
	if (db_result_rows(res) != 1)
		return storage_not_found(r, "Object");
	return storage_bucket_admits(r, t->dst_bucket,
	    strtoull(db_result_value(res, 0, 0), NULL, 10), db_result_value(res, 0, 1));
}

/* POST /object/move: the row changes its name; the bytes stay. */
int
storage_compat_move(struct request *r)
{
	static const struct conflict taken = { "ALREADY_EXISTS", "The destination exists" };
	struct transfer t;
	struct db_result *res;

	if (transfer_body(r, &t) < 0)
		return -1;
	if (strcmp(t.bucket, t.dst_bucket) != 0 && transfer_admitted(r, &t) < 0)
		return -1;
	{
		const char *values[] = { t.bucket, t.key, t.dst_bucket, t.dst_key };

		res = session_write(r, NULL,
		    "UPDATE storage.objects SET bucket_id = $3, key = $4, updated_at = now()"
		    " WHERE bucket_id = $1 AND key = $2 RETURNING id",
		    4, values, &taken);
	}
	if (res == NULL)
		return -1;
	if (db_result_rows(res) != 1)
		return storage_not_found(r, "Object");
	return answer_key(r, t.dst_bucket, t.dst_key, db_result_value(res, 0, 0),
	    "\"message\":\"Successfully moved\",");
}

/* POST /object/copy: a new object with a copy of the bytes (rows never
 * share a blob), as the caller, x-upsert replacing the destination. */
int
storage_compat_copy(struct request *r)
{
	struct transfer t;
	struct db_result *res;
	struct object_row o;
	struct uploaded up;
	char id[BLOB_ID_LEN + 1];
	uint64_t size;

	if (transfer_body(r, &t) < 0)
		return -1;
	{
		const char *values[] = { t.bucket, t.key };

		res = session_exec(r,
		    "SELECT blob_id, size, content_type, cache_control, metadata::text, etag"
		    " FROM storage.objects WHERE bucket_id = $1 AND key = $2",
		    2, values, true);
	}
	if (res == NULL)
		return -1;
	if (db_result_rows(res) != 1)
		return storage_not_found(r, "Object");
	size = strtoull(db_result_value(res, 0, 1), NULL, 10);
	if (storage_bucket_admits(r, t.dst_bucket, size, db_result_value(res, 0, 2)) < 0)
		return -1;
	/* The same bytes: the same SHA-256, the source's ETag. */
	if (blob_copy(r->conf, db_result_value(res, 0, 0), size, id) < 0) {
		if (errno != EHOSTUNREACH)
			log_err("storage: copying blob %s failed: %m", db_result_value(res, 0, 0));
		return blob_fail(r, errno);
	}
	o = (struct object_row){ t.dst_bucket, t.dst_key, size, db_result_value(res, 0, 2),
		db_result_value(res, 0, 5),
		db_result_isnull(res, 0, 3) || !t.copy_metadata ? NULL : db_result_value(res, 0, 3),
		t.copy_metadata ? db_result_value(res, 0, 4) : NULL, id };
	if (storage_put_row(r, &o, header_true(r, "X-Upsert"), &up) < 0)
		return -1;
	return answer_key(r, t.dst_bucket, t.dst_key, up.id, NULL);
}

/* ---- signed URLs --------------------------------------------------------------- */

/* expiresIn of a body: 1 to [storage] max_signed_url_ttl seconds. */
static int
body_expires(struct request *r, struct json_object *body, long *expires_in)
{
	struct json_object *v;

	if (json_object_object_get_ex(body, "transform", &v) && v != NULL)
		return response_error(r, 400, "VALIDATION",
		    "Image transformations are not supported");
	if (!json_object_object_get_ex(body, "expiresIn", &v) ||
	    !json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 1 ||
	    json_object_get_int64(v) > r->conf->storage_max_signed_url_ttl)
		return response_error(r, 400, "VALIDATION", "expiresIn must be 1 to %ld seconds",
		    (long)r->conf->storage_max_signed_url_ttl);
	*expires_in = (long)json_object_get_int64(v);
	return 0;
}

/* "/object/sign/bucket/key?token=...": Storage's signedURL, which
 * storage-js appends to its base URL and encodes. */
static const char *
signed_path(struct request *r, const char *bucket, const char *key, const char *version,
    long expires_in)
{
	char token[128];

	if (signed_token_make(r->conf->storage_signing_key, bucket, key, version,
	        time(NULL) + expires_in, token, sizeof(token)) < 0)
		return NULL;
	return arena_printf(r->arena, "/object/sign/%s/%s?token=%s", bucket, key, token);
}

/* POST /object/sign/{bucket}/{key} {"expiresIn"} makes a signed URL; GET
 * with ?token= downloads by it (no other credential needed). */
int
storage_compat_sign(struct request *r)
{
	static const char *const keys[] = { "expiresIn", "transform", NULL };
	const char *bucket = r->path_params[0], *key = r->path_params[1], *path, *json;
	char version[SIGNED_VERSION_LEN + 1];
	struct json_object *body;
	long expires_in;
	int rc;

	if (storage_compat_names(r, bucket, key) < 0)
		return -1;
	if (r->method != HTTP_POST) {
		if (query_get(r, "token") == NULL)
			return response_error(r, 400, "VALIDATION", "Missing token");
		return storage_download(r, bucket, key);
	}
	if ((body = storage_compat_body(r, keys)) == NULL)
		return -1;
	rc = body_expires(r, body, &expires_in);
	json_object_put(body);
	if (rc < 0 || storage_sign_version(r, bucket, key, version) < 0)
		return -1;
	if ((path = signed_path(r, bucket, key, version, expires_in)) == NULL)
		return response_internal(r);
	json = arena_printf(r->arena, "{\"signedURL\":%s}", json_quote(r, path));
	response_json(r, 200, json, strlen(json));
	return 0;
}

/* The answer of a batch: one entry per path asked, in order. */
static int
sign_many_answer(struct request *r, const char *bucket, long expires_in, struct db_result *res)
{
	struct json_object *out = json_object_new_array();
	char version[SIGNED_VERSION_LEN + 1];
	const char *json;

	for (int i = 0; i < db_result_rows(res); i++) {
		struct json_object *e = json_object_new_object();
		const char *key = db_result_value(res, i, 0), *path = NULL;

		if (!db_result_isnull(res, i, 1)) {
			signed_version(db_result_value(res, i, 1), version);
			path = signed_path(r, bucket, key, version, expires_in);
		}
		json_object_object_add(e, "error",
		    path ? NULL
		         : json_object_new_string("Either the object does not exist or you do not"
		                                  " have access to it"));
		json_object_object_add(e, "path", json_object_new_string(key));
		json_object_object_add(e, "signedURL", path ? json_object_new_string(path) : NULL);
		json_object_array_add(out, e);
	}
	json = json_arena_text(r->arena, out);
	json_object_put(out);
	response_json(r, 200, json, strlen(json));
	return 0;
}

/* POST /object/sign/{bucket} {"expiresIn", "paths"}: [{error, path,
 * signedURL}], one statement for all the paths. */
int
storage_compat_sign_many(struct request *r)
{
	static const char *const keys[] = { "expiresIn", "paths", NULL };
	const char *bucket = r->path_params[0], *list = NULL;
	struct json_object *body, *p = NULL;
	struct db_result *res;
	long expires_in;
	size_t n = 0;

	if (storage_compat_names(r, bucket, NULL) < 0 ||
	    (body = storage_compat_body(r, keys)) == NULL)
		return -1;
	if (body_expires(r, body, &expires_in) < 0) {
		json_object_put(body);
		return -1;
	}
	if (json_object_object_get_ex(body, "paths", &p) && json_object_is_type(p, json_type_array))
		n = json_object_array_length(p);
	for (size_t i = 0; i < n; i++) {
		struct json_object *k = json_object_array_get_idx(p, i);

		if (!json_object_is_type(k, json_type_string) ||
		    storage_key_check(json_object_get_string(k)) != NULL)
			n = 0;
	}
	if (n > 0 && n <= SUPABASE_BATCH_MAX)
		list = json_arena_text(r->arena, p);
	json_object_put(body);
	if (list == NULL)
		return response_error(r, 400, "VALIDATION",
		    "paths must be an array of 1 to %d valid keys", SUPABASE_BATCH_MAX);
	if (r->conf->storage_signing_key[0] == '\0') {
		log_err("storage: signed URLs need [storage] signing_key");
		return response_internal(r);
	}
	{
		const char *values[] = { bucket, list };

		/* Only for who may read each object now. */
		res = session_exec(r,
		    "SELECT k.key, o.blob_id FROM json_array_elements_text($2::json)"
		    " WITH ORDINALITY k(key, n) LEFT JOIN storage.objects o"
		    " ON o.bucket_id = $1 AND o.key = k.key ORDER BY k.n",
		    2, values, true);
	}
	if (res == NULL)
		return -1;
	return sign_many_answer(r, bucket, expires_in, res);
}

/* ---- signed uploads ------------------------------------------------------------ */

/*
 * An upload token is "<owner>.<expires>.<mode>.<mac>": the signer's user id
 * ("-" for none), whom the object will belong to, then a token of purpose
 * SIGNED_UPLOAD whose MAC covers the key and the owner together (a key
 * holds no control character, so "key\x01owner" names one pair) and whose
 * version field is its mode (signed_upload_mode: create or replace).
 */
static const char *
upload_subject(struct request *r, const char *key, const char *owner)
{
	return arena_printf(r->arena, "%s\x01%s", key, owner);
}

/* POST: whether the caller could write the object now, tried and rolled
 * back (the policies decide as for an upload), then the token. */
static int
upload_sign_make(struct request *r, const char *bucket, const char *key)
{
	const char *values[] = { bucket, key };
	const char *owner = r->user_id != NULL ? r->user_id : "-", *json, *url, *token_full;
	bool upsert = header_true(r, "X-Upsert");
	char version[SIGNED_VERSION_LEN + 1], token[128];
	struct db_result *res;
	long ttl = r->conf->storage_max_signed_url_ttl < UPLOAD_URL_TTL
	    ? r->conf->storage_max_signed_url_ttl
	    : UPLOAD_URL_TTL;

	if (r->conf->storage_signing_key[0] == '\0') {
		log_err("storage: signed uploads need [storage] signing_key");
		return response_internal(r);
	}
	res = session_exec_tx(r,
	    upsert ? "WITH b AS (SELECT id FROM storage.bucket_info($1)), i AS (INSERT INTO"
	             " storage.objects AS o (bucket_id, key, size, etag, blob_id) SELECT id, $2,"
	             " 0, '', '' FROM b ON CONFLICT (bucket_id, key) DO UPDATE SET size = o.size"
	             " RETURNING 1) SELECT (SELECT count(*) FROM b), (SELECT count(*) FROM i)"
	           : "WITH b AS (SELECT id FROM storage.bucket_info($1)), i AS (INSERT INTO"
	             " storage.objects AS o (bucket_id, key, size, etag, blob_id) SELECT id, $2,"
	             " 0, '', '' FROM b RETURNING 1)"
	             " SELECT (SELECT count(*) FROM b), (SELECT count(*) FROM i)",
	    2, values, false, true);
	if (res == NULL)
		return -1;
	if (strcmp(db_result_value(res, 0, 0), "1") != 0)
		return storage_not_found(r, "Bucket");
	signed_upload_mode(upsert, version);
	if (signed_token_make_for(SIGNED_UPLOAD, r->conf->storage_signing_key, bucket,
	        upload_subject(r, key, owner), version, time(NULL) + ttl, token, sizeof(token)) < 0)
		return response_internal(r);
	token_full = arena_printf(r->arena, "%s.%s", owner, token);
	url = arena_printf(r->arena, "/object/upload/sign/%s/%s?token=%s", bucket, key, token_full);
	json =
	    arena_printf(r->arena, "{\"url\":%s,\"token\":\"%s\"}", json_quote(r, url), token_full);
	response_json(r, 200, json, strlen(json));
	return 0;
}

/* The upload runs with the signer's authority: the service role, as a
 * signed URL's download does, with the signer as the owner (auth.uid()). */
static void
assume_signer(struct request *r, const char *owner)
{
	if (strcmp(owner, "-") != 0)
		session_assume_signed_as(r, owner);
	else
		session_assume_signed(r);
}

/* The owner of a token's "<owner>." prefix: a UUID or "-"; NULL if not. */
static const char *
token_owner(struct request *r, const char *token, const char **rest)
{
	const char *dot = token != NULL ? strchr(token, '.') : NULL;
	size_t n = dot != NULL ? (size_t)(dot - token) : 0;

	if (dot == NULL ||
	    !(n == 1 ? token[0] == '-' : n == 36 && strspn(token, "0123456789abcdefABCDEF-") == 36))
		return NULL;
	*rest = dot + 1;
	return arena_strndup(r->arena, token, n);
}

/* PUT ?token=: the upload the token allows, in the mode it was made for. */
static int
upload_sign_use(struct request *r, const char *bucket, const char *key)
{
	const char *rest = NULL, *owner = token_owner(r, query_get(r, "token"), &rest);
	char version[SIGNED_VERSION_LEN + 1], upsert[SIGNED_VERSION_LEN + 1],
	    create[SIGNED_VERSION_LEN + 1];

	signed_upload_mode(true, upsert);
	signed_upload_mode(false, create);
	if (owner == NULL || r->conf->storage_signing_key[0] == '\0' ||
	    signed_token_check_for(SIGNED_UPLOAD, r->conf->storage_signing_key, bucket,
	        upload_subject(r, key, owner), rest, time(NULL), version) != 0 ||
	    (sodium_memcmp(version, upsert, SIGNED_VERSION_LEN) != 0 &&
	        sodium_memcmp(version, create, SIGNED_VERSION_LEN) != 0))
		return response_error(r, 401, "INVALID_SIGNATURE",
		    "The signed upload URL is invalid or has expired");
	assume_signer(r, owner);
	return upload(r, bucket, key, sodium_memcmp(version, upsert, SIGNED_VERSION_LEN) == 0);
}

/* POST (make) and PUT (use) of /object/upload/sign/{bucket}/{key}. */
int
storage_compat_upload_sign(struct request *r)
{
	const char *bucket = r->path_params[0], *key = r->path_params[1];

	if (storage_compat_names(r, bucket, key) < 0)
		return -1;
	return r->method == HTTP_POST ? upload_sign_make(r, bucket, key)
	                              : upload_sign_use(r, bucket, key);
}
