/* Shared by the storage tests (storage_client.c). */
#ifndef FLUXBASE_TEST_STORAGE_CLIENT_H
#define FLUXBASE_TEST_STORAGE_CLIENT_H

#include <check.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct http_resp;

#define ALICE "aaaaaaaa-1111-4111-8111-111111111111"
#define BOB "bbbbbbbb-2222-4222-8222-222222222222"

/* The service role's and two users' tokens (sto_tokens() mints them). */
extern char sto_service[2048], sto_alice[2048], sto_bob[2048];

void sto_tokens(void);
const char **sto_headers(const char *token, const char *a, const char *b);
long sto_call(struct http_resp *r, const char *method, const char *path, const char *token,
    const char *body, const char *h1);
long sto_status(const char *method, const char *path, const char *token, const char *body);
void sto_ensure_bucket(const char *name, const char *body);
/* A file of n pseudo-random bytes; its SHA-256 in hex. */
char *sto_make_file(const char *name, size_t n, char sha[65]);
long sto_upload(const char *path_in_api, const char *token, const char *file, bool multipart,
    const char *type, const char *extra, struct http_resp *r);
void sto_expect_download(const char *path, const char *token, const char *sha, uint64_t size);
long sto_worker_rss_kib(void);
/* The most a worker's RSS may grow over a large transfer: 2 MiB, more
 * under the sanitizers (FB_SANITIZED, script/test --sanitize), where freed
 * memory waits in ASan's quarantine and only a leak of the body's order
 * counts. */
long sto_rss_bound_kib(void);
int sto_gc(const char *args);
int sto_tmp_files(void);
/* storage_delivery_test.c's tests, added to the storage TCase. */
void storage_delivery_tests(TCase *tc);

#endif
