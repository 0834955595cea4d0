/*
 * storage/upload.c - an object's bytes in: POST /api/v1/storage/{bucket}/{key}
 * and /storage/v1's uploads.
 *
 * Three steps: upload_open looks up the bucket (size limit, accepted
 * types) and the caller's right to upload into it; upload_stream writes
 * the body, raw or the file part of a multipart form, through upload_sink
 * into a new blob, durable before anything refers to it; upload_commit
 * writes the row with storage.put_object in the caller's role.  A failed
 * commit removes the new blob; a successful replace removes the old one
 * after the commit.  storage_upload_object is the whole of it for any
 * route (/api/v1/storage's and Supabase's, objects.h); storage_upload
 * answers /api/v1's.  storage_put_row (the commit) and storage_bucket_admits
 * (the bucket's limit and types) also serve copies and moves.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf.h"
#include "db.h"
#include "http.h"
#include "jsonbody.h"
#include "log.h"
#include "session.h"
#include "storage/blob.h"
#include "storage/mime.h"
#include "storage/multipart.h"
#include "storage/names.h"
#include "storage/objects.h"

static const struct conflict object_exists = {
	"ALREADY_EXISTS",
	"An object with this key exists (send x-upsert: true to replace it)",
};

/* The text fields Supabase's clients send beside the file. */
enum { FIELD_CACHE_CONTROL, FIELD_METADATA, NFIELDS };

struct upload {
	struct request *r;
	const struct upload_opts *o;
	struct multipart_field fields[NFIELDS];
	struct blob_writer w;
	uint64_t limit;
	const char *allowed; /* JSON array of MIME patterns, or NULL */
	struct multipart mp;
	bool multipart;
	bool type_checked;
	char type[MIME_MAX + 1]; /* the canonical type checked, stored and served */
	int status; /* why the sink stopped: 413, 415, or BLOB_FAILED */
	int blob_err; /* BLOB_FAILED: the blob call's errno (blob_fail) */
};

/* upload_fail's status for a failed blob call (u->blob_err says why). */
#define BLOB_FAILED (-1)

/* The type of the upload, from a header (NULL or empty: bytes): 0, or -1
 * when it is not one media type or the bucket does not take it. */
static int
upload_type(struct upload *u, const char *header)
{
	if (header == NULL || header[0] == '\0')
		header = "application/octet-stream";
	if (mime_parse(header, u->type) < 0 || !mime_allowed(u->allowed, u->type))
		return -1;
	return 0;
}

static int
upload_sink(void *arg, const char *buf, size_t n)
{
	struct upload *u = arg;

	/* Checked as soon as the file part's headers are in: the type
	 * stored is this one, whatever parts follow. */
	if (u->multipart && !u->type_checked) {
		u->type_checked = true;
		if (upload_type(u, u->mp.content_type) < 0)
			return u->status = 415, -1;
	}
	if (u->w.size + n > u->limit)
		return u->status = 413, -1;
	if (blob_put_write(&u->w, buf, n) < 0) {
		u->blob_err = errno;
		if (errno != ENOSPC && errno != EDQUOT && errno != EHOSTUNREACH)
			log_err("storage: writing an upload failed: %m");
		return u->status = BLOB_FAILED, -1;
	}
	return 0;
}

static int
upload_fail(struct request *r, struct upload *u, int status)
{
	blob_put_abort(&u->w);
	switch (status) {
	case 413:
		return response_error(r, 413, "PAYLOAD_TOO_LARGE",
		    "The object is larger than the limit of %llu bytes",
		    (unsigned long long)u->limit);
	case 415:
		return response_error(r, 415, "UNSUPPORTED_MEDIA_TYPE",
		    "The content type is not one media type that this bucket accepts");
	case BLOB_FAILED:
		return blob_fail(r, u->blob_err);
	case 400:
		return response_error(r, 400, "INVALID_REQUEST", "%s",
		    u->mp.error ? u->mp.error : "The upload ended before its body was complete");
	case 408:
		return request_read_failed(r);
	default:
		return response_internal(r);
	}
}

/* Looks up the bucket and the caller's right to upload into it: u's size
 * limit and allowed types come from the bucket. */
static int
upload_open(struct request *r, const char *bucket, struct upload *u)
{
	const char *values[] = { bucket, r->role };
	struct db_result *res;

	res = session_exec(r,
	    "SELECT b.file_size_limit, array_to_json(b.allowed_mime_types)::text,"
	    " fluxbase.may($2, 'storage.objects'::regclass, 'insert')"
	    " FROM storage.bucket_info($1) b",
	    2, values, true);
	if (res == NULL)
		return -1;
	if (db_result_rows(res) != 1)
		return storage_not_found(r, "Bucket");
	if (strcmp(db_result_value(res, 0, 2), "t") != 0)
		return r->has_token ? response_error(r, 403, "FORBIDDEN", "Uploads are not allowed")
		                    : response_error(r, 401, "UNAUTHORIZED", "Sign in to upload");
	u->limit = r->conf->storage_max_file_size;
	if (!db_result_isnull(res, 0, 0)) {
		uint64_t b = strtoull(db_result_value(res, 0, 0), NULL, 10);

		if (b < u->limit)
			u->limit = b;
	}
	u->allowed = db_result_isnull(res, 0, 1) ? NULL : db_result_value(res, 0, 1);
	return 0;
}

/* Streams the body, raw or the file part of a multipart form, into a new
 * blob, durable when this returns 0 (u->w.id names it, etag its hash). */
static int
upload_stream(struct request *r, struct upload *u, char etag[65])
{
	const char *boundary = multipart_boundary(r->arena, request_header(r, "Content-Type"));
	char chunk[BLOB_CHUNK];
	ssize_t got;

	u->multipart = boundary != NULL;
	if (!u->multipart) {
		if (upload_type(u, request_header(r, "Content-Type")) < 0)
			return upload_fail(r, u, 415);
		/* Refuse before reading when the size is announced. */
		if (r->has_content_length && r->content_length > u->limit)
			return upload_fail(r, u, 413);
	} else {
		multipart_init(&u->mp, r->arena, boundary);
		if (u->o->supabase) {
			u->fields[FIELD_CACHE_CONTROL] =
			    (struct multipart_field){ .name = "cacheControl", .max = 255 };
			u->fields[FIELD_METADATA] = (struct multipart_field){ .name = "metadata",
				.max = JSON_METADATA_MAX };
			u->mp.any_file = true;
			u->mp.fields = u->fields;
			u->mp.nfields = NFIELDS;
		}
	}
	/* A raw body's size is known: the store may take it as it comes. */
	if (blob_put_begin(&u->w, r->conf,
	        !u->multipart && r->has_content_length ? (uint64_t)r->content_length
	                                               : BLOB_SIZE_UNKNOWN) < 0)
		return u->blob_err = errno, upload_fail(r, u, BLOB_FAILED);
	while ((got = request_read(r, chunk, sizeof(chunk))) > 0) {
		int rc = u->multipart ? multipart_feed(&u->mp, chunk, (size_t)got, upload_sink, u)
		                      : upload_sink(u, chunk, (size_t)got);

		if (rc < 0)
			return upload_fail(r, u, u->status ? u->status : 400);
	}
	if (got < 0)
		return upload_fail(r, u, r->body_timed_out ? 408 : 400);
	if (u->multipart) {
		if (multipart_finish(&u->mp) < 0)
			return upload_fail(r, u, 400);
		if (!u->type_checked && upload_sink(u, "", 0) < 0)
			return upload_fail(r, u, u->status);
	}
	if (blob_put_commit(&u->w, etag) < 0) {
		u->blob_err = errno;
		if (errno != ENOSPC && errno != EDQUOT && errno != EHOSTUNREACH)
			log_err("storage: cannot store a blob: %m");
		return upload_fail(r, u, BLOB_FAILED);
	}
	return 0;
}

/* The cacheControl and metadata fields of a Supabase form, when sent,
 * instead of the headers' (a bare number of seconds is a max-age). */
static int
upload_form_fields(struct request *r, struct upload *u, const char **cache, const char **meta)
{
	const struct multipart_field *c = &u->fields[FIELD_CACHE_CONTROL];
	const struct multipart_field *m = &u->fields[FIELD_METADATA];

	if (c->value != NULL) {
		if (c->too_long || !storage_printable(c->value, 255))
			return response_error(r, 400, "VALIDATION", "Invalid cacheControl field");
		*cache = c->value[strspn(c->value, "0123456789")] == '\0'
		    ? arena_printf(r->arena, "max-age=%s", c->value)
		    : c->value;
	}
	if (m->value != NULL) {
		if (m->too_long || !json_text_is_object(m->value, JSON_METADATA_MAX))
			return response_error(r, 400, "VALIDATION",
			    "metadata must be a JSON object of at most %d bytes",
			    JSON_METADATA_MAX);
		*meta = m->value;
	}
	return 0;
}

int
storage_put_row(struct request *r, const struct object_row *o, bool upsert, struct uploaded *out)
{
	const char *old_blob;
	char sizebuf[32];
	struct db_result *res;

	snprintf(sizebuf, sizeof(sizebuf), "%llu", (unsigned long long)o->size);
	{
		const char *values[] = { o->bucket, o->key, sizebuf, o->content_type, o->etag,
			o->cache_control, o->metadata, o->blob_id, upsert ? "true" : "false" };

		res = session_write(r, NULL,
		    "SELECT object::text, old_blob, id FROM storage.put_object($1, $2,"
		    " $3::bigint, $4, $5, $6, $7::jsonb, $8, $9::boolean)",
		    9, values, &object_exists);
	}
	if (res == NULL) {
		blob_delete(r->conf, o->blob_id);
		return -1;
	}
	old_blob = db_result_isnull(res, 0, 1) ? NULL : db_result_value(res, 0, 1);
	if (old_blob != NULL && strcmp(old_blob, o->blob_id) != 0)
		blob_delete(r->conf, old_blob);
	out->object = db_result_value(res, 0, 0);
	out->len = db_result_length(res, 0, 0);
	out->id = db_result_value(res, 0, 2);
	return 0;
}

/* Commits the object's row with the form's fields, if any. */
static int
upload_commit(struct request *r, const char *bucket, const char *key, struct upload *u,
    const char *etag, struct uploaded *out)
{
	struct object_row o = { bucket, key, u->w.size, u->type, etag, u->o->cache_control,
		u->o->metadata, u->w.id };

	if (upload_form_fields(r, u, &o.cache_control, &o.metadata) < 0) {
		blob_delete(r->conf, u->w.id);
		return -1;
	}
	return storage_put_row(r, &o, u->o->upsert, out);
}

int
storage_bucket_admits(struct request *r, const char *bucket, uint64_t size, const char *type)
{
	struct upload u;

	memset(&u, 0, sizeof(u));
	if (upload_open(r, bucket, &u) < 0)
		return -1;
	if (size > u.limit)
		return upload_fail(r, &u, 413);
	if (!mime_allowed(u.allowed, type))
		return upload_fail(r, &u, 415);
	return 0;
}

int
storage_upload_object(struct request *r, const char *bucket, const char *key,
    const struct upload_opts *o, struct uploaded *out)
{
	char etag[65];
	struct upload u;

	memset(&u, 0, sizeof(u));
	u.r = r;
	u.o = o;
	if (upload_open(r, bucket, &u) < 0)
		return -1;
	if (o->cache_control != NULL && !storage_printable(o->cache_control, 255))
		return response_error(r, 400, "VALIDATION", "Invalid Cache-Control header");
	if (o->metadata != NULL && !json_text_is_object(o->metadata, JSON_METADATA_MAX))
		return response_error(r, 400, "VALIDATION",
		    "x-metadata must be a JSON object of at most %d bytes", JSON_METADATA_MAX);
	if (upload_stream(r, &u, etag) < 0)
		return -1;
	return upload_commit(r, bucket, key, &u, etag, out);
}

int
storage_upload(struct request *r, const char *bucket, const char *key)
{
	const char *upsert = request_header(r, "X-Upsert");
	struct upload_opts o = {
		.upsert = upsert != NULL && strcasecmp(upsert, "true") == 0,
		.cache_control = request_header(r, "Cache-Control"),
		.metadata = request_header(r, "X-Metadata"),
	};
	struct uploaded up;

	if (storage_upload_object(r, bucket, key, &o, &up) < 0)
		return -1;
	response_json(r, 201, up.object, up.len);
	return 0;
}
