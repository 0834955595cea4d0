/*
 * cors.c - allow-listed origins, answered by the worker itself.
 *
 * Nothing is allowed by default.  An allowed origin is echoed back (never
 * "*" together with credentials), and Vary: Origin tells caches the
 * answer depends on it.
 */
#include "config.h"

#include <string.h>
#include <strings.h>

#include "conf.h"
#include "cors.h"
#include "http.h"

#define CORS_EXPOSE "Content-Range, Content-Length, ETag, X-Request-Id, Location"

bool
cors_origin_allowed(const char *list, const char *origin)
{
	size_t olen;

	if (list == NULL || origin == NULL || *origin == '\0')
		return false;
	olen = strlen(origin);
	while (*list != '\0') {
		const char *end;
		size_t n;

		while (*list == ' ' || *list == ',')
			list++;
		end = list;
		while (*end != '\0' && *end != ',' && *end != ' ')
			end++;
		n = (size_t)(end - list);
		if (n == 1 && list[0] == '*')
			return true;
		if (n > 0 && n == olen && strncasecmp(list, origin, n) == 0)
			return true;
		list = end;
	}
	return false;
}

void
cors_apply(struct request *r, bool preflight)
{
	const struct conf *c = r->conf;
	const char *origin = request_header(r, "Origin");

	if (origin == NULL)
		return;
	response_header(r, "Vary", "Origin");
	if (!cors_origin_allowed(c->cors_allowed_origins, origin))
		return;
	response_header(r, "Access-Control-Allow-Origin", arena_strdup(r->arena, origin));
	if (c->cors_allow_credentials)
		response_header(r, "Access-Control-Allow-Credentials", "true");
	if (!preflight) {
		response_header(r, "Access-Control-Expose-Headers", CORS_EXPOSE);
		return;
	}
	response_header(r, "Access-Control-Allow-Methods", c->cors_allowed_methods);
	response_header(r, "Access-Control-Allow-Headers", c->cors_allowed_headers);
	response_header(r, "Access-Control-Max-Age", arena_printf(r->arena, "%d", c->cors_max_age));
}
