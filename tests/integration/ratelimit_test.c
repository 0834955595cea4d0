/* ratelimit_test.c - (placeholder: being written) */
#include "config.h"

#include <check.h>

#include "suites.h"

TCase *
ratelimit_tcase(void)
{
	return tcase_create("ratelimit");
}
