/*
 * storage/handlers.c - /api/v1/storage: buckets, objects, signed URLs.
 *
 * The routes land here.  storage_object checks the bucket and key names
 * and hands an object's bytes to upload.c (in) or download.c (out); delete,
 * listing, signed URLs and buckets are answered here, each over a core
 * (objects.h) that /storage/v1's translation (compat*.c) calls too.  Object rows are
 * read and written in the caller's role, so the policies on
 * storage.objects decide; a delete removes the blob after the commit.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

static const struct conflict bucket_not_empty = {
	"BUCKET_NOT_EMPTY",
	"The bucket still holds objects",
};

int
storage_not_found(struct request *r, const char *what)
{
	return response_error(r, 404, "NOT_FOUND", "%s not found", what);
}

/* ---- delete, list, signed URLs ------------------------------------------------ */

int
storage_object_remove(struct request *r, const char *bucket, const char *key)
{
	const char *values[] = { bucket, key };
	struct db_result *res;

	res = session_exec(r,
	    "DELETE FROM storage.objects WHERE bucket_id = $1 AND key = $2"
	    " RETURNING blob_id",
	    2, values, false);
	if (res == NULL)
		return -1;
	if (db_result_rows(res) != 1)
		return storage_not_found(r, "Object");
	/* After the commit: the row is gone, so is the blob. */
	blob_delete(r->conf, db_result_value(res, 0, 0));
	return 0;
}

static int
storage_delete(struct request *r, const char *bucket, const char *key)
{
	if (storage_object_remove(r, bucket, key) < 0)
		return -1;
	r->resp.status = 204;
	return 0;
}

static void
url_encode_path(struct strbuf *sb, const char *s, bool keep_slash)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (isalnum(*p) || strchr("-._~", *p) != NULL || (keep_slash && *p == '/'))
			strbuf_putc(sb, (char)*p);
		else
			strbuf_printf(sb, "%%%02X", *p);
	}
}

int
storage_sign_version(struct request *r, const char *bucket, const char *key,
    char version[SIGNED_VERSION_LEN + 1])
{
	const char *values[] = { bucket, key };
	struct db_result *res;

	if (r->conf->storage_signing_key[0] == '\0' || r->conf->public_url[0] == '\0') {
		log_err("storage: signed URLs need [storage] signing_key and [server] public_url");
		return response_internal(r);
	}
	/* Only for someone who may read the object now. */
	res =
	    session_exec(r, "SELECT blob_id FROM storage.objects WHERE bucket_id = $1 AND key = $2",
	        2, values, true);
	if (res == NULL)
		return -1;
	if (db_result_rows(res) != 1)
		return storage_not_found(r, "Object");
	signed_version(db_result_value(res, 0, 0), version);
	return 0;
}

static int
storage_signed_url(struct request *r, const char *bucket, const char *key)
{
	const char *body;
	struct body_error e;
	long expires_in;
	char token[128], version[SIGNED_VERSION_LEN + 1];
	struct strbuf url;
	size_t len;
	time_t expires;

	/* Decided before a byte of the body is read. */
	if (storage_sign_version(r, bucket, key, version) < 0)
		return -1;
	if (request_body(r, r->conf->max_body_size, &body, &len) < 0)
		return -1;
	if (storage_signed_url_body(body, len, r->conf->storage_max_signed_url_ttl, &expires_in,
	        &e) < 0)
		return response_body_error(r, &e);
	expires = time(NULL) + expires_in;
	if (signed_token_make(r->conf->storage_signing_key, bucket, key, version, expires, token,
	        sizeof(token)) < 0)
		return -1;
	strbuf_init(&url, r->arena, 256);
	strbuf_printf(&url, "{\"signed_url\":\"%s/api/v1/storage/", r->conf->public_url);
	url_encode_path(&url, bucket, false);
	strbuf_putc(&url, '/');
	url_encode_path(&url, key, true);
	strbuf_printf(&url, "?token=%s\",\"expires_at\":%lld,\"expires_in\":%ld}", token,
	    (long long)expires, expires_in);
	/* public_url is operator configuration without quotes or backslashes. */
	response_json(r, 200, url.data, url.len);
	return 0;
}

int
storage_object(struct request *r)
{
	const char *bucket = r->path_params[0], *key = r->path_params[1], *why;
	size_t klen = strlen(key), slen = sizeof(SIGNED_URL_SUFFIX) - 1;
	bool signed_url = r->method == HTTP_POST && klen > slen &&
	    strcmp(key + klen - slen, SIGNED_URL_SUFFIX) == 0;

	if ((why = storage_bucket_check(bucket)) != NULL)
		return response_error(r, 400, "INVALID_BUCKET", "%s", why);
	if (signed_url)
		key = arena_strndup(r->arena, key, klen - slen);
	if ((why = storage_key_check(key)) != NULL)
		return response_error(r, 400, "INVALID_KEY", "%s", why);
	if (signed_url)
		return storage_signed_url(r, bucket, key);
	switch (r->method) {
	case HTTP_POST:
		return storage_upload(r, bucket, key);
	case HTTP_GET:
	case HTTP_HEAD:
		return storage_download(r, bucket, key);
	case HTTP_DELETE:
		return storage_delete(r, bucket, key);
	}
	return -1;
}

static int
query_long(struct request *r, const char *name, long def, long min, long max, long *out)
{
	const char *v = query_get(r, name);
	char *end;

	*out = def;
	if (v == NULL)
		return 0;
	errno = 0;
	*out = strtol(v, &end, 10);
	if (v[0] == '\0' || *end != '\0' || errno != 0 || *out < min || *out > max) {
		response_error(r, 400, "VALIDATION", "%s must be an integer from %ld to %ld", name,
		    min, max);
		return -1;
	}
	return 0;
}

int
storage_list(struct request *r)
{
	const char *bucket = r->path_params[0], *why;
	const char *prefix = query_get(r, "prefix"), *search = query_get(r, "search");
	char lbuf[24], obuf[24];
	long limit, offset;
	struct db_result *res;

	if ((why = storage_bucket_check(bucket)) != NULL)
		return response_error(r, 400, "INVALID_BUCKET", "%s", why);
	if (query_long(r, "limit", 100, 0, 1000, &limit) < 0 ||
	    query_long(r, "offset", 0, 0, 1L << 40, &offset) < 0)
		return 0;
	snprintf(lbuf, sizeof(lbuf), "%ld", limit);
	snprintf(obuf, sizeof(obuf), "%ld", offset);
	{
		const char *values[] = { bucket, prefix ? prefix : "", search, lbuf, obuf };

		res = session_exec(r,
		    "SELECT EXISTS (SELECT 1 FROM storage.bucket_info($1)),"
		    " (SELECT coalesce(json_agg(storage.object_json(o) ORDER BY o.key), '[]')::text"
		    "  FROM (SELECT * FROM storage.objects WHERE bucket_id = $1"
		    "  AND starts_with(key, $2) AND ($3::text IS NULL OR"
		    "  strpos(lower(key), lower($3)) > 0) ORDER BY key LIMIT $4::bigint"
		    "  OFFSET $5::bigint) o)",
		    5, values, true);
	}
	if (res == NULL)
		return -1;
	if (strcmp(db_result_value(res, 0, 0), "t") != 0)
		return storage_not_found(r, "Bucket");
	response_json(r, 200, db_result_value(res, 0, 1), db_result_length(res, 0, 1));
	return 0;
}

int
storage_buckets_list(struct request *r)
{
	struct db_result *res;

	/* Policies show the public buckets; the service role sees all. */
	res = session_exec(r,
	    "SELECT coalesce(json_agg(storage.bucket_json(b) ORDER BY b.id),"
	    " '[]')::text FROM storage.buckets b",
	    0, NULL, true);
	if (res == NULL)
		return -1;
	response_json(r, 200, db_result_value(res, 0, 0), db_result_length(res, 0, 0));
	return 0;
}

int
storage_bucket_insert(struct request *r, const char *bucket, const struct bucket_opts *b,
    const char **json)
{
	const char *values[] = { bucket, b->public, b->file_size_limit, b->allowed_mime_types,
		b->allow_active_content };
	struct db_result *res;

	res = session_write(r, NULL,
	    "INSERT INTO storage.buckets AS b (id, public, file_size_limit,"
	    " allowed_mime_types, allow_active_content) VALUES ($1,"
	    " coalesce($2::boolean, false), $3::bigint, (SELECT array_agg(x) FROM"
	    " json_array_elements_text($4::json) x), coalesce($5::boolean, false))"
	    " RETURNING storage.bucket_json(b)::text",
	    5, values, &(const struct conflict){ "ALREADY_EXISTS", "The bucket exists" });
	if (res == NULL)
		return -1;
	*json = db_result_value(res, 0, 0);
	return 0;
}

static int
bucket_create(struct request *r, const char *bucket)
{
	const char *body, *json;
	struct bucket_opts b;
	struct body_error e;
	size_t len;

	if (request_body(r, r->conf->max_body_size, &body, &len) < 0)
		return -1;
	if (storage_bucket_body(body, len, r->arena, &b, &e) < 0)
		return response_body_error(r, &e);
	if (storage_bucket_insert(r, bucket, &b, &json) < 0)
		return -1;
	response_json(r, 201, json, strlen(json));
	return 0;
}

int
storage_bucket_remove(struct request *r, const char *bucket)
{
	const char *values[] = { bucket };
	struct db_result *res;

	res = session_write(r, NULL,
	    "WITH d AS (DELETE FROM storage.buckets WHERE id = $1 AND NOT EXISTS"
	    " (SELECT 1 FROM storage.objects WHERE bucket_id = $1) RETURNING id)"
	    " SELECT (SELECT count(*) FROM d), EXISTS (SELECT 1 FROM storage.buckets"
	    " WHERE id = $1)",
	    1, values, &bucket_not_empty);
	if (res == NULL)
		return -1;
	if (strcmp(db_result_value(res, 0, 0), "1") == 0)
		return 0;
	if (strcmp(db_result_value(res, 0, 1), "t") == 0)
		return response_error(r, 409, bucket_not_empty.code, "%s",
		    bucket_not_empty.message);
	return storage_not_found(r, "Bucket");
}

static int
bucket_delete(struct request *r, const char *bucket)
{
	if (storage_bucket_remove(r, bucket) < 0)
		return -1;
	r->resp.status = 204;
	return 0;
}

int
storage_bucket(struct request *r)
{
	const char *bucket = r->path_params[0], *why;

	if ((why = storage_bucket_check(bucket)) != NULL)
		return response_error(r, 400, "INVALID_BUCKET", "%s", why);
	return r->method == HTTP_POST ? bucket_create(r, bucket) : bucket_delete(r, bucket);
}
