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
int log_reopen(void);
void log_close(void);
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* One line per request; path never carries the query string. */
void log_access(const char *request_id, const char *method, const char *path, int status,
    size_t bytes, long long duration_us);

/*
 * Access lines gathered by a worker and written out with one write(2) of
 * whole lines: when the next line does not fit, when the worker is about
 * to wait for work, and when a line comes a second or more after the
 * oldest one held.  The buffer lives
 * in shared memory (the scoreboard), so that the master writes out what a
 * worker killed or crashed left in it: no line is lost.  At most PIPE_BUF
 * bytes, so a write to a pipe is never interleaved with another process's.
 */
#define LOG_BUFFER_SIZE 4096
struct log_buffer {
	size_t len; /* bytes of whole lines in data */
	char data[LOG_BUFFER_SIZE];
};
/* From now on this process's access lines go through b (NULL: one write
 * per line again); whatever b held is written first. */
void log_buffer_use(struct log_buffer *b);
bool log_pending(void);
void log_flush(void);
/* The master: what a worker that has gone left in b. */
void log_buffer_drain(struct log_buffer *b);
int log_level_parse(const char *s, enum log_level *out);
/* This process's pid, without a system call per use (kept right across fork). */
pid_t log_pid(void);

#define log_debug(...) log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_err(...) log_msg(LOG_LEVEL_ERROR, __VA_ARGS__)

#endif
