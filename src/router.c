/*
 * router.c - pattern matching for the route table.
 */
#include "config.h"

#include <string.h>

#include "router.h"

static unsigned
route_methods(const struct route *rt)
{
	unsigned m = rt->methods;

	if (m & HTTP_GET)
		m |= HTTP_HEAD;
	return m | HTTP_OPTIONS;
}

/*
 * Matches one pattern; on success stores decoded parameters in r.
 * Returns 1 on match, 0 on no match, -1 on a malformed escape.
 */
static int
route_try(const struct route *rt, struct request *r)
{
	const char *pat = rt->pattern, *path = r->raw_path;
	int np = 0;

	while (*pat != '\0') {
		const char *pseg_end, *seg_end;
		size_t plen;

		if (*pat != '/' || *path != '/')
			return 0;
		pat++;
		path++;
		pseg_end = strchr(pat, '/');
		if (pseg_end == NULL)
			pseg_end = pat + strlen(pat);
		plen = (size_t)(pseg_end - pat);
		seg_end = strchr(path, '/');
		if (seg_end == NULL)
			seg_end = path + strlen(path);

		if (plen >= 2 && pat[0] == '{' && pat[plen - 1] == '}') {
			bool rest = plen >= 3 && pat[plen - 2] == '*';
			const char *end = rest ? path + strlen(path) : seg_end;
			char *value;

			if (end == path ||
			    np >= (int)(sizeof(r->path_params) / sizeof(r->path_params[0])))
				return 0;
			if (url_decode(r->arena, path, (size_t)(end - path), false, &value, NULL) <
			    0)
				return -1;
			r->path_params[np++] = value;
			path = end;
		} else {
			if ((size_t)(seg_end - path) != plen || strncmp(pat, path, plen) != 0)
				return 0;
			path = seg_end;
		}
		pat = pseg_end;
	}
	if (*path != '\0')
		return 0;
	r->npath_params = np;
	return 1;
}

enum route_result
router_match(const struct route *table, size_t n, struct request *r, unsigned *allowed)
{
	unsigned allow = 0;
	const struct route *found = NULL;

	for (size_t i = 0; i < n; i++) {
		int m = route_try(&table[i], r);

		if (m < 0)
			return ROUTE_BAD_PATH;
		if (m == 0)
			continue;
		allow |= route_methods(&table[i]);
		if (found == NULL && (route_methods(&table[i]) & (unsigned)r->method) != 0) {
			found = &table[i];
			/* OPTIONS answers for every route of the path (one path can
			 * be split across routes by method). */
			if (r->method != HTTP_OPTIONS)
				break;
		}
	}
	if (found != NULL) {
		/* Parameters of the matching route, not of an earlier near-miss. */
		route_try(found, r);
		r->route = found;
		*allowed = allow;
		return ROUTE_FOUND;
	}
	if (allow == 0)
		return ROUTE_NOT_FOUND;
	*allowed = allow;
	return ROUTE_METHOD_NOT_ALLOWED;
}

char *
router_allow_header(struct arena *a, unsigned methods)
{
	static const int order[] = { HTTP_GET, HTTP_HEAD, HTTP_POST, HTTP_PUT, HTTP_PATCH,
		HTTP_DELETE, HTTP_OPTIONS };
	struct strbuf sb;

	strbuf_init(&sb, a, 64);
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		if (methods & (unsigned)order[i]) {
			if (sb.len > 0)
				strbuf_puts(&sb, ", ");
			strbuf_puts(&sb, http_method_name(order[i]));
		}
	}
	return sb.data;
}
