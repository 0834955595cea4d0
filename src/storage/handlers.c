/*
 * storage/handlers.c - /api/v1/storage: buckets, objects, signed URLs.
 *
 * Object rows are read and written in the caller's role, so the policies
 * on storage.objects decide; the bytes go through the blob backend in
 * fixed-size chunks both ways.  An upload is durable as a blob before its
 * row commits; a failed commit removes the new blob, a successful replace
 * or delete removes the old one after the commit.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "conf.h"
#include "db.h"
#include "handlers.h"
#include "http.h"
#include "jsonbody.h"
#include "log.h"
#include "session.h"
#include "storage/blob.h"
#include "storage/mime.h"
#include "storage/multipart.h"
#include "storage/names.h"
#include "storage/signed_url.h"


static const struct conflict object_exists = {
	"ALREADY_EXISTS", "An object with this key exists (send x-upsert: true to replace it)",
};
static const struct conflict bucket_not_empty = {
	"BUCKET_NOT_EMPTY", "The bucket still holds objects",
};

static int
bad_key(struct request *r, const char *why)
{
	return response_error(r, 400, "INVALID_KEY", "%s", why);
}

static int
not_found(struct request *r, const char *what)
{
	return response_error(r, 404, "NOT_FOUND", "%s not found", what);
}

/* ---- uploads ----------------------------------------------------------------- */

struct upload {
	struct request *r;
	struct blob_writer w;
	uint64_t limit;
	const char *allowed;         /* JSON array of MIME patterns, or NULL */
	struct multipart mp;
	bool multipart;
	bool type_checked;
	char type[MIME_MAX + 1];     /* the canonical type checked, stored and served */
	int status;                  /* why the sink stopped: 413, 415, 507, 500 */
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
		    "The object is larger than the limit of %llu bytes", (unsigned long long)u->limit);
	case 415:
		return response_error(r, 415, "UNSUPPORTED_MEDIA_TYPE",
		    "The content type is not one media type that this bucket accepts");
	case 507:
		return response_error(r, 507, "INSUFFICIENT_STORAGE", "The storage is full");
	case 400:
		return response_error(r, 400, "INVALID_REQUEST", "%s",
		    u->mp.error ? u->mp.error : "The upload ended before its body was complete");
	case 408:
		return request_read_failed(r), 0;
	default:
		return response_internal(r);
	}
}

static int
storage_upload(struct request *r, const char *bucket, const char *key)
{
	const char *why, *ctype = request_header(r, "Content-Type");
	const char *cache = request_header(r, "Cache-Control");
	const char *meta = request_header(r, "X-Metadata");
	const char *upsert = request_header(r, "X-Upsert");
	const char *boundary, *old_blob;
	char etag[65], sizebuf[32];
	struct upload u;
	struct db_result *res;
	bool replace = upsert != NULL && strcasecmp(upsert, "true") == 0;
	char chunk[BLOB_CHUNK];
	ssize_t got;

	if ((why = storage_key_check(key)) != NULL)
		return bad_key(r, why);
	memset(&u, 0, sizeof(u));
	u.r = r;
	u.w.fd = -1;
	{
		const char *values[] = { bucket, r->role };

		res = session_exec(r, "SELECT b.file_size_limit, array_to_json(b.allowed_mime_types)::text,"
				      " has_table_privilege($2, 'storage.objects', 'INSERT')"
				      " FROM storage.bucket_info($1) b", 2, values, true);
	}
	if (res == NULL)
		return -1;
	if (db_result_rows(res) != 1)
		return not_found(r, "Bucket");
	if (strcmp(db_result_value(res, 0, 2), "t") != 0)
		return r->has_token ? response_error(r, 403, "FORBIDDEN", "Uploads are not allowed")
				    : response_error(r, 401, "UNAUTHORIZED", "Sign in to upload");
	u.limit = r->conf->storage_max_file_size;
	if (!db_result_isnull(res, 0, 0)) {
		uint64_t b = strtoull(db_result_value(res, 0, 0), NULL, 10);

		if (b < u.limit)
			u.limit = b;
	}
	u.allowed = db_result_isnull(res, 0, 1) ? NULL : db_result_value(res, 0, 1);
	if (cache != NULL && !storage_printable(cache, 255))
		return response_error(r, 400, "VALIDATION", "Invalid Cache-Control header");
	if (meta != NULL) {
		if (!json_text_is_object(meta, JSON_METADATA_MAX))
			return response_error(r, 400, "VALIDATION",
			    "x-metadata must be a JSON object of at most %d bytes", JSON_METADATA_MAX);
	}
	boundary = multipart_boundary(r->arena, ctype);
	u.multipart = boundary != NULL;
	if (!u.multipart) {
		if (upload_type(&u, ctype) < 0)
			return upload_fail(r, &u, 415);
		/* Refuse before reading when the size is announced. */
		if (r->has_content_length && r->content_length > u.limit)
			return upload_fail(r, &u, 413);
	} else {
		multipart_init(&u.mp, r->arena, boundary);
	}
	if (blob_put_begin(&u.w, r->conf->storage_root, r->conf->storage_file_mode) < 0)
		return upload_fail(r, &u, errno == ENOSPC ? 507 : 500);
	while ((got = request_read(r, chunk, sizeof(chunk))) > 0) {
		int rc = u.multipart ? multipart_feed(&u.mp, chunk, (size_t)got, upload_sink, &u)
				     : upload_sink(&u, chunk, (size_t)got);

		if (rc < 0)
			return upload_fail(r, &u, u.status ? u.status : 400);
	}
	if (got < 0)
		return upload_fail(r, &u, r->body_timed_out ? 408 : 400);
	if (u.multipart) {
		if (multipart_finish(&u.mp) < 0)
			return upload_fail(r, &u, 400);
		if (!u.type_checked && upload_sink(&u, "", 0) < 0)
			return upload_fail(r, &u, u.status);
	}
	if (blob_put_commit(&u.w, etag) < 0) {
		int st = errno == ENOSPC || errno == EDQUOT ? 507 : 500;

		if (st == 500)
			log_err("storage: cannot store a blob: %m");
		return upload_fail(r, &u, st);
	}
	snprintf(sizebuf, sizeof(sizebuf), "%llu", (unsigned long long)u.w.size);
	{
		const char *values[] = { bucket, key, sizebuf, u.type, etag, cache, meta, u.w.id };

		res = session_write(r, NULL, replace ?
		    /* _old is read (and locked) while the insert builds its row, before
		     * the update: read after it, the row would be our own new one. */
		    "WITH _old AS (SELECT blob_id FROM storage.objects WHERE bucket_id = $1 AND key = $2"
		    " FOR UPDATE), _new AS (INSERT INTO storage.objects AS o (bucket_id, key, size,"
		    " content_type, etag, cache_control, metadata, blob_id, owner) SELECT $1, $2,"
		    " $3::bigint, $4, $5, $6, coalesce($7::jsonb, '{}'), $8, auth.uid()"
		    " FROM (SELECT 1) one LEFT JOIN _old ON true"
		    " ON CONFLICT (bucket_id, key) DO UPDATE SET size = EXCLUDED.size,"
		    " content_type = EXCLUDED.content_type, etag = EXCLUDED.etag,"
		    " cache_control = EXCLUDED.cache_control, metadata = EXCLUDED.metadata,"
		    " blob_id = EXCLUDED.blob_id, updated_at = now() RETURNING o.*)"
		    " SELECT storage.object_json(_new)::text, (SELECT blob_id FROM _old) FROM _new"
		    :
		    "WITH _new AS (INSERT INTO storage.objects AS o (bucket_id, key, size, content_type,"
		    " etag, cache_control, metadata, blob_id, owner) VALUES ($1, $2, $3::bigint, $4, $5,"
		    " $6, coalesce($7::jsonb, '{}'), $8, auth.uid()) RETURNING o.*)"
		    " SELECT storage.object_json(_new)::text, NULL::text FROM _new",
		    8, values, &object_exists);
	}
	if (res == NULL) {
		/* Nothing points at the new blob. */
		blob_delete(r->conf->storage_root, u.w.id);
		return -1;
	}
	old_blob = db_result_isnull(res, 0, 1) ? NULL : db_result_value(res, 0, 1);
	if (old_blob != NULL && strcmp(old_blob, u.w.id) != 0)
		blob_delete(r->conf->storage_root, old_blob);
	response_json(r, 201, db_result_value(res, 0, 0), db_result_length(res, 0, 0));
	return 0;
}

/* ---- downloads ---------------------------------------------------------------- */

static void
http_date(time_t t, char *out, size_t n)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, n, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

static bool
etag_matches(const char *header, const char *quoted)
{
	const char *p = header;

	while (*p) {
		size_t len;

		while (*p == ' ' || *p == ',')
			p++;
		if (*p == '*')
			return true;
		if (strncmp(p, "W/", 2) == 0)
			p += 2;
		len = strcspn(p, ",");
		while (len > 0 && p[len - 1] == ' ')
			len--;
		if (len == strlen(quoted) && strncmp(p, quoted, len) == 0)
			return true;
		p += strcspn(p, ",");
	}
	return false;
}

/* bytes=a-b | bytes=a- | bytes=-n.  1 range, 0 ignore (serve all), -1 416. */
static int
parse_range(const char *h, uint64_t size, uint64_t *from, uint64_t *to)
{
	const char *p;
	char *end;
	unsigned long long a, b;

	if (strncmp(h, "bytes=", 6) != 0)
		return -1;
	p = h + 6;
	if (strchr(p, ',') != NULL)
		return 0;
	if (*p == '-') {
		if (!isdigit((unsigned char)p[1]))
			return -1;
		b = strtoull(p + 1, &end, 10);
		if (*end != '\0' || b == 0 || size == 0)
			return -1;
		*from = b >= size ? 0 : size - b;
		*to = size - 1;
		return 1;
	}
	if (!isdigit((unsigned char)*p))
		return -1;
	a = strtoull(p, &end, 10);
	if (*end != '-')
		return -1;
	p = end + 1;
	if (*p == '\0') {
		b = size ? size - 1 : 0;
	} else {
		if (!isdigit((unsigned char)*p))
			return -1;
		b = strtoull(p, &end, 10);
		if (*end != '\0' || b < a)
			return -1;
		if (b >= size)
			b = size - 1;
	}
	if (a >= size)
		return -1;
	*from = a;
	*to = b;
	return 1;
}

/* attachment; filename="fallback"; filename*=UTF-8''encoded (RFC 6266). */
static const char *
content_disposition(struct request *r, const char *name)
{
	struct strbuf sb;

	strbuf_init(&sb, r->arena, 64 + strlen(name) * 4);
	strbuf_puts(&sb, "attachment; filename=\"");
	for (const char *p = name; *p; p++) {
		unsigned char c = (unsigned char)*p;

		strbuf_putc(&sb, c >= 0x20 && c < 0x7f && c != '"' && c != '\\' ? (char)c : '_');
	}
	strbuf_puts(&sb, "\"; filename*=UTF-8''");
	for (const char *p = name; *p; p++) {
		unsigned char c = (unsigned char)*p;

		if (isalnum(c) || strchr("!#$&+-.^_`|~", c) != NULL)
			strbuf_putc(&sb, (char)c);
		else
			strbuf_printf(&sb, "%%%02X", c);
	}
	return sb.data;
}

/*
 * Public objects' metadata, per worker, when [storage] public_cache_ttl is
 * set: an anonymous download found here skips the database.  Entries come
 * only from anonymous lookups (the policies let anyone read the object);
 * all are dropped on any change to storage.objects or storage.buckets (a
 * NOTIFY from their triggers), on any schema change (policies), after a
 * reconnection (notifications may have been missed), and each one after
 * public_cache_ttl seconds whatever happens.
 */
#define PUBLIC_CACHE_SLOTS 256

struct object_meta {
	uint64_t size;
	time_t updated;
	bool active_ok;              /* the bucket allows active content */
	const char *content_type, *etag, *cache_control, *blob_id;  /* cache_control: NULL */
};

struct public_entry {
	char *bucket, *key;        /* NULL when empty */
	time_t expires;
	struct object_meta m;
};

static struct public_entry public_cache[PUBLIC_CACHE_SLOTS];
static unsigned char public_cache_key[crypto_shorthash_KEYBYTES];
static bool public_cache_keyed;
static uint64_t public_cache_hits;

static void
public_entry_clear(struct public_entry *e)
{
	free(e->bucket);
	free(e->key);
	free((char *)e->m.content_type);
	free((char *)e->m.etag);
	free((char *)e->m.cache_control);
	free((char *)e->m.blob_id);
	memset(e, 0, sizeof(*e));
}

void
storage_public_cache_clear(void)
{
	for (int i = 0; i < PUBLIC_CACHE_SLOTS; i++)
		if (public_cache[i].bucket != NULL)
			public_entry_clear(&public_cache[i]);
}

uint64_t
storage_public_cache_hits(void)
{
	return public_cache_hits;
}

static struct public_entry *
public_cache_slot(const char *bucket, const char *key)
{
	unsigned char h[crypto_shorthash_BYTES];
	uint64_t k;

	if (!public_cache_keyed) {
		randombytes_buf(public_cache_key, sizeof(public_cache_key));
		public_cache_keyed = true;
	}
	{
		size_t bl = strlen(bucket), kl = strlen(key);
		unsigned char buf[64 + 1 + 1024];

		/* Bucket names are at most 63 bytes and keys 1024 (checked). */
		memcpy(buf, bucket, bl);
		buf[bl] = '\0';
		memcpy(buf + bl + 1, key, kl);
		crypto_shorthash(h, buf, bl + 1 + kl, public_cache_key);
	}
	memcpy(&k, h, sizeof(k));
	return &public_cache[k % PUBLIC_CACHE_SLOTS];
}

/* The object's metadata as the caller may see it: from the cache for an
 * anonymous caller when allowed, else from the database (then cached).
 * 1 when the caller sees no such object; -1 when an error answer is made. */
static int
object_meta(struct request *r, bool anonymous, const char *bucket,
    const char *key, struct object_meta *m)
{
	bool cacheable = anonymous && r->conf->storage_public_cache_ttl > 0 &&
	    strlen(bucket) <= 64 && strlen(key) <= 1024;
	struct public_entry *e = cacheable ? public_cache_slot(bucket, key) : NULL;
	const char *values[] = { bucket, key };
	struct db_result *res;

	if (e != NULL && e->bucket != NULL && strcmp(e->bucket, bucket) == 0 &&
	    strcmp(e->key, key) == 0) {
		/* Gone from disk (replaced or deleted, the notice not read yet):
		 * ask the database. */
		if (time(NULL) < e->expires && blob_exists(r->conf->storage_root, e->m.blob_id)) {
			*m = e->m;
			m->content_type = arena_strdup(r->arena, e->m.content_type);
			m->etag = arena_strdup(r->arena, e->m.etag);
			m->cache_control = e->m.cache_control ? arena_strdup(r->arena, e->m.cache_control)
							      : NULL;
			m->blob_id = arena_strdup(r->arena, e->m.blob_id);
			public_cache_hits++;
			return 0;
		}
		public_entry_clear(e);
	}
	res = session_exec(r,
	    "SELECT size, content_type, etag, cache_control,"
	    " extract(epoch FROM date_trunc('second', updated_at))::bigint, blob_id,"
	    " (SELECT b.allow_active_content FROM storage.bucket_info($1) b)"
	    " FROM storage.objects WHERE bucket_id = $1 AND key = $2", 2, values, true);
	if (res == NULL)
		return -1;
	if (db_result_rows(res) != 1)
		return 1;
	m->size = strtoull(db_result_value(res, 0, 0), NULL, 10);
	m->content_type = db_result_value(res, 0, 1);
	m->etag = db_result_value(res, 0, 2);
	m->cache_control = db_result_isnull(res, 0, 3) ? NULL : db_result_value(res, 0, 3);
	m->updated = (time_t)strtoll(db_result_value(res, 0, 4), NULL, 10);
	m->blob_id = db_result_value(res, 0, 5);
	m->active_ok = strcmp(db_result_value(res, 0, 6), "t") == 0;
	if (e != NULL) {
		public_entry_clear(e);
		e->bucket = strdup(bucket);
		e->key = strdup(key);
		e->expires = time(NULL) + r->conf->storage_public_cache_ttl;
		e->m = *m;
		e->m.content_type = strdup(m->content_type);
		e->m.etag = strdup(m->etag);
		e->m.cache_control = m->cache_control ? strdup(m->cache_control) : NULL;
		e->m.blob_id = strdup(m->blob_id);
		if (e->bucket == NULL || e->key == NULL || e->m.content_type == NULL ||
		    e->m.etag == NULL || e->m.blob_id == NULL ||
		    (m->cache_control != NULL && e->m.cache_control == NULL))
			public_entry_clear(e);
	}
	return 0;
}

/* A signed URL speaks for itself: no bearer needed.  0 when its MAC
 * holds (version receives the object version it names), else -1 with the
 * 401 set. */
static int
signed_url_caller(struct request *r, const char *bucket, const char *key, const char *token,
    char version[SIGNED_VERSION_LEN + 1])
{
	if (r->conf->storage_signing_key[0] == '\0' ||
	    signed_token_check(r->conf->storage_signing_key, bucket, key, token, time(NULL),
	        version) != 0)
		return response_error(r, 401, "INVALID_SIGNATURE",
		    "The signed URL is invalid or has expired"), -1;
	return 0;
}

/* User content never runs in the API's origin: nosniff always, and a type
 * a browser would run goes out as an attachment in a sandbox unless its
 * bucket allows active content. */
static void
content_headers(struct request *r, const struct object_meta *m, const char *key,
    const char *download)
{
	bool attach = download != NULL;

	response_header(r, "X-Content-Type-Options", "nosniff");
	if (!m->active_ok && !mime_is_passive(m->content_type)) {
		response_header(r, "Content-Security-Policy", "default-src 'none'; sandbox");
		attach = true;
	}
	if (attach) {
		/* ?download=name, else the key's last segment. */
		const char *name = download != NULL && download[0] ? download : strrchr(key, '/');

		if (name == NULL)
			name = key;
		else if (name != download)
			name++;
		response_header(r, "Content-Disposition", content_disposition(r, name));
	}
}

static int
storage_download(struct request *r, const char *bucket, const char *key)
{
	const char *why, *token = query_get(r, "token"), *download = query_get(r, "download");
	const char *inm, *ims, *range, *blob_id, *etag;
	char quoted[80], lastmod[64], path[4300], version[SIGNED_VERSION_LEN + 1];
	struct object_meta m;
	uint64_t size, from = 0, to = 0;
	time_t updated;
	int ranged = 0, found;

	if ((why = storage_key_check(key)) != NULL)
		return bad_key(r, why);
	if (token != NULL) {
		if (signed_url_caller(r, bucket, key, token, version) < 0)
			return -1;
		session_assume_signed(r);
	}
	if ((found = object_meta(r, token == NULL && !r->has_token, bucket, key, &m)) < 0)
		return -1;
	/* Made for an object deleted or replaced since: the URL died with the
	 * object it named, whatever is at the key now. */
	if (token != NULL && (found != 0 || !signed_version_is(version, m.blob_id)))
		return response_error(r, 401, "INVALID_SIGNATURE",
		    "The signed URL is invalid or has expired");
	if (found != 0)
		return not_found(r, "Object");
	size = m.size;
	etag = m.etag;
	updated = m.updated;
	blob_id = m.blob_id;
	snprintf(quoted, sizeof(quoted), "\"%s\"", etag);
	http_date(updated, lastmod, sizeof(lastmod));

	response_header(r, "ETag", arena_strdup(r->arena, quoted));
	response_header(r, "Last-Modified", arena_strdup(r->arena, lastmod));
	response_header(r, "Cache-Control", m.cache_control ? m.cache_control : "no-cache");
	response_header(r, "Accept-Ranges", "bytes");
	content_headers(r, &m, key, download);
	inm = request_header(r, "If-None-Match");
	ims = request_header(r, "If-Modified-Since");
	if (inm != NULL ? etag_matches(inm, quoted) : false) {
		r->resp.status = 304;
		return 0;
	}
	if (inm == NULL && ims != NULL) {
		struct tm tm;

		memset(&tm, 0, sizeof(tm));
		if (strptime(ims, "%a, %d %b %Y %H:%M:%S GMT", &tm) != NULL && updated <= timegm(&tm)) {
			r->resp.status = 304;
			return 0;
		}
	}
	r->resp.content_type = m.content_type;

	if (strcmp(r->conf->storage_offload, "off") != 0 && r->method == HTTP_GET) {
		/* The web server sends the bytes (and handles Range itself). */
		if (strcmp(r->conf->storage_offload, "x-accel-redirect") == 0) {
			char rel[200];

			blob_path(r->conf->storage_root, blob_id, true, rel, sizeof(rel));
			snprintf(path, sizeof(path), "%s%s", r->conf->storage_offload_prefix, rel);
			response_header(r, "X-Accel-Redirect", arena_strdup(r->arena, path));
		} else {
			blob_path(r->conf->storage_root, blob_id, false, path, sizeof(path));
			response_header(r, "X-Sendfile", arena_strdup(r->arena, path));
		}
		r->resp.status = 200;
		return 0;
	}

	range = request_header(r, "Range");
	if (range != NULL && (ranged = parse_range(range, size, &from, &to)) < 0) {
		response_header(r, "Content-Range",
		    arena_printf(r->arena, "bytes */%llu", (unsigned long long)size));
		return response_error(r, 416, "RANGE_NOT_SATISFIABLE",
		    "The range is not satisfiable for %llu bytes", (unsigned long long)size);
	}
	if (ranged == 1) {
		r->resp.status = 206;
		response_header(r, "Content-Range", arena_printf(r->arena, "bytes %llu-%llu/%llu",
		    (unsigned long long)from, (unsigned long long)to, (unsigned long long)size));
	} else {
		r->resp.status = 200;
		from = 0;
		to = size ? size - 1 : 0;
	}
	{
		uint64_t length = size ? to - from + 1 : 0, actual = 0;
		int fd = blob_open(r->conf->storage_root, blob_id, &actual);

		if (fd < 0 || actual != size) {
			log_err("storage: %s/%s: blob %s missing or of the wrong size", bucket, key,
			    blob_id);
			if (fd >= 0)
				close(fd);
			r->resp.status = 0;
			return response_internal(r);
		}
		response_header(r, "Content-Length",
		    arena_printf(r->arena, "%llu", (unsigned long long)length));
		if (response_start(r) == 0 && r->method != HTTP_HEAD && length > 0 &&
		    response_send_file(r, fd, from, length) < 0 && !r->resp.failed)
			log_err("storage: reading blob %s failed mid-download", blob_id);
		close(fd);
	}
	return 0;
}

/* ---- delete, list, signed URLs ------------------------------------------------ */

static int
storage_delete(struct request *r, const char *bucket, const char *key)
{
	const char *why, *values[] = { bucket, key };
	struct db_result *res;

	if ((why = storage_key_check(key)) != NULL)
		return bad_key(r, why);
	res = session_exec(r, "DELETE FROM storage.objects WHERE bucket_id = $1 AND key = $2"
			      " RETURNING blob_id", 2, values, false);
	if (res == NULL)
		return -1;
	if (db_result_rows(res) != 1)
		return not_found(r, "Object");
	/* After the commit: the row is gone, so is the blob. */
	blob_delete(r->conf->storage_root, db_result_value(res, 0, 0));
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

static int
storage_signed_url(struct request *r, const char *bucket, const char *key)
{
	const char *why, *values[] = { bucket, key }, *body;
	struct body_error e;
	long expires_in;
	char token[128], version[SIGNED_VERSION_LEN + 1];
	struct strbuf url;
	struct db_result *res;
	size_t len;
	time_t expires;

	if ((why = storage_key_check(key)) != NULL)
		return bad_key(r, why);
	if (r->conf->storage_signing_key[0] == '\0' || r->conf->public_url[0] == '\0') {
		log_err("storage: signed URLs need [storage] signing_key and [server] public_url");
		return response_internal(r);
	}
	/* Only for someone who may read the object now, and decided before a
	 * byte of the body is read. */
	res = session_exec(r, "SELECT blob_id FROM storage.objects WHERE bucket_id = $1 AND key = $2",
	    2, values, true);
	if (res == NULL)
		return -1;
	if (db_result_rows(res) != 1)
		return not_found(r, "Object");
	signed_version(db_result_value(res, 0, 0), version);
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

	if ((why = storage_bucket_check(bucket)) != NULL)
		return response_error(r, 400, "INVALID_BUCKET", "%s", why);
	if (r->method == HTTP_POST && klen > slen && strcmp(key + klen - slen, SIGNED_URL_SUFFIX) == 0)
		return storage_signed_url(r, bucket, arena_strndup(r->arena, key, klen - slen));
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
		response_error(r, 400, "VALIDATION", "%s must be an integer from %ld to %ld", name, min,
		    max);
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
		    "  OFFSET $5::bigint) o)", 5, values, true);
	}
	if (res == NULL)
		return -1;
	if (strcmp(db_result_value(res, 0, 0), "t") != 0)
		return not_found(r, "Bucket");
	response_json(r, 200, db_result_value(res, 0, 1), db_result_length(res, 0, 1));
	return 0;
}

int
storage_buckets_list(struct request *r)
{
	struct db_result *res;

	/* Policies show the public buckets; the service role sees all. */
	res = session_exec(r, "SELECT coalesce(json_agg(storage.bucket_json(b) ORDER BY b.id),"
			      " '[]')::text FROM storage.buckets b", 0, NULL, true);
	if (res == NULL)
		return -1;
	response_json(r, 200, db_result_value(res, 0, 0), db_result_length(res, 0, 0));
	return 0;
}

static int
bucket_create(struct request *r, const char *bucket)
{
	const char *body;
	struct bucket_opts b;
	struct body_error e;
	struct db_result *res;
	size_t len;

	if (request_body(r, r->conf->max_body_size, &body, &len) < 0)
		return -1;
	if (storage_bucket_body(body, len, r->arena, &b, &e) < 0)
		return response_body_error(r, &e);
	{
		const char *values[] = { bucket, b.public, b.file_size_limit, b.allowed_mime_types,
			b.allow_active_content };

		res = session_write(r, NULL, "INSERT INTO storage.buckets AS b (id, public, file_size_limit,"
				      " allowed_mime_types, allow_active_content) VALUES ($1,"
				      " coalesce($2::boolean, false), $3::bigint, (SELECT array_agg(x) FROM"
				      " json_array_elements_text($4::json) x), coalesce($5::boolean, false))"
				      " RETURNING storage.bucket_json(b)::text", 5, values,
		    &(const struct conflict){ "ALREADY_EXISTS", "The bucket exists" });
	}
	if (res == NULL)
		return -1;
	response_json(r, 201, db_result_value(res, 0, 0), db_result_length(res, 0, 0));
	return 0;
}

static int
bucket_delete(struct request *r, const char *bucket)
{
	const char *values[] = { bucket };
	struct db_result *res;

	res = session_write(r, NULL, "WITH d AS (DELETE FROM storage.buckets WHERE id = $1 AND NOT EXISTS"
			      " (SELECT 1 FROM storage.objects WHERE bucket_id = $1) RETURNING id)"
			      " SELECT (SELECT count(*) FROM d), EXISTS (SELECT 1 FROM storage.buckets"
			      " WHERE id = $1)", 1, values, &bucket_not_empty);
	if (res == NULL)
		return -1;
	if (strcmp(db_result_value(res, 0, 0), "1") == 0) {
		r->resp.status = 204;
		return 0;
	}
	if (strcmp(db_result_value(res, 0, 1), "t") == 0)
		return response_error(r, 409, bucket_not_empty.code, "%s", bucket_not_empty.message);
	return not_found(r, "Bucket");
}

int
storage_bucket(struct request *r)
{
	const char *bucket = r->path_params[0], *why;

	if ((why = storage_bucket_check(bucket)) != NULL)
		return response_error(r, 400, "INVALID_BUCKET", "%s", why);
	return r->method == HTTP_POST ? bucket_create(r, bucket) : bucket_delete(r, bucket);
}
