/*
 * log.c - line-oriented logs written with one write(2) per line, so lines
 * from concurrent workers appending to one file never interleave.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "text.h"

static int error_fd = STDERR_FILENO;
static int access_fd = STDERR_FILENO;
static char *error_path_saved;
static char *access_path_saved;
static enum log_level min_level = LOG_LEVEL_INFO;
static bool json_lines;

static struct log_buffer *access_buf; /* NULL: one write per line */
static time_t access_buf_since; /* the oldest buffered line's second */

static const char *level_names[] = { "debug", "info", "warn", "error" };

static pid_t self_pid;

static void
log_forked(void)
{
	self_pid = getpid();
}

pid_t
log_pid(void)
{
	if (self_pid == 0) {
		pthread_atfork(NULL, NULL, log_forked);
		self_pid = getpid();
	}
	return self_pid;
}

int
log_level_parse(const char *s, enum log_level *out)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (strcasecmp(s, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return -1;
}

static int
log_open_path(const char *path)
{
	if (path == NULL || path[0] == '\0' || strcmp(path, "-") == 0)
		return STDERR_FILENO;
	return open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
}

static void
log_set_fd(int *slot, int fd)
{
	if (*slot != STDERR_FILENO && *slot != fd)
		close(*slot);
	*slot = fd;
}

int
log_open(const char *error_path, const char *access_path, enum log_level level, bool json)
{
	int efd, afd;

	efd = log_open_path(error_path);
	if (efd < 0) {
		fprintf(stderr, "fluxbase-fcgi: cannot open log %s: %s\n", error_path,
		    strerror(errno));
		return -1;
	}
	afd = log_open_path(access_path);
	if (afd < 0) {
		fprintf(stderr, "fluxbase-fcgi: cannot open log %s: %s\n", access_path,
		    strerror(errno));
		if (efd != STDERR_FILENO)
			close(efd);
		return -1;
	}
	log_set_fd(&error_fd, efd);
	log_set_fd(&access_fd, afd);
	free(error_path_saved);
	free(access_path_saved);
	error_path_saved = error_path ? strdup(error_path) : NULL;
	access_path_saved = access_path ? strdup(access_path) : NULL;
	min_level = level;
	json_lines = json;
	return 0;
}

int
log_reopen(void)
{
	char *e = error_path_saved ? strdup(error_path_saved) : NULL;
	char *a = access_path_saved ? strdup(access_path_saved) : NULL;
	int rc;

	log_flush();
	rc = log_open(e, a, min_level, json_lines);
	free(e);
	free(a);
	return rc;
}

void
log_close(void)
{
	log_flush();
	access_buf = NULL;
	log_set_fd(&error_fd, STDERR_FILENO);
	log_set_fd(&access_fd, STDERR_FILENO);
	free(error_path_saved);
	free(access_path_saved);
	error_path_saved = access_path_saved = NULL;
}

/* "2026-01-31T12:34:56.789Z"; the part up to the seconds is made once a
 * second.  Sets *sec to the time's seconds. */
static size_t
log_timestamp(char *buf, size_t size, time_t *sec)
{
	static time_t cached_sec = -1;
	static char cached[32];
	static size_t cached_len;
	struct timespec ts;
	struct tm tm;
	long ms;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (ts.tv_sec != cached_sec) {
		gmtime_r(&ts.tv_sec, &tm);
		cached_len = strftime(cached, sizeof(cached), "%Y-%m-%dT%H:%M:%S", &tm);
		cached_sec = ts.tv_sec;
	}
	*sec = ts.tv_sec;
	if (size < cached_len + 6) {
		buf[0] = '\0';
		return 0;
	}
	memcpy(buf, cached, cached_len);
	ms = ts.tv_nsec / 1000000;
	buf[cached_len] = '.';
	buf[cached_len + 1] = (char)('0' + ms / 100);
	buf[cached_len + 2] = (char)('0' + ms / 10 % 10);
	buf[cached_len + 3] = (char)('0' + ms % 10);
	buf[cached_len + 4] = 'Z';
	buf[cached_len + 5] = '\0';
	return cached_len + 5;
}

/* A line under construction: it never grows past its buffer. */
struct line {
	char buf[4096];
	size_t n;
};

static void
line_add(struct line *l, const char *s, size_t len)
{
	if (len > sizeof(l->buf) - 2 - l->n)
		len = sizeof(l->buf) - 2 - l->n;
	memcpy(l->buf + l->n, s, len);
	l->n += len;
}

static void __attribute__((format(printf, 2, 0)))
line_vprintf(struct line *l, const char *fmt, va_list ap)
{
	size_t room = sizeof(l->buf) - 1 - l->n;
	int m = vsnprintf(l->buf + l->n, room, fmt, ap);

	if (m > 0)
		l->n += (size_t)m < room ? (size_t)m : room - 1;
}

static void __attribute__((format(printf, 2, 3))) line_printf(struct line *l, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	line_vprintf(l, fmt, ap);
	va_end(ap);
}

/*
 * A JSON string.  Text that is not valid UTF-8 (a client's raw bytes) has
 * its bytes above 0x7f escaped one by one, so every line stays valid JSON.
 */
static void
line_json_string(struct line *l, const char *s)
{
	size_t len = strlen(s);
	bool utf8 = utf8_is_valid(s, len);
	char esc[8];

	line_add(l, "\"", 1);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			line_add(l, esc, 2);
		} else if (c < 0x20 || c == 0x7f || (c >= 0x80 && !utf8)) {
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			line_add(l, esc, 6);
		} else {
			line_add(l, s + i, 1);
		}
	}
	line_add(l, "\"", 1);
}

static void
write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

static void
line_write(int fd, struct line *l)
{
	l->buf[l->n++] = '\n';
	write_all(fd, l->buf, l->n);
}

void
log_buffer_use(struct log_buffer *b)
{
	log_flush();
	access_buf = b;
	log_flush();
}

bool
log_pending(void)
{
	return access_buf != NULL && access_buf->len > 0;
}

void
log_buffer_drain(struct log_buffer *b)
{
	if (b->len > 0 && b->len <= sizeof(b->data))
		write_all(access_fd, b->data, b->len);
	b->len = 0;
}

void
log_flush(void)
{
	int saved = errno;

	if (access_buf != NULL)
		log_buffer_drain(access_buf);
	errno = saved;
}

/* An access line: into the buffer when there is one, whole. */
static void
access_write(struct line *l, time_t now)
{
	struct log_buffer *b = access_buf;

	if (b == NULL) {
		line_write(access_fd, l);
		return;
	}
	l->buf[l->n++] = '\n';
	if (l->n > sizeof(b->data) - b->len)
		log_flush();
	if (b->len == 0)
		access_buf_since = now;
	memcpy(b->data + b->len, l->buf, l->n);
	b->len += l->n; /* committed: the master writes it if we die now */
	if (now - access_buf_since >= 1)
		log_flush();
}

void
log_msg(enum log_level level, const char *fmt, ...)
{
	struct line l;
	char ts[40];
	time_t now;
	va_list ap;
	int saved = errno;

	if (level < min_level)
		return;
	l.n = 0;
	/* Both logs on one stream: the requests before this line come first. */
	if (access_fd == error_fd)
		log_flush();
	log_timestamp(ts, sizeof(ts), &now);
	if (json_lines) {
		char msg[sizeof(l.buf)];

		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
		line_printf(&l, "{\"time\":\"%s\",\"level\":\"%s\",\"pid\":%ld,\"message\":", ts,
		    level_names[level], (long)log_pid());
		line_json_string(&l, msg);
		line_add(&l, "}", 1);
	} else {
		line_printf(&l, "%s [%s] [pid %ld] ", ts, level_names[level], (long)log_pid());
		va_start(ap, fmt);
		line_vprintf(&l, fmt, ap);
		va_end(ap);
	}
	line_write(error_fd, &l);
	errno = saved;
}

void
log_access(const char *request_id, const char *method, const char *path, int status, size_t bytes,
    long long duration_us)
{
	struct line l;
	char ts[40];
	time_t now;

	l.n = 0;
	log_timestamp(ts, sizeof(ts), &now);
	if (json_lines) {
		line_printf(&l, "{\"time\":\"%s\",\"request_id\":", ts);
		line_json_string(&l, request_id);
		line_add(&l, ",\"method\":", 10);
		line_json_string(&l, method);
		line_add(&l, ",\"path\":", 8);
		line_json_string(&l, path);
		line_printf(&l, ",\"status\":%d,\"bytes\":%zu,\"duration_us\":%lld,\"pid\":%ld}",
		    status, bytes, duration_us, (long)log_pid());
	} else {
		line_printf(&l, "%s %s %s %s %d %zu %lldus pid=%ld", ts, request_id, method, path,
		    status, bytes, duration_us, (long)log_pid());
	}
	access_write(&l, now);
}
