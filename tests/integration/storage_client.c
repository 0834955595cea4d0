/*
 * storage_client.c - what the /api/v1/storage tests share (storage_test.c,
 * storage_delivery_test.c): tokens, calls, buckets, files of a known
 * digest, uploads and checked downloads, a worker's memory, storage-gc.
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

char sto_service[2048], sto_alice[2048], sto_bob[2048];

void
sto_tokens(void)
{
	mint_token(sto_service, sizeof(sto_service), "service_role", NULL);
	mint_token(sto_alice, sizeof(sto_alice), "authenticated", ALICE);
	mint_token(sto_bob, sizeof(sto_bob), "authenticated", BOB);
}

const char **
sto_headers(const char *token, const char *a, const char *b)
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

long
sto_call(struct http_resp *r, const char *method, const char *path, const char *token,
    const char *body, const char *h1)
{
	http_do(method, api_url(path), sto_headers(token, h1, NULL), body, body ? strlen(body) : 0,
	    r);
	return r->status;
}

long
sto_status(const char *method, const char *path, const char *token, const char *body)
{
	struct http_resp r;
	long st = sto_call(&r, method, path, token, body, NULL);

	http_resp_free(&r);
	return st;
}

void
sto_ensure_bucket(const char *name, const char *body)
{
	char path[256];
	long st;

	snprintf(path, sizeof(path), "/storage/buckets/%s", name);
	st = sto_status("POST", path, sto_service, body);
	ck_assert_msg(st == 201 || st == 409, "bucket %s: %ld", name, st);
}

/* A file of n pseudo-random bytes; its SHA-256 in hex. */
char *
sto_make_file(const char *name, size_t n, char sha[65])
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

long
sto_upload(const char *path_in_api, const char *token, const char *file, bool multipart,
    const char *type, const char *extra, struct http_resp *r)
{
	char ct[300];
	const char *h2 = NULL;

	if (!multipart && type != NULL) {
		snprintf(ct, sizeof(ct), "Content-Type: %s", type);
		h2 = ct;
	}
	http_upload_file("POST", api_url(path_in_api), sto_headers(token, h2, extra), file,
	    multipart, type, r);
	return r->status;
}

void
sto_expect_download(const char *path, const char *token, const char *sha, uint64_t size)
{
	struct http_resp r;
	char got[65];
	uint64_t n;

	http_download("GET", api_url(path), sto_headers(token, NULL, NULL), got, &n, &r);
	ck_assert_msg(r.status == 200, "GET %s: %ld", path, r.status);
	ck_assert_uint_eq(n, size);
	ck_assert_str_eq(got, sha);
	http_resp_free(&r);
}

long
sto_rss_bound_kib(void)
{
	return getenv("FB_SANITIZED") != NULL ? 16384 : 2048;
}

long
sto_worker_rss_kib(void)
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

int
sto_gc(const char *args)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), "'%s' -c '%s/fluxbase.conf' storage-gc %s >&2",
	    getenv("FLUXBASE_BIN"), getenv("FB_STACK_DIR"), args);
	return system(cmd);
}

int
sto_tmp_files(void)
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
