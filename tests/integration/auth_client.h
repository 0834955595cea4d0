/*
 * Helpers of the tests that speak to the auth API (auth_client.c): calls
 * from a client address of the test's own (X-Forwarded-For), sessions,
 * hand-made tokens and the mail directory.
 */
#ifndef FLUXBASE_TEST_AUTH_CLIENT_H
#define FLUXBASE_TEST_AUTH_CLIENT_H

#include <check.h>

#include "client.h"

#define PASSWORD "correct horse battery"
/* What every token of the stack says of itself ([auth] jwt_issuer, jwt_audience). */
#define ISS_AUD "\"iss\":\"fluxbase\",\"aud\":\"authenticated\","

struct session {
	char access[2048];
	char refresh[128];
	char user_id[64];
};

/* Notes a secret seen in the run; the last test greps the logs for them. */
void remember(const char *secret);
void auth_call(struct http_resp *r, const char *method, const char *path, const char *token,
    const char *body, const char *ip);
void parse_session(const struct http_resp *r, struct session *s);
/* Signs up with PASSWORD; the test fails unless it gets 201. */
void signup(struct session *s, const char *email, const char *ip);
long signin(struct session *s, const char *email, const char *password, const char *ip);
long refresh(const char *token, struct session *out, const char *ip);
long status_of(const char *method, const char *path, const char *token, const char *ip);
/* A JWT signed by hand: header and payload JSON, HMAC-SHA256 with key. */
char *craft(const char *header, const char *payload, const char *key);
/* The test stack's JWT secret. */
const char *stack_secret(void);
/* The newest link mailed to address (a static buffer). */
char *mailed_link(const char *address);
long get_url(const char *method, const char *url, struct http_resp *keep);
/* The code of the newest mail to address (a static buffer). */
char *mailed_code(const char *address);
/* POST path with a body made as printf does, from ip. */
void auth_post(struct http_resp *r, const char *path, const char *token, const char *ip,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* auth_enumeration_test.c's tests, added to the auth_flows TCase. */
void auth_enumeration_tests(TCase *tc);

/* /auth/v1 (GoTrue's dialect): a call with key as the apikey header (NULL:
 * none) and token as the caller (NULL: none); GoTrue's error with its
 * status and error_code; a user in GoTrue's shape with its address; a
 * session in GoTrue's shape (200) kept in s. */
struct json_object;
void gotrue_call(struct http_resp *r, const char *method, const char *path, const char *key,
    const char *token, const char *body, const char *ip);
void gotrue_error(const struct http_resp *r, long status, const char *error_code);
void gotrue_assert_user(struct json_object *u, const char *email);
void gotrue_session(const struct http_resp *r, const char *email, struct session *s);

#endif
