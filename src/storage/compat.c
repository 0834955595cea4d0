/*
 * storage/compat.c - /storage/v1, Supabase Storage's API (part one): the
 * error shape, buckets, an object's listing and its info.
 *
 * A thin translation: the bodies storage-js sends become the options of
 * /api/v1/storage's cores (objects.h), and the rows come back in Storage's
 * shapes.  Every error of a /storage/v1 request, whoever raised it, is
 * written by storage_compat_error_body (response.c calls it): our code
 * becomes Storage's name through one table.  Bucket writes are the
 * service role's (the route table says so); reads run as the caller, so
 * the policies decide what a listing shows.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "compat.h"
#include "conf.h"
#include "db.h"
#include "handlers.h"
#include "http.h"
#include "jsonbody.h"
#include "session.h"
#include "storage/blob.h"
#include "storage/names.h"
#include "storage/objects.h"
#include "storage/signed_url.h"
#include "storage/supabase.h"

/* ---- errors ------------------------------------------------------------------ */

/* Our code -> Storage's code and "error"; a message of its own when
 * clients are known to compare it. */
static const struct {
	const char *ours, *code, *error, *message;
} error_names[] = {
	{ "ALREADY_EXISTS", "ResourceAlreadyExists", "Duplicate", "The resource already exists" },
	{ "23505", "ResourceAlreadyExists", "Duplicate", "The resource already exists" },
	{ "BUCKET_NOT_EMPTY", "ResourceNotEmpty", "ResourceNotEmpty",
	    "The bucket you tried to delete is not empty" },
	{ "PAYLOAD_TOO_LARGE", "EntityTooLarge", "Payload too large",
	    "The object exceeded the maximum allowed size" },
	{ "UNSUPPORTED_MEDIA_TYPE", "InvalidMimeType", "invalid_mime_type", NULL },
	{ "INVALID_SIGNATURE", "InvalidSignature", "InvalidSignature", NULL },
	{ "INVALID_TOKEN", "InvalidJWT", "Unauthorized", NULL },
	{ "UNAUTHORIZED", "AccessDenied", "Unauthorized", NULL },
	{ "FORBIDDEN", "AccessDenied", "Unauthorized", NULL },
	{ "42501", "AccessDenied", "Unauthorized", NULL },
	{ "NO_API_KEY", "InvalidJWT", "Unauthorized", NULL },
	{ "INVALID_API_KEY", "InvalidJWT", "Unauthorized", NULL },
	{ "INVALID_BUCKET", "InvalidBucketName", "Invalid Input", NULL },
	{ "INVALID_KEY", "InvalidKey", "InvalidKey", NULL },
	{ "VALIDATION", "InvalidRequest", "InvalidRequest", NULL },
	{ "INVALID_JSON", "InvalidRequest", "InvalidRequest", NULL },
	{ "INVALID_REQUEST", "InvalidRequest", "InvalidRequest", NULL },
	{ "INVALID_QUERY", "InvalidRequest", "InvalidRequest", NULL },
	{ "INVALID_PATH", "InvalidRequest", "InvalidRequest", NULL },
	{ "23503", "RelatedResourceNotFound", "InvalidRequest",
	    "The related resource does not exist" },
	{ "RANGE_NOT_SATISFIABLE", "InvalidRange", "invalid_range", NULL },
	{ "METHOD_NOT_ALLOWED", "InvalidRequest", "Method Not Allowed", NULL },
	{ "REQUEST_TIMEOUT", "InvalidRequest", "Request Timeout", NULL },
	{ "INTERNAL", "InternalError", "Internal", NULL },
	{ "DB_UNAVAILABLE", "DatabaseTimeout", "Service Unavailable", NULL },
};

/* {"statusCode": "404", "code": ..., "error": ..., "message": ...}. */
char *
storage_compat_error_body(struct arena *a, int status, const char *code, const char *message)
{
	struct json_object *o = json_object_new_object();
	const char *name = code, *error = code;
	char st[16], *out;

	if (strcmp(code, "NOT_FOUND") == 0) {
		bool bucket = strncmp(message, "Bucket", 6) == 0;

		name = bucket ? "NoSuchBucket" : "NoSuchKey";
		error = bucket ? "Bucket not found" : "not_found";
	}
	for (size_t i = 0; i < sizeof(error_names) / sizeof(error_names[0]); i++)
		if (strcmp(code, error_names[i].ours) == 0) {
			name = error_names[i].code;
			error = error_names[i].error;
			if (error_names[i].message != NULL)
				message = error_names[i].message;
			break;
		}
	snprintf(st, sizeof(st), "%d", status);
	json_object_object_add(o, "statusCode", json_object_new_string(st));
	json_object_object_add(o, "code", json_object_new_string(name));
	json_object_object_add(o, "error", json_object_new_string(error));
	json_object_object_add(o, "message", json_object_new_string(message));
	out = json_arena_text(a, o);
	json_object_put(o);
	return out;
}

/* ---- shared helpers (supabase.h) ------------------------------------------------ */

struct json_object *
storage_compat_body(struct request *r, const char *const *allowed)
{
	const char *body;
	struct body_error e;
	struct json_object *o;
	size_t len;

	if (request_body(r, r->conf->max_body_size, &body, &len) < 0)
		return NULL;
	if (len == 0)
		return json_object_new_object();
	if ((o = json_body_object(body, len, allowed, NULL, &e)) == NULL)
		response_body_error(r, &e);
	return o;
}

int
storage_compat_names(struct request *r, const char *bucket, const char *key)
{
	const char *why;

	if ((why = storage_bucket_check(bucket)) != NULL)
		return response_error(r, 400, "INVALID_BUCKET", "%s", why);
	if (key != NULL && (why = storage_key_check(key)) != NULL)
		return response_error(r, 400, "INVALID_KEY", "%s", why);
	return 0;
}

const char *
storage_compat_string(struct json_object *o, const char *key, bool *bad)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || v == NULL)
		return NULL;
	if (!json_object_is_type(v, json_type_string)) {
		*bad = true;
		return NULL;
	}
	return json_object_get_string(v);
}

int
storage_compat_message(struct request *r, const char *message)
{
	const char *json = arena_printf(r->arena, "{\"message\":\"%s\"}", message);

	response_json(r, 200, json, strlen(json));
	return 0;
}

/* ---- buckets ------------------------------------------------------------------- */

/* A bucket row b in Storage's shape (owner: buckets have none here). */
#define BUCKET_JSON \
	"json_build_object('id', b.id, 'name', b.id, 'owner', NULL::text, 'public', b.public," \
	" 'type', 'STANDARD', 'file_size_limit', b.file_size_limit, 'allowed_mime_types'," \
	" b.allowed_mime_types, 'created_at', b.created_at, 'updated_at', b.updated_at)"

int
storage_compat_buckets(struct request *r)
{
	struct db_result *res;

	/* Policies show the public buckets; the service role sees all. */
	res = session_exec(r,
	    "SELECT coalesce(json_agg(" BUCKET_JSON " ORDER BY b.id), '[]')::text"
	    " FROM storage.buckets b",
	    0, NULL, true);
	if (res == NULL)
		return -1;
	response_json(r, 200, db_result_value(res, 0, 0), db_result_length(res, 0, 0));
	return 0;
}

int
storage_compat_bucket_get(struct request *r)
{
	const char *values[] = { r->path_params[0] };
	struct db_result *res;

	if (storage_compat_names(r, r->path_params[0], NULL) < 0)
		return -1;
	res = session_exec(r, "SELECT " BUCKET_JSON "::text FROM storage.buckets b WHERE b.id = $1",
	    1, values, true);
	if (res == NULL)
		return -1;
	if (db_result_rows(res) != 1)
		return storage_not_found(r, "Bucket");
	response_json(r, 200, db_result_value(res, 0, 0), db_result_length(res, 0, 0));
	return 0;
}

/* "20MB", "1.5GB", "300" (bytes, as Storage reads them: powers of 1000). */
static bool
size_with_unit(const char *s, char *out, size_t n)
{
	static const struct {
		const char *unit;
		double factor;
	} units[] = { { "GB", 1e9 }, { "MB", 1e6 }, { "KB", 1e3 }, { "B", 1 }, { "", 1 } };
	char *end;
	double v;

	if (!isdigit((unsigned char)s[0]) || strlen(s) > 32)
		return false;
	errno = 0;
	v = strtod(s, &end);
	if (errno != 0)
		return false;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strcasecmp(end, units[i].unit) == 0) {
			v *= units[i].factor;
			if (v > 9e15)
				return false;
			snprintf(out, n, "%.0f", floor(v));
			return true;
		}
	return false;
}

/* What a bucket body says: each field NULL when left out; *_set when it
 * was sent, null included (an update clears the setting). */
struct bucket_fields {
	struct bucket_opts o;
	bool size_set, types_set;
};

static int
bucket_fields(struct request *r, struct json_object *body, struct bucket_fields *f)
{
	struct json_object *v;
	char limit[40];

	memset(f, 0, sizeof(*f));
	/* Analytics buckets (Iceberg) are not kept here. */
	if (json_object_object_get_ex(body, "type", &v) && v != NULL &&
	    (!json_object_is_type(v, json_type_string) ||
	        strcmp(json_object_get_string(v), "STANDARD") != 0))
		return response_error(r, 400, "VALIDATION", "Only STANDARD buckets are supported");
	if (json_object_object_get_ex(body, "public", &v) && v != NULL) {
		if (!json_object_is_type(v, json_type_boolean))
			return response_error(r, 400, "VALIDATION", "public must be true or false");
		f->o.public = json_object_get_boolean(v) ? "true" : "false";
	}
	if (json_object_object_get_ex(body, "file_size_limit", &v)) {
		f->size_set = true;
		if (v != NULL && json_object_is_type(v, json_type_int) &&
		    json_object_get_int64(v) >= 0)
			f->o.file_size_limit = arena_strdup(r->arena, json_object_get_string(v));
		else if (json_object_is_type(v, json_type_string) &&
		    size_with_unit(json_object_get_string(v), limit, sizeof(limit)))
			f->o.file_size_limit = arena_strdup(r->arena, limit);
		else if (v != NULL)
			return response_error(r, 400, "VALIDATION",
			    "Invalid file size format, hint: use 20GB / 20MB / 30KB / 3B");
	}
	if (json_object_object_get_ex(body, "allowed_mime_types", &v)) {
		f->types_set = true;
		if (v != NULL) {
			size_t n = json_object_is_type(v, json_type_array)
			    ? json_object_array_length(v)
			    : 0;

			if (!json_object_is_type(v, json_type_array) || n > 100)
				return response_error(r, 400, "VALIDATION",
				    "allowed_mime_types must be an array of at most 100 types or null");
			for (size_t i = 0; i < n; i++) {
				struct json_object *t = json_object_array_get_idx(v, i);

				if (!json_object_is_type(t, json_type_string) ||
				    !storage_printable(json_object_get_string(t), 255) ||
				    strchr(json_object_get_string(t), '/') == NULL)
					return response_error(r, 400, "VALIDATION",
					    "allowed_mime_types holds types like image/png or image/*");
			}
			f->o.allowed_mime_types = json_arena_text(r->arena, v);
		}
	}
	return 0;
}

static const char *const bucket_keys[] = { "id", "name", "public", "file_size_limit",
	"allowed_mime_types", "type", NULL };

int
storage_compat_bucket_create(struct request *r)
{
	struct json_object *body = storage_compat_body(r, bucket_keys);
	const char *id, *name, *json;
	struct bucket_fields f;
	bool bad = false;
	int rc = -1;

	if (body == NULL)
		return -1;
	id = storage_compat_string(body, "id", &bad);
	name = storage_compat_string(body, "name", &bad);
	if (bad || (id == NULL && name == NULL)) {
		response_error(r, 400, "VALIDATION", "id (or name) must be the bucket's name");
		goto out;
	}
	if (id != NULL && name != NULL && strcmp(id, name) != 0) {
		response_error(r, 400, "VALIDATION", "A bucket's name is its id: send one value");
		goto out;
	}
	id = arena_strdup(r->arena, id != NULL ? id : name);
	if (storage_compat_names(r, id, NULL) < 0 || bucket_fields(r, body, &f) < 0)
		goto out;
	if (storage_bucket_insert(r, id, &f.o, &json) < 0)
		goto out;
	json = arena_printf(r->arena, "{\"name\":\"%s\"}", id); /* checked: [a-z0-9._-] */
	response_json(r, 200, json, strlen(json));
	rc = 0;
out:
	json_object_put(body);
	return rc;
}

static int
bucket_update(struct request *r, const char *id)
{
	struct json_object *body = storage_compat_body(r, bucket_keys);
	struct bucket_fields f;
	struct db_result *res = NULL;

	if (body == NULL)
		return -1;
	if (bucket_fields(r, body, &f) == 0) {
		const char *values[] = { id, f.o.public, f.size_set ? "t" : "f",
			f.o.file_size_limit, f.types_set ? "t" : "f", f.o.allowed_mime_types };

		res = session_exec(r,
		    "UPDATE storage.buckets SET public = coalesce($2::boolean, public),"
		    " file_size_limit = CASE WHEN $3::boolean THEN $4::bigint"
		    " ELSE file_size_limit END,"
		    " allowed_mime_types = CASE WHEN $5::boolean THEN (SELECT array_agg(x)"
		    " FROM json_array_elements_text($6::json) x) ELSE allowed_mime_types END,"
		    " updated_at = now() WHERE id = $1 RETURNING id",
		    6, values, false);
	}
	json_object_put(body);
	if (res == NULL)
		return -1;
	if (db_result_rows(res) != 1)
		return storage_not_found(r, "Bucket");
	return storage_compat_message(r, "Successfully updated");
}

/* PUT (update) and DELETE of /bucket/{id}. */
int
storage_compat_bucket(struct request *r)
{
	const char *id = r->path_params[0];

	if (storage_compat_names(r, id, NULL) < 0)
		return -1;
	if (r->method == HTTP_PUT)
		return bucket_update(r, id);
	if (storage_bucket_remove(r, id) < 0)
		return -1;
	return storage_compat_message(r, "Successfully deleted");
}

/* Deletes every object of the bucket, a thousand rows a statement, each
 * blob after its row's commit. */
int
storage_compat_bucket_empty(struct request *r)
{
	const char *values[] = { r->path_params[0] };
	struct db_result *res;
	int rows;

	if (storage_compat_names(r, values[0], NULL) < 0)
		return -1;
	do {
		res = session_exec(r,
		    "WITH d AS (DELETE FROM storage.objects WHERE id IN (SELECT id"
		    " FROM storage.objects WHERE bucket_id = $1 LIMIT 1000) RETURNING blob_id)"
		    " SELECT d.blob_id FROM storage.bucket_info($1) b LEFT JOIN d ON true",
		    1, values, false);
		if (res == NULL)
			return -1;
		if ((rows = db_result_rows(res)) == 0)
			return storage_not_found(r, "Bucket");
		for (int i = 0; i < rows; i++)
			if (!db_result_isnull(res, i, 0))
				blob_delete(r->conf, db_result_value(res, i, 0));
	} while (rows >= 1000);
	return storage_compat_message(r, "Successfully emptied");
}

/* ---- listing and info ---------------------------------------------------------- */

/* An object's "metadata" in Storage's listings (o: a storage.objects row). */
#define OBJECT_METADATA \
	"json_build_object('eTag', '\"' || o.etag || '\"', 'size', o.size, 'mimetype'," \
	" o.content_type, 'cacheControl', coalesce(o.cache_control, 'no-cache')," \
	" 'lastModified', o.updated_at, 'contentLength', o.size, 'httpStatusCode', 200)"

/* sortBy's column and order: SQL from this table only. */
static const char *
list_order(struct json_object *sort, bool *bad)
{
	static const char *const columns[] = { "name", "created_at", "updated_at",
		"last_accessed_at" };
	const char *col = "name", *dir = "asc";

	if (sort != NULL) {
		if (!json_object_is_type(sort, json_type_object))
			return *bad = true, NULL;
		col = storage_compat_string(sort, "column", bad);
		dir = storage_compat_string(sort, "order", bad);
		col = col != NULL ? col : "name";
		dir = dir != NULL ? dir : "asc";
	}
	for (size_t i = 0; i < sizeof(columns) / sizeof(columns[0]); i++)
		if (strcmp(col, columns[i]) == 0) {
			if (strcasecmp(dir, "asc") == 0)
				return i == 0 ? "e.name ASC"
				    : i == 1  ? "e.created_at ASC, e.name"
				              : "e.updated_at ASC, e.name";
			if (strcasecmp(dir, "desc") == 0)
				return i == 0 ? "e.name DESC"
				    : i == 1  ? "e.created_at DESC, e.name"
				              : "e.updated_at DESC, e.name";
		}
	*bad = true;
	return NULL;
}

static long
list_number(struct json_object *body, const char *key, long def, long max, bool *bad)
{
	struct json_object *v;
	int64_t n;

	if (!json_object_object_get_ex(body, key, &v) || v == NULL)
		return def;
	n = json_object_get_int64(v);
	if (!json_object_is_type(v, json_type_int) || n < 0 || n > max)
		*bad = true;
	return (long)n;
}

static const char list_sql_head[] =
    "WITH o AS (SELECT substr(o.key, char_length($2) + 1) AS rest, o.id, o.created_at,"
    " o.updated_at, " OBJECT_METADATA " AS metadata FROM storage.objects o"
    " WHERE o.bucket_id = $1 AND starts_with(o.key, $2)),"
    " e AS (SELECT split_part(rest, '/', 1) AS name, NULL::uuid AS id,"
    " NULL::timestamptz AS created_at, NULL::timestamptz AS updated_at, NULL::json AS metadata"
    " FROM o WHERE strpos(rest, '/') > 0 GROUP BY 1"
    " UNION ALL SELECT rest, id, created_at, updated_at, metadata FROM o"
    " WHERE strpos(rest, '/') = 0)"
    " SELECT EXISTS (SELECT 1 FROM storage.bucket_info($1)), (SELECT coalesce(json_agg("
    "json_build_object('name', e.name, 'id', e.id, 'updated_at', e.updated_at,"
    " 'created_at', e.created_at, 'last_accessed_at', e.updated_at, 'metadata', e.metadata)"
    "), '[]')::text FROM (SELECT * FROM e WHERE $3::text IS NULL"
    " OR starts_with(lower(e.name), lower($3)) ORDER BY ";

/* POST /object/list/{bucket}: the files and folders one level under
 * prefix, as Storage lists them (a folder: id null). */
int
storage_compat_list(struct request *r)
{
	static const char *const keys[] = { "prefix", "limit", "offset", "sortBy", "search", NULL };
	const char *bucket = r->path_params[0], *prefix, *search, *order;
	struct json_object *body, *sort = NULL;
	char lbuf[24], obuf[24];
	struct db_result *res = NULL;
	bool bad = false;
	long limit, offset;

	if (storage_compat_names(r, bucket, NULL) < 0 ||
	    (body = storage_compat_body(r, keys)) == NULL)
		return -1;
	prefix = storage_compat_string(body, "prefix", &bad);
	search = storage_compat_string(body, "search", &bad);
	json_object_object_get_ex(body, "sortBy", &sort);
	order = list_order(sort, &bad);
	limit = list_number(body, "limit", 100, 1000, &bad);
	offset = list_number(body, "offset", 0, 1L << 40, &bad);
	if (bad || (prefix != NULL && strlen(prefix) > STORAGE_KEY_MAX) ||
	    (search != NULL && strlen(search) > STORAGE_KEY_MAX)) {
		json_object_put(body);
		return response_error(r, 400, "VALIDATION",
		    "prefix and search are strings, limit 0 to 1000, offset 0 or more,"
		    " sortBy {column: name|created_at|updated_at|last_accessed_at, order: asc|desc}");
	}
	/* "folder" and "folder/" both list the folder's contents. */
	prefix = prefix == NULL || prefix[0] == '\0' ? ""
	    : prefix[strlen(prefix) - 1] == '/'      ? arena_strdup(r->arena, prefix)
	                                             : arena_printf(r->arena, "%s/", prefix);
	search = search != NULL && search[0] != '\0' ? arena_strdup(r->arena, search) : NULL;
	json_object_put(body);
	snprintf(lbuf, sizeof(lbuf), "%ld", limit);
	snprintf(obuf, sizeof(obuf), "%ld", offset);
	{
		const char *values[] = { bucket, prefix, search, lbuf, obuf };

		res = session_exec(r,
		    arena_printf(r->arena, "%s%s LIMIT $4::bigint OFFSET $5::bigint) e)",
		        list_sql_head, order),
		    5, values, true);
	}
	if (res == NULL)
		return -1;
	if (strcmp(db_result_value(res, 0, 0), "t") != 0)
		return storage_not_found(r, "Bucket");
	response_json(r, 200, db_result_value(res, 0, 1), db_result_length(res, 0, 1));
	return 0;
}

/* GET /object/info/{bucket}/{key}: the object as Storage describes it. */
int
storage_compat_info(struct request *r)
{
	const char *bucket = r->path_params[0], *key = r->path_params[1];
	const char *values[] = { bucket, key };
	char version[SIGNED_VERSION_LEN + 1];
	struct json_object *o;
	struct db_result *res;
	const char *json;

	if (storage_compat_names(r, bucket, key) < 0)
		return -1;
	res = session_exec(r,
	    "SELECT json_build_object('id', o.id, 'name', o.key, 'bucket_id', o.bucket_id,"
	    " 'size', o.size, 'content_type', o.content_type, 'cache_control', o.cache_control,"
	    " 'etag', '\"' || o.etag || '\"', 'metadata', o.metadata, 'last_modified',"
	    " o.updated_at, 'created_at', o.created_at, 'updated_at', o.updated_at)::text,"
	    " o.blob_id FROM storage.objects o WHERE o.bucket_id = $1 AND o.key = $2",
	    2, values, true);
	if (res == NULL)
		return -1;
	if (db_result_rows(res) != 1)
		return storage_not_found(r, "Object");
	/* The version: of the bytes, as the signed URLs name it. */
	signed_version(db_result_value(res, 0, 1), version);
	o = json_tokener_parse(db_result_value(res, 0, 0));
	if (o == NULL)
		return response_internal(r);
	json_object_object_add(o, "version", json_object_new_string(version));
	json = json_arena_text(r->arena, o);
	json_object_put(o);
	response_json(r, 200, json, strlen(json));
	return 0;
}
