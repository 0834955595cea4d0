/*
 * auth/gotrue.c - /auth/v1: GoTrue's paths, bodies and answers over the
 * handlers of /api/v1/auth (placeholder: being written).
 */
#include "config.h"

#include <ctype.h>
#include <string.h>

#include <json-c/json.h>

#include "compat.h"

/* {"code": status, "error_code": our code in lower case, "msg": message}. */
char *
gotrue_error_body(struct arena *a, int status, const char *code, const char *message)
{
	struct json_object *o = json_object_new_object();
	char *lower = arena_strdup(a, code), *out;

	for (char *p = lower; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	json_object_object_add(o, "code", json_object_new_int(status));
	json_object_object_add(o, "error_code", json_object_new_string(lower));
	json_object_object_add(o, "msg", json_object_new_string(message));
	out = arena_strdup(a,
	    json_object_to_json_string_ext(o,
	        JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return out;
}
