#include "config.h"

#include <string.h>

#include "arena.h"
#include "http.h"
#include "suites.h"

static struct arena a;

static void
setup(void)
{
	arena_init(&a, 4096);
}

static void
teardown(void)
{
	arena_destroy(&a);
}

static const char *
decode(const char *s, bool plus)
{
	char *out;

	if (url_decode(&a, s, strlen(s), plus, &out, NULL) < 0)
		return NULL;
	return out;
}

START_TEST(test_url_decode)
{
	ck_assert_str_eq(decode("a%20b%2Fc", false), "a b/c");
	ck_assert_str_eq(decode("%e2%82%AC", false), "\xe2\x82\xac");
	ck_assert_str_eq(decode("a+b", false), "a+b");
	ck_assert_str_eq(decode("a+b", true), "a b");
	ck_assert_str_eq(decode("", false), "");
	ck_assert_ptr_null(decode("%", false));
	ck_assert_ptr_null(decode("abc%2", false));
	ck_assert_ptr_null(decode("%zz", false));
	ck_assert_ptr_null(decode("%g0", false));
	ck_assert_ptr_null(decode("a%00b", false));
}
END_TEST

START_TEST(test_query_string_split)
{
	struct query_param *p;
	size_t n;
	const char *bad;

	ck_assert_int_eq(query_string_split(&a, "b=2&a=1&b=3&flag&name.is.null&&x=&y=a%3Db+c", &p,
	                     &n, &bad),
	    0);
	ck_assert_uint_eq(n, 7);
	ck_assert_str_eq(p[0].key, "b");
	ck_assert_str_eq(p[0].value, "2");
	ck_assert_str_eq(p[1].key, "a");
	ck_assert_str_eq(p[2].key, "b");
	ck_assert_str_eq(p[2].value, "3");
	ck_assert_str_eq(p[3].key, "flag");
	ck_assert(!p[3].has_value);
	ck_assert_str_eq(p[4].key, "name.is.null");
	ck_assert_str_eq(p[5].key, "x");
	ck_assert(p[5].has_value);
	ck_assert_str_eq(p[5].value, "");
	ck_assert_str_eq(p[6].value, "a=b c");

	ck_assert_int_eq(query_string_split(&a, "", &p, &n, &bad), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(query_string_split(&a, "ok=1&bad=%zz", &p, &n, &bad), -1);
	ck_assert_str_eq(bad, "bad=%zz");
	ck_assert_int_eq(query_string_split(&a, "k%0=1", &p, &n, &bad), -1);
}
END_TEST

START_TEST(test_query_limits)
{
	struct strbuf sb;
	struct query_param *p;
	size_t n;
	const char *bad;

	strbuf_init(&sb, &a, 64);
	for (int i = 0; i < 300; i++)
		strbuf_printf(&sb, "k%d=v&", i);
	ck_assert_int_eq(query_string_split(&a, sb.data, &p, &n, &bad), -1);
	ck_assert_ptr_nonnull(strstr(bad, "too many"));
}
END_TEST

START_TEST(test_method_and_request_id)
{
	ck_assert_int_eq(http_method_parse("PATCH"), HTTP_PATCH);
	ck_assert_int_eq(http_method_parse("patch"), 0);
	ck_assert_int_eq(http_method_parse("BREW"), 0);
	ck_assert_str_eq(http_method_name(HTTP_DELETE), "DELETE");
	ck_assert(request_id_is_sane("abc-123_x.y:z"));
	ck_assert(!request_id_is_sane(""));
	ck_assert(!request_id_is_sane("has space"));
	ck_assert(!request_id_is_sane("new\nline"));
	ck_assert(!request_id_is_sane(
	    "0123456789012345678901234567890123456789012345678901234567890123456789"));
}
END_TEST

Suite *
request_suite(void)
{
	Suite *s = suite_create("request");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_url_decode);
	tcase_add_test(tc, test_query_string_split);
	tcase_add_test(tc, test_query_limits);
	tcase_add_test(tc, test_method_and_request_id);
	suite_add_tcase(s, tc);
	return s;
}
