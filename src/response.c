/*
 * response.c - status, headers and body of a response, and the one JSON
 * error writer.
 *
 * A handler sets a response; the worker writes it once with
 * response_finish().  A handler that streams calls response_start() and
 * response_write(); after that an error can only be logged, never sent.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/sendfile.h>
#include <sys/uio.h>
#include <unistd.h>

#include <fcgiapp.h>
#include <json-c/json.h>

#include "compat.h"
#include "http.h"
#include "jsonbody.h"
#include "log.h"

static const struct {
	int status;
	const char *reason;
} reasons[] = {
	{ 200, "OK" },
	{ 201, "Created" },
	{ 204, "No Content" },
	{ 206, "Partial Content" },
	{ 303, "See Other" },
	{ 304, "Not Modified" },
	{ 400, "Bad Request" },
	{ 401, "Unauthorized" },
	{ 403, "Forbidden" },
	{ 404, "Not Found" },
	{ 405, "Method Not Allowed" },
	{ 406, "Not Acceptable" },
	{ 408, "Request Timeout" },
	{ 409, "Conflict" },
	{ 413, "Payload Too Large" },
	{ 415, "Unsupported Media Type" },
	{ 416, "Range Not Satisfiable" },
	{ 422, "Unprocessable Entity" },
	{ 429, "Too Many Requests" },
	{ 500, "Internal Server Error" },
	{ 503, "Service Unavailable" },
	{ 507, "Insufficient Storage" },
};

const char *
http_reason(int status)
{
	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (reasons[i].status == status)
			return reasons[i].reason;
	return "Unknown";
}

void
response_header(struct request *r, const char *name, const char *value)
{
	struct response *resp = &r->resp;

	for (int i = 0; i < resp->nheaders; i++) {
		if (strcasecmp(resp->headers[i].name, name) == 0) {
			resp->headers[i].value = value;
			return;
		}
	}
	if (resp->nheaders == RESPONSE_MAX_HEADERS) {
		log_err("%s: too many headers, dropping %s", __func__, name);
		return;
	}
	resp->headers[resp->nheaders].name = name;
	resp->headers[resp->nheaders].value = value;
	resp->nheaders++;
}

void
response_json(struct request *r, int status, const char *json, size_t len)
{
	r->resp.status = status;
	r->resp.content_type = "application/json; charset=utf-8";
	r->resp.body = json;
	r->resp.body_len = len;
}

static void
json_add_string_or_null(struct json_object *o, const char *key, const char *value)
{
	json_object_object_add(o, key, value ? json_object_new_string(value) : NULL);
}

char *
response_error_body(struct arena *a, const char *code, const char *message, const char *details,
    const char *hint, bool postgrest_shape)
{
	struct json_object *o = json_object_new_object();
	char *out;

	json_object_object_add(o, "error", json_object_new_string(message));
	json_object_object_add(o, "code", json_object_new_string(code));
	if (postgrest_shape) {
		json_object_object_add(o, "message", json_object_new_string(message));
		json_add_string_or_null(o, "details", details);
		json_add_string_or_null(o, "hint", hint);
	} else if (details != NULL) {
		json_object_object_add(o, "details", json_object_new_string(details));
	}
	out = json_arena_text(a, o);
	json_object_put(o);
	return out;
}

static int
response_set_error(struct request *r, int status, const char *code, const char *message,
    const char *details, const char *hint, bool postgrest_shape)
{
	char *body;

	if (r->resp.started) {
		log_err("%s: %s after the response started: %d %s", __func__, r->request_id, status,
		    code);
		return -1;
	}
	switch (r->dialect) {
	case DIALECT_GOTRUE:
		status = gotrue_error_status(status, code);
		body = gotrue_error_body(r->arena, status, code, message);
		break;
	case DIALECT_STORAGE:
		body = storage_compat_error_body(r->arena, status, code, message);
		break;
	case DIALECT_POSTGREST:
		postgrest_shape = true;
		/* fall through */
	case DIALECT_FLUXBASE:
	default:
		body = response_error_body(r->arena, code, message, details, hint, postgrest_shape);
		break;
	}
	response_json(r, status, body, strlen(body));
	if (status == 401)
		response_header(r, "WWW-Authenticate", "Bearer");
	return -1;
}

int
response_body_error(struct request *r, const struct body_error *e)
{
	return response_error(r, e->status, e->code, "%s", e->message);
}

int
response_error(struct request *r, int status, const char *code, const char *fmt, ...)
{
	va_list ap;
	char *message;

	va_start(ap, fmt);
	message = arena_vprintf(r->arena, fmt, ap);
	va_end(ap);
	return response_set_error(r, status, code, message, NULL, NULL, false);
}

int
response_error_detail(struct request *r, int status, const char *code, const char *message,
    const char *details, const char *hint)
{
	return response_set_error(r, status, code, message, details, hint, true);
}

int
response_internal(struct request *r)
{
	/* PostgREST's shape, a superset of the plain one: table clients read it. */
	return response_set_error(r, 500, "INTERNAL", "Internal server error", NULL, NULL, true);
}

int
response_db_unavailable(struct request *r)
{
	return response_set_error(r, 503, "DB_UNAVAILABLE", "The database is unavailable", NULL,
	    NULL, true);
}

int
response_gate(struct request *r)
{
	int (*gate)(struct request *) = r->before_answer;

	r->before_answer = NULL;
	return gate != NULL && !r->resp.started ? gate(r) : 0;
}

static void
put_header(FCGX_Stream *out, const char *name, const char *value)
{
	FCGX_PutS(name, out);
	FCGX_PutStr(": ", 2, out);
	FCGX_PutS(value, out);
	FCGX_PutStr("\r\n", 2, out);
}

int
response_start(struct request *r)
{
	struct response *resp = &r->resp;
	FCGX_Stream *out = r->fcgx->out;
	char status[4] = { '0', '0', '0', ' ' };

	if (resp->started)
		return 0;
	if (response_gate(r) < 0)
		return -1;
	resp->started = true;
	if (resp->status == 0)
		resp->status = 200;
	/* Pieces put as they are: no format to interpret per header. */
	status[0] = (char)('0' + resp->status / 100 % 10);
	status[1] = (char)('0' + resp->status / 10 % 10);
	status[2] = (char)('0' + resp->status % 10);
	FCGX_PutS("Status: ", out);
	FCGX_PutStr(status, 4, out);
	FCGX_PutS(http_reason(resp->status), out);
	FCGX_PutStr("\r\n", 2, out);
	if (resp->content_type != NULL)
		put_header(out, "Content-Type", resp->content_type);
	for (int i = 0; i < resp->nheaders; i++)
		put_header(out, resp->headers[i].name, resp->headers[i].value);
	FCGX_PutStr("\r\n", 2, out);
	if (FCGX_GetError(out) != 0) {
		resp->failed = true;
		return -1;
	}
	return 0;
}

/*
 * Large bodies skip libfcgi's 8 KiB stream buffer: after flushing it, the
 * bytes go out as FastCGI STDOUT records of up to 64 KiB, every record's
 * header and data of the whole buffer in one writev (continued where the
 * socket took less), without a copy.
 */
#define RECORD_MAX 65535
#define RECORDS_PER_WRITE 16

/* A FastCGI STDOUT record's header for k bytes of content, no padding. */
static void
record_header(unsigned char hd[8], int request_id, size_t k)
{
	hd[0] = 1;
	hd[1] = 6;
	hd[2] = (unsigned char)(request_id >> 8);
	hd[3] = (unsigned char)(request_id & 0xff);
	hd[4] = (unsigned char)(k >> 8);
	hd[5] = (unsigned char)(k & 0xff);
	hd[6] = hd[7] = 0;
}

static int
write_records(struct request *r, const char *p, size_t n)
{
	FCGX_Request *rq = r->fcgx;
	unsigned char h[RECORDS_PER_WRITE][8];
	struct iovec iov[2 * RECORDS_PER_WRITE];

	if (FCGX_FFlush(rq->out) < 0)
		return -1;
	while (n > 0) {
		int cnt = 0, first = 0;
		size_t batch = 0;

		for (int i = 0; i < RECORDS_PER_WRITE && batch < n; i++) {
			size_t k = n - batch > RECORD_MAX ? RECORD_MAX : n - batch;

			record_header(h[i], rq->requestId, k);
			iov[cnt].iov_base = h[i];
			iov[cnt++].iov_len = 8;
			iov[cnt].iov_base = (void *)(p + batch);
			iov[cnt++].iov_len = k;
			batch += k;
		}
		while (first < cnt) {
			ssize_t w = writev(rq->ipcFd, iov + first, cnt - first);

			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				return -1;
			/* Skip what went out; the rest of a cut entry goes next. */
			while (first < cnt && (size_t)w >= iov[first].iov_len)
				w -= (ssize_t)iov[first++].iov_len;
			if (first < cnt) {
				iov[first].iov_base = (char *)iov[first].iov_base + w;
				iov[first].iov_len -= (size_t)w;
			}
		}
		p += batch;
		n -= batch;
	}
	return 0;
}

/* Before a piece of body: 1 to send it, 0 when there is nothing to send
 * (HEAD, no bytes), -1 when the answer has failed. */
static int
body_begin(struct request *r, uint64_t n)
{
	if (!r->resp.started && response_start(r) < 0)
		return -1;
	if (r->resp.failed)
		return -1;
	return r->method == HTTP_HEAD || n == 0 ? 0 : 1;
}

/* All of n bytes to fd, whatever the socket takes at a time. */
static int
write_all(int fd, const void *buf, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, buf, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		buf = (const char *)buf + w;
		n -= (size_t)w;
	}
	return 0;
}

/*
 * A file's bytes as FastCGI STDOUT records of up to 64 KiB: each record's
 * header written, then its data sent by the kernel from the page cache
 * (no read into this process, no copy of ours).
 */
int
response_send_file(struct request *r, int fd, uint64_t offset, uint64_t length)
{
	FCGX_Request *rq = r->fcgx;
	off_t off = (off_t)offset;
	int go = body_begin(r, length);

	if (go <= 0)
		return go;
	if (FCGX_FFlush(rq->out) < 0) {
		r->resp.failed = true;
		return -1;
	}
	while (length > 0) {
		size_t k = length > RECORD_MAX ? RECORD_MAX : (size_t)length;
		unsigned char hd[8];

		record_header(hd, rq->requestId, k);
		if (write_all(rq->ipcFd, hd, sizeof(hd)) < 0) {
			r->resp.failed = true;
			return -1;
		}
		for (size_t left = k; left > 0;) {
			ssize_t w = sendfile(rq->ipcFd, fd, &off, left);

			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0) {
				r->resp.failed = true;
				return -1;
			}
			if (w == 0)
				/* The file is shorter than it was: the record is
				 * cut, and the web server sees the answer end early. */
				return -1;
			left -= (size_t)w;
		}
		r->resp.bytes_sent += k;
		length -= k;
	}
	return 0;
}

int
response_write(struct request *r, const void *buf, size_t n)
{
	int go = body_begin(r, n);

	if (go <= 0)
		return go;
	if (n >= 16384) {
		if (write_records(r, buf, n) < 0) {
			r->resp.failed = true;
			return -1;
		}
		r->resp.bytes_sent += n;
		return 0;
	}
	while (n > 0) {
		int chunk = n > (1 << 20) ? (1 << 20) : (int)n;

		if (FCGX_PutStr(buf, chunk, r->fcgx->out) != chunk) {
			r->resp.failed = true;
			return -1;
		}
		buf = (const char *)buf + chunk;
		n -= (size_t)chunk;
		r->resp.bytes_sent += (size_t)chunk;
	}
	return 0;
}

int
response_finish(struct request *r)
{
	struct response *resp = &r->resp;

	if (resp->started)
		return resp->failed ? -1 : 0;
	if (resp->status == 0)
		response_internal(r);
	if (resp->status != 204 && resp->status != 304)
		response_header(r, "Content-Length", arena_printf(r->arena, "%zu", resp->body_len));
	if (response_start(r) < 0)
		return -1;
	if (resp->status == 204 || resp->status == 304)
		return 0;
	return response_write(r, resp->body, resp->body_len);
}
