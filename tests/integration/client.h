/* A small HTTP client over libcurl for the integration tests. */
#ifndef FLUXBASE_TEST_CLIENT_H
#define FLUXBASE_TEST_CLIENT_H

#include <stddef.h>

struct http_resp {
	long status;
	char *body;
	size_t len;
	char *headers; /* raw header block */
	double seconds;
	int curl_error; /* CURLcode, 0 when a response arrived */
};

/* extra_headers: NULL-terminated "Name: value" strings, or NULL. */
int http_do(const char *method, const char *url, const char *const *extra_headers, const char *body,
    size_t body_len, struct http_resp *out);
/* Value of a response header (case-insensitive name), malloc'ed, or NULL. */
char *http_header(const struct http_resp *r, const char *name);
void http_resp_free(struct http_resp *r);
/* $FB_URL + path */
const char *api_url(const char *path);

#include <stdbool.h>
#include <stdint.h>

/* Streams the file at path as the body (raw, or as the "file" part of a
 * multipart/form-data body with part_type). */
int http_upload_file(const char *method, const char *url, const char *const *headers,
    const char *path, bool multipart, const char *part_type, struct http_resp *out);
/* Streams the response body through SHA-256 without keeping it. */
int http_download(const char *method, const char *url, const char *const *headers, char sha_hex[65],
    uint64_t *bytes, struct http_resp *out);

#endif
