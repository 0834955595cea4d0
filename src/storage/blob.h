/*
 * storage/blob.h - the blob interface: put from a stream, send (all or one
 * byte range) to the client, offload to the web server, copy, delete.
 * Two implementations side by side, chosen by [storage] backend; the
 * handlers call only what is here and never learn which one runs:
 *
 * - blob_fs.c, the filesystem under [storage] root:
 *     root/tmp/<random>.part      uploads in progress
 *     root/blobs/ab/cd/<id>       finished blobs
 *   A blob is written to tmp, fsynced, renamed into place and its
 *   directory fsynced, so a blob either exists whole or not at all.
 * - blob_s3.c, an S3-compatible store (AWS S3, Ceph RGW, MinIO, R2):
 *   object <id> in [storage] s3_bucket, requests signed by libcurl's own
 *   SigV4.  Bytes go from the client to the store as they come (a single
 *   PUT up to s3_multipart_threshold, a multipart upload above it), and
 *   from the store to the client; the store answers whole or not at all.
 *
 * id = 32 random hex digits, the server's own: nothing a client sends
 * ever becomes part of a path or an object key.  A copy (an object copied
 * to another key) is a new blob: rows never share one, so deleting a row
 * may always delete its blob.  The ETag the API shows is the SHA-256 of
 * the bytes, computed here while they stream, whatever the store's own.
 *
 * A failed call returns -1 with errno set: ENOSPC or EDQUOT (full),
 * EHOSTUNREACH (the store cannot be reached or is failing: 503), anything
 * else is ours (500); blob_fail answers accordingly.
 */
#ifndef FLUXBASE_STORAGE_BLOB_H
#define FLUXBASE_STORAGE_BLOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sodium.h>

#define BLOB_ID_LEN 32
#define BLOB_CHUNK (64 * 1024)
/* The size given to blob_put_begin when it is not known in advance (a
 * multipart form, a chunked body). */
#define BLOB_SIZE_UNKNOWN UINT64_MAX

struct conf;
struct request;
struct object_meta;
struct s3_put;

/* A zeroed writer is an idle one: blob_put_abort does nothing to it. */
struct blob_writer {
	const struct conf *conf; /* NULL until blob_put_begin */
	char id[BLOB_ID_LEN + 1];
	uint64_t size; /* bytes written so far */
	crypto_hash_sha256_state sha;
	int fd; /* fs: the tmp file, or -1 */
	char tmp[4200];
	struct s3_put *s3; /* s3: the upload in progress */
};

/* expected: the size when known (the body's Content-Length), else
 * BLOB_SIZE_UNKNOWN.  The S3 backend streams a known size straight to the
 * store; an unknown one in parts of s3_multipart_threshold bytes. */
int blob_put_begin(struct blob_writer *w, const struct conf *c, uint64_t expected);
int blob_put_write(struct blob_writer *w, const void *buf, size_t n);
/* Makes the blob durable and visible (the store confirmed every byte);
 * etag gets the SHA-256 in hex.  On failure the caller aborts. */
int blob_put_commit(struct blob_writer *w, char etag[65]);
/* Removes whatever the writer left (tmp file, S3 multipart upload). */
void blob_put_abort(struct blob_writer *w);

/* A new blob dst_id with src_id's size bytes (S3: a copy in the store). */
int blob_copy(const struct conf *c, const char *src_id, uint64_t size,
    char dst_id[BLOB_ID_LEN + 1]);
/* fs: whether the file is there.  s3: true without asking the store (the
 * public cache's check; a blob gone shows when it is read). */
bool blob_exists(const struct conf *c, const char *id);
/*
 * Answers the request with length bytes of blob id (size bytes long) from
 * offset from: the status and headers set by the caller go out when the
 * store has answered, then the bytes (none for HEAD).  0 once the answer
 * started (a failure after that cuts the body short, logged); -1 with
 * errno before anything was sent (the blob missing or of another size:
 * ENOENT).
 */
int blob_send(struct request *r, const char *id, uint64_t size, uint64_t from, uint64_t length);
/* Points the web server at the blob ([storage] offload): the answer's
 * header (X-Accel-Redirect, X-Sendfile).  sandbox: the content policy for
 * active content is due (the S3 location adds it itself). */
int blob_offload(struct request *r, const struct object_meta *m, bool sandbox);
int blob_delete(const struct conf *c, const char *id);
bool blob_id_is_valid(const char *id);
/* A fresh random id. */
void blob_new_id(char id[BLOB_ID_LEN + 1]);
/* The error answer for a failed blob call's errno (507, 503 or 500). */
int blob_fail(struct request *r, int err);
/* Whether the store answers (s3: a signed HEAD of the bucket; fs:
 * nothing to ask): 0, or -1 with why set, for check-config. */
int blob_store_check(const struct conf *c, char *why, size_t n);
/* The [storage] keys' consistency (backend = s3 needs its endpoint,
 * bucket and keys; x-sendfile needs files): 0, or -1 with err set. */
int storage_conf_check(const struct conf *c, char *err, size_t errlen);

#endif
