/*
 * storage/compat.c - /storage/v1: Supabase Storage's paths, bodies and
 * answers over the handlers of /api/v1/storage (placeholder: being
 * written).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "compat.h"

/* {"statusCode": "404", "error": code, "message": message}. */
char *
storage_compat_error_body(struct arena *a, int status, const char *code, const char *message)
{
	struct json_object *o = json_object_new_object();
	char st[16], *out;

	snprintf(st, sizeof(st), "%d", status);
	json_object_object_add(o, "statusCode", json_object_new_string(st));
	json_object_object_add(o, "error", json_object_new_string(code));
	json_object_object_add(o, "message", json_object_new_string(message));
	out = arena_strdup(a,
	    json_object_to_json_string_ext(o,
	        JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return out;
}
