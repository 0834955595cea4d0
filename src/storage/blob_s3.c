/*
 * storage/blob_s3.c - the S3 blob backend (blob.h) over storage/s3.h.
 *
 * Uploads.  A size known in advance (the body's Content-Length) streams
 * straight into the store: one PUT of that many bytes up to
 * [storage] s3_multipart_threshold, else a multipart upload whose parts
 * (threshold bytes, more when 10,000 parts would not hold it) are PUTs fed
 * as the bytes arrive.  An unknown size (a multipart form, a chunked body)
 * gathers up to one part in memory (a mapping touched only as far as
 * used): the upload ends as a single PUT when the body ends first, else
 * becomes a multipart upload, a part each time the buffer fills.  Any
 * failure cancels the PUT in flight and aborts the multipart upload, so the
 * store never shows a partial blob; the caller commits the row only after
 * blob_put_commit, i.e. after the store confirmed the bytes.
 *
 * Downloads stream from the store with the Range asked for; the answer
 * starts only when the store has answered, so a store that cannot be
 * reached is a clean 503.  Offloaded downloads point nginx at a presigned
 * URL (see blob_s3_offload).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "conf.h"
#include "http.h"
#include "log.h"
#include "storage/blob.h"
#include "storage/blob_impl.h"
#include "storage/cache.h"
#include "storage/s3.h"

#define S3_MAX_PARTS 10000

struct s3_put {
	struct s3_xfer x;
	bool active; /* x is a PUT in progress */
	uint64_t expected; /* BLOB_SIZE_UNKNOWN, or the size announced */
	uint64_t part_size;
	uint64_t left; /* bytes the PUT in progress still takes */
	uint64_t sent; /* bytes handed to PUTs */
	char upload_id[512]; /* the multipart upload's, "" without one */
	int nparts;
	char (*etags)[80];
	unsigned char *buf; /* unknown size: the part being gathered */
	size_t buf_len;
};

static uint64_t
part_size(const struct conf *c, uint64_t expected)
{
	uint64_t ps = c->s3_multipart_threshold, mib = 1024 * 1024;

	if (expected != BLOB_SIZE_UNKNOWN && expected / ps >= S3_MAX_PARTS)
		ps = (expected / (S3_MAX_PARTS - 1) + mib) / mib * mib;
	return ps;
}

static int
mpu_create(struct blob_writer *w, struct s3_put *p)
{
	struct s3_xfer x;
	const char *pos;
	int rc = s3_call(&x, w->conf, "POST", w->id, "uploads=", "", 0, NULL);

	pos = x.resp;
	if (rc == 0 && !s3_xml_next(&pos, "UploadId", p->upload_id, sizeof(p->upload_id))) {
		log_err("storage: S3 POST %s?uploads: no UploadId in the answer", w->id);
		rc = -1;
		errno = EIO;
	}
	s3_free(&x);
	return rc;
}

static void
part_query(struct s3_put *p, int part, char *out, size_t n)
{
	char id[1024];

	s3_encode(p->upload_id, false, id, sizeof(id));
	if (part > 0)
		snprintf(out, n, "partNumber=%d&uploadId=%s", part, id);
	else
		snprintf(out, n, "uploadId=%s", id);
}

/* The next part's PUT, size bytes, fed by part_feed. */
static int
part_start(struct blob_writer *w, struct s3_put *p, uint64_t size)
{
	char q[1200];

	if (p->nparts >= S3_MAX_PARTS)
		return errno = EFBIG, -1;
	if (p->etags == NULL && (p->etags = calloc(S3_MAX_PARTS, sizeof(*p->etags))) == NULL)
		return errno = ENOMEM, -1;
	part_query(p, ++p->nparts, q, sizeof(q));
	if (s3_begin(&p->x, w->conf, "PUT", w->id, q, (int64_t)size, NULL) < 0)
		return -1;
	p->active = true;
	p->left = size;
	return 0;
}

/* Ends the PUT in progress; a part's ETag is kept for the completion. */
static int
put_end(struct s3_put *p)
{
	int rc = s3_end(&p->x);

	if (rc == 0 && p->upload_id[0] != '\0')
		snprintf(p->etags[p->nparts - 1], sizeof(p->etags[0]), "%.78s", p->x.etag);
	s3_free(&p->x);
	p->active = false;
	return rc;
}

/* Feeds buf to the PUT(s) in progress, starting parts as needed. */
static int
put_feed(struct blob_writer *w, struct s3_put *p, const unsigned char *buf, size_t n)
{
	while (n > 0) {
		size_t k;

		if (!p->active) {
			if (p->upload_id[0] == '\0' || p->sent >= p->expected)
				return errno = EIO, -1; /* more than announced */
			if (part_start(w, p,
			        p->expected - p->sent < p->part_size ? p->expected - p->sent
			                                             : p->part_size) < 0)
				return -1;
		}
		k = n < p->left ? n : (size_t)p->left;
		if (s3_feed(&p->x, buf, k) < 0)
			return -1;
		p->left -= k;
		p->sent += k;
		buf += k;
		n -= k;
		if (p->left == 0 && p->upload_id[0] != '\0' && put_end(p) < 0)
			return -1;
	}
	return 0;
}

/* Unknown size: the part gathered so far goes out as the next part. */
static int
flush_part(struct blob_writer *w, struct s3_put *p)
{
	if (p->upload_id[0] == '\0' && mpu_create(w, p) < 0)
		return -1;
	if (part_start(w, p, p->buf_len) < 0 || s3_feed(&p->x, p->buf, p->buf_len) < 0)
		return -1;
	p->left = 0;
	p->sent += p->buf_len;
	p->buf_len = 0;
	return put_end(p);
}

int
blob_s3_put_begin(struct blob_writer *w, uint64_t expected)
{
	struct s3_put *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return errno = ENOMEM, -1;
	w->s3 = p;
	p->expected = expected;
	p->part_size = part_size(w->conf, expected);
	if (expected == BLOB_SIZE_UNKNOWN)
		return 0;
	if (expected > w->conf->s3_multipart_threshold)
		return mpu_create(w, p);
	if (s3_begin(&p->x, w->conf, "PUT", w->id, "", (int64_t)expected, NULL) < 0)
		return -1;
	p->active = true;
	p->left = expected;
	return 0;
}

int
blob_s3_put_write(struct blob_writer *w, const void *buf, size_t n)
{
	struct s3_put *p = w->s3;
	const unsigned char *b = buf;

	if (p->expected != BLOB_SIZE_UNKNOWN)
		return put_feed(w, p, b, n);
	while (n > 0) {
		size_t k;

		if (p->buf == NULL) {
			void *m = mmap(NULL, p->part_size, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

			if (m == MAP_FAILED)
				return errno = ENOMEM, -1;
			p->buf = m;
		}
		k = p->part_size - p->buf_len < n ? (size_t)(p->part_size - p->buf_len) : n;
		memcpy(p->buf + p->buf_len, b, k);
		p->buf_len += k;
		b += k;
		n -= k;
		if (p->buf_len == p->part_size && flush_part(w, p) < 0)
			return -1;
	}
	return 0;
}

static int
mpu_complete(struct blob_writer *w, struct s3_put *p)
{
	size_t cap = 64 + (size_t)p->nparts * 140, len = 0;
	char *xml = malloc(cap), q[1200];
	struct s3_xfer x;
	int rc;

	if (xml == NULL)
		return errno = ENOMEM, -1;
	len += (size_t)snprintf(xml, cap, "<CompleteMultipartUpload>");
	for (int i = 0; i < p->nparts; i++)
		len += (size_t)snprintf(xml + len, cap - len,
		    "<Part><PartNumber>%d</PartNumber><ETag>%s</ETag></Part>", i + 1, p->etags[i]);
	len += (size_t)snprintf(xml + len, cap - len, "</CompleteMultipartUpload>");
	part_query(p, 0, q, sizeof(q));
	rc = s3_call(&x, w->conf, "POST", w->id, q, xml, len, NULL);
	s3_free(&x);
	free(xml);
	if (rc == 0)
		p->upload_id[0] = '\0'; /* nothing left to abort */
	return rc;
}

int
blob_s3_put_commit(struct blob_writer *w)
{
	struct s3_put *p = w->s3;

	if (p->expected == BLOB_SIZE_UNKNOWN && p->upload_id[0] == '\0') {
		struct s3_xfer x;
		int rc = s3_call(&x, w->conf, "PUT", w->id, "", p->buf ? (void *)p->buf : "",
		    p->buf_len, NULL);

		s3_free(&x);
		if (rc < 0)
			return -1;
	} else if (p->expected == BLOB_SIZE_UNKNOWN) {
		if ((p->buf_len > 0 && flush_part(w, p) < 0) || mpu_complete(w, p) < 0)
			return -1;
	} else {
		if (p->sent != p->expected)
			return errno = EIO, -1;
		if (p->active && put_end(p) < 0)
			return -1;
		if (p->upload_id[0] != '\0' && mpu_complete(w, p) < 0)
			return -1;
	}
	blob_s3_put_abort(w); /* frees what is left; nothing to abort now */
	return 0;
}

void
blob_s3_put_abort(struct blob_writer *w)
{
	struct s3_put *p = w->s3;

	if (p == NULL)
		return;
	if (p->active)
		s3_free(&p->x); /* the PUT cut short: the store keeps nothing of it */
	if (p->upload_id[0] != '\0') {
		struct s3_xfer x;
		char q[1200];

		part_query(p, 0, q, sizeof(q));
		if (s3_call(&x, w->conf, "DELETE", w->id, q, NULL, 0, NULL) < 0)
			log_err("storage: S3 multipart upload of %s left for storage-gc", w->id);
		s3_free(&x);
	}
	if (p->buf != NULL)
		munmap(p->buf, p->part_size);
	free(p->etags);
	free(p);
	w->s3 = NULL;
}

int
blob_s3_copy(const struct conf *c, const char *src_id, const char *dst_id)
{
	char src[256], hdr[300];
	const char *hdrs[] = { hdr, NULL };
	struct s3_xfer x;
	int rc;

	s3_encode(c->s3_bucket, false, src, sizeof(src));
	snprintf(hdr, sizeof(hdr), "x-amz-copy-source: /%s/%s", src, src_id);
	rc = s3_call(&x, c, "PUT", dst_id, "", "", 0, hdrs);
	s3_free(&x);
	return rc;
}

int
blob_s3_delete(const struct conf *c, const char *id)
{
	struct s3_xfer x;
	int rc = s3_call(&x, c, "DELETE", id, "", NULL, 0, NULL);

	s3_free(&x);
	return rc < 0 && errno != ENOENT ? -1 : 0;
}

int
blob_s3_check(const struct conf *c, char *why, size_t n)
{
	struct s3_xfer x;
	int rc = s3_call(&x, c, "HEAD", "", "", NULL, 0, NULL);

	if (rc < 0 && x.status == 0)
		snprintf(why, n, "cannot reach %s: %s", c->s3_endpoint,
		    curl_easy_strerror(x.result));
	else if (rc < 0)
		snprintf(why, n, "%s answers %ld for bucket %s (%s)", c->s3_endpoint, x.status,
		    c->s3_bucket,
		    x.status == 403       ? "wrong s3_access_key or s3_secret_key, or s3_region?"
		        : x.status == 404 ? "no such bucket: create it first"
		                          : "is it an S3 endpoint?");
	s3_free(&x);
	return rc;
}

struct s3_send {
	struct request *r;
	struct s3_xfer *x;
	uint64_t length, got;
	bool started, wrong_size, gated;
};

/* The store's bytes to the client; the answer starts with the first. */
static int
send_sink(void *arg, const char *buf, size_t n)
{
	struct s3_send *s = arg;

	if (!s->started) {
		curl_off_t cl = -1;

		curl_easy_getinfo(s->x->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl);
		if (cl != (curl_off_t)s->length) {
			s->wrong_size = true;
			return -1;
		}
		s->started = true;
		if (response_start(s->r) < 0)
			return s->gated = true, -1;
	}
	if (response_write(s->r, buf, n) < 0)
		return -1;
	s->got += n;
	return 0;
}

/* HEAD, or nothing to send: the store asked whether the blob is whole. */
static int
send_head(struct request *r, const char *id, uint64_t size)
{
	struct s3_xfer x;
	curl_off_t cl = -1;
	int rc = s3_call(&x, r->conf, "HEAD", id, "", NULL, 0, NULL);

	if (rc == 0)
		curl_easy_getinfo(x.easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl);
	s3_free(&x);
	if (rc < 0)
		return -1;
	if (cl != (curl_off_t)size)
		return errno = ENOENT, -1;
	response_start(r);
	return 0;
}

int
blob_s3_send(struct request *r, const char *id, uint64_t size, uint64_t from, uint64_t length)
{
	struct s3_xfer x;
	struct s3_send s = { r, &x, length, 0, false, false, false };
	char range[80];
	const char *hdrs[] = { range, NULL };
	int rc;

	if (r->method == HTTP_HEAD || length == 0)
		return send_head(r, id, size);
	snprintf(range, sizeof(range), "Range: bytes=%llu-%llu", (unsigned long long)from,
	    (unsigned long long)(from + length - 1));
	if (s3_begin(&x, r->conf, "GET", id, "", -1, from == 0 && length == size ? NULL : hdrs) <
	    0) {
		s3_free(&x);
		return -1;
	}
	x.sink = send_sink;
	x.sink_arg = &s;
	rc = s3_end(&x);
	s3_free(&x);
	if (s.started) {
		if (!s.gated && (rc < 0 || s.got != length) && !r->resp.failed)
			log_err("storage: blob %s cut short mid-download (%llu of %llu bytes)", id,
			    (unsigned long long)s.got, (unsigned long long)length);
		return 0;
	}
	if (s.wrong_size) {
		log_err("storage: blob %s is not %llu bytes long in the store", id,
		    (unsigned long long)size);
		return errno = ENOENT, -1;
	}
	if (rc == 0 || errno == EPIPE)
		return 0; /* the gate set another answer, or the client left */
	return -1;
}

/* HMAC-SHA256 with a key of any length (libsodium's multi-part form). */
static void
hmac(const void *key, size_t klen, const char *msg, unsigned char out[32])
{
	crypto_auth_hmacsha256_state st;

	crypto_auth_hmacsha256_init(&st, key, klen);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)msg, strlen(msg));
	crypto_auth_hmacsha256_final(&st, out);
}

/* libcurl signs requests it sends but cannot presign one that nginx
 * sends, so this one signature is made here (s3.h). */
void
s3_presign(const struct conf *c, const char *host, const char *path, int ttl, time_t t, char *out,
    size_t n)
{
	char date[16], amzdate[20], scope[200], cred[600], ecred[900], canon[3000], sts[400];
	char hex[65], kdate_key[1100];
	unsigned char h[32], k[32];
	struct tm tm;
	int len;

	gmtime_r(&t, &tm);
	strftime(date, sizeof(date), "%Y%m%d", &tm);
	strftime(amzdate, sizeof(amzdate), "%Y%m%dT%H%M%SZ", &tm);
	snprintf(scope, sizeof(scope), "%s/%s/s3/aws4_request", date, c->s3_region);
	snprintf(cred, sizeof(cred), "%s/%s", c->s3_access_key, scope);
	s3_encode(cred, false, ecred, sizeof(ecred));
	len = snprintf(out, n,
	    "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=%s&X-Amz-Date=%s"
	    "&X-Amz-Expires=%d&X-Amz-SignedHeaders=host",
	    ecred, amzdate, ttl);
	snprintf(canon, sizeof(canon), "GET\n%s\n%s\nhost:%s\n\nhost\nUNSIGNED-PAYLOAD", path, out,
	    host);
	crypto_hash_sha256(h, (const unsigned char *)canon, strlen(canon));
	sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
	snprintf(sts, sizeof(sts), "AWS4-HMAC-SHA256\n%s\n%s\n%s", amzdate, scope, hex);
	snprintf(kdate_key, sizeof(kdate_key), "AWS4%s", c->s3_secret_key);
	hmac(kdate_key, strlen(kdate_key), date, k);
	sodium_memzero(kdate_key, sizeof(kdate_key));
	hmac(k, sizeof(k), c->s3_region, k);
	hmac(k, sizeof(k), "s3", k);
	hmac(k, sizeof(k), "aws4_request", k);
	hmac(k, sizeof(k), sts, h);
	sodium_memzero(k, sizeof(k));
	sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
	snprintf(out + len, n - (size_t)len, "&X-Amz-Signature=%s", hex);
}

/*
 * X-Accel-Redirect to the internal location of
 * deploy/nginx/fluxbase-s3-offload.conf, which proxies the store:
 *     <offload_prefix><s|a>/<etag>/<Last-Modified>/<scheme>/<host>/<path>?<presigned query>
 * nginx keeps only a few of this answer's headers across the redirect, so
 * what it must add itself travels in the path: the content policy (s: the
 * sandbox for active content, a: none), the object's ETag and
 * Last-Modified (as the header reads: nginx takes the redirect's path as
 * it is).  The URL is signed for a few minutes: nginx uses it at once,
 * and the client never sees it.
 */
int
blob_s3_offload(struct request *r, const struct object_meta *m, bool sandbox)
{
	const struct conf *c = r->conf;
	char scheme[16], host[512], path[600], query[1600], lastmod[64];
	struct tm tm;

	s3_host(c, scheme, sizeof(scheme), host, sizeof(host));
	if (c->s3_path_style)
		snprintf(path, sizeof(path), "/%s/%s", c->s3_bucket, m->blob_id);
	else
		snprintf(path, sizeof(path), "/%s", m->blob_id);
	s3_presign(c, host, path, 300, time(NULL), query, sizeof(query));
	gmtime_r(&m->updated, &tm);
	strftime(lastmod, sizeof(lastmod), "%a, %d %b %Y %H:%M:%S GMT", &tm);
	response_header(r, "X-Accel-Redirect",
	    arena_printf(r->arena, "%s%s/%s/%s/%s/%s%s?%s", c->storage_offload_prefix,
	        sandbox ? "s" : "a", m->etag, lastmod, scheme, host, path, query));
	return 0;
}
