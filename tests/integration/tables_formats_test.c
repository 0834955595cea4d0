/* tables_formats_test.c - (placeholder: being written) */
#include "config.h"

#include <check.h>

#include "suites.h"

TCase *
tables_formats_tcase(void)
{
	return tcase_create("tables_formats");
}
