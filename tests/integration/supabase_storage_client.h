/* Shared by the /storage/v1 tests (supabase_storage_client.c). */
#ifndef FLUXBASE_TEST_SUPABASE_STORAGE_CLIENT_H
#define FLUXBASE_TEST_SUPABASE_STORAGE_CLIENT_H

#include <stdbool.h>

struct http_resp;

#define ALICE "aaaaaaaa-1111-4111-8111-111111111111"
#define BOB "bbbbbbbb-2222-4222-8222-222222222222"

/* The anon and service keys and two users' tokens (sb_keys() mints them). */
extern char sb_anon[2048], sb_service[2048], sb_alice[2048], sb_bob[2048];

void sb_keys(void);
/* $FB_URL without its /api/v1: where /storage/v1 lives. */
const char *sb_url(const char *path);
/* The headers storage-js sends: the apikey, the caller's bearer (NULL:
 * none) and one more. */
const char **sb_hdrs(const char *key, const char *token, const char *extra, const char *extra2);
/* A call as storage-js makes it: JSON body, anon key, caller's token. */
long sb_call(struct http_resp *r, const char *method, const char *path, const char *token,
    const char *json);
/* Storage's error: {"statusCode": "<status>", "error": error, "message"}. */
void sb_expect_error(struct http_resp *r, long status, const char *error);
void sb_expect_ok(struct http_resp *r, long status, const char *what);
void sb_make_bucket(const char *id, bool public);
/* A raw upload as storage-js sends a string or Buffer. */
long sb_put_raw(struct http_resp *r, const char *method, const char *path, const char *token,
    const char *data, const char *extra);
/* A raw upload that must succeed. */
void sb_upload_ok(const char *path, const char *token, const char *data, const char *extra);
/* A call that must answer 200 with exactly want. */
void sb_expect_answer(const char *method, const char *path, const char *token, const char *json,
    const char *want);

#endif
