/*
 * arena.h - per-request memory.
 *
 * A request allocates from one arena and never frees piecemeal; the worker
 * resets the arena after the response is finished.  The first block is kept
 * across resets so a steady stream of small requests allocates nothing new.
 * strbuf is a growable string that lives in an arena.
 */
#ifndef FLUXBASE_ARENA_H
#define FLUXBASE_ARENA_H

#include <stdarg.h>
#include <stddef.h>

struct arena_block;

struct arena_cleanup;

struct arena {
	struct arena_block *head; /* current block, newest first */
	size_t block_size; /* default size of a new block */
	size_t total; /* bytes handed out since the last reset */
	struct arena_cleanup *cleanups;
};

void arena_init(struct arena *a, size_t block_size);
void *arena_alloc(struct arena *a, size_t n);
void *arena_calloc(struct arena *a, size_t nmemb, size_t size);
char *arena_strdup(struct arena *a, const char *s);
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_printf(struct arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
char *arena_vprintf(struct arena *a, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
/* Runs fn(arg) at the next reset (e.g. to free a database result whose
 * text a response points into), most recent first. */
void arena_on_reset(struct arena *a, void (*fn)(void *), void *arg);
/* Frees every block but the first, which is kept for reuse. */
void arena_reset(struct arena *a);
void arena_destroy(struct arena *a);

struct strbuf {
	struct arena *arena;
	char *data;
	size_t len;
	size_t cap;
};

void strbuf_init(struct strbuf *sb, struct arena *a, size_t initial);
void strbuf_append(struct strbuf *sb, const char *s, size_t n);
void strbuf_puts(struct strbuf *sb, const char *s);
void strbuf_putc(struct strbuf *sb, char c);
void strbuf_printf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* One PostgreSQL array literal of text items, every one quoted and
 * escaped: {"a","b\"c"} (a parameter, never spliced into SQL). */
void strbuf_put_array_literal(struct strbuf *sb, const char *const *items, int n);

#endif
