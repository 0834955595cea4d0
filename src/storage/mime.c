/*
 * storage/mime.c - media types of uploads (see the header).
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "storage/mime.h"

/* RFC 9110 tchar. */
static bool
is_tchar(char c)
{
	return isalnum((unsigned char)c) || (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static size_t
token_len(const char *p)
{
	size_t n = 0;

	while (is_tchar(p[n]))
		n++;
	return n;
}

static const char *
skip_ows(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* One parameter value: a token or a quoted string.  Its end, or NULL. */
static const char *
param_value(const char *p, char *out, size_t n)
{
	size_t len = 0;

	if (*p != '"') {
		len = token_len(p);
		if (len == 0 || len >= n)
			return NULL;
		memcpy(out, p, len);
		out[len] = '\0';
		return p + len;
	}
	for (p++; *p != '"'; p++) {
		if (*p == '\\')
			p++;
		if (*p == '\0' || (unsigned char)*p < 0x20 || (unsigned char)*p == 0x7f ||
		    len + 1 >= n)
			return NULL;
		out[len++] = *p;
	}
	out[len] = '\0';
	return p + 1;
}

int
mime_parse(const char *header, char out[MIME_MAX + 1])
{
	const char *p = skip_ows(header);
	size_t tl = token_len(p), sl;
	char charset[64] = "";

	if (tl == 0 || p[tl] != '/')
		return -1;
	sl = token_len(p + tl + 1);
	if (sl == 0 || tl + 1 + sl > 127)
		return -1;
	for (size_t i = 0; i < tl + 1 + sl; i++)
		out[i] = (char)tolower((unsigned char)p[i]);
	out[tl + 1 + sl] = '\0';
	p = skip_ows(p + tl + 1 + sl);
	while (*p == ';') {
		char name[32], value[128];
		size_t nl;

		p = skip_ows(p + 1);
		if (*p == '\0')
			break; /* a trailing ';' says nothing */
		nl = token_len(p);
		if (nl == 0 || nl >= sizeof(name) || p[nl] != '=')
			return -1;
		memcpy(name, p, nl);
		name[nl] = '\0';
		if ((p = param_value(p + nl + 1, value, sizeof(value))) == NULL)
			return -1;
		if (strcasecmp(name, "charset") == 0) {
			if (charset[0] != '\0' || token_len(value) != strlen(value) ||
			    strlen(value) >= sizeof(charset))
				return -1;
			for (size_t i = 0; value[i]; i++)
				charset[i] = (char)tolower((unsigned char)value[i]);
			charset[strlen(value)] = '\0';
		}
		p = skip_ows(p);
	}
	if (*p != '\0')
		return -1; /* a list ("a/b, c/d") or junk after the type */
	if (charset[0] != '\0')
		snprintf(out + strlen(out), MIME_MAX + 1 - strlen(out), "; charset=%s", charset);
	return 0;
}

/* The type without parameters. */
static size_t
essence_len(const char *type)
{
	return strcspn(type, "; ");
}

bool
mime_allowed(const char *allowed_json, const char *type)
{
	struct json_object *list;
	size_t tlen = essence_len(type), n;
	bool ok = false;

	if (allowed_json == NULL)
		return true;
	list = json_tokener_parse(allowed_json);
	if (list == NULL || !json_object_is_type(list, json_type_array)) {
		json_object_put(list);
		return true;
	}
	n = json_object_array_length(list);
	for (size_t i = 0; i < n && !ok; i++) {
		const char *pat = json_object_get_string(json_object_array_get_idx(list, i));
		size_t plen = strlen(pat);

		/* "image/" + star matches every image subtype; else the exact type. */
		if (plen >= 2 && strcmp(pat + plen - 2, "/*") == 0)
			ok = tlen > plen - 1 && strncasecmp(type, pat, plen - 1) == 0;
		else
			ok = plen == tlen && strncasecmp(type, pat, tlen) == 0;
	}
	json_object_put(list);
	return ok;
}

bool
mime_is_passive(const char *type)
{
	/* Shown, played or saved by a browser; never run as a document. */
	static const char *const exact[] = {
		"image/png",
		"image/jpeg",
		"image/gif",
		"image/webp",
		"image/avif",
		"image/bmp",
		"image/x-icon",
		"image/vnd.microsoft.icon",
		"image/tiff",
		"image/heic",
		"text/plain",
		"text/csv",
		"application/json",
		"application/pdf",
		"application/octet-stream",
		"application/zip",
		"application/gzip",
	};
	static const char *const families[] = { "audio/", "video/", "font/" };
	size_t len = essence_len(type);

	for (size_t i = 0; i < sizeof(exact) / sizeof(exact[0]); i++)
		if (strlen(exact[i]) == len && strncmp(type, exact[i], len) == 0)
			return true;
	for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++)
		if (strncmp(type, families[i], strlen(families[i])) == 0 &&
		    len > strlen(families[i]))
			return true;
	return false;
}
