/*
 * storage_s3_test.c - what only the S3 backend has, against the stack's
 * Ceph RADOS Gateway ([storage] backend = s3): a 200 MiB upload (a
 * multipart upload, streamed: the worker's memory stays flat) and ranged
 * downloads across its parts; an upload of unannounced size; the gateway
 * stopped (503 STORAGE_UNAVAILABLE, no row), stopped mid-upload (503, no
 * row, the multipart upload left behind aborted by storage-gc) and
 * mid-download (the body cut short, the object intact); storage-gc on the
 * bucket (orphans removed, keys not ours left alone).  The bucket is
 * looked into directly (ListObjectsV2, ListMultipartUploads), not only
 * through the API.
 *
 * The settings come from the stack's own fluxbase.conf; FB_CEPH_DIR names
 * the cluster (tests/lib/ceph.sh DIR rgw-stop | rgw-start).  The TCase is
 * added only when FB_CEPH_DIR is set (the suite run with backend = s3).
 */
#include "config.h"

#include <check.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "client.h"
#include "storage_client.h"
#include "suites.h"

#define MIB (1024 * 1024)

/* [storage] s3_* of the stack's config. */
static char s3_endpoint[512], s3_region[64], s3_bucket[128], s3_access[256], s3_secret[1024];

static void
conf_value(const char *text, const char *key, char *out, size_t n)
{
	char pat[64];
	const char *p;

	snprintf(pat, sizeof(pat), "\n%s = ", key);
	out[0] = '\0';
	if ((p = strstr(text, pat)) != NULL)
		snprintf(out, n, "%.*s", (int)strcspn(p + strlen(pat), "\n"), p + strlen(pat));
}

static void
s3_settings(void)
{
	char path[512], file[1024];
	static char text[65536];
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/fluxbase.conf", getenv("FB_STACK_DIR"));
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	n = fread(text + 1, 1, sizeof(text) - 2, f);
	text[0] = '\n';
	text[n + 1] = '\0';
	fclose(f);
	conf_value(text, "s3_endpoint", s3_endpoint, sizeof(s3_endpoint));
	conf_value(text, "s3_region", s3_region, sizeof(s3_region));
	conf_value(text, "s3_bucket", s3_bucket, sizeof(s3_bucket));
	conf_value(text, "s3_access_key", s3_access, sizeof(s3_access));
	conf_value(text, "s3_secret_key_file", file, sizeof(file));
	ck_assert_msg(s3_endpoint[0] && s3_bucket[0] && file[0], "no S3 settings in %s", path);
	f = fopen(file, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(fgets(s3_secret, sizeof(s3_secret), f));
	s3_secret[strcspn(s3_secret, "\r\n")] = '\0';
	fclose(f);
}

static size_t
keep_body(char *buf, size_t size, size_t n, void *arg)
{
	struct http_resp *r = arg;
	char *grown = realloc(r->body, r->len + size * n + 1);

	ck_assert_ptr_nonnull(grown);
	r->body = grown;
	memcpy(r->body + r->len, buf, size * n);
	r->len += size * n;
	r->body[r->len] = '\0';
	return size * n;
}

/* A request to the store itself, signed as the worker's are. */
static long
s3_direct(const char *method, const char *key_and_query, const char *body, struct http_resp *r)
{
	char url[1024], sigv4[128];
	struct curl_slist *h = curl_slist_append(NULL, "x-amz-content-sha256: UNSIGNED-PAYLOAD");
	CURL *c = curl_easy_init();

	memset(r, 0, sizeof(*r));
	snprintf(url, sizeof(url), "%s/%s/%s", s3_endpoint, s3_bucket, key_and_query);
	snprintf(sigv4, sizeof(sigv4), "aws:amz:%s:s3", s3_region);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_AWS_SIGV4, sigv4);
	curl_easy_setopt(c, CURLOPT_USERNAME, s3_access);
	curl_easy_setopt(c, CURLOPT_PASSWORD, s3_secret);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	if (body != NULL) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	}
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, keep_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	r->curl_error = (int)curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	curl_easy_cleanup(c);
	curl_slist_free_all(h);
	return r->status;
}

/* How many times tag opens in the answer of a listing of the bucket. */
static int
s3_count(const char *query, const char *tag)
{
	struct http_resp r;
	int n = 0;

	ck_assert_int_eq(s3_direct("GET", query, NULL, &r), 200);
	for (const char *p = r.body; p && (p = strstr(p, tag)) != NULL; p++)
		n++;
	http_resp_free(&r);
	return n;
}

static int
bucket_objects(void)
{
	return s3_count("?list-type=2", "<Key>");
}

static int
bucket_uploads(void)
{
	return s3_count("?uploads=", "<UploadId>");
}

static void
rgw(const char *what)
{
	char cmd[1024], lib[512];

	snprintf(lib, sizeof(lib), "%s", getenv("FB_STACK"));
	*strrchr(lib, '/') = '\0';
	snprintf(cmd, sizeof(cmd), "bash '%s/ceph.sh' '%s' %s >&2", lib, getenv("FB_CEPH_DIR"),
	    what);
	ck_assert_msg(system(cmd) == 0, "ceph.sh %s failed", what);
}

/* Runs curl (the command line) in the background, its status line into
 * out: GET or POST a file at rate bytes a second. */
static pid_t
slow_curl(const char *args, const char *out)
{
	char cmd[8192];
	pid_t pid;

	snprintf(cmd, sizeof(cmd),
	    "curl -s --limit-rate 20M -o /dev/null -w '%%{http_code} %%{size_download}' %s >'%s'",
	    args, out);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	return pid;
}

static void
read_file(const char *path, char *buf, size_t n)
{
	FILE *f = fopen(path, "r");
	size_t k;

	ck_assert_ptr_nonnull(f);
	k = fread(buf, 1, n - 1, f);
	buf[k] = '\0';
	fclose(f);
}

/* Bytes [from, from + n) of file, against a ranged download. */
static void
expect_range(const char *path, const char *file, long from, long n)
{
	char range[96], *want = malloc((size_t)n);
	struct http_resp r;
	FILE *f = fopen(file, "rb");

	snprintf(range, sizeof(range), "Range: bytes=%ld-%ld", from, from + n - 1);
	ck_assert_ptr_nonnull(f);
	fseek(f, from, SEEK_SET);
	ck_assert_uint_eq(fread(want, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	sto_call(&r, "GET", path, sto_service, NULL, range);
	ck_assert_int_eq(r.status, 206);
	ck_assert_uint_eq(r.len, (size_t)n);
	ck_assert(memcmp(r.body, want, (size_t)n) == 0);
	http_resp_free(&r);
	free(want);
}

START_TEST(test_s3_large_upload_and_ranges)
{
	char sha[65], sha2[65], *file, *form;
	struct http_resp r;
	long rss;
	int before;

	s3_settings();
	sto_tokens();
	sto_ensure_bucket("s3big", "{\"public\":false}");
	before = bucket_objects();
	form = strdup(sto_make_file("s3form.bin", 40 * MIB + 123, sha2));
	file = sto_make_file("s3big.bin", 200 * MIB, sha);
	/* Announced: streamed into a multipart upload (16 MiB parts), the
	 * worker's memory flat. */
	sto_upload("/storage/s3big/big.bin", sto_service, file, false, NULL, "X-Upsert: true", &r);
	http_resp_free(&r);
	rss = sto_worker_rss_kib();
	ck_assert_int_eq(sto_upload("/storage/s3big/big.bin", sto_service, file, false, NULL,
	                     "X-Upsert: true", &r),
	    201);
	http_resp_free(&r);
	ck_assert_int_le(sto_worker_rss_kib() - rss, sto_rss_bound_kib());
	sto_expect_download("/storage/s3big/big.bin", sto_service, sha, 200 * MIB);
	expect_range("/storage/s3big/big.bin", file, 0, 1000);
	expect_range("/storage/s3big/big.bin", file, 16 * MIB - 500, 1000); /* across parts */
	expect_range("/storage/s3big/big.bin", file, 200 * MIB - 4096, 4096);
	/* Unannounced (a form): gathered a part at a time. */
	ck_assert_int_eq(sto_upload("/storage/s3big/form.bin", sto_service, form, true,
	                     "application/octet-stream", NULL, &r),
	    201);
	http_resp_free(&r);
	sto_expect_download("/storage/s3big/form.bin", sto_service, sha2, 40 * MIB + 123);
	/* In the bucket: one object each (the replaced one gone), nothing
	 * unfinished. */
	ck_assert_int_eq(bucket_objects(), before + 2);
	ck_assert_int_eq(bucket_uploads(), 0);
	ck_assert_int_eq(sto_gc("--check"), 0);
	unlink(file);
	unlink(form);
	free(form);
}
END_TEST

START_TEST(test_s3_store_down)
{
	char sha[65], *file;
	struct http_resp r;
	int before;

	s3_settings();
	sto_tokens();
	sto_ensure_bucket("s3down", "{\"public\":false}");
	file = sto_make_file("s3down.bin", 3 * MIB, sha);
	ck_assert_int_eq(sto_upload("/storage/s3down/kept.bin", sto_service, file, false, NULL,
	                     "X-Upsert: true", &r),
	    201);
	http_resp_free(&r);
	before = bucket_objects();
	rgw("rgw-stop");
	ck_assert_int_eq(sto_upload("/storage/s3down/new.bin", sto_service, file, false, NULL, NULL,
	                     &r),
	    503);
	ck_assert_ptr_nonnull(strstr(r.body, "STORAGE_UNAVAILABLE"));
	http_resp_free(&r);
	ck_assert_int_eq(sto_upload("/storage/s3down/new.bin", sto_service, file, true, NULL, NULL,
	                     &r),
	    503);
	http_resp_free(&r);
	sto_call(&r, "GET", "/storage/s3down/kept.bin", sto_service, NULL, NULL);
	ck_assert_int_eq(r.status, 503);
	ck_assert_ptr_nonnull(strstr(r.body, "STORAGE_UNAVAILABLE"));
	http_resp_free(&r);
	rgw("rgw-start");
	/* No row, no object: the store saw nothing it kept. */
	sto_call(&r, "GET", "/storage/s3down", sto_service, NULL, NULL);
	ck_assert_ptr_null(strstr(r.body, "new.bin"));
	http_resp_free(&r);
	ck_assert_int_eq(bucket_objects(), before);
	sto_expect_download("/storage/s3down/kept.bin", sto_service, sha, 3 * MIB);
	unlink(file);
}
END_TEST

START_TEST(test_s3_store_stops_mid_transfer)
{
	char sha[65], *file, args[6000], out[600], got[128];
	struct http_resp r;
	int status, objects;
	pid_t pid;

	s3_settings();
	sto_tokens();
	sto_ensure_bucket("s3mid", "{\"public\":false}");
	file = sto_make_file("s3mid.bin", 200 * MIB, sha);
	snprintf(out, sizeof(out), "%s/s3mid.out", getenv("FB_STACK_DIR"));
	/* Mid-upload: 503, no row; the multipart upload the worker could not
	 * abort (the store was gone) is storage-gc's. */
	objects = bucket_objects();
	snprintf(args, sizeof(args),
	    "-X POST -H 'Authorization: Bearer %s' -H 'Content-Type: application/octet-stream'"
	    " --data-binary @'%s' '%s'",
	    sto_service, file, api_url("/storage/s3mid/up.bin"));
	pid = slow_curl(args, out);
	sleep(3);
	rgw("rgw-stop");
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	read_file(out, got, sizeof(got));
	ck_assert_msg(strncmp(got, "503", 3) == 0, "mid-upload: %s", got);
	rgw("rgw-start");
	sto_call(&r, "GET", "/storage/s3mid", sto_service, NULL, NULL);
	ck_assert_ptr_null(strstr(r.body, "up.bin"));
	http_resp_free(&r);
	ck_assert_int_eq(bucket_objects(), objects);
	ck_assert_int_eq(bucket_uploads(), 1);
	ck_assert_int_ne(sto_gc("--check"), 0);
	ck_assert_int_eq(sto_gc("--min-age 0"), 0);
	ck_assert_int_eq(bucket_uploads(), 0);
	ck_assert_int_eq(sto_gc("--check"), 0);
	/* Mid-download: the body cut short (never a complete-looking one),
	 * the object whole afterwards. */
	ck_assert_int_eq(sto_upload("/storage/s3mid/down.bin", sto_service, file, false, NULL,
	                     "X-Upsert: true", &r),
	    201);
	http_resp_free(&r);
	snprintf(args, sizeof(args), "-H 'Authorization: Bearer %s' '%s'", sto_service,
	    api_url("/storage/s3mid/down.bin"));
	pid = slow_curl(args, out);
	sleep(3);
	rgw("rgw-stop");
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) != 0, "curl saw a whole body");
	read_file(out, got, sizeof(got));
	ck_assert_msg(strncmp(got, "200 ", 4) == 0 && strtol(got + 4, NULL, 10) < 200 * MIB,
	    "mid-download: %s", got);
	rgw("rgw-start");
	sto_expect_download("/storage/s3mid/down.bin", sto_service, sha, 200 * MIB);
	unlink(file);
}
END_TEST

/*
 * A client that hangs up in the middle of a multipart upload (the store
 * up): the worker aborts the upload itself, no part is left in the store
 * for storage-gc, and no row is written.
 */
START_TEST(test_s3_client_hangs_up_mid_upload)
{
	char sha[65], *file, args[6000], out[600];
	struct http_resp r;
	int status, objects, uploads = -1;
	pid_t pid;

	s3_settings();
	sto_tokens();
	sto_ensure_bucket("s3gone", "{\"public\":false}");
	file = sto_make_file("s3gone.bin", 200 * MIB, sha);
	snprintf(out, sizeof(out), "%s/s3gone.out", getenv("FB_STACK_DIR"));
	objects = bucket_objects();
	/* 20 MiB/s for 3 s: past the 16 MiB threshold, parts sent. */
	snprintf(args, sizeof(args),
	    "--max-time 3 -X POST -H 'Authorization: Bearer %s'"
	    " -H 'Content-Type: application/octet-stream' --data-binary @'%s' '%s'",
	    sto_service, file, api_url("/storage/s3gone/up.bin"));
	pid = slow_curl(args, out);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 28, "curl did not time out");
	for (int i = 0; i < 100 && uploads != 0; i++) {
		uploads = bucket_uploads();
		if (uploads != 0)
			usleep(100 * 1000);
	}
	ck_assert_msg(uploads == 0, "%d multipart upload(s) left in the store", uploads);
	ck_assert_int_eq(bucket_objects(), objects);
	sto_call(&r, "GET", "/storage/s3gone", sto_service, NULL, NULL);
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_null(strstr(r.body, "up.bin"));
	http_resp_free(&r);
	ck_assert_int_eq(sto_gc("--check"), 0);
	unlink(file);
}
END_TEST

START_TEST(test_s3_gc_bucket)
{
	struct http_resp r;
	int objects;

	s3_settings();
	objects = bucket_objects();
	/* An object named like a blob with no row: an orphan; any other key
	 * is not ours. */
	ck_assert_int_eq(s3_direct("PUT", "0123456789abcdef0123456789abcdef", "orphan", &r), 200);
	http_resp_free(&r);
	ck_assert_int_eq(s3_direct("PUT", "not-a-blob.txt", "theirs", &r), 200);
	http_resp_free(&r);
	ck_assert_int_eq(bucket_objects(), objects + 2);
	ck_assert_int_ne(sto_gc("--check"), 0);
	/* Younger than --min-age: kept (it may be an upload about to commit). */
	ck_assert_int_eq(sto_gc("--min-age 3600"), 0);
	ck_assert_int_eq(bucket_objects(), objects + 2);
	ck_assert_int_eq(sto_gc("--min-age 0"), 0);
	ck_assert_int_eq(bucket_objects(), objects + 1);
	ck_assert_int_eq(s3_direct("GET", "not-a-blob.txt", NULL, &r), 200);
	ck_assert_str_eq(r.body, "theirs");
	http_resp_free(&r);
	ck_assert_int_eq(s3_direct("DELETE", "not-a-blob.txt", NULL, &r), 204);
	http_resp_free(&r);
	ck_assert_int_eq(sto_gc("--check"), 0);
}
END_TEST

TCase *
storage_s3_tcase(void)
{
	TCase *tc = tcase_create("storage_s3");

	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_s3_large_upload_and_ranges);
	tcase_add_test(tc, test_s3_store_down);
	tcase_add_test(tc, test_s3_store_stops_mid_transfer);
	tcase_add_test(tc, test_s3_client_hangs_up_mid_upload);
	tcase_add_test(tc, test_s3_gc_bucket);
	return tc;
}
