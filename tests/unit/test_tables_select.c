/* test_tables_select.c - (placeholder: being written) */
#include "config.h"

#include <check.h>

#include "suites.h"

Suite *
tables_select_suite(void)
{
	return suite_create("tables_select");
}
