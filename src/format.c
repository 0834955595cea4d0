/*
 * format.c - vsnprintf for the conversions the hot path uses (format.h
 * says why).  A format is first checked whole: one conversion this file
 * does not write, and vsnprintf writes all of it, so an argument is never
 * read twice or by the wrong type.
 */
#include "config.h"

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "format.h"

/* The length of the conversion at p (just after its '%'), 0 when this
 * file does not write it. */
static size_t
conversion_len(const char *p)
{
	if (p[0] != '\0' && strchr("sdcu%", p[0]) != NULL)
		return 1;
	if (p[0] == '.' && p[1] == '*' && p[2] == 's')
		return 3;
	if (p[0] == 'z' && p[1] == 'u')
		return 2;
	if (p[0] == 'l' && (p[1] == 'd' || p[1] == 'u'))
		return 2;
	if (p[0] == 'l' && p[1] == 'l' && (p[2] == 'd' || p[2] == 'u'))
		return 3;
	return 0;
}

static bool
format_is_simple(const char *fmt)
{
	for (const char *p = strchr(fmt, '%'); p != NULL; p = strchr(p, '%')) {
		size_t n = conversion_len(p + 1);

		if (n == 0)
			return false;
		p += 1 + n;
	}
	return true;
}

/* Where the text goes: what fits of it, and how long it is in all. */
struct out {
	char *buf;
	size_t cap;
	size_t len;
};

static void
out_put(struct out *o, const char *s, size_t n)
{
	if (o->len < o->cap) {
		size_t room = o->cap - o->len;

		memcpy(o->buf + o->len, s, n < room ? n : room);
	}
	o->len += n;
}

static void
out_unsigned(struct out *o, unsigned long long v, bool negative)
{
	char digits[24];
	size_t i = sizeof(digits);

	do {
		digits[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	if (negative)
		digits[--i] = '-';
	out_put(o, digits + i, sizeof(digits) - i);
}

static void
out_signed(struct out *o, long long v)
{
	/* -(v + 1) + 1: the magnitude of LLONG_MIN too, without overflow. */
	if (v < 0)
		out_unsigned(o, (unsigned long long)-(v + 1) + 1, true);
	else
		out_unsigned(o, (unsigned long long)v, false);
}

static void
out_string(struct out *o, const char *s, int precision)
{
	if (s == NULL)
		s = "(null)"; /* glibc's */
	out_put(o, s, precision < 0 ? strlen(s) : strnlen(s, (size_t)precision));
}

/* One conversion of length n at p; the argument from ap. */
static void
out_conversion(struct out *o, const char *p, size_t n, va_list *ap)
{
	char c;

	switch (p[0] == '.' ? '*' : p[0]) {
	case '*': {
		int precision = va_arg(*ap, int);

		out_string(o, va_arg(*ap, const char *), precision);
		break;
	}
	case 's':
		out_string(o, va_arg(*ap, const char *), -1);
		break;
	case 'c':
		c = (char)va_arg(*ap, int);
		out_put(o, &c, 1);
		break;
	case 'd':
		out_signed(o, va_arg(*ap, int));
		break;
	case 'u':
		out_unsigned(o, va_arg(*ap, unsigned), false);
		break;
	case 'z':
		out_unsigned(o, va_arg(*ap, size_t), false);
		break;
	case '%':
		out_put(o, "%", 1);
		break;
	default: /* l, ll */
		if (n == 2 && p[1] == 'd')
			out_signed(o, va_arg(*ap, long));
		else if (n == 2)
			out_unsigned(o, va_arg(*ap, unsigned long), false);
		else if (p[2] == 'd')
			out_signed(o, va_arg(*ap, long long));
		else
			out_unsigned(o, va_arg(*ap, unsigned long long), false);
	}
}

int
format_v(char *buf, size_t cap, const char *fmt, va_list ap)
{
	struct out o = { buf, cap, 0 };
	va_list args;
	const char *p = fmt, *pct;

	if (!format_is_simple(fmt))
		return vsnprintf(buf, cap, fmt, ap);
	va_copy(args, ap);
	while ((pct = strchr(p, '%')) != NULL) {
		size_t n = conversion_len(pct + 1);

		out_put(&o, p, (size_t)(pct - p));
		out_conversion(&o, pct + 1, n, &args);
		p = pct + 1 + n;
	}
	va_end(args);
	out_put(&o, p, strlen(p));
	if (cap > 0)
		buf[o.len < cap ? o.len : cap - 1] = '\0';
	return o.len > (size_t)INT_MAX ? -1 : (int)o.len;
}
