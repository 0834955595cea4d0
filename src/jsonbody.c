/* jsonbody.c - see jsonbody.h. */
#include "config.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "arena.h"
#include "jsonbody.h"

int
json_body_fail(struct body_error *e, int status, const char *code, const char *fmt, ...)
{
	va_list ap;

	e->status = status;
	e->code = code;
	va_start(ap, fmt);
	vsnprintf(e->message, sizeof(e->message), fmt, ap);
	va_end(ap);
	return -1;
}

struct json_object *
json_body_parse(const char *text, size_t len, struct body_error *e)
{
	struct json_tokener *tok;
	struct json_object *o;

	if (len > (size_t)INT32_MAX || memchr(text, '\0', len) != NULL ||
	    (tok = json_tokener_new()) == NULL) {
		json_body_fail(e, 400, "INVALID_JSON", "The request body is not valid JSON");
		return NULL;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	o = json_tokener_parse_ex(tok, text, (int)len);
	if (o != NULL && json_tokener_get_parse_end(tok) != len) {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	if (o == NULL)
		json_body_fail(e, 400, "INVALID_JSON", "The request body is not valid JSON");
	return o;
}

struct json_object *
json_body_object(const char *body, size_t len, const char *const *allowed,
    const char *const *forbidden, struct body_error *e)
{
	struct json_object *o = json_body_parse(body, len, e);

	if (o == NULL)
		return NULL;
	if (!json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		json_body_fail(e, 400, "VALIDATION", "The body must be a JSON object");
		return NULL;
	}
	json_object_object_foreach(o, key, val)
	{
		bool ok = allowed == NULL;

		(void)val;
		for (size_t i = 0; forbidden != NULL && forbidden[i] != NULL; i++) {
			if (strcmp(key, forbidden[i]) == 0) {
				json_body_fail(e, 403, "FORBIDDEN_FIELD",
				    "%s cannot be changed by the user", forbidden[i]);
				json_object_put(o);
				return NULL;
			}
		}
		for (size_t i = 0; !ok && allowed[i] != NULL; i++)
			ok = strcmp(key, allowed[i]) == 0;
		if (!ok) {
			json_body_fail(e, 400, "VALIDATION", "Unknown field \"%.64s\"", key);
			json_object_put(o);
			return NULL;
		}
	}
	return o;
}

/* o's field key when it is there and of type t: 1 and *v; 0 when absent
 * (or null); -1, with the error, when of another type. */
static int
json_body_field(struct json_object *o, const char *key, json_type t, const char *what,
    struct json_object **v, struct body_error *e)
{
	if (!json_object_object_get_ex(o, key, v) || *v == NULL)
		return 0;
	if (!json_object_is_type(*v, t)) {
		json_body_fail(e, 400, "VALIDATION", "%.64s must be %s", key, what);
		return -1;
	}
	return 1;
}

int
json_body_string(struct json_object *o, const char *key, const char **out, size_t *len,
    struct body_error *e)
{
	struct json_object *v;
	int rc;

	*out = NULL;
	if ((rc = json_body_field(o, key, json_type_string, "a string", &v, e)) <= 0)
		return rc;
	*out = json_object_get_string(v);
	if (len != NULL)
		*len = (size_t)json_object_get_string_len(v);
	return 1;
}

int
json_body_object_text(struct json_object *o, const char *key, size_t max, const char **text,
    struct body_error *e)
{
	struct json_object *v;
	int rc;

	*text = NULL;
	if ((rc = json_body_field(o, key, json_type_object, "a JSON object", &v, e)) <= 0)
		return rc;
	*text = json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN);
	if (strlen(*text) > max) {
		json_body_fail(e, 400, "VALIDATION", "%.64s is larger than %zu bytes", key, max);
		*text = NULL;
		return -1;
	}
	return 1;
}

bool
json_text_is_object(const char *text, size_t max)
{
	size_t len = strlen(text);
	struct body_error e;
	struct json_object *o;
	bool ok;

	if (len > max)
		return false;
	o = json_body_parse(text, len, &e);
	ok = o != NULL && json_object_is_type(o, json_type_object);
	json_object_put(o);
	return ok;
}

char *
json_arena_text(struct arena *a, struct json_object *o)
{
	return arena_strdup(a,
	    json_object_to_json_string_ext(o,
	        JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
}
