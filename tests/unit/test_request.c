#include "config.h"

#include <stdio.h>
#include <string.h>

#include <fcgiapp.h>

#include "arena.h"
#include "conf.h"
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

/* n FastCGI parameters: the few a request reads, a repeated name, then
 * filler; what each lookup answers, whether the index holds them all or
 * (many parameters) lookups go to libfcgi's list. */
static void
expect_params(int filler)
{
	static char env[200][48];
	char *envp[210];
	int n = 0;
	FCGX_Request fcgx;
	struct request r;
	char err[256];
	struct conf *conf = conf_load(NULL, NULL, err, sizeof(err));

	ck_assert_ptr_nonnull(conf);
	envp[n++] = "REQUEST_METHOD=PATCH";
	envp[n++] = "REQUEST_URI=/api/v1/tables/t?a=1";
	envp[n++] = "HTTP_X_REQUEST_ID=first";
	envp[n++] = "HTTP_X_REQUEST_ID=second";
	envp[n++] = "HTTP_X=short";
	envp[n++] = "HTTP_EMPTY=";
	for (int i = 0; i < filler; i++) {
		snprintf(env[i], sizeof(env[i]), "HTTP_FILLER_%d=%d", i, i);
		envp[n++] = env[i];
	}
	envp[n] = NULL;
	memset(&fcgx, 0, sizeof(fcgx));
	fcgx.envp = envp;
	ck_assert_int_eq(request_init(&r, &a, &fcgx, conf), 0);
	/* (Both ways are taken: indexed up to 48 parameters.) */
	ck_assert(n <= 48 ? r.param_slots != NULL : r.param_slots == NULL);
	ck_assert_int_eq(r.method, HTTP_PATCH);
	ck_assert_str_eq(r.raw_path, "/api/v1/tables/t");
	ck_assert_str_eq(r.request_id, "first");
	ck_assert_str_eq(request_header(&r, "X"), "short");
	ck_assert_str_eq(request_header(&r, "Empty"), "");
	ck_assert_ptr_null(request_header(&r, "X-Request"));
	ck_assert_ptr_null(request_header(&r, "Authorization"));
	if (filler > 0)
		ck_assert_str_eq(request_header(&r, "Filler-0"), "0");
	if (filler > 1) {
		char name[32], want[16];

		snprintf(name, sizeof(name), "Filler-%d", filler - 1);
		snprintf(want, sizeof(want), "%d", filler - 1);
		ck_assert_str_eq(request_header(&r, name), want);
	}
	ck_assert_ptr_null(request_header(&r, "Filler-9999"));
	conf_free(conf);
}

START_TEST(test_params_by_name)
{
	expect_params(0);
	expect_params(20);
	expect_params(42); /* 48 parameters: the most the index takes */
	expect_params(43); /* one more: libfcgi's list */
	expect_params(150);
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
	tcase_add_test(tc, test_params_by_name);
	suite_add_tcase(s, tc);
	return s;
}
