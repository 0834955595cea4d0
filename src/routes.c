/*
 * routes.c - every route the server answers, in matching order.
 */
#include "config.h"

#include "handlers.h"
#include "router.h"

const struct route app_routes[] = {
	{ HTTP_GET, "/api/v1/health", health_get, 0 },
	{ HTTP_GET | HTTP_POST | HTTP_PATCH | HTTP_DELETE, "/api/v1/tables/{table}",
	    tables_collection, 0 },
	{ HTTP_GET | HTTP_PUT | HTTP_PATCH | HTTP_DELETE, "/api/v1/tables/{table}/{id}",
	    tables_item, 0 },
};

const size_t app_routes_count = sizeof(app_routes) / sizeof(app_routes[0]);
