/*
 * storage/names.c - bucket names, object keys and the bodies of storage
 * requests.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonbody.h"
#include "storage/names.h"
#include "text.h"

const char *
storage_bucket_check(const char *name)
{
	size_t n = strlen(name);

	if (n < 2 || n > 63)
		return "A bucket name is 2 to 63 characters long";
	if (!(islower((unsigned char)name[0]) || isdigit((unsigned char)name[0])))
		return "A bucket name starts with a lowercase letter or a digit";
	for (size_t i = 0; i < n; i++)
		if (!(islower((unsigned char)name[i]) || isdigit((unsigned char)name[i]) ||
		        name[i] == '.' || name[i] == '_' || name[i] == '-'))
			return "A bucket name holds only a-z, 0-9, '.', '_' and '-'";
	if (strcmp(name, "buckets") == 0)
		return "\"buckets\" is reserved";
	return NULL;
}

const char *
storage_key_check(const char *key)
{
	size_t n = strlen(key);
	const char *seg = key;

	if (n == 0 || n > STORAGE_KEY_MAX)
		return "A key is 1 to 1024 bytes long";
	if (!utf8_is_valid(key, n))
		return "A key must be valid UTF-8";
	if (key[0] == '/')
		return "A key does not start with /";
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)key[i] < 0x20 || key[i] == 0x7f || key[i] == '\\')
			return "A key holds no control character or backslash";
	for (const char *p = key;; p++) {
		if (*p == '/' || *p == '\0') {
			size_t len = (size_t)(p - seg);

			if (len == 0)
				return "A key has no empty segment";
			if ((len == 1 && seg[0] == '.') ||
			    (len == 2 && seg[0] == '.' && seg[1] == '.'))
				return "A key has no . or .. segment";
			if (*p == '\0')
				break;
			seg = p + 1;
		}
	}
	if (n >= sizeof(SIGNED_URL_SUFFIX) - 1 &&
	    strcmp(key + n - (sizeof(SIGNED_URL_SUFFIX) - 1), SIGNED_URL_SUFFIX) == 0)
		return "Keys ending in /signed-url are reserved";
	return NULL;
}

bool
storage_printable(const char *v, size_t max)
{
	size_t n = 0;

	for (; v[n] != '\0'; n++)
		if ((unsigned char)v[n] < 0x20 || (unsigned char)v[n] >= 0x7f)
			return false;
	return n > 0 && n <= max;
}

int
storage_signed_url_body(const char *body, size_t len, long max_ttl, long *expires_in,
    struct body_error *e)
{
	static const char *const allowed[] = { "expires_in", NULL };
	struct json_object *o, *v;

	*expires_in = 3600 < max_ttl ? 3600 : max_ttl;
	if (len == 0)
		return 0;
	if ((o = json_body_object(body, len, allowed, NULL, e)) == NULL)
		return -1;
	if (json_object_object_get_ex(o, "expires_in", &v)) {
		if (!json_object_is_type(v, json_type_int)) {
			json_object_put(o);
			return json_body_fail(e, 400, "VALIDATION",
			    "expires_in must be an integer");
		}
		*expires_in = (long)json_object_get_int64(v);
	}
	json_object_put(o);
	if (*expires_in < 1 || *expires_in > max_ttl)
		return json_body_fail(e, 400, "VALIDATION", "expires_in must be 1 to %ld seconds",
		    max_ttl);
	return 0;
}

/* A MIME type or pattern for allowed_mime_types: type/subtype, printable. */
static bool
mime_pattern_ok(struct json_object *v)
{
	const char *s;

	if (!json_object_is_type(v, json_type_string))
		return false;
	s = json_object_get_string(v);
	return storage_printable(s, 255) && strchr(s, '/') != NULL;
}

int
storage_bucket_body(const char *body, size_t len, struct arena *a, struct bucket_opts *b,
    struct body_error *e)
{
	static const char *const allowed[] = { "public", "file_size_limit", "allowed_mime_types",
		"allow_active_content", NULL };
	struct json_object *o, *v;
	int rc = -1;

	memset(b, 0, sizeof(*b));
	if (len == 0)
		return 0;
	if ((o = json_body_object(body, len, allowed, NULL, e)) == NULL)
		return -1;
	if (json_object_object_get_ex(o, "public", &v) && v != NULL) {
		if (!json_object_is_type(v, json_type_boolean)) {
			json_body_fail(e, 400, "VALIDATION", "public must be true or false");
			goto out;
		}
		b->public = json_object_get_boolean(v) ? "true" : "false";
	}
	if (json_object_object_get_ex(o, "allow_active_content", &v) && v != NULL) {
		if (!json_object_is_type(v, json_type_boolean)) {
			json_body_fail(e, 400, "VALIDATION",
			    "allow_active_content must be true or false");
			goto out;
		}
		b->allow_active_content = json_object_get_boolean(v) ? "true" : "false";
	}
	if (json_object_object_get_ex(o, "file_size_limit", &v) && v != NULL) {
		if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 0) {
			json_body_fail(e, 400, "VALIDATION",
			    "file_size_limit must be a number of bytes or null");
			goto out;
		}
		b->file_size_limit = arena_strdup(a, json_object_get_string(v));
	}
	if (json_object_object_get_ex(o, "allowed_mime_types", &v) && v != NULL) {
		size_t n;

		if (!json_object_is_type(v, json_type_array)) {
			json_body_fail(e, 400, "VALIDATION",
			    "allowed_mime_types must be an array or null");
			goto out;
		}
		n = json_object_array_length(v);
		for (size_t i = 0; i < n; i++) {
			if (!mime_pattern_ok(json_object_array_get_idx(v, i))) {
				json_body_fail(e, 400, "VALIDATION",
				    "allowed_mime_types holds MIME types such as image/png or image/*");
				goto out;
			}
		}
		b->allowed_mime_types = json_arena_text(a, v);
	}
	rc = 0;
out:
	json_object_put(o);
	return rc;
}
