/*
 * The SQL of a request's identity (session_sql.c): a read with the checks
 * folded in numbers its parameters after the read's own, and compares the
 * statement timeout with the text PostgreSQL shows for it (the expected
 * texts below are what PostgreSQL 15's SHOW statement_timeout printed
 * after SET statement_timeout = <ms>; a wrong text would send every folded
 * read back to the two-statement path).  Behind a pooler the opening
 * statements set the identity for the transaction only.
 */
#include "config.h"

#include <string.h>

#include "arena.h"
#include "db.h"
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
	const char *roles = session_fold_sql(a, false, true, true, read, 2);
	const char *single = session_fold_sql(a, true, false, true, read, 2);

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

/* A write folds only where the checks can run before anything is
 * written: a SELECT (a function's call) under them, or the filter of a
 * WITH query's last SELECT over the rows written; anything else takes the
 * two-statement path. */
START_TEST(test_fold_a_write_only_where_the_checks_come_first)
{
	struct arena ar, *a = &ar;
	const char *insert =
	    "WITH _fb_w AS (INSERT INTO t AS _fb_t (v) SELECT $1 RETURNING _fb_t.*),"
	    " _fb_src AS (SELECT _fb_w.* FROM _fb_w)"
	    " SELECT NULL::bigint AS total, pg_catalog.count(*) AS n,"
	    " NULL::text AS body FROM _fb_src";
	const char *call = "SELECT NULL::bigint AS total, 1 AS n, v::text AS body FROM"
	                   " (SELECT f($1) AS v) AS _fb_r";
	const char *w, *c;

	arena_init(a, 4096);
	w = session_fold_sql(a, false, true, false, insert, 1);
	ck_assert_ptr_nonnull(w);
	/* The statement as it was, then the checks as its last SELECT's
	 * filter; no read-only for a write. */
	ck_assert_int_eq(strncmp(w, insert, strlen(insert)), 0);
	ck_assert_int_eq(strncmp(w + strlen(insert),
	                     " WHERE (SELECT CASE WHEN current_user = $2::name", 47),
	    0);
	ck_assert_ptr_nonnull(strstr(w, "s.id = $6::uuid"));
	ck_assert_ptr_nonnull(strstr(w, "current_setting('statement_timeout') = $7"));
	ck_assert_ptr_null(strstr(w, "transaction_read_only"));
	c = session_fold_sql(a, false, false, false, call, 1);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(strncmp(c, "SELECT * FROM (SELECT NULL::bigint", 34), 0);
	ck_assert_ptr_null(strstr(c, "transaction_read_only"));
	ck_assert_ptr_null(strstr(c, "auth.sessions"));
	/* A read keeps read-only. */
	ck_assert_ptr_nonnull(strstr(session_fold_sql(a, false, false, true, call, 1),
	    "set_config('transaction_read_only', 'on', true)"));
	/* Shapes where the checks could come after a write: not folded. */
	ck_assert_ptr_null(session_fold_sql(a, false, true, false, "INSERT INTO t VALUES ($1)", 1));
	ck_assert_ptr_null(session_fold_sql(a, false, true, false,
	    "WITH w AS (DELETE FROM t RETURNING *) SELECT count(*) FROM w", 0));
	ck_assert_ptr_null(session_fold_sql(a, false, true, false,
	    "WITH w AS (DELETE FROM t RETURNING *) SELECT * FROM _fb_src WHERE true", 0));
	ck_assert_ptr_null(session_fold_sql(a, false, true, true, "UPDATE t SET v = 1", 0));
	arena_destroy(a);
}
END_TEST

/* An insert answered by its own RETURNING: the checks become the WHERE of
 * the SELECT that makes the row, before its RETURNING, so they run before
 * anything is written; a RETURNING of another shape is not folded. */
START_TEST(test_fold_an_insert_that_answers_itself)
{
	struct arena ar, *a = &ar;
	const char *head = "INSERT INTO \"t\" AS _fb_t (\"v RETURNING NULL::bigint AS total,"
	                   " 1::bigint AS n, \") SELECT r.\"v RETURNING NULL::bigint AS total,"
	                   " 1::bigint AS n, \" FROM (SELECT $1::jsonb AS j) e, f(e.j) r";
	const char *tail = SESSION_FOLD_RETURNING "pg_catalog.row_to_json(_fb_t.*)::text AS body";
	char *insert;
	const char *w, *where;

	arena_init(a, 4096);
	insert = arena_printf(a, "%s%s", head, tail);
	w = session_fold_sql(a, false, true, false, insert, 1);
	ck_assert_ptr_nonnull(w);
	/* The client's quoted names (which may hold anything) are left alone:
	 * the checks go before the last RETURNING, the builder's own. */
	ck_assert_int_eq(strncmp(w, head, strlen(head)), 0);
	where = w + strlen(head);
	ck_assert_ptr_eq(strstr(where, " WHERE (SELECT CASE WHEN current_user = $2::name"), where);
	ck_assert_ptr_nonnull(strstr(where, "s.id = $6::uuid"));
	ck_assert_ptr_null(strstr(where, "transaction_read_only"));
	ck_assert_str_eq(w + strlen(w) - strlen(tail), tail);
	ck_assert_ptr_eq(strstr(where, " RETURNING "), w + strlen(w) - strlen(tail));
	/* Single mode, no session: the same place, its own checks. */
	w = session_fold_sql(a, true, false, false, insert, 1);
	ck_assert_ptr_nonnull(w);
	ck_assert_ptr_eq(strstr(w, " WHERE (SELECT CASE WHEN  current_setting"), w + strlen(head));
	ck_assert_ptr_null(strstr(w, "auth.sessions"));
	/* A read never folds an insert; other RETURNINGs are not ours. */
	ck_assert_ptr_null(session_fold_sql(a, false, true, true, insert, 1));
	ck_assert_ptr_null(
	    session_fold_sql(a, false, true, false, "INSERT INTO t (v) SELECT $1 RETURNING *", 1));
	ck_assert_ptr_null(session_fold_sql(a, false, true, false,
	    arena_printf(a, "%s%s RETURNING v", head, tail), 1));
	arena_destroy(a);
}
END_TEST

/* Behind a pooler an identity is set for the transaction only: every
 * opening statement that sets one has a pooled variant with the same
 * parameters in which no setting is for the session; a reuse, which a
 * pooled connection never makes, has none. */
START_TEST(test_pooled_identity_is_for_the_transaction_only)
{
	for (int single = 0; single < 2; single++) {
		for (int k = IDENTITY_SET_S; k <= IDENTITY_REUSE_NS; k++) {
			const struct db_stmt *st =
			    session_identity_stmt(single, (enum identity_kind)k);
			const struct db_stmt *p = st->pooled;
			bool sets = k == IDENTITY_SET_S || k == IDENTITY_SET_NS;

			ck_assert_ptr_nonnull(strstr(st->sql, ", false)"));
			if (!sets) {
				ck_assert_ptr_null(p);
				continue;
			}
			ck_assert_ptr_nonnull(p);
			ck_assert_int_eq(p->nparams, st->nparams);
			ck_assert_str_ne(p->name, st->name);
			ck_assert_ptr_null(strstr(p->sql, "false"));
			ck_assert_ptr_nonnull(
			    strstr(p->sql, "set_config('request.jwt.claims', $3, true)"));
			ck_assert_ptr_nonnull(strstr(p->sql, "set_config('statement_timeout', $"));
			ck_assert_int_eq(single != 0, strstr(p->sql, "'role'") == NULL);
			ck_assert_int_eq(k == IDENTITY_SET_S,
			    strstr(p->sql, "auth.sessions") != NULL);
			ck_assert_ptr_null(p->pooled);
		}
	}
}
END_TEST

Suite *
session_sql_suite(void)
{
	Suite *s = suite_create("session_sql");
	TCase *tc = tcase_create("fold");

	tcase_add_test(tc, test_timeout_text_as_postgresql_shows_it);
	tcase_add_test(tc, test_fold_numbers_parameters_after_the_read);
	tcase_add_test(tc, test_fold_a_write_only_where_the_checks_come_first);
	tcase_add_test(tc, test_fold_an_insert_that_answers_itself);
	tcase_add_test(tc, test_pooled_identity_is_for_the_transaction_only);
	suite_add_tcase(s, tc);
	return s;
}
