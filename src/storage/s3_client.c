/*
 * storage/s3_client.c - the S3 requests of storage/s3.h: one curl multi
 * handle per process, a transfer driven until the body given is taken
 * (uploads, paused between chunks) or until it ends.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"
#include "storage/s3.h"

static CURLM *s3_multi;
static pid_t s3_multi_pid;

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The process's multi handle (a forked child makes its own). */
static CURLM *
multi(void)
{
	if (s3_multi == NULL || s3_multi_pid != getpid()) {
		s3_multi = curl_multi_init();
		s3_multi_pid = getpid();
	}
	return s3_multi;
}

void
s3_encode(const char *s, bool slash, char *out, size_t n)
{
	size_t o = 0;

	for (const unsigned char *p = (const unsigned char *)s; *p && o + 4 < n; p++) {
		if (isalnum(*p) || strchr("-._~", *p) != NULL || (slash && *p == '/'))
			out[o++] = (char)*p;
		else
			o += (size_t)snprintf(out + o, n - o, "%%%02X", *p);
	}
	out[o] = '\0';
}

void
s3_host(const struct conf *c, char *scheme, size_t sn, char *host, size_t hn)
{
	const char *ep = c->s3_endpoint, *sep = strstr(ep, "://");
	const char *auth = sep ? sep + 3 : ep;
	size_t alen = strcspn(auth, "/");

	snprintf(scheme, sn, "%.*s", sep ? (int)(sep - ep) : 4, sep ? ep : "http");
	if (c->s3_path_style)
		snprintf(host, hn, "%.*s", (int)alen, auth);
	else
		snprintf(host, hn, "%s.%.*s", c->s3_bucket, (int)alen, auth);
}

static void
s3_url(const struct conf *c, const char *key, const char *query, char *out, size_t n)
{
	char scheme[16], host[512], ekey[1024];

	s3_host(c, scheme, sizeof(scheme), host, sizeof(host));
	s3_encode(key, true, ekey, sizeof(ekey));
	if (c->s3_path_style)
		snprintf(out, n, "%s://%s/%s/%s%s%s", scheme, host, c->s3_bucket, ekey,
		    query[0] ? "?" : "", query);
	else
		snprintf(out, n, "%s://%s/%s%s%s", scheme, host, ekey, query[0] ? "?" : "", query);
}

static size_t
s3_read(char *dst, size_t size, size_t nitems, void *arg)
{
	struct s3_xfer *x = arg;
	size_t n = size * nitems;

	if (x->body_left == 0)
		return 0;
	if (x->pending_len == 0) {
		x->paused = true;
		return CURL_READFUNC_PAUSE;
	}
	if (n > x->pending_len)
		n = x->pending_len;
	if (n > x->body_left)
		n = (size_t)x->body_left;
	memcpy(dst, x->pending, n);
	x->pending += n;
	x->pending_len -= n;
	x->body_left -= n;
	x->progress = now();
	return n;
}

static size_t
s3_write(char *buf, size_t size, size_t nitems, void *arg)
{
	struct s3_xfer *x = arg;
	size_t n = size * nitems;
	long status = 0;

	x->progress = now();
	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
	if (x->sink != NULL && status >= 200 && status < 300)
		return x->sink(x->sink_arg, buf, n) == 0 ? n : 0;
	if (x->resp_len + n < S3_RESP_MAX) {
		char *grown = realloc(x->resp, x->resp_len + n + 1);

		if (grown == NULL)
			return 0;
		x->resp = grown;
		memcpy(x->resp + x->resp_len, buf, n);
		x->resp_len += n;
		x->resp[x->resp_len] = '\0';
	}
	return n;
}

static size_t
s3_header(char *buf, size_t size, size_t nitems, void *arg)
{
	struct s3_xfer *x = arg;
	size_t n = size * nitems, len = n;

	x->progress = now();
	if (n > 5 && strncasecmp(buf, "ETag:", 5) == 0) {
		const char *v = buf + 5;

		len -= 5;
		while (len > 0 && (*v == ' ' || *v == '\t'))
			v++, len--;
		while (len > 0 && (v[len - 1] == '\r' || v[len - 1] == '\n' || v[len - 1] == ' '))
			len--;
		snprintf(x->etag, sizeof(x->etag), "%.*s", (int)len, v);
	}
	return n;
}

static void
s3_method(struct s3_xfer *x, const char *method, int64_t body_len)
{
	if (strcmp(method, "HEAD") == 0) {
		curl_easy_setopt(x->easy, CURLOPT_NOBODY, 1L);
	} else if (strcmp(method, "PUT") == 0) {
		curl_easy_setopt(x->easy, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(x->easy, CURLOPT_INFILESIZE_LARGE,
		    (curl_off_t)(body_len < 0 ? 0 : body_len));
	} else if (strcmp(method, "POST") == 0) {
		curl_easy_setopt(x->easy, CURLOPT_POST, 1L);
		curl_easy_setopt(x->easy, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)(body_len < 0 ? 0 : body_len));
	} else if (strcmp(method, "GET") != 0) {
		curl_easy_setopt(x->easy, CURLOPT_CUSTOMREQUEST, method);
	}
}

int
s3_begin(struct s3_xfer *x, const struct conf *c, const char *method, const char *key,
    const char *query, int64_t body_len, const char *const *headers)
{
	char url[2048], region[160];

	memset(x, 0, sizeof(*x));
	snprintf(x->what, sizeof(x->what), "%s %s%s", method, key[0] ? key : "/",
	    query[0] ? "?..." : "");
	x->body_left = body_len < 0 ? 0 : (uint64_t)body_len;
	x->progress = now();
	if (multi() == NULL || (x->easy = curl_easy_init()) == NULL)
		return errno = ENOMEM, -1;
	s3_url(c, key, query, url, sizeof(url));
	snprintf(region, sizeof(region), "aws:amz:%s:s3", c->s3_region);
	x->hdrs = curl_slist_append(NULL, "x-amz-content-sha256: UNSIGNED-PAYLOAD");
	if (strcmp(method, "POST") == 0)
		x->hdrs = curl_slist_append(x->hdrs, "Content-Type: application/octet-stream");
	for (size_t i = 0; headers != NULL && headers[i] != NULL; i++)
		x->hdrs = curl_slist_append(x->hdrs, headers[i]);
	curl_easy_setopt(x->easy, CURLOPT_URL, url);
	curl_easy_setopt(x->easy, CURLOPT_AWS_SIGV4, region);
	curl_easy_setopt(x->easy, CURLOPT_USERNAME, c->s3_access_key);
	curl_easy_setopt(x->easy, CURLOPT_PASSWORD, c->s3_secret_key);
	curl_easy_setopt(x->easy, CURLOPT_HTTPHEADER, x->hdrs);
	curl_easy_setopt(x->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(x->easy, CURLOPT_CONNECTTIMEOUT_MS, 3000L);
	curl_easy_setopt(x->easy, CURLOPT_READFUNCTION, s3_read);
	curl_easy_setopt(x->easy, CURLOPT_READDATA, x);
	curl_easy_setopt(x->easy, CURLOPT_WRITEFUNCTION, s3_write);
	curl_easy_setopt(x->easy, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(x->easy, CURLOPT_HEADERFUNCTION, s3_header);
	curl_easy_setopt(x->easy, CURLOPT_HEADERDATA, x);
	s3_method(x, method, body_len);
	if (curl_multi_add_handle(s3_multi, x->easy) != CURLM_OK) {
		s3_free(x);
		return errno = ENOMEM, -1;
	}
	x->in_multi = true;
	return 0;
}

/* Runs the transfer until curl took every byte given (to_end: until the
 * transfer ends). */
static void
s3_drive(struct s3_xfer *x, bool to_end)
{
	while (!x->done) {
		int running, left;
		CURLMsg *m;

		curl_multi_perform(s3_multi, &running);
		while ((m = curl_multi_info_read(s3_multi, &left)) != NULL)
			if (m->msg == CURLMSG_DONE && m->easy_handle == x->easy) {
				x->done = true;
				x->result = m->data.result;
			}
		if (x->done || (!to_end && x->pending_len == 0))
			return;
		if (now() - x->progress > S3_STALL_SECONDS) {
			x->done = true;
			x->result = CURLE_OPERATION_TIMEDOUT;
			return;
		}
		curl_multi_poll(s3_multi, NULL, 0, 1000, NULL);
	}
}

int
s3_feed(struct s3_xfer *x, const void *buf, size_t n)
{
	if (n == 0)
		return 0;
	/* The stall clock counts the store's time, not the client's. */
	x->progress = now();
	x->pending = buf;
	x->pending_len = n;
	if (x->paused) {
		x->paused = false;
		curl_easy_pause(x->easy, CURLPAUSE_CONT);
	}
	s3_drive(x, false);
	if (x->pending_len > 0) {
		x->pending_len = 0;
		return s3_end(x) < 0 ? -1 : (errno = EHOSTUNREACH, -1);
	}
	return 0;
}

/* errno for an answer that is not a success, with the reason logged. */
static int
s3_failed(struct s3_xfer *x)
{
	char code[64] = "";
	const char *pos = x->resp;

	if (x->result == CURLE_WRITE_ERROR || x->result == CURLE_ABORTED_BY_CALLBACK)
		return EPIPE; /* our side (the client) stopped the transfer */
	if (x->result != CURLE_OK) {
		log_err("storage: S3 %s: %s", x->what, curl_easy_strerror(x->result));
		return EHOSTUNREACH;
	}
	if (pos != NULL)
		s3_xml_next(&pos, "Code", code, sizeof(code));
	if (x->status == 404)
		return ENOENT;
	log_err("storage: S3 %s: status %ld%s%s", x->what, x->status, code[0] ? " " : "", code);
	if (strcmp(code, "QuotaExceeded") == 0)
		return ENOSPC;
	if (x->status >= 500 || x->status == 0 || strcmp(code, "SlowDown") == 0 ||
	    strcmp(code, "InternalError") == 0)
		return EHOSTUNREACH;
	return EIO;
}

int
s3_end(struct s3_xfer *x)
{
	if (x->easy == NULL)
		return errno = EIO, -1;
	x->progress = now();
	s3_drive(x, true);
	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &x->status);
	if (x->result == CURLE_OK && x->status >= 200 && x->status < 300 &&
	    (x->resp == NULL || strstr(x->resp, "<Error>") == NULL))
		return 0;
	errno = s3_failed(x);
	return -1;
}

void
s3_free(struct s3_xfer *x)
{
	if (x->easy != NULL) {
		if (x->in_multi)
			curl_multi_remove_handle(s3_multi, x->easy);
		curl_easy_cleanup(x->easy);
	}
	curl_slist_free_all(x->hdrs);
	free(x->resp);
	memset(x, 0, sizeof(*x));
}

int
s3_call(struct s3_xfer *x, const struct conf *c, const char *method, const char *key,
    const char *query, const void *body, size_t len, const char *const *headers)
{
	if (s3_begin(x, c, method, key, query, body ? (int64_t)len : -1, headers) < 0)
		return -1;
	if (body != NULL && s3_feed(x, body, len) < 0)
		return -1;
	return s3_end(x);
}

static void
xml_decode(const char *s, size_t len, char *out, size_t n)
{
	static const struct {
		const char *ent;
		char c;
	} ents[] = { { "&amp;", '&' }, { "&lt;", '<' }, { "&gt;", '>' }, { "&quot;", '"' },
		{ "&apos;", '\'' } };
	size_t o = 0;

	for (size_t i = 0; i < len && o + 1 < n;) {
		size_t k = 0;

		if (s[i] == '&')
			for (k = 0; k < sizeof(ents) / sizeof(ents[0]); k++)
				if (strncmp(s + i, ents[k].ent, strlen(ents[k].ent)) == 0)
					break;
		if (s[i] == '&' && k < sizeof(ents) / sizeof(ents[0])) {
			out[o++] = ents[k].c;
			i += strlen(ents[k].ent);
		} else {
			out[o++] = s[i++];
		}
	}
	out[o] = '\0';
}

bool
s3_xml_next(const char **pos, const char *tag, char *out, size_t n)
{
	char open[64], close[64];
	const char *a, *b;

	if (*pos == NULL)
		return false;
	snprintf(open, sizeof(open), "<%s>", tag);
	snprintf(close, sizeof(close), "</%s>", tag);
	if ((a = strstr(*pos, open)) == NULL)
		return false;
	a += strlen(open);
	if ((b = strstr(a, close)) == NULL)
		return false;
	xml_decode(a, (size_t)(b - a), out, n);
	*pos = b + strlen(close);
	return true;
}
