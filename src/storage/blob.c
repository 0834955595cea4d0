/*
 * storage/blob.c - the blob interface (blob.h): what both backends share
 * (ids, the SHA-256 of the bytes as they stream, the answer to a failure,
 * the [storage] keys' consistency) and the dispatch to blob_fs.c or
 * blob_s3.c by [storage] backend.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "conf.h"
#include "http.h"
#include "storage/blob.h"
#include "storage/blob_impl.h"
#include "storage/cache.h"

static bool
is_s3(const struct conf *c)
{
	return c->storage_backend != NULL && strcmp(c->storage_backend, "s3") == 0;
}

bool
blob_id_is_valid(const char *id)
{
	size_t n = 0;

	for (; id[n] != '\0'; n++)
		if (!((id[n] >= '0' && id[n] <= '9') || (id[n] >= 'a' && id[n] <= 'f')))
			return false;
	return n == BLOB_ID_LEN;
}

void
blob_new_id(char id[BLOB_ID_LEN + 1])
{
	unsigned char rnd[BLOB_ID_LEN / 2];

	randombytes_buf(rnd, sizeof(rnd));
	sodium_bin2hex(id, BLOB_ID_LEN + 1, rnd, sizeof(rnd));
}

int
blob_put_begin(struct blob_writer *w, const struct conf *c, uint64_t expected)
{
	memset(w, 0, sizeof(*w));
	w->conf = c;
	w->fd = -1;
	blob_new_id(w->id);
	crypto_hash_sha256_init(&w->sha);
	return is_s3(c) ? blob_s3_put_begin(w, expected) : blob_fs_put_begin(w);
}

int
blob_put_write(struct blob_writer *w, const void *buf, size_t n)
{
	crypto_hash_sha256_update(&w->sha, buf, n);
	if ((is_s3(w->conf) ? blob_s3_put_write(w, buf, n) : blob_fs_put_write(w, buf, n)) < 0)
		return -1;
	w->size += n;
	return 0;
}

int
blob_put_commit(struct blob_writer *w, char etag[65])
{
	unsigned char digest[crypto_hash_sha256_BYTES];

	crypto_hash_sha256_final(&w->sha, digest);
	sodium_bin2hex(etag, 65, digest, sizeof(digest));
	return is_s3(w->conf) ? blob_s3_put_commit(w) : blob_fs_put_commit(w);
}

void
blob_put_abort(struct blob_writer *w)
{
	int saved = errno;

	if (w->conf != NULL) {
		if (is_s3(w->conf))
			blob_s3_put_abort(w);
		else
			blob_fs_put_abort(w);
	}
	errno = saved;
}

int
blob_copy(const struct conf *c, const char *src_id, uint64_t size, char dst_id[BLOB_ID_LEN + 1])
{
	(void)size;
	if (!blob_id_is_valid(src_id))
		return errno = ENOENT, -1;
	if (!is_s3(c))
		return blob_fs_copy(c, src_id, dst_id);
	blob_new_id(dst_id);
	return blob_s3_copy(c, src_id, dst_id);
}

bool
blob_exists(const struct conf *c, const char *id)
{
	if (!blob_id_is_valid(id))
		return false;
	return is_s3(c) ? true : blob_fs_exists(c, id);
}

int
blob_send(struct request *r, const char *id, uint64_t size, uint64_t from, uint64_t length)
{
	if (!blob_id_is_valid(id))
		return errno = ENOENT, -1;
	return is_s3(r->conf) ? blob_s3_send(r, id, size, from, length)
	                      : blob_fs_send(r, id, size, from, length);
}

int
blob_offload(struct request *r, const struct object_meta *m, bool sandbox)
{
	return is_s3(r->conf) ? blob_s3_offload(r, m, sandbox) : blob_fs_offload(r, m->blob_id);
}

int
blob_delete(const struct conf *c, const char *id)
{
	if (!blob_id_is_valid(id))
		return -1;
	return is_s3(c) ? blob_s3_delete(c, id) : blob_fs_delete(c, id);
}

int
blob_store_check(const struct conf *c, char *why, size_t n)
{
	return is_s3(c) ? blob_s3_check(c, why, n) : 0;
}

int
blob_fail(struct request *r, int err)
{
	switch (err) {
	case ENOSPC:
	case EDQUOT:
		return response_error(r, 507, "INSUFFICIENT_STORAGE", "The storage is full");
	case EHOSTUNREACH:
		return response_error(r, 503, "STORAGE_UNAVAILABLE",
		    "The object store cannot be reached; retry shortly");
	default:
		return response_internal(r);
	}
}

int
storage_conf_check(const struct conf *c, char *err, size_t errlen)
{
	const char *where = c->path ? c->path : "configuration", *missing = NULL;

	if (!is_s3(c))
		return 0;
	if (c->s3_endpoint[0] == '\0')
		missing = "s3_endpoint";
	else if (c->s3_bucket[0] == '\0')
		missing = "s3_bucket";
	else if (c->s3_access_key[0] == '\0')
		missing = "s3_access_key";
	else if (c->s3_secret_key[0] == '\0')
		missing = "s3_secret_key (or s3_secret_key_file)";
	if (missing != NULL) {
		snprintf(err, errlen, "%s: [storage] %s: must be set when backend = s3", where,
		    missing);
		return -1;
	}
	if (strncmp(c->s3_endpoint, "http://", 7) != 0 &&
	    strncmp(c->s3_endpoint, "https://", 8) != 0) {
		snprintf(err, errlen,
		    "%s: [storage] s3_endpoint: must start with http:// or https://", where);
		return -1;
	}
	if (strcmp(c->storage_offload, "x-sendfile") == 0) {
		snprintf(err, errlen,
		    "%s: [storage] offload: x-sendfile sends files; with backend = s3 use"
		    " x-accel-redirect (nginx, deploy/nginx/fluxbase-s3-offload.conf) or off",
		    where);
		return -1;
	}
	return 0;
}
