/*
 * log.h - the error log and the access log.
 *
 * Both go to a file or to stderr; log_reopen() is called after SIGUSR1 so
 * logrotate can move the files away.  Lines carry a UTC timestamp, the
 * level and the pid, as plain text or as one JSON object per line.  Secrets never reach a log line: callers log names,
 * never values of tokens, passwords or query strings.
 */
#ifndef FLUXBASE_LOG_H
#define FLUXBASE_LOG_H

enum log_level { LOG_LEVEL_DEBUG, LOG_LEVEL_INFO, LOG_LEVEL_WARN, LOG_LEVEL_ERROR };

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* json: one JSON object per line instead of plain text ([server] log_format). */
int log_open(const char *error_path, const char *access_path, enum log_level level, bool json);
struct conf;
/* The logs a configuration names, in its [server] log_format. */
int log_open_conf(const struct conf *c);
int log_reopen(void);
void log_close(void);
void log_msg(enum log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* One line per request; path never carries the query string. */
void log_access(const char *request_id, const char *method, const char *path, int status,
    size_t bytes, long long duration_us);
int log_level_parse(const char *s, enum log_level *out);
/* This process's pid, without a system call per use (kept right across fork). */
pid_t log_pid(void);

#define log_debug(...) log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_err(...) log_msg(LOG_LEVEL_ERROR, __VA_ARGS__)

#endif
