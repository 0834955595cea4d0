/* supabase_storage_test.c - (placeholder: being written) */
#include "config.h"

#include <check.h>

#include "suites.h"

TCase *
supabase_storage_tcase(void)
{
	return tcase_create("supabase_storage");
}
