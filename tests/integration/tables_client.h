/*
 * Helpers of the tests that speak to the tables API (tables_client.c).
 */
#ifndef FLUXBASE_TEST_TABLES_CLIENT_H
#define FLUXBASE_TEST_TABLES_CLIENT_H

#include "client.h"

#define ALICE "11111111-1111-4111-8111-111111111111"
#define BOB "22222222-2222-4222-8222-222222222222"

/* Tokens of the service role, alice and bob, minted once per test process. */
extern char service[2048], alice[2048], bob[2048];
void tokens(void);
/* One request; token may be NULL; extra is a NULL-terminated header list
 * (may be NULL); a body goes as application/json. */
void call(struct http_resp *r, const char *method, const char *path, const char *token,
    const char *body, const char *const *extra);
/* The values of key in a JSON array body, sorted, as "1,2,3" (static). */
const char *ids_of(const struct http_resp *r, const char *key);
/* The ids a service-role GET answers (200 expected; static). */
const char *get_ids(const char *path);
void expect_header(const struct http_resp *r, const char *name, const char *value);
/* psql as the owner; the first line of its output (static). */
const char *sql(const char *query);

#endif
