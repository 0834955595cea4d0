#include "config.h"

#include <string.h>

#include "arena.h"
#include "http.h"
#include "router.h"
#include "suites.h"

static int
h_list(struct request *r)
{
	(void)r;
	return 1;
}
static int
h_item(struct request *r)
{
	(void)r;
	return 2;
}
static int
h_object(struct request *r)
{
	(void)r;
	return 3;
}
static int
h_buckets(struct request *r)
{
	(void)r;
	return 4;
}

static const struct route table[] = {
	{ HTTP_GET | HTTP_POST, "/api/v1/tables/{table}", h_list, 0, ACCESS_ANYONE },
	{ HTTP_GET | HTTP_PATCH | HTTP_DELETE, "/api/v1/tables/{table}/{id}", h_item, 0,
	    ACCESS_ANYONE },
	{ HTTP_GET, "/api/v1/storage/buckets", h_buckets, 0, ACCESS_SERVICE },
	/* One path split across two routes by method. */
	{ HTTP_POST, "/api/v1/storage/buckets", h_list, 0, ACCESS_SERVICE },
	{ HTTP_GET | HTTP_POST | HTTP_DELETE, "/api/v1/storage/{bucket}/{key*}", h_object,
	    ROUTE_STREAM_BODY, ACCESS_ANYONE },
};

static struct arena a;
static struct request r;

static enum route_result
match(int method, const char *path, unsigned *allowed)
{
	memset(&r, 0, sizeof(r));
	r.arena = &a;
	r.method = method;
	r.raw_path = path;
	return router_match(table, sizeof(table) / sizeof(table[0]), &r, allowed);
}

static void
setup(void)
{
	arena_init(&a, 4096);
}

static void
teardown(void)
{
	arena_destroy(&a);
}

START_TEST(test_params)
{
	unsigned allowed = 0;

	ck_assert_int_eq(match(HTTP_GET, "/api/v1/tables/products", &allowed), ROUTE_FOUND);
	ck_assert_ptr_eq(r.route->handler, h_list);
	ck_assert_int_eq(r.npath_params, 1);
	ck_assert_str_eq(r.path_params[0], "products");

	ck_assert_int_eq(match(HTTP_PATCH, "/api/v1/tables/products/a%2Fb", &allowed), ROUTE_FOUND);
	ck_assert_ptr_eq(r.route->handler, h_item);
	ck_assert_str_eq(r.path_params[1], "a/b");
	/* HEAD follows GET. */
	ck_assert_int_eq(match(HTTP_HEAD, "/api/v1/tables/x/1", &allowed), ROUTE_FOUND);
}
END_TEST

START_TEST(test_catch_all_and_order)
{
	unsigned allowed = 0;

	ck_assert_int_eq(match(HTTP_GET, "/api/v1/storage/photos/2024/may/cat%20one.jpg", &allowed),
	    ROUTE_FOUND);
	ck_assert_ptr_eq(r.route->handler, h_object);
	ck_assert_str_eq(r.path_params[0], "photos");
	ck_assert_str_eq(r.path_params[1], "2024/may/cat one.jpg");
	ck_assert_int_eq(match(HTTP_GET, "/api/v1/storage/buckets", &allowed), ROUTE_FOUND);
	ck_assert_ptr_eq(r.route->handler, h_buckets);
	ck_assert_int_eq(match(HTTP_GET, "/api/v1/storage/photos", &allowed), ROUTE_NOT_FOUND);
}
END_TEST

START_TEST(test_not_found_and_method)
{
	unsigned allowed = 0;

	ck_assert_int_eq(match(HTTP_GET, "/api/v1/nothing", &allowed), ROUTE_NOT_FOUND);
	ck_assert_int_eq(match(HTTP_GET, "/api/v1/tables", &allowed), ROUTE_NOT_FOUND);
	ck_assert_int_eq(match(HTTP_GET, "/api/v1/tables/x/1/2", &allowed), ROUTE_NOT_FOUND);
	ck_assert_int_eq(match(HTTP_GET, "/api/v1/tables/", &allowed), ROUTE_NOT_FOUND);
	ck_assert_int_eq(match(HTTP_PUT, "/api/v1/tables/x", &allowed), ROUTE_METHOD_NOT_ALLOWED);
	ck_assert_str_eq(router_allow_header(&a, allowed), "GET, HEAD, POST, OPTIONS");
	ck_assert_int_eq(match(0, "/api/v1/tables/x/1", &allowed), ROUTE_METHOD_NOT_ALLOWED);
	ck_assert_str_eq(router_allow_header(&a, allowed), "GET, HEAD, PATCH, DELETE, OPTIONS");
	ck_assert_int_eq(match(HTTP_GET, "/api/v1/tables/%zz", &allowed), ROUTE_BAD_PATH);
	/* A path split across routes: each method finds its own, OPTIONS all. */
	ck_assert_int_eq(match(HTTP_POST, "/api/v1/storage/buckets", &allowed), ROUTE_FOUND);
	ck_assert_ptr_eq(r.route->handler, h_list);
	ck_assert_int_eq(match(HTTP_OPTIONS, "/api/v1/storage/buckets", &allowed), ROUTE_FOUND);
	ck_assert_str_eq(router_allow_header(&a, allowed), "GET, HEAD, POST, OPTIONS");
	ck_assert_int_eq(match(HTTP_DELETE, "/api/v1/storage/buckets", &allowed),
	    ROUTE_METHOD_NOT_ALLOWED);
	ck_assert_str_eq(router_allow_header(&a, allowed), "GET, HEAD, POST, OPTIONS");
}
END_TEST

Suite *
router_suite(void)
{
	Suite *s = suite_create("router");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_params);
	tcase_add_test(tc, test_catch_all_and_order);
	tcase_add_test(tc, test_not_found_and_method);
	suite_add_tcase(s, tc);
	return s;
}
