/*
 * format.h - vsnprintf for the conversions the hot path uses.
 *
 * Every request builds its SQL text and a few header values with
 * strbuf_printf and arena_printf: about twenty conversions, nearly all %s.
 * glibc's vsnprintf sets up a stdio stream for each call, which cost a
 * worker a few microseconds per request.  format_v writes %s, %.*s, %c, %d,
 * %u, %ld, %lu, %lld, %llu, %zu and %% itself and hands any other format
 * (flags, widths, %x, %f...) to vsnprintf whole, so its result is always
 * vsnprintf's.  No dependency of its own.
 */
#ifndef FLUXBASE_FORMAT_H
#define FLUXBASE_FORMAT_H

#include <stdarg.h>
#include <stddef.h>

/* As vsnprintf: writes at most cap bytes, the last a NUL (nothing when cap
 * is 0), and returns the length of the whole text (negative on error). */
int format_v(char *buf, size_t cap, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

#endif
