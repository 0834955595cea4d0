/*
 * storage/download.c - an object's bytes out: GET and HEAD
 * /api/v1/storage/{bucket}/{key}, with a bearer token, a signed URL or
 * neither.
 *
 * object_meta finds the object as the caller may see it (the public cache
 * first for an anonymous caller, storage/cache.h); download_not_modified
 * sets the validators and content headers and answers the conditional
 * request; then either the web server sends the file (download_offload)
 * or the worker streams it, whole or one range (download_send).  User
 * content never runs in the API's origin (content_headers).
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
#include "http.h"
#include "log.h"
#include "session.h"
#include "storage/blob.h"
#include "storage/cache.h"
#include "storage/mime.h"
#include "storage/objects.h"
#include "storage/signed_url.h"

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

/* The object's metadata as the caller may see it: from the cache for an
 * anonymous caller when allowed, else from the database (then cached).
 * 1 when the caller sees no such object; -1 when an error answer is made. */
static int
object_meta(struct request *r, bool anonymous, const char *bucket, const char *key,
    struct object_meta *m)
{
	/* Behind a pooler no notification comes to clear the cache (a
	 * deleted object, a policy changed): no cache then. */
	bool cacheable = anonymous && r->conf->storage_public_cache_ttl > 0 && !db_pooled(r->db);
	const char *values[] = { bucket, key };
	struct db_result *res;

	if (cacheable && storage_public_cache_get(r->arena, r->conf, bucket, key, m))
		return 0;
	res = session_exec(r,
	    "SELECT size, content_type, etag, cache_control,"
	    " extract(epoch FROM date_trunc('second', updated_at))::bigint, blob_id, active_ok"
	    " FROM storage.objects WHERE bucket_id = $1 AND key = $2",
	    2, values, true);
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
	/* The bucket's allow_active_content, kept on the row (migration 0018). */
	m->active_ok = strcmp(db_result_value(res, 0, 6), "t") == 0;
	if (cacheable)
		storage_public_cache_put(bucket, key, m, r->conf->storage_public_cache_ttl);
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
		           "The signed URL is invalid or has expired"),
		       -1;
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

/* The validators and caching headers of m; true when the request's
 * conditions say the client's copy is current (the answer is then 304). */
static bool
download_not_modified(struct request *r, const struct object_meta *m, const char *key,
    const char *quoted)
{
	const char *inm = request_header(r, "If-None-Match");
	const char *ims = request_header(r, "If-Modified-Since");
	char lastmod[64];

	http_date(m->updated, lastmod, sizeof(lastmod));
	response_header(r, "ETag", arena_strdup(r->arena, quoted));
	response_header(r, "Last-Modified", arena_strdup(r->arena, lastmod));
	response_header(r, "Cache-Control", m->cache_control ? m->cache_control : "no-cache");
	response_header(r, "Accept-Ranges", "bytes");
	content_headers(r, m, key, query_get(r, "download"));
	if (inm != NULL)
		return etag_matches(inm, quoted);
	if (ims != NULL) {
		struct tm tm;

		memset(&tm, 0, sizeof(tm));
		if (strptime(ims, "%a, %d %b %Y %H:%M:%S GMT", &tm) != NULL &&
		    m->updated <= timegm(&tm))
			return true;
	}
	return false;
}

/* The web server sends the bytes (and handles Range itself): the answer
 * names the blob (blob.h: a file, or the store's object). */
static int
download_offload(struct request *r, const struct object_meta *m)
{
	if (blob_offload(r, m, !m->active_ok && !mime_is_passive(m->content_type)) < 0)
		return response_internal(r);
	r->resp.status = 200;
	return 0;
}

/* Streams the blob, all of it or the one range asked for (206). */
static int
download_send(struct request *r, const char *bucket, const char *key, const struct object_meta *m)
{
	const char *range = request_header(r, "Range");
	uint64_t size = m->size, from = 0, to = 0, length;
	int ranged = 0;

	if (range != NULL && (ranged = parse_range(range, size, &from, &to)) < 0) {
		response_header(r, "Content-Range",
		    arena_printf(r->arena, "bytes */%llu", (unsigned long long)size));
		return response_error(r, 416, "RANGE_NOT_SATISFIABLE",
		    "The range is not satisfiable for %llu bytes", (unsigned long long)size);
	}
	if (ranged == 1) {
		r->resp.status = 206;
		response_header(r, "Content-Range",
		    arena_printf(r->arena, "bytes %llu-%llu/%llu", (unsigned long long)from,
		        (unsigned long long)to, (unsigned long long)size));
	} else {
		r->resp.status = 200;
		from = 0;
		to = size ? size - 1 : 0;
	}
	length = size ? to - from + 1 : 0;
	response_header(r, "Content-Length",
	    arena_printf(r->arena, "%llu", (unsigned long long)length));
	if (blob_send(r, m->blob_id, size, from, length) == 0)
		return 0;
	if (errno == ENOENT)
		log_err("storage: %s/%s: blob %s missing or of the wrong size", bucket, key,
		    m->blob_id);
	r->resp.status = 0;
	/* The object's headers were for the bytes; the error is JSON. */
	r->resp.nheaders = r->base_headers;
	return blob_fail(r, errno);
}

int
storage_download(struct request *r, const char *bucket, const char *key)
{
	const char *token = query_get(r, "token");
	char quoted[80], version[SIGNED_VERSION_LEN + 1];
	struct object_meta m;
	int found;

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
		return storage_not_found(r, "Object");
	snprintf(quoted, sizeof(quoted), "\"%s\"", m.etag);
	if (download_not_modified(r, &m, key, quoted)) {
		r->resp.status = 304;
		return 0;
	}
	r->resp.content_type = m.content_type;
	if (strcmp(r->conf->storage_offload, "off") != 0 && r->method == HTTP_GET)
		return download_offload(r, &m);
	return download_send(r, bucket, key, &m);
}
