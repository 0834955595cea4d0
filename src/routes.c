/*
 * routes.c - every route the server answers, in matching order, and who
 * may call it (router.h says what each access level means).
 */
#include "config.h"

#include "handlers.h"
#include "router.h"

const struct route app_routes[] = {
	{ HTTP_GET, "/api/v1/health", health_get, 0, ACCESS_ANYONE },
	{ HTTP_GET, "/api/v1/openapi.json", openapi_get, 0, ACCESS_ANYONE },
	{ HTTP_GET, "/api/v1/status", ops_status, 0, ACCESS_SERVICE },
	{ HTTP_GET, "/api/v1/metrics", ops_metrics, 0, ACCESS_METRICS },
	/* The web-server configs map /openapi.json here too. */
	{ HTTP_GET, "/openapi.json", openapi_get, 0, ACCESS_ANYONE },
	{ HTTP_GET, "/api/v1/openapi-supabase.json", openapi_supabase_get, 0, ACCESS_ANYONE },
	{ HTTP_GET, "/openapi-supabase.json", openapi_supabase_get, 0, ACCESS_ANYONE },
	{ HTTP_POST, "/api/v1/auth/signup", auth_signup, 0, ACCESS_ANYONE },
	{ HTTP_POST, "/api/v1/auth/signin", auth_signin, 0, ACCESS_ANYONE },
	{ HTTP_POST, "/api/v1/auth/signout", auth_signout, 0, ACCESS_USER_SESSION },
	{ HTTP_POST, "/api/v1/auth/refresh", auth_refresh, 0, ACCESS_ANYONE },
	{ HTTP_GET | HTTP_PATCH, "/api/v1/auth/user", auth_user, 0, ACCESS_USER },
	{ HTTP_POST, "/api/v1/auth/magiclink", auth_magiclink, 0, ACCESS_ANYONE },
	{ HTTP_GET, "/api/v1/auth/magiclink/verify", auth_magiclink_verify, 0, ACCESS_ANYONE },
	{ HTTP_GET | HTTP_POST, "/api/v1/auth/verify", auth_verify, 0, ACCESS_ANYONE },
	{ HTTP_POST, "/api/v1/auth/recover", auth_recover, 0, ACCESS_ANYONE },
	{ HTTP_POST, "/api/v1/auth/resend", auth_resend, 0, ACCESS_ANYONE },
	{ HTTP_POST, "/api/v1/auth/admin/invite", auth_admin_invite, 0, ACCESS_SERVICE },
	{ HTTP_POST, "/api/v1/auth/admin/generate-link", auth_admin_generate_link, 0,
	    ACCESS_SERVICE },
	{ HTTP_GET | HTTP_POST, "/api/v1/auth/admin/users", auth_admin_users, 0, ACCESS_SERVICE },
	{ HTTP_GET | HTTP_PATCH | HTTP_DELETE, "/api/v1/auth/admin/users/{id}", auth_admin_user, 0,
	    ACCESS_SERVICE },
	{ HTTP_POST, "/api/v1/auth/admin/users/{id}/signout", auth_admin_user_signout, 0,
	    ACCESS_SERVICE },
	{ HTTP_GET, "/api/v1/storage/buckets", storage_buckets_list, 0, ACCESS_ANYONE },
	{ HTTP_POST | HTTP_DELETE, "/api/v1/storage/buckets/{bucket}", storage_bucket, 0,
	    ACCESS_SERVICE },
	{ HTTP_GET, "/api/v1/storage/{bucket}", storage_list, 0, ACCESS_ANYONE },
	{ HTTP_GET | HTTP_POST | HTTP_DELETE, "/api/v1/storage/{bucket}/{key*}", storage_object,
	    ROUTE_STREAM_BODY, ACCESS_ANYONE },
	/* RPC: EXECUTE is PostgreSQL's to decide, as the caller.  The second
	 * path serves clients whose base URL is /api/v1/tables (postgrest-js);
	 * it comes before /tables/{table}/{id}, which would take it. */
	{ HTTP_GET | HTTP_POST, "/api/v1/rpc/{function}", tables_rpc, 0, ACCESS_ANYONE },
	{ HTTP_GET | HTTP_POST, "/api/v1/tables/rpc/{function}", tables_rpc, 0, ACCESS_ANYONE },
	{ HTTP_GET | HTTP_POST | HTTP_PATCH | HTTP_DELETE, "/api/v1/tables/{table}",
	    tables_collection, 0, ACCESS_ANYONE },
	{ HTTP_GET | HTTP_PUT | HTTP_PATCH | HTTP_DELETE, "/api/v1/tables/{table}/{id}",
	    tables_item, 0, ACCESS_ANYONE },
/* The Supabase-compatible prefixes (compat.h), each a thin translation over
 * the handlers above, in a list of its own. */
#include "tables/rest_routes.inc"
#include "auth/gotrue_routes.inc"
#include "storage/compat_routes.inc"
};

const size_t app_routes_count = sizeof(app_routes) / sizeof(app_routes[0]);
