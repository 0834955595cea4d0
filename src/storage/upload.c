/*
 * storage/upload.c - an object's bytes in: POST /api/v1/storage/{bucket}/{key}.
 *
 * Three steps: upload_open looks up the bucket (size limit, accepted
 * types) and the caller's right to upload into it; upload_stream writes
 * the body, raw or the file part of a multipart form, through upload_sink
 * into a new blob, durable before anything refers to it; upload_commit
 * writes the row with storage.put_object in the caller's role.  A failed
 * commit removes the new blob; a successful replace removes the old one
 * after the commit.
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

struct upload {
	struct request *r;
	struct blob_writer w;
	uint64_t limit;
	const char *allowed; /* JSON array of MIME patterns, or NULL */
	struct multipart mp;
	bool multipart;
	bool type_checked;
	char type[MIME_MAX + 1]; /* the canonical type checked, stored and served */
	int status; /* why the sink stopped: 413, 415, 507, 500 */
};

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
		u->status = errno == ENOSPC || errno == EDQUOT ? 507 : 500;
		if (u->status == 500)
			log_err("storage: writing an upload failed: %m");
		return -1;
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
	case 507:
		return response_error(r, 507, "INSUFFICIENT_STORAGE", "The storage is full");
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
	    " has_table_privilege($2, 'storage.objects', 'INSERT')"
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
	}
	if (blob_put_begin(&u->w, r->conf->storage_root, r->conf->storage_file_mode) < 0)
		return upload_fail(r, u, errno == ENOSPC ? 507 : 500);
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
		int st = errno == ENOSPC || errno == EDQUOT ? 507 : 500;

		if (st == 500)
			log_err("storage: cannot store a blob: %m");
		return upload_fail(r, u, st);
	}
	return 0;
}

/* Commits the object's row (storage.put_object, as the caller) and
 * answers with it; the blob that nothing points at afterwards, the new
 * one on failure or the replaced one on success, is removed. */
static int
upload_commit(struct request *r, const char *bucket, const char *key, struct upload *u,
    const char *etag)
{
	const char *upsert = request_header(r, "X-Upsert"), *old_blob;
	char sizebuf[32];
	struct db_result *res;

	snprintf(sizebuf, sizeof(sizebuf), "%llu", (unsigned long long)u->w.size);
	{
		const char *values[] = { bucket, key, sizebuf, u->type, etag,
			request_header(r, "Cache-Control"), request_header(r, "X-Metadata"),
			u->w.id,
			upsert != NULL && strcasecmp(upsert, "true") == 0 ? "true" : "false" };

		res = session_write(r, NULL,
		    "SELECT object::text, old_blob FROM storage.put_object($1, $2,"
		    " $3::bigint, $4, $5, $6, $7::jsonb, $8, $9::boolean)",
		    9, values, &object_exists);
	}
	if (res == NULL) {
		blob_delete(r->conf->storage_root, u->w.id);
		return -1;
	}
	old_blob = db_result_isnull(res, 0, 1) ? NULL : db_result_value(res, 0, 1);
	if (old_blob != NULL && strcmp(old_blob, u->w.id) != 0)
		blob_delete(r->conf->storage_root, old_blob);
	response_json(r, 201, db_result_value(res, 0, 0), db_result_length(res, 0, 0));
	return 0;
}

int
storage_upload(struct request *r, const char *bucket, const char *key)
{
	const char *cache = request_header(r, "Cache-Control");
	const char *meta = request_header(r, "X-Metadata");
	char etag[65];
	struct upload u;

	memset(&u, 0, sizeof(u));
	u.r = r;
	u.w.fd = -1;
	if (upload_open(r, bucket, &u) < 0)
		return -1;
	if (cache != NULL && !storage_printable(cache, 255))
		return response_error(r, 400, "VALIDATION", "Invalid Cache-Control header");
	if (meta != NULL && !json_text_is_object(meta, JSON_METADATA_MAX))
		return response_error(r, 400, "VALIDATION",
		    "x-metadata must be a JSON object of at most %d bytes", JSON_METADATA_MAX);
	if (upload_stream(r, &u, etag) < 0)
		return -1;
	return upload_commit(r, bucket, key, &u, etag);
}
