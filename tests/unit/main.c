/* Unit tests: pure functions, no database, no sockets. */
#include "config.h"

#include <stdlib.h>

#include <sodium.h>

#include "suites.h"

int
main(void)
{
	SRunner *sr;
	int failed;

	if (sodium_init() < 0)
		return 1;
	sr = srunner_create(arena_suite());
	srunner_add_suite(sr, conf_suite());
	srunner_add_suite(sr, request_suite());
	srunner_add_suite(sr, response_suite());
	srunner_add_suite(sr, router_suite());
	srunner_add_suite(sr, token_suite());
	srunner_add_suite(sr, tables_suite());
	srunner_add_suite(sr, tables_select_suite());
	srunner_add_suite(sr, tables_sql_suite());
	srunner_add_suite(sr, storage_suite());
	srunner_add_suite(sr, openapi_suite());
	srunner_add_suite(sr, auth_suite());
	srunner_add_suite(sr, access_suite());
	srunner_add_suite(sr, migrate_suite());
	srunner_add_suite(sr, session_sql_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
