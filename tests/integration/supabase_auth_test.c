/* supabase_auth_test.c - (placeholder: being written) */
#include "config.h"

#include <check.h>

#include "suites.h"

TCase *
supabase_auth_tcase(void)
{
	return tcase_create("supabase_auth");
}
