/*
 * http.h - the request and response of one FastCGI request.
 *
 * request.c turns FastCGI parameters into a request (method, raw and
 * decoded path, ordered query parameters, headers, a body read on demand
 * within a limit); response.c collects status, headers and body and
 * writes them once, or streams a body after the headers.  Everything a
 * request allocates comes from its arena.
 */
#ifndef FLUXBASE_HTTP_H
#define FLUXBASE_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "arena.h"

struct conf;
struct db;
struct schema_cache;
struct scoreboard;
struct FCGX_Request;

enum http_method {
	HTTP_GET = 1 << 0,
	HTTP_HEAD = 1 << 1,
	HTTP_POST = 1 << 2,
	HTTP_PUT = 1 << 3,
	HTTP_PATCH = 1 << 4,
	HTTP_DELETE = 1 << 5,
	HTTP_OPTIONS = 1 << 6,
};

struct query_param {
	char *key;
	char *value; /* "" when the key had no '=' */
	bool has_value;
};

struct header {
	const char *name;
	const char *value;
};

#define RESPONSE_MAX_HEADERS 32

struct response {
	int status; /* 0 until a handler sets one */
	struct header headers[RESPONSE_MAX_HEADERS];
	int nheaders;
	const char *content_type;
	const char *body;
	size_t body_len;
	bool started; /* headers are on the wire */
	bool failed; /* the client went away */
	size_t bytes_sent; /* body bytes */
};

struct route;

/*
 * Whose API a path belongs to: /api/v1 is Fluxbase's own; /rest/v1,
 * /auth/v1 and /storage/v1 speak PostgREST's, GoTrue's and Supabase
 * Storage's (compat.c), each with its error shape.
 */
enum api_dialect { DIALECT_FLUXBASE, DIALECT_POSTGREST, DIALECT_GOTRUE, DIALECT_STORAGE };

struct request {
	struct arena *arena;
	struct FCGX_Request *fcgx;
	const struct conf *conf;
	struct db *db;
	struct schema_cache *schema;
	struct scoreboard *sb;

	int method; /* enum http_method, 0 if unknown */
	const char *method_name;
	const char *raw_path; /* REQUEST_URI up to '?' */
	const char *query_string; /* after '?', may be "" */
	struct query_param *params;
	size_t nparams;

	bool has_content_length;
	size_t content_length;
	size_t body_read;
	bool body_eof;
	bool body_timed_out; /* slower than [server] body_min_rate */
	double body_started; /* monotonic seconds of the first read, 0 before */

	char request_id[65];
	/* The FastCGI parameters by name (request.c), or NULL: look them up
	 * in libfcgi's list. */
	const char **param_slots;

	/* compat.c: the API the path speaks (its error shape) and, on the
	 * Supabase-compatible prefixes, the apikey sent. */
	enum api_dialect dialect;
	const char *apikey;

	/* session.c: the caller */
	bool session_resolved;
	bool has_token;
	const char *role; /* anon, authenticated, service_role */
	const char *claims; /* JSON of the token's claims */
	const char *user_id; /* sub, a UUID, or NULL */
	const char *session_id; /* session_id, a UUID, or NULL */
	const char *email; /* email claim, or NULL */
	bool session_checked; /* a statement found the session alive */

	const struct route *route;
	const char *path_params[8]; /* values of {name} segments, decoded */
	int npath_params;

	struct response resp;
	/* Run once before any answer leaves, streamed or not (worker.c: the
	 * check of a token's session); -1 when it set another answer. */
	int (*before_answer)(struct request *r);
	int base_headers; /* headers set before the handler ran */
};

/* request.c */
int http_method_parse(const char *name);
const char *http_method_name(int method);
/*
 * Percent-decodes s[0..n).  plus_is_space for query strings.  Fails on a
 * malformed escape or an encoded NUL.
 */
int url_decode(struct arena *a, const char *s, size_t n, bool plus_is_space, char **out,
    size_t *outlen);
/* Splits a query string into ordered, decoded parameters. */
int query_string_split(struct arena *a, const char *qs, struct query_param **out, size_t *count,
    const char **bad);
const char *query_get(const struct request *r, const char *key);
/* Fills r from the FastCGI parameters; on failure sets an error response. */
int request_init(struct request *r, struct arena *a, struct FCGX_Request *fcgx,
    const struct conf *conf);
/* "Content-Type" -> CONTENT_TYPE, "X-Foo" -> HTTP_X_FOO. */
const char *request_header(const struct request *r, const char *name);
const char *request_param(const struct request *r, const char *fcgi_name);
/* Reads at most n body bytes; 0 at the end, -1 on a read error or when
 * the body comes slower than [server] body_timeout and body_min_rate allow
 * (body_timed_out is then set). */
ssize_t request_read(struct request *r, void *buf, size_t n);
/* The answer to a failed request_read: 408, or 400 for a body cut short;
 * returns -1. */
int request_read_failed(struct request *r);
/* Whether the web server has sent all it will for this request (the body
 * was read to its end, or there was none): its connection may then be
 * closed at once. */
bool request_input_done(struct request *r);
/*
 * Reads the whole body into the arena, at most limit bytes.  On failure
 * sets 413 or 400 and returns -1.
 */
int request_body(struct request *r, size_t limit, const char **body, size_t *len);
bool request_id_is_sane(const char *id);
/* REMOTE_ADDR, or the last entry of [auth] trusted_proxy_header when set. */
const char *request_client_address(const struct request *r);
/* The client address is one of a comma-separated list. */
bool request_client_in(const struct request *r, const char *list);

/* response.c */
const char *http_reason(int status);
void response_header(struct request *r, const char *name, const char *value);
void response_json(struct request *r, int status, const char *json, size_t len);
/* The JSON error body of API.md section 0; details/hint may be NULL. */
char *response_error_body(struct arena *a, const char *code, const char *message,
    const char *details, const char *hint, bool postgrest_shape);
struct body_error;
/*
 * The one JSON error writer.  Each sets the error answer and returns -1, so
 * that a function failing with an answer set can "return response_error(...)"
 * (handlers.h states the convention).
 */
/* The JSON error a body validator described (jsonbody.h). */
int response_body_error(struct request *r, const struct body_error *e);
int response_error(struct request *r, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
int response_error_detail(struct request *r, int status, const char *code, const char *message,
    const char *details, const char *hint);
/* 500 INTERNAL: our fault or the machine's; say why in the log first. */
int response_internal(struct request *r);
/* 503 DB_UNAVAILABLE: PostgreSQL cannot be reached. */
int response_db_unavailable(struct request *r);
/* Runs r->before_answer if still due: 0, or -1 when it set another answer. */
int response_gate(struct request *r);
/* Writes status and headers now, for streaming a body with response_write;
 * -1 when the gate set another answer or the client went away. */
int response_start(struct request *r);
int response_write(struct request *r, const void *buf, size_t n);
/* length bytes of the open file fd from offset, straight from the page
 * cache to the web server (sendfile): -1 when the client went away (and
 * resp.failed is set) or the file ended early. */
int response_send_file(struct request *r, int fd, uint64_t offset, uint64_t length);
/* Writes whatever has not been written; called once by the worker. */
int response_finish(struct request *r);

#endif
