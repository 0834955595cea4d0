#include "config.h"

#include <string.h>

#include <json-c/json.h>

#include "arena.h"
#include "cors.h"
#include "http.h"
#include "sqlstate.h"
#include "suites.h"

static const char *
field(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		return "(absent)";
	if (v == NULL)
		return "(null)";
	return json_object_get_string(v);
}

START_TEST(test_error_body_plain)
{
	struct arena a;
	struct json_object *o;
	char *body;

	arena_init(&a, 1024);
	body = response_error_body(&a, "INVALID_CREDENTIALS", "Invalid email or password", NULL,
	    NULL, false);
	ck_assert_str_eq(body,
	    "{\"error\":\"Invalid email or password\",\"code\":\"INVALID_CREDENTIALS\"}");
	/* Quotes, control characters and slashes come out as valid JSON. */
	body = response_error_body(&a, "X", "a \"quoted\"\n/path\\", NULL, NULL, false);
	o = json_tokener_parse(body);
	ck_assert_ptr_nonnull(o);
	ck_assert_str_eq(field(o, "error"), "a \"quoted\"\n/path\\");
	json_object_put(o);
	arena_destroy(&a);
}
END_TEST

START_TEST(test_error_body_postgrest)
{
	struct arena a;
	struct json_object *o;

	arena_init(&a, 1024);
	o = json_tokener_parse(response_error_body(&a, "PGRST116", "JSON object requested",
	    "The result contains 2 rows", NULL, true));
	ck_assert_ptr_nonnull(o);
	ck_assert_str_eq(field(o, "error"), "JSON object requested");
	ck_assert_str_eq(field(o, "message"), "JSON object requested");
	ck_assert_str_eq(field(o, "code"), "PGRST116");
	ck_assert_str_eq(field(o, "details"), "The result contains 2 rows");
	ck_assert_str_eq(field(o, "hint"), "(null)");
	json_object_put(o);
	arena_destroy(&a);
}
END_TEST

START_TEST(test_reasons)
{
	ck_assert_str_eq(http_reason(404), "Not Found");
	ck_assert_str_eq(http_reason(413), "Payload Too Large");
	ck_assert_str_eq(http_reason(503), "Service Unavailable");
}
END_TEST

START_TEST(test_cors_allow_list)
{
	ck_assert(!cors_origin_allowed("", "https://a.example"));
	ck_assert(cors_origin_allowed("https://a.example, https://b.example", "https://b.example"));
	ck_assert(!cors_origin_allowed("https://a.example", "https://a.example.evil"));
	ck_assert(!cors_origin_allowed("https://a.example.evil", "https://a.example"));
	ck_assert(cors_origin_allowed("*", "http://anything"));
	ck_assert(!cors_origin_allowed("*", ""));
}
END_TEST

/* Client mistakes are 4xx; the server's own trouble is 500 or 503. */
START_TEST(test_sqlstate_statuses)
{
	static const struct {
		const char *state;
		int anon, user;
	} cases[] = {
		{ "42601", 400, 400 }, /* malformed tsquery */
		{ "42P10", 400, 400 }, /* on_conflict without a unique index */
		{ "42704", 400, 400 }, /* unknown text search configuration */
		{ "42703", 400, 400 },
		{ "42883", 400, 400 },
		{ "22P02", 400, 400 },
		{ "23502", 400, 400 },
		{ "23514", 400, 400 },
		{ "21000", 400, 400 },
		{ "23505", 409, 409 },
		{ "23503", 409, 409 },
		{ "42501", 401, 403 },
		{ "42P01", 404, 404 },
		{ "25006", 405, 405 },
		{ "PT116", 406, 406 },
		{ "PT401", 401, 401 },
		{ "P0001", 400, 400 },
		{ "28000", 403, 403 },
		{ "0P000", 403, 403 },
		{ "08006", 503, 503 },
		{ "53300", 503, 503 },
		{ "57P01", 503, 503 },
		{ "42P17", 500, 500 },
		{ "53400", 500, 500 },
		{ "XX000", 500, 500 },
		{ "40001", 500, 500 },
		{ "57014", 504, 504 },
		{ "PT402", 402, 402 },
		{ "PT503", 503, 503 },
		{ "PT124", 400, 400 },
		{ "PT600", 500, 500 },
		{ "PT09x", 500, 500 },
		{ "FB001", 500, 500 },
		{ "4260", 500, 500 },
		{ "", 500, 500 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ck_assert_msg(sqlstate_status(cases[i].state, false) == cases[i].anon, "%s",
		    cases[i].state);
		ck_assert_msg(sqlstate_status(cases[i].state, true) == cases[i].user, "%s",
		    cases[i].state);
	}
	ck_assert_int_eq(sqlstate_status(NULL, false), 500);
}
END_TEST

Suite *
response_suite(void)
{
	Suite *s = suite_create("response");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_error_body_plain);
	tcase_add_test(tc, test_error_body_postgrest);
	tcase_add_test(tc, test_reasons);
	tcase_add_test(tc, test_cors_allow_list);
	tcase_add_test(tc, test_sqlstate_statuses);
	suite_add_tcase(s, tc);
	return s;
}
