/*
 * request.c - from FastCGI parameters to a request.
 *
 * The path comes from REQUEST_URI (every web server sends it; nginx's stock
 * fastcgi_params has no PATH_INFO).  The query string is split in order,
 * repeats kept, a key without '=' allowed.  The body is read on demand,
 * against a deadline: body_timeout seconds from the first read, one more
 * second for every body_min_rate bytes received (as Apache's
 * mod_reqtimeout does).  Each read arms a one-shot timer for what is left;
 * its signal interrupts the blocked read(), which libfcgi takes as the end
 * of the stream, so a client trickling a body frees its worker on time.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <fcgiapp.h>
#include <sodium.h>

#include "conf.h"
#include "http.h"
#include "log.h"

#define QUERY_MAX_PARAMS 256
#define QUERY_MAX_LEN (64 * 1024)

static const struct {
	const char *name;
	int method;
} methods[] = {
	{ "GET", HTTP_GET },
	{ "HEAD", HTTP_HEAD },
	{ "POST", HTTP_POST },
	{ "PUT", HTTP_PUT },
	{ "PATCH", HTTP_PATCH },
	{ "DELETE", HTTP_DELETE },
	{ "OPTIONS", HTTP_OPTIONS },
};

int
http_method_parse(const char *name)
{
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (name != NULL && strcmp(name, methods[i].name) == 0)
			return methods[i].method;
	return 0;
}

const char *
http_method_name(int method)
{
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (methods[i].method == method)
			return methods[i].name;
	return "?";
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
url_decode(struct arena *a, const char *s, size_t n, bool plus_is_space, char **out, size_t *outlen)
{
	char *d = arena_alloc(a, n + 1);
	size_t i, j = 0;

	for (i = 0; i < n; i++) {
		if (s[i] == '%') {
			int hi, lo;

			if (i + 2 >= n)
				return -1;
			hi = hexval((unsigned char)s[i + 1]);
			lo = hexval((unsigned char)s[i + 2]);
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
				return -1;
			d[j++] = (char)(hi * 16 + lo);
			i += 2;
		} else if (s[i] == '+' && plus_is_space) {
			d[j++] = ' ';
		} else if (s[i] == '\0') {
			return -1;
		} else {
			d[j++] = s[i];
		}
	}
	d[j] = '\0';
	*out = d;
	if (outlen != NULL)
		*outlen = j;
	return 0;
}

int
query_string_split(struct arena *a, const char *qs, struct query_param **out, size_t *count,
    const char **bad)
{
	struct query_param *params;
	size_t n = 0, cap = 0;
	const char *p = qs;

	*out = NULL;
	*count = 0;
	*bad = NULL;
	if (qs == NULL || *qs == '\0')
		return 0;
	if (strlen(qs) > QUERY_MAX_LEN) {
		*bad = "the query string is too long";
		return -1;
	}
	for (const char *c = qs; *c; c++)
		if (*c == '&')
			cap++;
	cap++;
	if (cap > QUERY_MAX_PARAMS) {
		*bad = "too many query parameters";
		return -1;
	}
	params = arena_calloc(a, cap, sizeof(*params));
	while (*p != '\0') {
		const char *amp = strchr(p, '&');
		const char *end = amp ? amp : p + strlen(p);
		const char *eq = memchr(p, '=', (size_t)(end - p));
		struct query_param *qp = &params[n];

		if (end == p) { /* "a=1&&b=2": skip the empty piece */
			p = amp ? amp + 1 : end;
			continue;
		}
		if (url_decode(a, p, (size_t)((eq ? eq : end) - p), true, &qp->key, NULL) < 0 ||
		    (eq != NULL &&
		        url_decode(a, eq + 1, (size_t)(end - eq - 1), true, &qp->value, NULL) <
		            0)) {
			*bad = arena_strndup(a, p, (size_t)(end - p));
			return -1;
		}
		qp->has_value = eq != NULL;
		if (eq == NULL)
			qp->value = "";
		n++;
		p = amp ? amp + 1 : end;
	}
	*out = params;
	*count = n;
	return 0;
}

const char *
query_get(const struct request *r, const char *key)
{
	for (size_t i = 0; i < r->nparams; i++)
		if (strcmp(r->params[i].key, key) == 0)
			return r->params[i].value;
	return NULL;
}

/*
 * The FastCGI parameters indexed once per request: a request asks for a
 * dozen of them, and libfcgi's FCGX_GetParam compares the name with every
 * parameter, each time.  Open addressing on the name; the first of a
 * repeated name wins, as with FCGX_GetParam; more parameters than the
 * table holds at three quarters full, and lookups go to libfcgi's list.
 * FNV rather than the caches' keyed slothash: the table lives for one
 * request and holds at most 48 names, so names a client picks to collide
 * (HTTP_* headers) cost at most the scan libfcgi would make anyway, and a
 * SipHash of every name would cost more than the index saves.
 */
#define PARAM_SLOTS 64

static unsigned
param_hash(const char *s, size_t n)
{
	unsigned h = 2166136261u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h;
}

/* The slot of name (n bytes): its entry's, or the empty one it would take. */
static const char **
param_slot(const char **slots, const char *name, size_t n)
{
	unsigned h = param_hash(name, n);

	for (;; h++) {
		const char **e = &slots[h % PARAM_SLOTS];

		if (*e == NULL || (strncmp(*e, name, n) == 0 && (*e)[n] == '='))
			return e;
	}
}

static void
request_index_params(struct request *r, struct arena *a)
{
	const char **slots = arena_calloc(a, PARAM_SLOTS, sizeof(*slots));
	int n = 0;

	if (slots == NULL || r->fcgx->envp == NULL)
		return;
	for (char **p = r->fcgx->envp; *p != NULL; p++) {
		const char *eq = strchr(*p, '='), **e;

		if (eq == NULL)
			continue;
		if (++n > PARAM_SLOTS * 3 / 4)
			return;
		e = param_slot(slots, *p, (size_t)(eq - *p));
		if (*e == NULL)
			*e = *p;
	}
	r->param_slots = slots;
}

const char *
request_param(const struct request *r, const char *fcgi_name)
{
	size_t n;
	const char *e;

	if (r->param_slots == NULL)
		return FCGX_GetParam(fcgi_name, r->fcgx->envp);
	n = strlen(fcgi_name);
	e = *param_slot(r->param_slots, fcgi_name, n);
	return e != NULL ? e + n + 1 : NULL;
}

const char *
request_header(const struct request *r, const char *name)
{
	char var[128];
	size_t i = 0, j = 0;

	if (strcasecmp(name, "Content-Type") == 0)
		return request_param(r, "CONTENT_TYPE");
	if (strcasecmp(name, "Content-Length") == 0)
		return request_param(r, "CONTENT_LENGTH");
	memcpy(var, "HTTP_", 5);
	j = 5;
	for (i = 0; name[i] != '\0' && j < sizeof(var) - 1; i++)
		var[j++] = name[i] == '-' ? '_' : (char)toupper((unsigned char)name[i]);
	var[j] = '\0';
	return request_param(r, var);
}

bool
request_id_is_sane(const char *id)
{
	size_t n = 0;

	for (; id[n] != '\0'; n++) {
		unsigned char c = (unsigned char)id[n];

		if (!(isalnum(c) || c == '-' || c == '_' || c == '.' || c == ':'))
			return false;
		if (n >= 64)
			return false;
	}
	return n > 0;
}

/* Random per process, then counted: unique without a syscall per request. */
static void
request_set_id(struct request *r)
{
	static char prefix[17];
	static pid_t owner;
	static unsigned long long counter;
	const char *given = request_header(r, "X-Request-Id");

	if (given != NULL && request_id_is_sane(given)) {
		snprintf(r->request_id, sizeof(r->request_id), "%s", given);
		return;
	}
	if (owner != log_pid()) {
		unsigned char rnd[8];

		randombytes_buf(rnd, sizeof(rnd));
		sodium_bin2hex(prefix, sizeof(prefix), rnd, sizeof(rnd));
		owner = log_pid();
	}
	snprintf(r->request_id, sizeof(r->request_id), "%s%016llx", prefix, ++counter);
}

int
request_init(struct request *r, struct arena *a, struct FCGX_Request *fcgx, const struct conf *conf)
{
	const char *uri, *q, *cl, *bad;
	char *decoded;

	memset(r, 0, sizeof(*r));
	r->arena = a;
	r->fcgx = fcgx;
	r->conf = conf;
	request_index_params(r, a);
	request_set_id(r);

	r->method_name = request_param(r, "REQUEST_METHOD");
	if (r->method_name == NULL)
		r->method_name = "GET";
	r->method = http_method_parse(r->method_name);

	uri = request_param(r, "REQUEST_URI");
	if (uri == NULL || uri[0] == '\0') {
		const char *script = request_param(r, "SCRIPT_NAME");
		const char *info = request_param(r, "PATH_INFO");
		const char *qs = request_param(r, "QUERY_STRING");

		uri = arena_printf(a, "%s%s%s%s", script ? script : "", info ? info : "",
		    qs && *qs ? "?" : "", qs ? qs : "");
	}
	q = strchr(uri, '?');
	r->raw_path = q ? arena_strndup(a, uri, (size_t)(q - uri)) : uri;
	r->query_string = q ? q + 1 : "";
	if (r->raw_path[0] != '/')
		return response_error(r, 400, "INVALID_PATH", "The request path must start with /"),
		       -1;
	if (url_decode(a, r->raw_path, strlen(r->raw_path), false, &decoded, NULL) < 0)
		return response_error(r, 400, "INVALID_PATH",
		           "The request path has a malformed percent escape"),
		       -1;
	if (query_string_split(a, r->query_string, &r->params, &r->nparams, &bad) < 0)
		return response_error(r, 400, "INVALID_QUERY", "Malformed query parameter: %s",
		           bad),
		       -1;

	cl = request_param(r, "CONTENT_LENGTH");
	if (cl != NULL) {
		/* nginx sends an empty CONTENT_LENGTH when there is no body. */
		char *end;
		unsigned long long n = 0;

		if (cl[0] != '\0') {
			errno = 0;
			if (!isdigit((unsigned char)cl[0]) ||
			    (n = strtoull(cl, &end, 10), errno != 0 || *end != '\0') ||
			    n > SIZE_MAX / 2)
				return response_error(r, 400, "INVALID_REQUEST",
				           "Invalid Content-Length"),
				       -1;
		}
		r->has_content_length = true;
		r->content_length = (size_t)n;
	}
	/* A chunked body streamed by the web server has no length up front
	 * (nginx then sends an empty CONTENT_LENGTH): read it to its end. */
	{
		const char *te = request_header(r, "Transfer-Encoding");

		if (te != NULL && strcasestr(te, "chunked") != NULL)
			r->has_content_length = false;
	}
	return 0;
}

static volatile sig_atomic_t body_alarm;

static void
body_on_alarm(int signo)
{
	(void)signo;
	body_alarm = 1;
}

static double
monotonic_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Seconds the body may still take (> 0), or 0 when it is late; -1: no limit. */
static double
body_time_left(struct request *r)
{
	const struct conf *c = r->conf;
	double now = monotonic_now(), allowed;

	if (c->body_timeout <= 0)
		return -1;
	if (r->body_started == 0)
		r->body_started = now;
	allowed = (double)c->body_timeout;
	if (c->body_min_rate > 0)
		allowed += (double)r->body_read / (double)c->body_min_rate;
	return r->body_started + allowed > now ? r->body_started + allowed - now : 0;
}

static void
body_timer(double seconds)
{
	static bool installed;
	struct itimerval it = { { 0, 0 }, { 0, 0 } };

	if (!installed) {
		struct sigaction sa;

		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = body_on_alarm;
		sigemptyset(&sa.sa_mask);
		sa.sa_flags = 0; /* no SA_RESTART: the read must end */
		sigaction(SIGALRM, &sa, NULL);
		installed = true;
	}
	if (seconds > 0) {
		it.it_value.tv_sec = (time_t)seconds;
		it.it_value.tv_usec = (suseconds_t)((seconds - (double)(time_t)seconds) * 1e6) + 1;
	}
	setitimer(ITIMER_REAL, &it, NULL);
}

ssize_t
request_read(struct request *r, void *buf, size_t n)
{
	double left;
	int got;

	if (r->body_eof)
		return 0;
	if (r->has_content_length) {
		if (r->body_read >= r->content_length) {
			r->body_eof = true;
			return 0;
		}
		if (n > r->content_length - r->body_read)
			n = r->content_length - r->body_read;
	}
	if (n > INT_MAX)
		n = INT_MAX;
	if ((left = body_time_left(r)) == 0) {
		r->body_timed_out = true;
		return -1;
	}
	if (left > 0) {
		body_alarm = 0;
		body_timer(left);
	}
	got = FCGX_GetStr(buf, (int)n, r->fcgx->in);
	if (left > 0) {
		body_timer(0);
		if (body_alarm) {
			r->body_timed_out = true;
			return -1;
		}
	}
	if (got < 0 || FCGX_GetError(r->fcgx->in) != 0)
		return -1;
	if (got == 0) {
		r->body_eof = true;
		/* A body shorter than announced: the client went away. */
		if (r->has_content_length && r->body_read < r->content_length)
			return -1;
	}
	r->body_read += (size_t)got;
	return got;
}

int
request_read_failed(struct request *r)
{
	if (r->body_timed_out)
		response_error(r, 408, "REQUEST_TIMEOUT",
		    "The request body arrived too slowly (at least %zu bytes a second after the"
		    " first %d seconds)",
		    r->conf->body_min_rate, r->conf->body_timeout);
	else
		response_error(r, 400, "INVALID_REQUEST", "The request body could not be read");
	return -1;
}

bool
request_input_done(struct request *r)
{
	/* A stream that failed (a body cut by its deadline, say) reports
	 * end of input too, while the web server may still be sending: its
	 * body is not done. */
	if (r->body_timed_out || FCGX_GetError(r->fcgx->in) != 0)
		return false;
	if (FCGX_HasSeenEOF(r->fcgx->in) == EOF)
		return true;
	/* The whole announced body is read (or there is none): all that
	 * follows is the end-of-input record, sent with it.  Anything else
	 * (a body not read, a length unknown) is left to libfcgi's close,
	 * which reads what still comes for a while. */
	return r->has_content_length && r->body_read >= r->content_length &&
	    FCGX_GetChar(r->fcgx->in) == EOF;
}

int
request_body(struct request *r, size_t limit, const char **body, size_t *len)
{
	struct strbuf sb;
	char chunk[16384];
	ssize_t got;

	if (r->has_content_length && r->content_length > limit) {
		response_error(r, 413, "PAYLOAD_TOO_LARGE",
		    "The request body is larger than the limit of %zu bytes", limit);
		return -1;
	}
	strbuf_init(&sb, r->arena, r->has_content_length ? r->content_length + 1 : 4096);
	while ((got = request_read(r, chunk, sizeof(chunk))) > 0) {
		if (sb.len + (size_t)got > limit) {
			response_error(r, 413, "PAYLOAD_TOO_LARGE",
			    "The request body is larger than the limit of %zu bytes", limit);
			return -1;
		}
		strbuf_append(&sb, chunk, (size_t)got);
	}
	if (got < 0)
		return request_read_failed(r);
	*body = sb.data;
	*len = sb.len;
	return 0;
}

bool
request_client_in(const struct request *r, const char *list)
{
	const char *addr = request_client_address(r), *p = list;
	size_t alen = strlen(addr);

	while (*p != '\0') {
		size_t len;

		p += strspn(p, ", ");
		len = strcspn(p, ", ");
		if (len > 0 && len == alen && strncmp(p, addr, len) == 0)
			return true;
		p += len;
	}
	return false;
}

const char *
request_client_address(const struct request *r)
{
	const char *h = r->conf->trusted_proxy_header;

	if (h[0] != '\0') {
		const char *v = request_header(r, h), *last;

		if (v != NULL && v[0] != '\0') {
			last = strrchr(v, ',');
			last = last ? last + 1 : v;
			while (*last == ' ')
				last++;
			if (*last != '\0' && strlen(last) <= 64)
				return last;
		}
	}
	h = request_param(r, "REMOTE_ADDR");
	return h ? h : "unknown";
}
