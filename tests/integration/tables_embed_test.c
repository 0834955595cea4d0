/* tables_embed_test.c - (placeholder: being written) */
#include "config.h"

#include <check.h>

#include "suites.h"

TCase *
tables_embed_tcase(void)
{
	return tcase_create("tables_embed");
}
