/*
 * router.h - method + path pattern to handler.
 *
 * Patterns are '/'-separated: literal segments, "{name}" for one segment
 * and a final "{name*}" for the rest of the path (storage keys).  Segments
 * are matched on the raw path and percent-decoded one by one, so "%2F"
 * inside an id never splits it.  The first pattern that matches the path
 * wins; a path that matches but not for this method gives the Allow set.
 */
#ifndef FLUXBASE_ROUTER_H
#define FLUXBASE_ROUTER_H

#include "http.h"

typedef int (*route_handler)(struct request *);

/*
 * Who may call a route.  The worker settles it before the handler runs or
 * a byte of the body is read: a token, when sent, must be valid (else
 * 401), and the caller must be what the route asks for (401 without a
 * token, 403 with another).  Whatever the route, a token's session must
 * still be alive: checked in the handler's own statement when it runs one,
 * else by the worker before the answer leaves.
 */
enum route_access {
	ACCESS_ANYONE, /* anon without a token */
	ACCESS_USER, /* a user's token (with a sub) */
	ACCESS_USER_SESSION, /* a user's token with its session */
	ACCESS_SERVICE, /* the service role */
	ACCESS_METRICS, /* the service role, or an address of [server] metrics_allow */
};

struct route {
	unsigned methods; /* enum http_method bits; GET implies HEAD */
	const char *pattern;
	route_handler handler;
	unsigned flags;
	enum route_access access;
};

/* Route flags. */
#define ROUTE_STREAM_BODY 0x1 /* handler reads its own (large) body */

enum route_result { ROUTE_FOUND, ROUTE_NOT_FOUND, ROUTE_METHOD_NOT_ALLOWED, ROUTE_BAD_PATH };

/*
 * Matches r->raw_path and r->method against table.  On ROUTE_FOUND fills
 * r->route and r->path_params; *allowed gets the methods the path takes
 * (on ROUTE_FOUND those of every route of the path only for OPTIONS).
 */
enum route_result router_match(const struct route *table, size_t n, struct request *r,
    unsigned *allowed);
/* "GET, HEAD, OPTIONS" for a method set. */
char *router_allow_header(struct arena *a, unsigned methods);

/* The application's routes (routes.c). */
extern const struct route app_routes[];
extern const size_t app_routes_count;

#endif
