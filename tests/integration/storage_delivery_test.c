/*
 * storage_delivery_test.c - the second half of the storage TCase: signed
 * URLs, a download the client hangs up on, hostile keys, buckets, offload
 * (x-accel-redirect) and the public cache, a signed-out token, and the
 * store's consistency at the end (storage_gc).  Its tests run in the
 * storage TCase after storage_test.c's, in this order.
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

	sto_tokens();
	sto_ensure_bucket("hangup", "{}");
	/* Larger than what nginx buffers and the socket holds: the worker is
	 * still sending when the client goes. */
	file = sto_make_file("hangup.bin", 12 * 1024 * 1024, sha);
	ck_assert_int_eq(sto_upload("/storage/hangup/big.bin", sto_alice, file, false, NULL, NULL,
	                     &r),
	    201);
	http_resp_free(&r);
	for (int i = 0; i < 4; i++)
		partial_download("/storage/hangup/big.bin", sto_alice, 100000);
	/* The worker saw the hang-up and went on with its loop (its line is
	 * written after the answer failed; a worker killed by the broken pipe
	 * would write none), and the next downloads are whole and exact. */
	ck_assert(log_contains("/api/v1/storage/hangup/big.bin (request"));
	for (int i = 0; i < 3; i++)
		sto_expect_download("/storage/hangup/big.bin", sto_alice, sha, 12 * 1024 * 1024);
	unlink(file);
}
END_TEST

START_TEST(test_signed_urls)
{
	char sha[65], *file = sto_make_file("signed.bin", 3000, sha), url[1024], got[65];
	struct http_resp r;
	struct json_object *o;
	uint64_t n;

	sto_tokens();
	sto_ensure_bucket("private", "{}");
	ck_assert_int_eq(sto_upload("/storage/private/alice/signed.bin", sto_alice, file, false,
	                     NULL, NULL, &r),
	    201);
	http_resp_free(&r);
	sto_call(&r, "POST", "/storage/private/alice/signed.bin/signed-url", sto_alice,
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
	ck_assert_int_eq(sto_status("POST", "/storage/private/alice/signed.bin/signed-url", sto_bob,
	                     "{}"),
	    404);
	ck_assert_int_eq(sto_status("POST", "/storage/private/alice/signed.bin/signed-url",
	                     sto_alice, "{\"expires_in\":99999999}"),
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

	sto_tokens();
	sto_ensure_bucket("files", "{}");
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		sto_call(&r, "POST", keys[i], sto_alice, "data", NULL);
		ck_assert_msg(r.status == 400, "%s: %ld %s", keys[i], r.status, r.body);
		ck_assert_ptr_nonnull(strstr(r.body, "\"code\""));
		http_resp_free(&r);
	}
	/* A key ending in /signed-url is never an upload: it asks for a signed
	 * URL of "x", which does not exist (decided before the body is read). */
	sto_call(&r, "POST", "/storage/files/x/signed-url", sto_alice, "data", NULL);
	assert_error(&r, 404, "NOT_FOUND");
	http_resp_free(&r);
	strcpy(key, "/storage/files/");
	memset(key + strlen(key), 'k', 2048);
	key[15 + 2048] = '\0';
	sto_call(&r, "POST", key, sto_alice, "data", NULL);
	assert_error(&r, 400, "INVALID_KEY");
	http_resp_free(&r);
	/* nginx itself refuses paths that climb out. */
	sto_call(&r, "POST", "/storage/files/a/../../../b", sto_alice, "data", NULL);
	ck_assert_int_eq(r.status, 400);
	http_resp_free(&r);
	/* Nothing outside the storage root: only blobs and tmp under it, and
	 * no passwd where the climbing key would have put it (not a search of
	 * the whole disk: suites running alongside write files named passwd,
	 * a chroot's, /etc's own when they add a user). */
	{
		char cmd[1024];

		snprintf(cmd, sizeof(cmd),
		    "test -z \"$(find '%s/storage' -mindepth 1 -maxdepth 1 ! -name"
		    " blobs ! -name tmp)\" && test ! -e '%s/etc/passwd'",
		    getenv("FB_STACK_DIR"), getenv("FB_STACK_DIR"));
		ck_assert_int_eq(system(cmd), 0);
	}
}
END_TEST

START_TEST(test_buckets)
{
	struct http_resp r;

	sto_tokens();
	sto_call(&r, "POST", "/storage/buckets/newbucket", sto_service,
	    "{\"public\":true,\"file_size_limit\":100}", NULL);
	ck_assert_int_eq(r.status, 201);
	ck_assert_ptr_nonnull(strstr(r.body, "\"name\" : \"newbucket\""));
	http_resp_free(&r);
	sto_call(&r, "POST", "/storage/buckets/newbucket", sto_service, NULL, NULL);
	assert_error(&r, 409, "ALREADY_EXISTS");
	http_resp_free(&r);
	ck_assert_int_eq(sto_status("POST", "/storage/buckets/Bad!", sto_service, NULL), 400);
	ck_assert_int_eq(sto_status("POST", "/storage/buckets/buckets", sto_service, NULL), 400);
	ck_assert_int_eq(sto_status("POST", "/storage/buckets/x1", sto_alice, NULL), 403);
	ck_assert_int_eq(sto_status("POST", "/storage/buckets/x1", NULL, NULL), 401);
	ck_assert_int_eq(sto_status("POST", "/storage/buckets/x1", sto_service, "{\"colour\":1}"),
	    400);
	/* Listing: everyone sees public buckets, the service role all. */
	sto_call(&r, "GET", "/storage/buckets", NULL, NULL, NULL);
	ck_assert_ptr_nonnull(strstr(r.body, "newbucket"));
	ck_assert_ptr_null(strstr(r.body, "\"private\""));
	http_resp_free(&r);
	sto_call(&r, "GET", "/storage/buckets", sto_service, NULL, NULL);
	ck_assert_ptr_nonnull(strstr(r.body, "\"private\""));
	http_resp_free(&r);
	ck_assert_int_eq(sto_status("POST", "/storage/newbucket/one.txt", sto_alice, "x"), 201);
	sto_call(&r, "DELETE", "/storage/buckets/newbucket", sto_service, NULL, NULL);
	assert_error(&r, 409, "BUCKET_NOT_EMPTY");
	http_resp_free(&r);
	ck_assert_int_eq(sto_status("DELETE", "/storage/buckets/newbucket", sto_alice, NULL), 403);
	ck_assert_int_eq(sto_status("DELETE", "/storage/newbucket/one.txt", sto_alice, NULL), 204);
	ck_assert_int_eq(sto_status("DELETE", "/storage/buckets/newbucket", sto_service, NULL),
	    204);
	ck_assert_int_eq(sto_status("DELETE", "/storage/buckets/newbucket", sto_service, NULL),
	    404);
	ck_assert_int_eq(sto_status("GET", "/storage/newbucket", sto_service, NULL), 404);
	ck_assert_int_eq(sto_status("GET", "/storage/files?limit=5000", sto_service, NULL), 400);
}
END_TEST

START_TEST(test_offload_x_accel_redirect)
{
	char sha[65], *file = sto_make_file("offload.bin", 300000, sha), out[8192], cmd[2048];
	struct http_resp r;
	FILE *p;
	size_t n;

	sto_tokens();
	sto_ensure_bucket("public", "{\"public\":true}");
	ck_assert_int_eq(sto_upload("/storage/public/offload.bin", sto_alice, file, false, NULL,
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
	sto_expect_download("/storage/public/offload.bin", NULL, sha, 300000);
	{
		char got[65], quoted[80], *v;
		uint64_t len;

		http_download("GET", api_url("/storage/public/offload.bin"),
		    sto_headers(NULL, NULL, NULL), got, &len, &r);
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
	sto_expect_download("/storage/public/offload.bin", NULL, sha, 300000);
	unlink(file);
}
END_TEST

static unsigned long long
public_cache_hits(void)
{
	struct http_resp r;
	const char *name = "\nfluxbase_storage_public_cache_hits_total ", *p;
	unsigned long long n;

	ck_assert_int_eq(sto_call(&r, "GET", "/metrics", sto_service, NULL, NULL), 200);
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

		st = sto_call(&r, "GET", path, NULL, NULL, NULL);
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
	char sha[65], *file = sto_make_file("cached.bin", 5000, sha);
	const char *path = "/storage/public/cached.bin";
	unsigned long long hits;
	struct http_resp r;

	sto_tokens();
	sto_ensure_bucket("public", "{\"public\":true}");
	ck_assert_int_eq(sto_upload(path, sto_alice, file, false, "text/x-one", "X-Upsert: true",
	                     &r),
	    201);
	http_resp_free(&r);
	stack_set("storage", "public_cache_ttl", "60");
	/* Anonymous downloads come from the workers' caches after the first. */
	hits = public_cache_hits();
	for (int i = 0; i < 10; i++)
		sto_expect_download(path, NULL, sha, 5000);
	ck_assert_uint_ge(public_cache_hits(), hits + 5);
	/* A signed-in caller never uses it. */
	hits = public_cache_hits();
	for (int i = 0; i < 4; i++)
		sto_expect_download(path, sto_alice, sha, 5000);
	ck_assert_uint_eq(public_cache_hits(), hits);
	/* Deleting the object, or taking the policy away, shows at once
	 * (well within the 60 s the entries may live). */
	ck_assert_int_eq(sto_status("DELETE", path, sto_alice, NULL), 204);
	ck_assert_int_eq(anon_get_until(path, 404, NULL, 2000), 404);
	ck_assert_int_eq(sto_upload(path, sto_alice, file, false, "text/x-two", NULL, &r), 201);
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
		sto_expect_download(path, NULL, sha, 5000);
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
		sto_expect_download(path, NULL, sha, 5000);
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

	sto_tokens();
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
	sto_ensure_bucket("public", "{\"public\":true}");
	ck_assert_int_eq(sto_status("POST", "/storage/public/su.txt", access, "hello"), 201);
	ck_assert_int_eq(sto_status("POST", "/auth/signout", access, NULL), 200);
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", access);
	h[0] = auth;
	http_do("GET", api_url("/storage/buckets"), h, NULL, 0, &r);
	assert_error(&r, 401, "INVALID_TOKEN");
	http_resp_free(&r);
	ck_assert_int_eq(sto_status("DELETE", "/storage/public/su.txt", access, NULL), 401);
	ck_assert_int_eq(sto_status("POST", "/storage/public/su2.txt", access, "x"), 401);
}
END_TEST

/* Last: every row has its blob, every blob its row. */
START_TEST(test_consistency)
{
	ck_assert_int_eq(sto_gc("--min-age 0"), 0);
	ck_assert_int_eq(sto_gc("--check"), 0);
}
END_TEST

void
storage_delivery_tests(TCase *tc)
{
	tcase_add_test(tc, test_signed_urls);
	tcase_add_test(tc, test_download_client_hangs_up);
	tcase_add_test(tc, test_hostile_keys);
	tcase_add_test(tc, test_buckets);
	tcase_add_test(tc, test_offload_x_accel_redirect);
	tcase_add_test(tc, test_public_cache);
	tcase_add_test(tc, test_signed_out_token_refused_on_storage);
	tcase_add_test(tc, test_consistency);
}
