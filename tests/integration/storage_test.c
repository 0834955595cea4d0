/*
 * The storage API through nginx: byte-exact round trips up to 200 MiB, raw
 * and multipart, headers, ranges, conditional requests, worker memory,
 * policies, limits, atomicity, signed URLs, hostile keys, offload, buckets,
 * and the consistency of rows and blobs (storage-gc).
 */
#include "config.h"

#include <arpa/inet.h>
#include <check.h>
#include <dirent.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <sodium.h>

#include "client.h"
#include "suites.h"

#define ALICE "aaaaaaaa-1111-4111-8111-111111111111"
#define BOB "bbbbbbbb-2222-4222-8222-222222222222"

static char service[2048], alice[2048], bob[2048];

static void
tokens(void)
{
	mint_token(service, sizeof(service), "service_role", NULL);
	mint_token(alice, sizeof(alice), "authenticated", ALICE);
	mint_token(bob, sizeof(bob), "authenticated", BOB);
}

static const char **
headers(const char *token, const char *a, const char *b)
{
	static char auth[2100];
	static const char *h[4];
	int n = 0;

	if (token != NULL) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
		h[n++] = auth;
	}
	if (a != NULL)
		h[n++] = a;
	if (b != NULL)
		h[n++] = b;
	h[n] = NULL;
	return h;
}

static long
call(struct http_resp *r, const char *method, const char *path, const char *token, const char *body,
    const char *h1)
{
	http_do(method, api_url(path), headers(token, h1, NULL), body, body ? strlen(body) : 0, r);
	return r->status;
}

static long
status(const char *method, const char *path, const char *token, const char *body)
{
	struct http_resp r;
	long st = call(&r, method, path, token, body, NULL);

	http_resp_free(&r);
	return st;
}

static void
ensure_bucket(const char *name, const char *body)
{
	char path[256];
	long st;

	snprintf(path, sizeof(path), "/storage/buckets/%s", name);
	st = status("POST", path, service, body);
	ck_assert_msg(st == 201 || st == 409, "bucket %s: %ld", name, st);
}

/* A file of n pseudo-random bytes; its SHA-256 in hex. */
static char *
make_file(const char *name, size_t n, char sha[65])
{
	static char path[512];
	unsigned char seed[randombytes_SEEDBYTES] = { 7 }, digest[32];
	unsigned char *buf = malloc(1 << 20);
	crypto_hash_sha256_state st;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", getenv("FB_STACK_DIR"), name);
	f = fopen(path, "wb");
	ck_assert_ptr_nonnull(f);
	crypto_hash_sha256_init(&st);
	seed[1] = (unsigned char)n;
	for (size_t done = 0; done < n;) {
		size_t k = n - done > (1 << 20) ? (1 << 20) : n - done;

		seed[2]++;
		randombytes_buf_deterministic(buf, k, seed);
		ck_assert_uint_eq(fwrite(buf, 1, k, f), k);
		crypto_hash_sha256_update(&st, buf, k);
		done += k;
	}
	fclose(f);
	free(buf);
	crypto_hash_sha256_final(&st, digest);
	sodium_bin2hex(sha, 65, digest, sizeof(digest));
	return path;
}

static long
upload(const char *path_in_api, const char *token, const char *file, bool multipart,
    const char *type, const char *extra, struct http_resp *r)
{
	char ct[300];
	const char *h2 = NULL;

	if (!multipart && type != NULL) {
		snprintf(ct, sizeof(ct), "Content-Type: %s", type);
		h2 = ct;
	}
	http_upload_file("POST", api_url(path_in_api), headers(token, h2, extra), file, multipart,
	    type, r);
	return r->status;
}

static void
expect_download(const char *path, const char *token, const char *sha, uint64_t size)
{
	struct http_resp r;
	char got[65];
	uint64_t n;

	http_download("GET", api_url(path), headers(token, NULL, NULL), got, &n, &r);
	ck_assert_msg(r.status == 200, "GET %s: %ld", path, r.status);
	ck_assert_uint_eq(n, size);
	ck_assert_str_eq(got, sha);
	http_resp_free(&r);
}

static long
worker_rss_kib(void)
{
	pid_t pids[16];
	int n = worker_pids(pids, 16);
	long max = 0;

	for (int i = 0; i < n; i++) {
		char path[64], line[256];
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%ld/status", (long)pids[i]);
		f = fopen(path, "r");
		while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
			long v;

			if (sscanf(line, "VmRSS: %ld kB", &v) == 1 && v > max)
				max = v;
		}
		if (f)
			fclose(f);
	}
	return max;
}

static int
gc(const char *args)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), "'%s' -c '%s/fluxbase.conf' storage-gc %s >&2",
	    getenv("FLUXBASE_BIN"), getenv("FB_STACK_DIR"), args);
	return system(cmd);
}

static int
tmp_files(void)
{
	char dir[512];
	DIR *d;
	struct dirent *e;
	int n = 0;

	snprintf(dir, sizeof(dir), "%s/storage/tmp", getenv("FB_STACK_DIR"));
	d = opendir(dir);
	while (d != NULL && (e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	if (d)
		closedir(d);
	return n;
}

START_TEST(test_round_trips_and_memory)
{
	static const size_t sizes[] = { 0, 1, 1 << 20, 200u << 20 };
	char sha[65], path[256], *file;
	struct http_resp r;
	long before = 0, after;

	tokens();
	ensure_bucket("files", "{\"public\":false}");
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		char name[64];

		snprintf(name, sizeof(name), "data-%zu.bin", sizes[i]);
		file = make_file(name, sizes[i], sha);
		if (sizes[i] == (200u << 20))
			before = worker_rss_kib();
		for (int mp = 0; mp < 2; mp++) {
			snprintf(path, sizeof(path), "/storage/files/round/%s/%zu.bin",
			    mp ? "mp" : "raw", sizes[i]);
			ck_assert_msg(upload(path, alice, file, mp, "application/octet-stream",
			                  NULL, &r) == 201,
			    "%s: %ld %s", path, r.status, r.body);
			ck_assert_msg(strstr(r.body, sha) != NULL, "etag of %s: %s", path, r.body);
			http_resp_free(&r);
			expect_download(path, alice, sha, sizes[i]);
		}
		if (sizes[i] == (200u << 20)) {
			after = worker_rss_kib();
			ck_assert_msg(after - before < 2048, "worker RSS grew from %ld to %ld KiB",
			    before, after);
		}
		unlink(file);
	}
}
END_TEST

START_TEST(test_headers_ranges_conditionals)
{
	char sha[65], *file = make_file("ranges.bin", 1000, sha), quoted[80], *v;
	struct http_resp r;
	char got[65];
	uint64_t n;
	const char *p = "/storage/files/ranges.bin";

	tokens();
	ensure_bucket("files", "{}");
	ck_assert_int_eq(upload(p, alice, file, false, "application/x-test",
	                     "Cache-Control: max-age=60", &r),
	    201);
	http_resp_free(&r);
	http_download("HEAD", api_url(p), headers(alice, NULL, NULL), got, &n, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_uint_eq(n, 0);
	snprintf(quoted, sizeof(quoted), "\"%s\"", sha);
	ck_assert_str_eq((v = http_header(&r, "ETag")), quoted);
	free(v);
	ck_assert_str_eq((v = http_header(&r, "Content-Length")), "1000");
	free(v);
	ck_assert_str_eq((v = http_header(&r, "Content-Type")), "application/x-test");
	free(v);
	ck_assert_str_eq((v = http_header(&r, "Cache-Control")), "max-age=60");
	free(v);
	ck_assert_str_eq((v = http_header(&r, "Accept-Ranges")), "bytes");
	free(v);
	ck_assert_ptr_nonnull((v = http_header(&r, "Last-Modified")));
	free(v);
	http_resp_free(&r);

	{
		static const struct {
			const char *range, *content_range;
			long status;
			uint64_t len;
		} cases[] = {
			{ "Range: bytes=0-9", "bytes 0-9/1000", 206, 10 },
			{ "Range: bytes=100-199", "bytes 100-199/1000", 206, 100 },
			{ "Range: bytes=-10", "bytes 990-999/1000", 206, 10 },
			{ "Range: bytes=995-", "bytes 995-999/1000", 206, 5 },
			{ "Range: bytes=990-5000", "bytes 990-999/1000", 206, 10 },
			{ "Range: bytes=1000-", "bytes */1000", 416, 0 },
			{ "Range: bytes=9-1", "bytes */1000", 416, 0 },
			{ "Range: items=0-1", "bytes */1000", 416, 0 },
		};

		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			http_download("GET", api_url(p), headers(alice, cases[i].range, NULL), got,
			    &n, &r);
			ck_assert_msg(r.status == cases[i].status, "%s: %ld", cases[i].range,
			    r.status);
			ck_assert_str_eq((v = http_header(&r, "Content-Range")),
			    cases[i].content_range);
			free(v);
			if (cases[i].status == 206)
				ck_assert_uint_eq(n, cases[i].len);
			http_resp_free(&r);
		}
	}
	/* The middle range is the right bytes. */
	{
		FILE *f = fopen(file, "rb");
		unsigned char buf[100], digest[32];
		char want[65];

		ck_assert_int_eq(fseek(f, 100, SEEK_SET), 0);
		ck_assert_uint_eq(fread(buf, 1, 100, f), 100);
		fclose(f);
		crypto_hash_sha256(digest, buf, 100);
		sodium_bin2hex(want, sizeof(want), digest, sizeof(digest));
		http_download("GET", api_url(p), headers(alice, "Range: bytes=100-199", NULL), got,
		    &n, &r);
		ck_assert_str_eq(got, want);
		http_resp_free(&r);
	}
	{
		char inm[120];

		snprintf(inm, sizeof(inm), "If-None-Match: \"other\", %s", quoted);
		http_download("GET", api_url(p), headers(alice, inm, NULL), got, &n, &r);
		ck_assert_int_eq(r.status, 304);
		ck_assert_uint_eq(n, 0);
		http_resp_free(&r);
		http_download("GET", api_url(p), headers(alice, "If-None-Match: \"other\"", NULL),
		    got, &n, &r);
		ck_assert_int_eq(r.status, 200);
		http_resp_free(&r);
		http_download("GET", api_url(p),
		    headers(alice, "If-Modified-Since: Fri, 01 Jan 2100 00:00:00 GMT", NULL), got,
		    &n, &r);
		ck_assert_int_eq(r.status, 304);
		http_resp_free(&r);
		http_download("GET", api_url(p),
		    headers(alice, "If-Modified-Since: Thu, 01 Jan 1970 00:00:00 GMT", NULL), got,
		    &n, &r);
		ck_assert_int_eq(r.status, 200);
		http_resp_free(&r);
	}
	/* A file name with quotes and non-ASCII letters (RFC 6266). */
	http_download("GET",
	    api_url("/storage/files/ranges.bin?download=na%22me%20%C3%A9t%C3%A9.bin"),
	    headers(alice, NULL, NULL), got, &n, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq((v = http_header(&r, "Content-Disposition")),
	    "attachment; filename=\"na_me __t__.bin\"; filename*=UTF-8''na%22me%20%C3%A9t%C3%A9.bin");
	free(v);
	http_resp_free(&r);
	http_download("GET", api_url("/storage/files/ranges.bin?download"),
	    headers(alice, NULL, NULL), got, &n, &r);
	ck_assert_str_eq((v = http_header(&r, "Content-Disposition")),
	    "attachment; filename=\"ranges.bin\"; filename*=UTF-8''ranges.bin");
	free(v);
	http_resp_free(&r);
	unlink(file);
}
END_TEST

START_TEST(test_policies)
{
	char sha[65], *file = make_file("policy.bin", 5000, sha), got[65];
	struct http_resp r;
	uint64_t n;

	tokens();
	ensure_bucket("private", "{\"public\":false}");
	ensure_bucket("public", "{\"public\":true}");
	ck_assert_int_eq(upload("/storage/private/alice/doc.bin", alice, file, false, NULL, NULL,
	                     &r),
	    201);
	ck_assert_ptr_nonnull(strstr(r.body, ALICE));
	http_resp_free(&r);
	ck_assert_int_eq(upload("/storage/public/alice/pic.bin", alice, file, false, NULL, NULL,
	                     &r),
	    201);
	http_resp_free(&r);

	/* Bob: cannot read, list, overwrite or delete Alice's object. */
	ck_assert_int_eq(status("GET", "/storage/private/alice/doc.bin", bob, NULL), 404);
	ck_assert_int_eq(status("HEAD", "/storage/private/alice/doc.bin", bob, NULL), 404);
	call(&r, "GET", "/storage/private?prefix=alice/", bob, NULL, NULL);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(r.body, "[]");
	http_resp_free(&r);
	ck_assert_int_eq(upload("/storage/private/alice/doc.bin", bob, file, false, NULL,
	                     "X-Upsert: true", &r),
	    403);
	http_resp_free(&r);
	ck_assert_int_eq(upload("/storage/private/alice/doc.bin", bob, file, false, NULL, NULL, &r),
	    409);
	http_resp_free(&r);
	ck_assert_int_eq(status("DELETE", "/storage/private/alice/doc.bin", bob, NULL), 404);
	expect_download("/storage/private/alice/doc.bin", alice, sha, 5000);
	/* Anonymous callers: public bucket yes, private no, uploads never. */
	expect_download("/storage/public/alice/pic.bin", NULL, sha, 5000);
	ck_assert_int_eq(status("GET", "/storage/private/alice/doc.bin", NULL, NULL), 404);
	ck_assert_int_eq(upload("/storage/public/anon.bin", NULL, file, false, NULL, NULL, &r),
	    401);
	http_resp_free(&r);
	/* The service role sees everything. */
	call(&r, "GET", "/storage/private", service, NULL, NULL);
	ck_assert_ptr_nonnull(strstr(r.body, "alice/doc.bin"));
	http_resp_free(&r);
	/* A policy written in SQL changes the answer at once, no restart. */
	{
		char cmd[1024];

		snprintf(cmd, sizeof(cmd),
		    "\"%s\" \"%s\" psql -q -c \"CREATE POLICY shared_read ON"
		    " storage.objects FOR SELECT TO authenticated USING (bucket_id = 'private' AND key"
		    " LIKE 'alice/%%')\"",
		    getenv("FB_STACK"), getenv("FB_STACK_DIR"));
		ck_assert_int_eq(system(cmd), 0);
		expect_download("/storage/private/alice/doc.bin", bob, sha, 5000);
		snprintf(cmd, sizeof(cmd),
		    "\"%s\" \"%s\" psql -q -c \"DROP POLICY shared_read ON"
		    " storage.objects\"",
		    getenv("FB_STACK"), getenv("FB_STACK_DIR"));
		ck_assert_int_eq(system(cmd), 0);
	}
	ck_assert_int_eq(status("GET", "/storage/private/alice/doc.bin", bob, NULL), 404);
	/* Alice deletes her own. */
	ck_assert_int_eq(status("DELETE", "/storage/public/alice/pic.bin", alice, NULL), 204);
	http_download("GET", api_url("/storage/public/alice/pic.bin"), headers(NULL, NULL, NULL),
	    got, &n, &r);
	ck_assert_int_eq(r.status, 404);
	http_resp_free(&r);
	unlink(file);
}
END_TEST

START_TEST(test_limits_and_types)
{
	char sha[65], *big = strdup(make_file("limit.bin", 2000, sha)), *small;
	char sha_small[65];
	struct http_resp r;

	tokens();
	ensure_bucket("small",
	    "{\"file_size_limit\":1000,\"allowed_mime_types\":[\"image/*\",\"text/plain\"]}");
	small = strdup(make_file("small.bin", 500, sha_small));
	ck_assert_int_eq(upload("/storage/small/big.png", alice, big, false, "image/png", NULL, &r),
	    413);
	assert_error(&r, 413, "PAYLOAD_TOO_LARGE");
	http_resp_free(&r);
	/* Without a length up front (chunked): stopped at the limit all the same. */
	ck_assert_int_eq(upload("/storage/small/big2.png", alice, big, false, "image/png",
	                     "Transfer-Encoding: chunked", &r),
	    413);
	http_resp_free(&r);
	ck_assert_int_eq(upload("/storage/small/big3.png", alice, big, true, "image/png", NULL, &r),
	    413);
	http_resp_free(&r);
	ck_assert_int_eq(upload("/storage/small/doc.zip", alice, small, false, "application/zip",
	                     NULL, &r),
	    415);
	assert_error(&r, 415, "UNSUPPORTED_MEDIA_TYPE");
	http_resp_free(&r);
	ck_assert_int_eq(upload("/storage/small/doc2.zip", alice, small, true, "application/zip",
	                     NULL, &r),
	    415);
	http_resp_free(&r);
	ck_assert_int_eq(upload("/storage/small/ok.png", alice, small, false, "image/png", NULL,
	                     &r),
	    201);
	http_resp_free(&r);
	ck_assert_int_eq(upload("/storage/small/ok.txt", alice, small, true, "text/plain", NULL,
	                     &r),
	    201);
	ck_assert_ptr_nonnull(strstr(r.body, "text/plain"));
	http_resp_free(&r);
	/* Nothing of the refused ones is left: no row, no blob, no temp file. */
	call(&r, "GET", "/storage/small", service, NULL, NULL);
	ck_assert_ptr_null(strstr(r.body, "big"));
	ck_assert_ptr_null(strstr(r.body, "doc"));
	http_resp_free(&r);
	ck_assert_int_eq(tmp_files(), 0);
	ck_assert_int_eq(gc("--check"), 0);
	unlink(big);
	unlink(small);
	free(big);
	free(small);
}
END_TEST

/* Sends headers and part of a body straight to nginx, then hangs up. */
static void
partial_upload(const char *path, const char *token, size_t announced, size_t sent, int hold_ms)
{
	char req[4096], chunk[8192];
	int fd = nginx_connect();

	snprintf(req, sizeof(req),
	    "POST /api/v1%s HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n"
	    "Content-Type: application/octet-stream\r\nContent-Length: %zu\r\n\r\n",
	    path, token, announced);
	ck_assert_int_gt(write(fd, req, strlen(req)), 0);
	memset(chunk, 'z', sizeof(chunk));
	for (size_t done = 0; done < sent; done += sizeof(chunk))
		if (write(fd, chunk, sizeof(chunk)) < 0)
			break;
	sleep_ms(hold_ms);
	close(fd);
}

START_TEST(test_atomicity)
{
	char sha1[65], sha2[65], *v1, *v2;
	struct http_resp r;
	pid_t workers[16];
	int n;

	tokens();
	ensure_bucket("atomic", "{\"file_size_limit\":3000000}");
	/* A client that hangs up mid-body leaves nothing. */
	partial_upload("/storage/atomic/aborted.bin", alice, 2000000, 500000, 300);
	sleep_ms(500);
	ck_assert_int_eq(status("GET", "/storage/atomic/aborted.bin", alice, NULL), 404);
	ck_assert_int_eq(tmp_files(), 0);

	/* A worker killed mid-upload leaves at most a temp file, which gc sweeps. */
	{
		pid_t child = fork();

		if (child == 0) {
			partial_upload("/storage/atomic/killed.bin", alice, 2000000, 600000, 3000);
			_exit(0);
		}
		sleep_ms(1000);
		n = worker_pids(workers, 16);
		for (int i = 0; i < n; i++)
			kill(workers[i], SIGKILL);
		waitpid(child, NULL, 0);
	}
	sleep_ms(1000);
	ck_assert_int_eq(status("GET", "/storage/atomic/killed.bin", alice, NULL), 404);
	ck_assert_int_eq(gc("--min-age 0"), 0);
	ck_assert_int_eq(tmp_files(), 0);
	ck_assert_int_eq(gc("--check"), 0);

	/* A replace that fails keeps the old object whole. */
	v1 = strdup(make_file("v1.bin", 100000, sha1));
	v2 = strdup(make_file("v2.bin", 3500000, sha2));
	ck_assert_int_eq(upload("/storage/atomic/keep.bin", alice, v1, false, NULL, NULL, &r), 201);
	http_resp_free(&r);
	ck_assert_int_eq(upload("/storage/atomic/keep.bin", alice, v2, false, NULL,
	                     "X-Upsert: true", &r),
	    413);
	http_resp_free(&r);
	expect_download("/storage/atomic/keep.bin", alice, sha1, 100000);
	/* And a replace that succeeds swaps it whole, the old blob gone. */
	make_file("v3.bin", 2000, sha2);
	ck_assert_int_eq(upload("/storage/atomic/keep.bin", alice, make_file("v3.bin", 2000, sha2),
	                     false, NULL, "X-Upsert: true", &r),
	    201);
	http_resp_free(&r);
	expect_download("/storage/atomic/keep.bin", alice, sha2, 2000);
	ck_assert_int_eq(gc("--check"), 0);
	unlink(v1);
	unlink(v2);
	free(v1);
	free(v2);
}
END_TEST

/* GET path, read about `keep` bytes of the answer, hang up. */
static void
partial_download(const char *path, const char *token, size_t keep)
{
	char req[4096], buf[16384];
	int fd = nginx_connect();
	size_t got = 0;

	snprintf(req, sizeof(req),
	    "GET /api/v1%s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	    "Authorization: Bearer %s\r\n\r\n",
	    path, token);
	ck_assert_int_gt(write(fd, req, strlen(req)), 0);
	while (got < keep) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n <= 0)
			break;
		got += (size_t)n;
	}
	ck_assert_uint_ge(got, keep);
	close(fd);
}

START_TEST(test_download_client_hangs_up)
{
	char sha[65], *file;
	struct http_resp r;

	tokens();
	ensure_bucket("hangup", "{}");
	/* Larger than what nginx buffers and the socket holds: the worker is
	 * still sending when the client goes. */
	file = make_file("hangup.bin", 12 * 1024 * 1024, sha);
	ck_assert_int_eq(upload("/storage/hangup/big.bin", alice, file, false, NULL, NULL, &r),
	    201);
	http_resp_free(&r);
	for (int i = 0; i < 4; i++)
		partial_download("/storage/hangup/big.bin", alice, 100000);
	/* The worker saw the hang-up and went on with its loop (its line is
	 * written after the answer failed; a worker killed by the broken pipe
	 * would write none), and the next downloads are whole and exact. */
	ck_assert(log_contains("/api/v1/storage/hangup/big.bin (request"));
	for (int i = 0; i < 3; i++)
		expect_download("/storage/hangup/big.bin", alice, sha, 12 * 1024 * 1024);
	unlink(file);
}
END_TEST

START_TEST(test_signed_urls)
{
	char sha[65], *file = make_file("signed.bin", 3000, sha), url[1024], got[65];
	struct http_resp r;
	struct json_object *o;
	uint64_t n;

	tokens();
	ensure_bucket("private", "{}");
	ck_assert_int_eq(upload("/storage/private/alice/signed.bin", alice, file, false, NULL, NULL,
	                     &r),
	    201);
	http_resp_free(&r);
	call(&r, "POST", "/storage/private/alice/signed.bin/signed-url", alice,
	    "{\"expires_in\":2}", NULL);
	ck_assert_int_eq(r.status, 200);
	o = json_body(&r);
	snprintf(url, sizeof(url), "%s", jstr(o, "signed_url"));
	ck_assert_int_eq(atoi(jstr(o, "expires_in")), 2);
	json_object_put(o);
	http_resp_free(&r);
	/* No bearer needed. */
	http_download("GET", url, NULL, got, &n, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(got, sha);
	http_resp_free(&r);
	http_download("HEAD", url, NULL, got, &n, &r);
	ck_assert_int_eq(r.status, 200);
	http_resp_free(&r);
	/* Another key, a flipped byte. */
	{
		char other[1024], *q = strstr(url, "?token=");

		snprintf(other, sizeof(other), "%s/storage/private/alice/other.bin%s",
		    getenv("FB_URL"), q);
		http_download("GET", other, NULL, got, &n, &r);
		ck_assert_int_eq(r.status, 401);
		http_resp_free(&r);
		snprintf(other, sizeof(other), "%s", url);
		other[strlen(other) - 3] = other[strlen(other) - 3] == 'A' ? 'B' : 'A';
		http_do("GET", other, NULL, NULL, 0, &r);
		assert_error(&r, 401, "INVALID_SIGNATURE");
		http_resp_free(&r);
	}
	sleep_ms(3200);
	http_do("GET", url, NULL, NULL, 0, &r);
	assert_error(&r, 401, "INVALID_SIGNATURE");
	http_resp_free(&r);
	/* Only someone who may read it gets one. */
	ck_assert_int_eq(status("POST", "/storage/private/alice/signed.bin/signed-url", bob, "{}"),
	    404);
	ck_assert_int_eq(status("POST", "/storage/private/alice/signed.bin/signed-url", alice,
	                     "{\"expires_in\":99999999}"),
	    400);
	unlink(file);
}
END_TEST

START_TEST(test_hostile_keys)
{
	static const char *keys[] = {
		"/storage/files/%2e%2e/etc/passwd",
		"/storage/files/a/%2E%2E/%2e%2e/b",
		"/storage/files/a%00b",
		"/storage/files/a%5Cb",
		"/storage/files/a%01b",
		"/storage/files/a%2F%2Fb",
		"/storage/files/%2Fabs",
		"/storage/files/a/%2E/b",
		"/storage/files/a/b%2F",
		"/storage/files/bad%FF.bin",
		"/storage/Bad_Bucket/x",
		"/storage/b/x",
	};
	char key[2300];
	struct http_resp r;

	tokens();
	ensure_bucket("files", "{}");
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		call(&r, "POST", keys[i], alice, "data", NULL);
		ck_assert_msg(r.status == 400, "%s: %ld %s", keys[i], r.status, r.body);
		ck_assert_ptr_nonnull(strstr(r.body, "\"code\""));
		http_resp_free(&r);
	}
	/* A key ending in /signed-url is never an upload: it asks for a signed
	 * URL of "x", which does not exist (decided before the body is read). */
	call(&r, "POST", "/storage/files/x/signed-url", alice, "data", NULL);
	assert_error(&r, 404, "NOT_FOUND");
	http_resp_free(&r);
	strcpy(key, "/storage/files/");
	memset(key + strlen(key), 'k', 2048);
	key[15 + 2048] = '\0';
	call(&r, "POST", key, alice, "data", NULL);
	assert_error(&r, 400, "INVALID_KEY");
	http_resp_free(&r);
	/* nginx itself refuses paths that climb out. */
	call(&r, "POST", "/storage/files/a/../../../b", alice, "data", NULL);
	ck_assert_int_eq(r.status, 400);
	http_resp_free(&r);
	/* Nothing outside the storage root: only blobs and tmp under it. */
	{
		char cmd[1024];

		snprintf(cmd, sizeof(cmd),
		    "test -z \"$(find '%s/storage' -mindepth 1 -maxdepth 1 ! -name"
		    " blobs ! -name tmp)\" && ! find / -xdev -name passwd -newer '%s/fluxbase.conf' 2>/dev/null"
		    " | grep -q .",
		    getenv("FB_STACK_DIR"), getenv("FB_STACK_DIR"));
		ck_assert_int_eq(system(cmd), 0);
	}
}
END_TEST

START_TEST(test_buckets)
{
	struct http_resp r;

	tokens();
	call(&r, "POST", "/storage/buckets/newbucket", service,
	    "{\"public\":true,\"file_size_limit\":100}", NULL);
	ck_assert_int_eq(r.status, 201);
	ck_assert_ptr_nonnull(strstr(r.body, "\"name\" : \"newbucket\""));
	http_resp_free(&r);
	call(&r, "POST", "/storage/buckets/newbucket", service, NULL, NULL);
	assert_error(&r, 409, "ALREADY_EXISTS");
	http_resp_free(&r);
	ck_assert_int_eq(status("POST", "/storage/buckets/Bad!", service, NULL), 400);
	ck_assert_int_eq(status("POST", "/storage/buckets/buckets", service, NULL), 400);
	ck_assert_int_eq(status("POST", "/storage/buckets/x1", alice, NULL), 403);
	ck_assert_int_eq(status("POST", "/storage/buckets/x1", NULL, NULL), 401);
	ck_assert_int_eq(status("POST", "/storage/buckets/x1", service, "{\"colour\":1}"), 400);
	/* Listing: everyone sees public buckets, the service role all. */
	call(&r, "GET", "/storage/buckets", NULL, NULL, NULL);
	ck_assert_ptr_nonnull(strstr(r.body, "newbucket"));
	ck_assert_ptr_null(strstr(r.body, "\"private\""));
	http_resp_free(&r);
	call(&r, "GET", "/storage/buckets", service, NULL, NULL);
	ck_assert_ptr_nonnull(strstr(r.body, "\"private\""));
	http_resp_free(&r);
	ck_assert_int_eq(status("POST", "/storage/newbucket/one.txt", alice, "x"), 201);
	call(&r, "DELETE", "/storage/buckets/newbucket", service, NULL, NULL);
	assert_error(&r, 409, "BUCKET_NOT_EMPTY");
	http_resp_free(&r);
	ck_assert_int_eq(status("DELETE", "/storage/buckets/newbucket", alice, NULL), 403);
	ck_assert_int_eq(status("DELETE", "/storage/newbucket/one.txt", alice, NULL), 204);
	ck_assert_int_eq(status("DELETE", "/storage/buckets/newbucket", service, NULL), 204);
	ck_assert_int_eq(status("DELETE", "/storage/buckets/newbucket", service, NULL), 404);
	ck_assert_int_eq(status("GET", "/storage/newbucket", service, NULL), 404);
	ck_assert_int_eq(status("GET", "/storage/files?limit=5000", service, NULL), 400);
}
END_TEST

START_TEST(test_offload_x_accel_redirect)
{
	char sha[65], *file = make_file("offload.bin", 300000, sha), out[8192], cmd[2048];
	struct http_resp r;
	FILE *p;
	size_t n;

	tokens();
	ensure_bucket("public", "{\"public\":true}");
	ck_assert_int_eq(upload("/storage/public/offload.bin", alice, file, false, NULL,
	                     "X-Upsert: true", &r),
	    201);
	http_resp_free(&r);
	stack_set("storage", "offload", "x-accel-redirect");
	/* The worker answers with the header only... */
	snprintf(cmd, sizeof(cmd),
	    "env -i REQUEST_METHOD=GET REQUEST_URI=/api/v1/storage/public/offload.bin"
	    " cgi-fcgi -bind -connect '%s/run/fluxbase.sock'",
	    getenv("FB_STACK_DIR"));
	p = popen(cmd, "r");
	n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	pclose(p);
	ck_assert_msg(strstr(out, "X-Accel-Redirect: /_fluxbase_blobs/") != NULL, "%s", out);
	ck_assert_uint_lt(n, 2000);
	/* ...and nginx sends the bytes, with the object's own strong ETag
	 * (its content's SHA-256), as when the worker streams them. */
	expect_download("/storage/public/offload.bin", NULL, sha, 300000);
	{
		char got[65], quoted[80], *v;
		uint64_t len;

		http_download("GET", api_url("/storage/public/offload.bin"),
		    headers(NULL, NULL, NULL), got, &len, &r);
		snprintf(quoted, sizeof(quoted), "\"%s\"", sha);
		ck_assert_str_eq((v = http_header(&r, "ETag")), quoted);
		free(v);
		http_resp_free(&r);
	}
	/* The internal location cannot be asked for directly. */
	{
		char path[512];

		snprintf(path, sizeof(path), "%s/_fluxbase_blobs/", getenv("FB_BASE"));
		http_do("GET", path, NULL, NULL, 0, &r);
		ck_assert_int_eq(r.status, 404);
		http_resp_free(&r);
	}
	stack_set("storage", "offload", "off");
	expect_download("/storage/public/offload.bin", NULL, sha, 300000);
	unlink(file);
}
END_TEST

static unsigned long long
public_cache_hits(void)
{
	struct http_resp r;
	const char *name = "\nfluxbase_storage_public_cache_hits_total ", *p;
	unsigned long long n;

	ck_assert_int_eq(call(&r, "GET", "/metrics", service, NULL, NULL), 200);
	p = strstr(r.body, name);
	ck_assert_ptr_nonnull(p);
	n = strtoull(p + strlen(name), NULL, 10);
	http_resp_free(&r);
	return n;
}

/* An anonymous GET of path until it answers want (and, when given, with
 * that Content-Type), for at most ms; the status it last got. */
static long
anon_get_until(const char *path, long want, const char *type, long ms)
{
	struct http_resp r;
	long st = 0;

	for (long waited = 0; waited <= ms; waited += 100) {
		char *v;
		bool ok;

		st = call(&r, "GET", path, NULL, NULL, NULL);
		v = http_header(&r, "Content-Type");
		ok = st == want && (type == NULL || (v != NULL && strcmp(v, type) == 0));
		free(v);
		http_resp_free(&r);
		if (ok)
			return st;
		sleep_ms(100);
	}
	return st;
}

START_TEST(test_public_cache)
{
	char sha[65], *file = make_file("cached.bin", 5000, sha);
	const char *path = "/storage/public/cached.bin";
	unsigned long long hits;
	struct http_resp r;

	tokens();
	ensure_bucket("public", "{\"public\":true}");
	ck_assert_int_eq(upload(path, alice, file, false, "text/x-one", "X-Upsert: true", &r), 201);
	http_resp_free(&r);
	stack_set("storage", "public_cache_ttl", "60");
	/* Anonymous downloads come from the workers' caches after the first. */
	hits = public_cache_hits();
	for (int i = 0; i < 10; i++)
		expect_download(path, NULL, sha, 5000);
	ck_assert_uint_ge(public_cache_hits(), hits + 5);
	/* A signed-in caller never uses it. */
	hits = public_cache_hits();
	for (int i = 0; i < 4; i++)
		expect_download(path, alice, sha, 5000);
	ck_assert_uint_eq(public_cache_hits(), hits);
	/* Deleting the object, or taking the policy away, shows at once
	 * (well within the 60 s the entries may live). */
	ck_assert_int_eq(status("DELETE", path, alice, NULL), 204);
	ck_assert_int_eq(anon_get_until(path, 404, NULL, 2000), 404);
	ck_assert_int_eq(upload(path, alice, file, false, "text/x-two", NULL, &r), 201);
	http_resp_free(&r);
	ck_assert_int_eq(anon_get_until(path, 200, "text/x-two", 2000), 200);
	ck_assert_int_eq(stack_cmd("psql -q -c 'ALTER POLICY objects_public_read ON storage.objects"
	                           " USING (false)'"),
	    0);
	ck_assert_int_eq(anon_get_until(path, 404, NULL, 2000), 404);
	ck_assert_int_eq(
	    stack_cmd(
	        "psql -q -c 'ALTER POLICY objects_public_read ON storage.objects"
	        " USING (EXISTS (SELECT 1 FROM storage.buckets b WHERE b.id = bucket_id AND b.public))'"),
	    0);
	ck_assert_int_eq(anon_get_until(path, 200, "text/x-two", 2000), 200);
	/* What no trigger sees (here: triggers off) lasts the entry's
	 * lifetime at most. */
	stack_set("storage", "public_cache_ttl", "1");
	for (int i = 0; i < 4; i++)
		expect_download(path, NULL, sha, 5000);
	ck_assert_int_eq(
	    stack_cmd(
	        "psql -q -c \"SET session_replication_role = replica;"
	        " UPDATE storage.objects SET content_type = 'text/x-three' WHERE bucket_id = 'public'"
	        " AND key = 'cached.bin'\""),
	    0);
	ck_assert_int_eq(anon_get_until(path, 200, "text/x-three", 2500), 200);
	stack_set("storage", "public_cache_ttl", "0");
	hits = public_cache_hits();
	for (int i = 0; i < 4; i++)
		expect_download(path, NULL, sha, 5000);
	ck_assert_uint_eq(public_cache_hits(), hits);
	unlink(file);
}
END_TEST

START_TEST(test_signed_out_token_refused_on_storage)
{
	struct http_resp r;
	struct json_object *o;
	char access[2048], auth[2100];
	const char *h[3];

	tokens();
	h[0] = "X-Forwarded-For: 10.9.9.9";
	h[1] = NULL;
	{
		static const char body[] =
		    "{\"email\":\"storage-user@example.com\",\"password\":\"correct horse battery\"}";

		http_do("POST", api_url("/auth/signup"), h, body, sizeof(body) - 1, &r);
	}
	ck_assert_int_eq(r.status, 201);
	o = json_body(&r);
	snprintf(access, sizeof(access), "%s", jstr(o, "access_token"));
	json_object_put(o);
	http_resp_free(&r);
	ensure_bucket("public", "{\"public\":true}");
	ck_assert_int_eq(status("POST", "/storage/public/su.txt", access, "hello"), 201);
	ck_assert_int_eq(status("POST", "/auth/signout", access, NULL), 200);
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", access);
	h[0] = auth;
	http_do("GET", api_url("/storage/buckets"), h, NULL, 0, &r);
	assert_error(&r, 401, "INVALID_TOKEN");
	http_resp_free(&r);
	ck_assert_int_eq(status("DELETE", "/storage/public/su.txt", access, NULL), 401);
	ck_assert_int_eq(status("POST", "/storage/public/su2.txt", access, "x"), 401);
}
END_TEST

/* Last: every row has its blob, every blob its row. */
START_TEST(test_consistency)
{
	ck_assert_int_eq(gc("--min-age 0"), 0);
	ck_assert_int_eq(gc("--check"), 0);
}
END_TEST

TCase *
storage_tcase(void)
{
	TCase *tc = tcase_create("storage");

	tcase_add_test(tc, test_round_trips_and_memory);
	tcase_add_test(tc, test_headers_ranges_conditionals);
	tcase_add_test(tc, test_policies);
	tcase_add_test(tc, test_limits_and_types);
	tcase_add_test(tc, test_atomicity);
	tcase_add_test(tc, test_signed_urls);
	tcase_add_test(tc, test_download_client_hangs_up);
	tcase_add_test(tc, test_hostile_keys);
	tcase_add_test(tc, test_buckets);
	tcase_add_test(tc, test_offload_x_accel_redirect);
	tcase_add_test(tc, test_public_cache);
	tcase_add_test(tc, test_signed_out_token_refused_on_storage);
	tcase_add_test(tc, test_consistency);
	return tc;
}
