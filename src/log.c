/*
 * log.c - line-oriented logs written with one write(2) per line, so lines
 * from concurrent workers appending to one file never interleave.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static int error_fd = STDERR_FILENO;
static int access_fd = STDERR_FILENO;
static char *error_path_saved;
static char *access_path_saved;
static enum log_level min_level = LOG_LEVEL_INFO;

static const char *level_names[] = { "debug", "info", "warn", "error" };

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
log_open(const char *error_path, const char *access_path, enum log_level level)
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
	return 0;
}

int
log_reopen(void)
{
	char *e = error_path_saved ? strdup(error_path_saved) : NULL;
	char *a = access_path_saved ? strdup(access_path_saved) : NULL;
	int rc = log_open(e, a, min_level);

	free(e);
	free(a);
	return rc;
}

void
log_close(void)
{
	log_set_fd(&error_fd, STDERR_FILENO);
	log_set_fd(&access_fd, STDERR_FILENO);
	free(error_path_saved);
	free(access_path_saved);
	error_path_saved = access_path_saved = NULL;
}

static size_t
log_timestamp(char *buf, size_t size)
{
	struct timespec ts;
	struct tm tm;
	size_t n;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
	n += (size_t)snprintf(buf + n, size - n, ".%03ldZ", ts.tv_nsec / 1000000);
	return n;
}

static void
log_write_line(int fd, const char *prefix, const char *fmt, va_list ap)
{
	char line[4096];
	size_t n;
	int m;

	n = log_timestamp(line, sizeof(line));
	m = snprintf(line + n, sizeof(line) - n, " %s", prefix);
	if (m > 0)
		n += (size_t)m;
	if (n < sizeof(line) - 1) {
		m = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
		if (m > 0)
			n += (size_t)m;
	}
	if (n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	while (write(fd, line, n) < 0 && errno == EINTR)
		;
}

void
log_msg(enum log_level level, const char *fmt, ...)
{
	char prefix[48];
	va_list ap;
	int saved = errno;

	if (level < min_level)
		return;
	snprintf(prefix, sizeof(prefix), "[%s] [pid %ld] ", level_names[level],
	    (long)getpid());
	va_start(ap, fmt);
	log_write_line(error_fd, prefix, fmt, ap);
	va_end(ap);
	errno = saved;
}

void
log_access(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_write_line(access_fd, "", fmt, ap);
	va_end(ap);
}
