/*
 * The SQL of a request's identity (session_sql.c): a read with the checks
 * folded in numbers its parameters after the read's own, and compares the
 * statement timeout with the text PostgreSQL shows for it (the expected
 * texts below are what PostgreSQL 15's SHOW statement_timeout printed
 * after SET statement_timeout = <ms>; a wrong text would send every folded
 * read back to the two-statement path).
 */
#include "config.h"

#include <string.h>

#include "arena.h"
#include "session_sql.h"
#include "suites.h"

START_TEST(test_timeout_text_as_postgresql_shows_it)
{
	static const struct {
		long ms;
		const char *shown;
	} cases[] = {
		{ 0, "0" },
		{ 1, "1ms" },
		{ 1500, "1500ms" },
		{ 10000, "10s" },
		{ 90000, "90s" },
		{ 60000, "1min" },
		{ 150000, "150s" },
		{ 3600000, "1h" },
		{ 5400000, "90min" },
		{ 86400000, "1d" },
		{ 172800000, "2d" },
	};
	struct arena ar, *a = &ar;

	arena_init(a, 4096);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ck_assert_str_eq(session_timeout_text(a, cases[i].ms), cases[i].shown);
	arena_destroy(a);
}
END_TEST

START_TEST(test_fold_numbers_parameters_after_the_read)
{
	struct arena ar, *a = &ar;

	arena_init(a, 4096);
	const char *read = "SELECT id FROM t WHERE id = $1 AND k = $2";
	const char *roles = session_fold_sql(a, false, true, read, 2);
	const char *single = session_fold_sql(a, true, false, read, 2);

	/* The read whole, inside; the checks outside it. */
	ck_assert_ptr_nonnull(
	    strstr(roles, "SELECT * FROM (SELECT id FROM t WHERE id = $1 AND k = $2) "));
	/* Roles mode: role $3, claims $4, sub $5, email $6, session $7, timeout $8. */
	ck_assert_ptr_nonnull(strstr(roles, "current_user = $3::name"));
	ck_assert_ptr_nonnull(strstr(roles, "current_setting('request.jwt.claims', true) = $4"));
	ck_assert_ptr_nonnull(strstr(roles, "s.id = $7::uuid"));
	ck_assert_ptr_nonnull(strstr(roles, "current_setting('statement_timeout') = $8"));
	ck_assert_ptr_nonnull(strstr(roles, "claim.session_id', true) = $7::text"));
	ck_assert_ptr_nonnull(strstr(roles, "fluxbase.session_ended()"));
	/* Single mode without a session: no role test, no session check, the
	 * timeout right after the email. */
	ck_assert_ptr_null(strstr(single, "current_user"));
	ck_assert_ptr_null(strstr(single, "auth.sessions"));
	ck_assert_ptr_nonnull(strstr(single, "coalesce($6, '')"));
	ck_assert_ptr_nonnull(strstr(single, "current_setting('statement_timeout') = $7"));
	ck_assert_ptr_nonnull(strstr(single, "claim.session_id', true) = ''"));
	ck_assert_ptr_nonnull(strstr(single, "fluxbase.identity_lost()"));
	arena_destroy(a);
}
END_TEST

Suite *
session_sql_suite(void)
{
	Suite *s = suite_create("session_sql");
	TCase *tc = tcase_create("fold");

	tcase_add_test(tc, test_timeout_text_as_postgresql_shows_it);
	tcase_add_test(tc, test_fold_numbers_parameters_after_the_read);
	suite_add_tcase(s, tc);
	return s;
}
