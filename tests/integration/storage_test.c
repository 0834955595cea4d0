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
#include "storage_client.h"
#include "suites.h"

START_TEST(test_round_trips_and_memory)
{
	static const size_t sizes[] = { 0, 1, 1 << 20, 200u << 20 };
	char sha[65], path[256], *file;
	struct http_resp r;
	long before = 0, after;

	sto_tokens();
	sto_ensure_bucket("files", "{\"public\":false}");
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		char name[64];

		snprintf(name, sizeof(name), "data-%zu.bin", sizes[i]);
		file = sto_make_file(name, sizes[i], sha);
		if (sizes[i] == (200u << 20))
			before = sto_worker_rss_kib();
		for (int mp = 0; mp < 2; mp++) {
			snprintf(path, sizeof(path), "/storage/files/round/%s/%zu.bin",
			    mp ? "mp" : "raw", sizes[i]);
			ck_assert_msg(sto_upload(path, sto_alice, file, mp,
			                  "application/octet-stream", NULL, &r) == 201,
			    "%s: %ld %s", path, r.status, r.body);
			ck_assert_msg(strstr(r.body, sha) != NULL, "etag of %s: %s", path, r.body);
			http_resp_free(&r);
			sto_expect_download(path, sto_alice, sha, sizes[i]);
		}
		if (sizes[i] == (200u << 20)) {
			after = sto_worker_rss_kib();
			ck_assert_msg(after - before < sto_rss_bound_kib(),
			    "worker RSS grew from %ld to %ld KiB", before, after);
		}
		unlink(file);
	}
}
END_TEST

START_TEST(test_headers_ranges_conditionals)
{
	char sha[65], *file = sto_make_file("ranges.bin", 1000, sha), quoted[80], *v;
	struct http_resp r;
	char got[65];
	uint64_t n;
	const char *p = "/storage/files/ranges.bin";

	sto_tokens();
	sto_ensure_bucket("files", "{}");
	ck_assert_int_eq(sto_upload(p, sto_alice, file, false, "application/x-test",
	                     "Cache-Control: max-age=60", &r),
	    201);
	http_resp_free(&r);
	http_download("HEAD", api_url(p), sto_headers(sto_alice, NULL, NULL), got, &n, &r);
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
			http_download("GET", api_url(p),
			    sto_headers(sto_alice, cases[i].range, NULL), got, &n, &r);
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
		http_download("GET", api_url(p),
		    sto_headers(sto_alice, "Range: bytes=100-199", NULL), got, &n, &r);
		ck_assert_str_eq(got, want);
		http_resp_free(&r);
	}
	{
		char inm[120];

		snprintf(inm, sizeof(inm), "If-None-Match: \"other\", %s", quoted);
		http_download("GET", api_url(p), sto_headers(sto_alice, inm, NULL), got, &n, &r);
		ck_assert_int_eq(r.status, 304);
		ck_assert_uint_eq(n, 0);
		http_resp_free(&r);
		http_download("GET", api_url(p),
		    sto_headers(sto_alice, "If-None-Match: \"other\"", NULL), got, &n, &r);
		ck_assert_int_eq(r.status, 200);
		http_resp_free(&r);
		http_download("GET", api_url(p),
		    sto_headers(sto_alice, "If-Modified-Since: Fri, 01 Jan 2100 00:00:00 GMT",
		        NULL),
		    got, &n, &r);
		ck_assert_int_eq(r.status, 304);
		http_resp_free(&r);
		http_download("GET", api_url(p),
		    sto_headers(sto_alice, "If-Modified-Since: Thu, 01 Jan 1970 00:00:00 GMT",
		        NULL),
		    got, &n, &r);
		ck_assert_int_eq(r.status, 200);
		http_resp_free(&r);
	}
	/* A file name with quotes and non-ASCII letters (RFC 6266). */
	http_download("GET",
	    api_url("/storage/files/ranges.bin?download=na%22me%20%C3%A9t%C3%A9.bin"),
	    sto_headers(sto_alice, NULL, NULL), got, &n, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq((v = http_header(&r, "Content-Disposition")),
	    "attachment; filename=\"na_me __t__.bin\"; filename*=UTF-8''na%22me%20%C3%A9t%C3%A9.bin");
	free(v);
	http_resp_free(&r);
	http_download("GET", api_url("/storage/files/ranges.bin?download"),
	    sto_headers(sto_alice, NULL, NULL), got, &n, &r);
	ck_assert_str_eq((v = http_header(&r, "Content-Disposition")),
	    "attachment; filename=\"ranges.bin\"; filename*=UTF-8''ranges.bin");
	free(v);
	http_resp_free(&r);
	unlink(file);
}
END_TEST

START_TEST(test_policies)
{
	char sha[65], *file = sto_make_file("policy.bin", 5000, sha), got[65];
	struct http_resp r;
	uint64_t n;

	sto_tokens();
	sto_ensure_bucket("private", "{\"public\":false}");
	sto_ensure_bucket("public", "{\"public\":true}");
	ck_assert_int_eq(sto_upload("/storage/private/alice/doc.bin", sto_alice, file, false, NULL,
	                     NULL, &r),
	    201);
	ck_assert_ptr_nonnull(strstr(r.body, ALICE));
	http_resp_free(&r);
	ck_assert_int_eq(sto_upload("/storage/public/alice/pic.bin", sto_alice, file, false, NULL,
	                     NULL, &r),
	    201);
	http_resp_free(&r);

	/* Bob: cannot read, list, overwrite or delete Alice's object. */
	ck_assert_int_eq(sto_status("GET", "/storage/private/alice/doc.bin", sto_bob, NULL), 404);
	ck_assert_int_eq(sto_status("HEAD", "/storage/private/alice/doc.bin", sto_bob, NULL), 404);
	sto_call(&r, "GET", "/storage/private?prefix=alice/", sto_bob, NULL, NULL);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(r.body, "[]");
	http_resp_free(&r);
	ck_assert_int_eq(sto_upload("/storage/private/alice/doc.bin", sto_bob, file, false, NULL,
	                     "X-Upsert: true", &r),
	    403);
	http_resp_free(&r);
	ck_assert_int_eq(sto_upload("/storage/private/alice/doc.bin", sto_bob, file, false, NULL,
	                     NULL, &r),
	    409);
	http_resp_free(&r);
	ck_assert_int_eq(sto_status("DELETE", "/storage/private/alice/doc.bin", sto_bob, NULL),
	    404);
	sto_expect_download("/storage/private/alice/doc.bin", sto_alice, sha, 5000);
	/* Anonymous callers: public bucket yes, private no, uploads never. */
	sto_expect_download("/storage/public/alice/pic.bin", NULL, sha, 5000);
	ck_assert_int_eq(sto_status("GET", "/storage/private/alice/doc.bin", NULL, NULL), 404);
	ck_assert_int_eq(sto_upload("/storage/public/anon.bin", NULL, file, false, NULL, NULL, &r),
	    401);
	http_resp_free(&r);
	/* The service role sees everything. */
	sto_call(&r, "GET", "/storage/private", sto_service, NULL, NULL);
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
		sto_expect_download("/storage/private/alice/doc.bin", sto_bob, sha, 5000);
		snprintf(cmd, sizeof(cmd),
		    "\"%s\" \"%s\" psql -q -c \"DROP POLICY shared_read ON"
		    " storage.objects\"",
		    getenv("FB_STACK"), getenv("FB_STACK_DIR"));
		ck_assert_int_eq(system(cmd), 0);
	}
	ck_assert_int_eq(sto_status("GET", "/storage/private/alice/doc.bin", sto_bob, NULL), 404);
	/* Alice deletes her own. */
	ck_assert_int_eq(sto_status("DELETE", "/storage/public/alice/pic.bin", sto_alice, NULL),
	    204);
	http_download("GET", api_url("/storage/public/alice/pic.bin"),
	    sto_headers(NULL, NULL, NULL), got, &n, &r);
	ck_assert_int_eq(r.status, 404);
	http_resp_free(&r);
	unlink(file);
}
END_TEST

START_TEST(test_limits_and_types)
{
	char sha[65], *big = strdup(sto_make_file("limit.bin", 2000, sha)), *small;
	char sha_small[65];
	struct http_resp r;

	sto_tokens();
	sto_ensure_bucket("small",
	    "{\"file_size_limit\":1000,\"allowed_mime_types\":[\"image/*\",\"text/plain\"]}");
	small = strdup(sto_make_file("small.bin", 500, sha_small));
	ck_assert_int_eq(sto_upload("/storage/small/big.png", sto_alice, big, false, "image/png",
	                     NULL, &r),
	    413);
	assert_error(&r, 413, "PAYLOAD_TOO_LARGE");
	http_resp_free(&r);
	/* Without a length up front (chunked): stopped at the limit all the same. */
	ck_assert_int_eq(sto_upload("/storage/small/big2.png", sto_alice, big, false, "image/png",
	                     "Transfer-Encoding: chunked", &r),
	    413);
	http_resp_free(&r);
	ck_assert_int_eq(sto_upload("/storage/small/big3.png", sto_alice, big, true, "image/png",
	                     NULL, &r),
	    413);
	http_resp_free(&r);
	ck_assert_int_eq(sto_upload("/storage/small/doc.zip", sto_alice, small, false,
	                     "application/zip", NULL, &r),
	    415);
	assert_error(&r, 415, "UNSUPPORTED_MEDIA_TYPE");
	http_resp_free(&r);
	ck_assert_int_eq(sto_upload("/storage/small/doc2.zip", sto_alice, small, true,
	                     "application/zip", NULL, &r),
	    415);
	http_resp_free(&r);
	ck_assert_int_eq(sto_upload("/storage/small/ok.png", sto_alice, small, false, "image/png",
	                     NULL, &r),
	    201);
	http_resp_free(&r);
	ck_assert_int_eq(sto_upload("/storage/small/ok.txt", sto_alice, small, true, "text/plain",
	                     NULL, &r),
	    201);
	ck_assert_ptr_nonnull(strstr(r.body, "text/plain"));
	http_resp_free(&r);
	/* Nothing of the refused ones is left: no row, no blob, no temp file. */
	sto_call(&r, "GET", "/storage/small", sto_service, NULL, NULL);
	ck_assert_ptr_null(strstr(r.body, "big"));
	ck_assert_ptr_null(strstr(r.body, "doc"));
	http_resp_free(&r);
	ck_assert_int_eq(sto_tmp_files(), 0);
	ck_assert_int_eq(sto_gc("--check"), 0);
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

	sto_tokens();
	sto_ensure_bucket("atomic", "{\"file_size_limit\":3000000}");
	/* A client that hangs up mid-body leaves nothing. */
	partial_upload("/storage/atomic/aborted.bin", sto_alice, 2000000, 500000, 300);
	sleep_ms(500);
	ck_assert_int_eq(sto_status("GET", "/storage/atomic/aborted.bin", sto_alice, NULL), 404);
	ck_assert_int_eq(sto_tmp_files(), 0);

	/* A worker killed mid-upload leaves at most a temp file, which gc sweeps. */
	{
		pid_t child = fork();

		if (child == 0) {
			partial_upload("/storage/atomic/killed.bin", sto_alice, 2000000, 600000,
			    3000);
			_exit(0);
		}
		sleep_ms(1000);
		n = worker_pids(workers, 16);
		for (int i = 0; i < n; i++)
			kill(workers[i], SIGKILL);
		waitpid(child, NULL, 0);
	}
	sleep_ms(1000);
	ck_assert_int_eq(sto_status("GET", "/storage/atomic/killed.bin", sto_alice, NULL), 404);
	ck_assert_int_eq(sto_gc("--min-age 0"), 0);
	ck_assert_int_eq(sto_tmp_files(), 0);
	ck_assert_int_eq(sto_gc("--check"), 0);

	/* A replace that fails keeps the old object whole. */
	v1 = strdup(sto_make_file("v1.bin", 100000, sha1));
	v2 = strdup(sto_make_file("v2.bin", 3500000, sha2));
	ck_assert_int_eq(sto_upload("/storage/atomic/keep.bin", sto_alice, v1, false, NULL, NULL,
	                     &r),
	    201);
	http_resp_free(&r);
	ck_assert_int_eq(sto_upload("/storage/atomic/keep.bin", sto_alice, v2, false, NULL,
	                     "X-Upsert: true", &r),
	    413);
	http_resp_free(&r);
	sto_expect_download("/storage/atomic/keep.bin", sto_alice, sha1, 100000);
	/* And a replace that succeeds swaps it whole, the old blob gone. */
	sto_make_file("v3.bin", 2000, sha2);
	ck_assert_int_eq(sto_upload("/storage/atomic/keep.bin", sto_alice,
	                     sto_make_file("v3.bin", 2000, sha2), false, NULL, "X-Upsert: true",
	                     &r),
	    201);
	http_resp_free(&r);
	sto_expect_download("/storage/atomic/keep.bin", sto_alice, sha2, 2000);
	ck_assert_int_eq(sto_gc("--check"), 0);
	unlink(v1);
	unlink(v2);
	free(v1);
	free(v2);
}
END_TEST

/* GET path, read about `keep` bytes of the answer, hang up. */
TCase *
storage_tcase(void)
{
	TCase *tc = tcase_create("storage");

	tcase_add_test(tc, test_round_trips_and_memory);
	tcase_add_test(tc, test_headers_ranges_conditionals);
	tcase_add_test(tc, test_policies);
	tcase_add_test(tc, test_limits_and_types);
	tcase_add_test(tc, test_atomicity);
	storage_delivery_tests(tc);
	return tc;
}
