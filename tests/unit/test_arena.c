#include "config.h"

#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "arena.h"
#include "format.h"
#include "suites.h"

START_TEST(test_alloc_aligned_and_distinct)
{
	struct arena a;
	char *p, *q;

	arena_init(&a, 1024);
	p = arena_alloc(&a, 3);
	q = arena_alloc(&a, 5);
	ck_assert_ptr_ne(p, q);
	ck_assert_uint_eq((uintptr_t)q % _Alignof(max_align_t), 0);
	memset(p, 'x', 3);
	memset(q, 'y', 5);
	ck_assert_int_eq(p[2], 'x');
	arena_destroy(&a);
}
END_TEST

START_TEST(test_large_and_many)
{
	struct arena a;
	char *small, *big;

	arena_init(&a, 1024);
	small = arena_strdup(&a, "keep me");
	big = arena_alloc(&a, 100000);
	memset(big, 1, 100000);
	for (int i = 0; i < 1000; i++)
		memset(arena_alloc(&a, 100), i & 0xff, 100);
	ck_assert_str_eq(small, "keep me");
	ck_assert_uint_ge(a.total, 100000 + 100 * 1000);
	arena_reset(&a);
	ck_assert_uint_eq(a.total, 0);
	/* Usable again after a reset, and the first block is kept. */
	ck_assert_ptr_nonnull(a.head);
	ck_assert_str_eq(arena_strdup(&a, "again"), "again");
	arena_destroy(&a);
}
END_TEST

START_TEST(test_printf_and_strbuf)
{
	struct arena a;
	struct strbuf sb;

	arena_init(&a, 1024);
	ck_assert_str_eq(arena_printf(&a, "%s-%d", "x", 42), "x-42");
	strbuf_init(&sb, &a, 1);
	for (int i = 0; i < 500; i++)
		strbuf_printf(&sb, "%d,", i % 10);
	ck_assert_uint_eq(sb.len, 1000);
	ck_assert_int_eq(sb.data[998], '9');
	strbuf_puts(&sb, "end");
	ck_assert_str_eq(sb.data + 1000, "end");
	ck_assert_str_eq(arena_strndup(&a, "abcdef", 3), "abc");
	arena_destroy(&a);
}
END_TEST

/* format_v answers what vsnprintf answers, into every size of buffer. */
static void __attribute__((format(printf, 1, 2))) same_as_libc(const char *fmt, ...)
{
	char want[256], got[256];
	va_list ap;
	int n, m;

	va_start(ap, fmt);
	n = vsnprintf(want, sizeof(want), fmt, ap);
	va_end(ap);
	ck_assert_int_lt(n, (int)sizeof(want));
	for (size_t cap = 0; cap <= (size_t)n + 1; cap++) {
		memset(got, 'x', sizeof(got));
		va_start(ap, fmt);
		m = format_v(cap ? got : NULL, cap, fmt, ap);
		va_end(ap);
		ck_assert_int_eq(m, n);
		if (cap > 0) {
			ck_assert_int_eq(memcmp(got, want, cap - 1), 0);
			ck_assert_int_eq(got[cap - 1], '\0');
		}
		ck_assert_int_eq(got[cap], 'x');
	}
}

START_TEST(test_format_as_libc)
{
	same_as_libc("plain text, no conversion");
	same_as_libc("%s", "");
	same_as_libc(" FROM %s AS _fb_t%s WHERE %s = $%d", "\"public\".\"items\"", "", "id", 7);
	same_as_libc("%d %d %d %u %u", 0, -1, INT_MIN, 0u, UINT_MAX);
	same_as_libc("%ld|%ld|%lu|%lld|%lld|%llu", LONG_MIN, LONG_MAX, ULONG_MAX, LLONG_MIN,
	    LLONG_MAX, ULLONG_MAX);
	same_as_libc("%zu-%zu/%s", (size_t)0, SIZE_MAX, "*");
	same_as_libc("%.*s|%.*s|%.*s", 3, "abcdef", 0, "abc", 10, "ab");
	same_as_libc("%c%c%%%s%%", 'a', '"', "100");
	/* Handed to libc whole: widths, flags, hex, floating point. */
	same_as_libc("%s%016llx", "req-", 0xabcULL);
	same_as_libc("%5d|%-4s|%x|%.2f|%s", 42, "ab", 255u, 1.5, "tail");
	same_as_libc("%ld then %08d", 12L, 34);
}
END_TEST

Suite *
arena_suite(void)
{
	Suite *s = suite_create("arena");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_alloc_aligned_and_distinct);
	tcase_add_test(tc, test_large_and_many);
	tcase_add_test(tc, test_printf_and_strbuf);
	tcase_add_test(tc, test_format_as_libc);
	suite_add_tcase(s, tc);
	return s;
}
