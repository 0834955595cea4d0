#include "config.h"

#include <stdint.h>
#include <string.h>

#include "arena.h"
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
	/* Formatted in place, or again after growing: the text before it kept. */
	strbuf_init(&sb, &a, 64);
	strbuf_puts(&sb, "0123456789012345678901234567890123456789012345678901234567");
	strbuf_printf(&sb, "%s|%d", "abcdef", -12);
	ck_assert_str_eq(sb.data,
	    "0123456789012345678901234567890123456789012345678901234567"
	    "abcdef|-12");
	ck_assert_uint_eq(sb.len, 68);
	ck_assert_str_eq(arena_strndup(&a, "abcdef", 3), "abc");
	arena_destroy(&a);
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
	suite_add_tcase(s, tc);
	return s;
}
