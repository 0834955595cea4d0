/*
 * auth/redirect.c - may a link send the browser to this URL?
 *
 * A redirect carries session tokens in its fragment, so a URL passes only
 * when it names exactly an origin of [auth] redirect_allow_list: both URLs
 * are parsed, never compared as text.  Scheme and host compare without
 * regard to case, the port compares as a number (the scheme's default when
 * absent), and the path must be the entry's path or lie below it on a '/'
 * boundary.  Anything a browser or a URL parser could read two ways is
 * refused outright: userinfo ('@'), backslashes, control characters and
 * spaces, percent-escapes in the authority, dot segments (also escaped)
 * and a fragment of its own.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth/fields.h"

#define REDIRECT_URL_MAX 2048

struct url_parts {
	const char *scheme, *host, *path; /* path: "" when absent */
	size_t scheme_len, host_len, path_len;
	long port;
};

static long
default_port(const char *scheme, size_t len)
{
	if (len == 4 && strncasecmp(scheme, "http", 4) == 0)
		return 80;
	if (len == 5 && strncasecmp(scheme, "https", 5) == 0)
		return 443;
	return -1;
}

/* host: a DNS name, an IPv4 address or a bracketed IPv6 literal. */
static bool
host_is_plain(const char *h, size_t n)
{
	if (n == 0 || n > 253)
		return false;
	if (h[0] == '[')
		return n > 2 && h[n - 1] == ']' &&
		    strspn(h + 1, "0123456789abcdefABCDEF:.") == n - 2;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)h[i]) && h[i] != '-' && h[i] != '.')
			return false;
	return h[0] != '.' && h[n - 1] != '.';
}

/* A segment "." or ".." (also as %2e): a path that names another path. */
static bool
path_has_dot_segment(const char *p, size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t start = ++i, dots = 0; /* p[i - 1] == '/' */

		while (i < n && p[i] != '/') {
			if (p[i] == '.')
				dots++, i++;
			else if (n - i >= 3 && p[i] == '%' && p[i + 1] == '2' &&
			    (p[i + 2] == 'e' || p[i + 2] == 'E'))
				dots++, i += 3;
			else
				dots = 99, i++;
		}
		if (i > start && (dots == 1 || dots == 2))
			return true;
	}
	return false;
}

/* scheme://host[:port][/path][?query]; 0 or -1. */
static int
url_parse(const char *u, size_t n, struct url_parts *out)
{
	const char *p = u, *end = u + n, *auth, *auth_end, *colon;

	if (n == 0 || n > REDIRECT_URL_MAX || !isalpha((unsigned char)u[0]))
		return -1;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)u[i];

		if (c <= 0x20 || c >= 0x7f || c == '\\' || c == '#' || c == '@')
			return -1;
	}
	while (p < end && (isalnum((unsigned char)*p) || *p == '+' || *p == '-' || *p == '.'))
		p++;
	if (end - p < 3 || strncmp(p, "://", 3) != 0)
		return -1;
	out->scheme = u;
	out->scheme_len = (size_t)(p - u);
	auth = p + 3;
	auth_end = auth;
	while (auth_end < end && *auth_end != '/' && *auth_end != '?')
		auth_end++;
	if (memchr(auth, '%', (size_t)(auth_end - auth)) != NULL)
		return -1;
	/* The port follows the last ':' that is not inside an IPv6 literal. */
	colon = NULL;
	for (const char *q = auth; q < auth_end; q++)
		if (*q == ':')
			colon = q;
	if (colon != NULL && auth[0] == '[' && memchr(colon, ']', (size_t)(auth_end - colon)))
		colon = NULL;
	out->host = auth;
	out->host_len = (size_t)((colon ? colon : auth_end) - auth);
	if (!host_is_plain(out->host, out->host_len))
		return -1;
	out->port = default_port(out->scheme, out->scheme_len);
	if (colon != NULL && colon + 1 < auth_end) {
		char digits[8];
		size_t dl = (size_t)(auth_end - colon - 1);

		if (dl > 5 || strspn(colon + 1, "0123456789") < dl)
			return -1;
		memcpy(digits, colon + 1, dl);
		digits[dl] = '\0';
		out->port = strtol(digits, NULL, 10);
		if (out->port < 1 || out->port > 65535)
			return -1;
	} else if (colon != NULL) {
		return -1; /* "host:" */
	}
	out->path = auth_end;
	out->path_len = 0;
	while (auth_end + out->path_len < end && auth_end[out->path_len] != '?')
		out->path_len++;
	if (path_has_dot_segment(out->path, out->path_len))
		return -1;
	return 0;
}

/* url lies under entry: same origin, path equal or below on a '/'. */
static bool
url_under(const struct url_parts *url, const struct url_parts *entry)
{
	size_t ep = entry->path_len;

	if (url->scheme_len != entry->scheme_len ||
	    strncasecmp(url->scheme, entry->scheme, url->scheme_len) != 0 ||
	    url->host_len != entry->host_len ||
	    strncasecmp(url->host, entry->host, url->host_len) != 0 || url->port != entry->port)
		return false;
	/* "https://app.example" and "https://app.example/" allow the whole origin. */
	if (ep > 0 && entry->path[ep - 1] == '/')
		ep--;
	if (ep == 0)
		return true;
	if (url->path_len < ep || strncmp(url->path, entry->path, ep) != 0)
		return false;
	return url->path_len == ep || url->path[ep] == '/';
}

bool
auth_redirect_allowed(const char *allow_list, const char *url)
{
	struct url_parts u, e;
	const char *p = allow_list;

	if (url == NULL || url_parse(url, strlen(url), &u) < 0)
		return false;
	while (p != NULL && *p != '\0') {
		size_t len;

		p += strspn(p, ", \t");
		len = strcspn(p, ", \t");
		if (len > 0 && url_parse(p, len, &e) == 0 && e.path + e.path_len == p + len &&
		    url_under(&u, &e))
			return true;
		p += len;
	}
	return false;
}
