/*
 * arena.c - bump allocator in chained blocks, reset once per request.
 *
 * Allocation failure aborts the process: a worker that cannot get memory
 * cannot answer anything sensibly, and the master respawns it.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "log.h"

struct arena_block {
	struct arena_block *next;
	size_t size;
	size_t used;
	max_align_t data[];
};

struct arena_cleanup {
	struct arena_cleanup *next;
	void (*fn)(void *);
	void *arg;
};

#define ARENA_ALIGN (_Alignof(max_align_t))

static struct arena_block *
arena_block_new(size_t size)
{
	struct arena_block *b = malloc(sizeof(*b) + size);

	if (b == NULL) {
		log_err("%s: out of memory (%zu bytes)", __func__, size);
		abort();
	}
	b->next = NULL;
	b->size = size;
	b->used = 0;
	return b;
}

void
arena_init(struct arena *a, size_t block_size)
{
	a->block_size = block_size < 1024 ? 1024 : block_size;
	a->head = NULL;
	a->total = 0;
	a->cleanups = NULL;
}

void
arena_on_reset(struct arena *a, void (*fn)(void *), void *arg)
{
	struct arena_cleanup *c = arena_alloc(a, sizeof(*c));

	c->fn = fn;
	c->arg = arg;
	c->next = a->cleanups;
	a->cleanups = c;
}

static void
arena_run_cleanups(struct arena *a)
{
	struct arena_cleanup *c = a->cleanups;

	a->cleanups = NULL;
	for (; c != NULL; c = c->next)
		c->fn(c->arg);
}

void *
arena_alloc(struct arena *a, size_t n)
{
	struct arena_block *b = a->head;
	size_t need = (n + ARENA_ALIGN - 1) & ~(ARENA_ALIGN - 1);
	void *p;

	if (need < n) {
		log_err("%s: size overflow", __func__);
		abort();
	}
	if (b == NULL || b->size - b->used < need) {
		size_t size = need > a->block_size ? need : a->block_size;

		if (b != NULL && need > a->block_size) {
			/* An oversized block goes behind the current one so the
			 * free space left in the current block stays usable. */
			struct arena_block *big = arena_block_new(size);

			big->next = b->next;
			b->next = big;
			big->used = need;
			a->total += need;
			return big->data;
		}
		b = arena_block_new(size);
		b->next = a->head;
		a->head = b;
	}
	p = (char *)b->data + b->used;
	b->used += need;
	a->total += need;
	return p;
}

void *
arena_calloc(struct arena *a, size_t nmemb, size_t size)
{
	void *p;

	if (size != 0 && nmemb > SIZE_MAX / size) {
		log_err("%s: size overflow", __func__);
		abort();
	}
	p = arena_alloc(a, nmemb * size);
	memset(p, 0, nmemb * size);
	return p;
}

char *
arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p = arena_alloc(a, n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
arena_strdup(struct arena *a, const char *s)
{
	return arena_strndup(a, s, strlen(s));
}

char *
arena_vprintf(struct arena *a, const char *fmt, va_list ap)
{
	va_list ap2;
	int n;
	char *p;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		n = 0;
	p = arena_alloc(a, (size_t)n + 1);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	return p;
}

char *
arena_printf(struct arena *a, const char *fmt, ...)
{
	va_list ap;
	char *p;

	va_start(ap, fmt);
	p = arena_vprintf(a, fmt, ap);
	va_end(ap);
	return p;
}

void
arena_reset(struct arena *a)
{
	struct arena_block *b, *next, *keep = NULL;

	arena_run_cleanups(a);
	/* Keep one block of the default size for the next request. */
	for (b = a->head; b != NULL; b = next) {
		next = b->next;
		if (keep == NULL && b->size == a->block_size)
			keep = b;
		else
			free(b);
	}
	if (keep != NULL) {
		keep->used = 0;
		keep->next = NULL;
	}
	a->head = keep;
	a->total = 0;
}

void
arena_destroy(struct arena *a)
{
	struct arena_block *b, *next;

	arena_run_cleanups(a);
	for (b = a->head; b != NULL; b = next) {
		next = b->next;
		free(b);
	}
	a->head = NULL;
	a->total = 0;
}

void
strbuf_init(struct strbuf *sb, struct arena *a, size_t initial)
{
	sb->arena = a;
	sb->cap = initial < 64 ? 64 : initial;
	sb->data = arena_alloc(a, sb->cap);
	sb->len = 0;
	sb->data[0] = '\0';
}

static void
strbuf_reserve(struct strbuf *sb, size_t extra)
{
	size_t cap = sb->cap;
	char *p;

	if (sb->len + extra + 1 <= cap)
		return;
	while (sb->len + extra + 1 > cap)
		cap *= 2;
	p = arena_alloc(sb->arena, cap);
	memcpy(p, sb->data, sb->len + 1);
	sb->data = p;
	sb->cap = cap;
}

void
strbuf_append(struct strbuf *sb, const char *s, size_t n)
{
	strbuf_reserve(sb, n);
	memcpy(sb->data + sb->len, s, n);
	sb->len += n;
	sb->data[sb->len] = '\0';
}

void
strbuf_puts(struct strbuf *sb, const char *s)
{
	strbuf_append(sb, s, strlen(s));
}

void
strbuf_putc(struct strbuf *sb, char c)
{
	strbuf_append(sb, &c, 1);
}

void
strbuf_printf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int n;

	/* Written in place when it fits (most do), else again once there
	 * is room; the text after len is not the string's until len moves. */
	va_start(ap, fmt);
	n = vsnprintf(sb->data + sb->len, sb->cap - sb->len, fmt, ap);
	va_end(ap);
	if (n <= 0) {
		sb->data[sb->len] = '\0';
		return;
	}
	if ((size_t)n >= sb->cap - sb->len) {
		strbuf_reserve(sb, (size_t)n);
		va_start(ap, fmt);
		vsnprintf(sb->data + sb->len, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	sb->len += (size_t)n;
}

void
strbuf_put_array_literal(struct strbuf *sb, const char *const *items, int n)
{
	strbuf_putc(sb, '{');
	for (int i = 0; i < n; i++) {
		if (i > 0)
			strbuf_putc(sb, ',');
		strbuf_putc(sb, '"');
		for (const char *c = items[i]; *c; c++) {
			if (*c == '"' || *c == '\\')
				strbuf_putc(sb, '\\');
			strbuf_putc(sb, *c);
		}
		strbuf_putc(sb, '"');
	}
	strbuf_putc(sb, '}');
}
