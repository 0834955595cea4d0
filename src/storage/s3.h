/*
 * storage/s3.h - a small S3 client over libcurl for blob_s3.c and the
 * storage-gc sweep: one request at a time per process, on a curl multi
 * handle kept for the process (its connections are reused), each request
 * signed by libcurl's own SigV4 (CURLOPT_AWS_SIGV4, "x-amz-content-sha256:
 * UNSIGNED-PAYLOAD": the bytes are not hashed twice, TLS protects them on
 * the way).
 *
 * A request body is pushed in as it comes (s3_feed): the transfer pauses
 * whenever curl has sent all it was given, so an upload streams from the
 * client to the store with no more than a chunk in memory.  A response
 * body goes to a sink (downloads) or, small, into x->resp (XML answers).
 * The store failing, unreachable or silent for S3_STALL_SECONDS is
 * EHOSTUNREACH; a missing object ENOENT; a full one (QuotaExceeded) ENOSPC.
 * Only the method, key and status reach the log: never a signature or key.
 */
#ifndef FLUXBASE_STORAGE_S3_H
#define FLUXBASE_STORAGE_S3_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <time.h>

#include <curl/curl.h>

#define S3_STALL_SECONDS 20
/* A response body kept for its XML (listings are 1000 keys a page). */
#define S3_RESP_MAX (1024 * 1024)

struct conf;

struct s3_xfer {
	CURL *easy;
	struct curl_slist *hdrs;
	char what[96]; /* "PUT <key>", for the log */
	const unsigned char *pending; /* body bytes given, not yet taken by curl */
	size_t pending_len;
	uint64_t body_left; /* body bytes still to come */
	bool paused, done, in_multi;
	CURLcode result;
	long status;
	double progress; /* monotonic time of the last byte either way */
	char etag[128]; /* the response's ETag header, quotes included */
	char *resp; /* the response body (without a sink), NUL-terminated */
	size_t resp_len;
	/* Downloads: called with the body's bytes once the status is 2xx;
	 * nonzero stops the transfer. */
	int (*sink)(void *arg, const char *buf, size_t n);
	void *sink_arg;
};

/* Starts method on key (may be "": the bucket) with query (canonical: sorted
 * names, encoded values; "" for none).  body_len: the request body's size,
 * or -1 without one.  headers: extra "Name: value" lines, NULL-terminated or
 * NULL.  0, or -1 with errno. */
int s3_begin(struct s3_xfer *x, const struct conf *c, const char *method, const char *key,
    const char *query, int64_t body_len, const char *const *headers);
/* Hands n body bytes to the transfer and runs it until curl took them. */
int s3_feed(struct s3_xfer *x, const void *buf, size_t n);
/* Runs the transfer to its end: 0 when the store answered 2xx (without an
 * <Error> in the body), else -1 with errno (and the reason logged). */
int s3_end(struct s3_xfer *x);
/* Ends (cancelling a transfer still running) and frees x's resources. */
void s3_free(struct s3_xfer *x);
/* begin + feed(body) + end: a whole request with its body in memory. */
int s3_call(struct s3_xfer *x, const struct conf *c, const char *method, const char *key,
    const char *query, const void *body, size_t len, const char *const *headers);
/* key's URI encoding as S3 signs it (unreserved characters kept, '/' too
 * unless slash is false), into out. */
void s3_encode(const char *s, bool slash, char *out, size_t n);
/* The text of the next <tag>...</tag> in the XML at or after *pos, decoded
 * into out; *pos moves past it.  false when there is no further one. */
bool s3_xml_next(const char **pos, const char *tag, char *out, size_t n);
/* The endpoint's scheme ("http", "https") and authority (host[:port]),
 * the latter with the bucket in front unless s3_path_style. */
void s3_host(const struct conf *c, char *scheme, size_t sn, char *host, size_t hn);
/* The query of a presigned GET of path on host (SigV4 query signing, AWS's
 * "Authenticating Requests: Using Query Parameters"), made at t and valid
 * for ttl seconds, signing only the host header, with libsodium's SHA-256
 * and HMAC-SHA256: the offloaded download's URL (blob_s3.c). */
void s3_presign(const struct conf *c, const char *host, const char *path, int ttl, time_t t,
    char *out, size_t n);

#endif
