/*
 * test_migrate.c - single mode's migrations: the statements that speak of
 * roles are left out, everything else is kept byte for byte, whatever
 * quotes, dollar quotes and comments hold.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "migrate.h"
#include "suites.h"

static void
expect(const char *in, const char *out)
{
	char *got = migrate_single_sql(in);

	ck_assert_ptr_nonnull(got);
	ck_assert_str_eq(got, out);
	free(got);
}

START_TEST(test_role_statements_left_out)
{
	expect("CREATE TABLE t (a int);\nGRANT SELECT ON t\n  TO anon, authenticated;\n"
	       "REVOKE ALL ON t FROM PUBLIC;",
	    "CREATE TABLE t (a int);");
	expect("alter  default\n privileges in schema public grant select on tables to x;"
	       "SELECT 1;",
	    "SELECT 1;");
	expect("DROP EVENT TRIGGER IF EXISTS e;\nCREATE EVENT TRIGGER e ON ddl_command_end\n"
	       "  EXECUTE FUNCTION f();\nCREATE FUNCTION f() RETURNS event_trigger LANGUAGE"
	       " plpgsql AS $$ BEGIN END $$;",
	    "\nCREATE FUNCTION f() RETURNS event_trigger LANGUAGE plpgsql AS $$ BEGIN END $$;");
	/* A DO block goes only when it creates roles. */
	expect("DO $$ BEGIN IF true THEN CREATE ROLE anon NOLOGIN; END IF; END $$;\n"
	       "DO $$ BEGIN PERFORM 1; END $$;",
	    "\nDO $$ BEGIN PERFORM 1; END $$;");
	/* A comment before a GRANT does not hide it. */
	expect("-- who may read\nGRANT SELECT ON t TO anon;SELECT 2;", "SELECT 2;");
}
END_TEST

START_TEST(test_quotes_hold_semicolons)
{
	const char *keep = "CREATE FUNCTION g() RETURNS void LANGUAGE plpgsql AS $body$ BEGIN\n"
	                   "  EXECUTE 'GRANT SELECT ON t TO anon; REVOKE x'; -- ; GRANT\n"
	                   "  /* ; GRANT /* nested ; */ still ; */ PERFORM $q$;$q$;\nEND $body$;\n"
	                   "COMMENT ON TABLE t IS 'it''s; GRANT-free';\n"
	                   "SELECT \"GRANT;\" FROM t WHERE a = $1;";

	expect(keep, keep);
	/* GRANTED, a longer word, is no GRANT. */
	expect("GRANTED;", "GRANTED;");
}
END_TEST

/* No embedded migration keeps a role statement in single mode. */
START_TEST(test_every_migration_filtered)
{
	for (unsigned i = 0; i < migrations_count; i++) {
		char *sql = migrate_single_sql(migrations[i].sql);

		ck_assert_ptr_nonnull(sql);
		ck_assert_msg(strstr(sql, "\nGRANT ") == NULL && strstr(sql, "\nREVOKE ") == NULL &&
		        strstr(sql, "CREATE ROLE") == NULL &&
		        strstr(sql, "EVENT TRIGGER fl") == NULL,
		    "%s keeps a role statement", migrations[i].name);
		ck_assert_uint_le(strlen(sql), strlen(migrations[i].sql));
		free(sql);
	}
}
END_TEST

Suite *
migrate_suite(void)
{
	Suite *s = suite_create("migrate");
	TCase *tc = tcase_create("single");

	tcase_add_test(tc, test_role_statements_left_out);
	tcase_add_test(tc, test_quotes_hold_semicolons);
	tcase_add_test(tc, test_every_migration_filtered);
	suite_add_tcase(s, tc);
	return s;
}
