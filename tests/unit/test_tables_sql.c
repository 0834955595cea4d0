/* test_tables_sql.c - (placeholder: being written) */
#include "config.h"

#include <check.h>

#include "suites.h"

Suite *
tables_sql_suite(void)
{
	return suite_create("tables_sql");
}
