/*
 * jsonbody.h - request bodies that must be JSON objects, checked without
 * touching the request: the parse is strict (one JSON value, nothing after
 * it, no NUL inside), keys are checked against the endpoint's list, and
 * what is wrong comes back as the status, code and message of the JSON
 * error the handler answers with.  Pure functions, so they can be fuzzed.
 */
#ifndef FLUXBASE_JSONBODY_H
#define FLUXBASE_JSONBODY_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

struct body_error {
	int status;
	const char *code;
	char message[160];
};

/* Largest user_metadata / x-metadata object, as compact JSON text. */
#define JSON_METADATA_MAX 16384

/* Fills e; returns -1 so validators can "return json_body_fail(...)". */
int json_body_fail(struct body_error *e, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Any one JSON value covering all of text[0..len) (strict, no NUL byte);
 * NULL with 400 INVALID_JSON in *e otherwise. */
struct json_object *json_body_parse(const char *text, size_t len, struct body_error *e);
/*
 * The object in body[0..len); every key must be in allowed (NULL-terminated;
 * NULL allows any) and keys in forbidden answer 403 FORBIDDEN_FIELD.  The
 * caller releases it with json_object_put().  NULL and *e set otherwise.
 */
struct json_object *json_body_object(const char *body, size_t len, const char *const *allowed,
    const char *const *forbidden, struct body_error *e);
/* A string member: 1 present (*out, *len), 0 absent or null, -1 not a string. */
int json_body_string(struct json_object *o, const char *key, const char **out, size_t *len,
    struct body_error *e);
/* An object member as compact JSON text of at most max bytes: 1, 0 absent, -1 bad. */
int json_body_object_text(struct json_object *o, const char *key, size_t max, const char **text,
    struct body_error *e);
/* o as compact JSON text ('/' unescaped), copied into a. */
struct arena;
char *json_arena_text(struct arena *a, struct json_object *o);
/* One JSON object given as text (a header's value), at most max bytes. */
bool json_text_is_object(const char *text, size_t max);

#endif
