/*
 * auth/body.c - the fields of auth's JSON bodies, with the answer set on
 * failure (see the header).  The parsing itself is jsonbody.c's; this
 * file only ties it to the request: its body, its arena, its answer.  A
 * worker serves one request at a time, so the preset body of /auth/v1's
 * translations is one slot, emptied when the request's arena is reset.
 */
#include "config.h"

#include <string.h>

#include <json-c/json.h>

#include "auth/body.h"
#include "auth/fields.h"
#include "auth/password.h"
#include "auth/reply.h"
#include "conf.h"
#include "http.h"
#include "jsonbody.h"

static void
body_put(void *o)
{
	json_object_put(o);
}

static struct {
	const struct request *r;
	struct json_object *o;
} preset;

static void
body_preset_clear(void *unused)
{
	(void)unused;
	json_object_put(preset.o);
	preset.r = NULL;
	preset.o = NULL;
}

void
auth_body_preset(struct request *r, struct json_object *o)
{
	if (preset.r != r)
		arena_on_reset(r->arena, body_preset_clear, NULL);
	json_object_put(preset.o);
	preset.r = r;
	preset.o = o;
}

struct json_object *
auth_body_read(struct request *r, const char *const *allowed, const char *const *forbidden)
{
	const char *body;
	size_t len;
	struct json_object *o;
	struct body_error e;

	if (preset.r == r && preset.o != NULL)
		return preset.o;
	if (request_body(r, r->conf->max_body_size, &body, &len) < 0)
		return NULL;
	if ((o = json_body_object(body, len, allowed, forbidden, &e)) == NULL) {
		response_body_error(r, &e);
		return NULL;
	}
	arena_on_reset(r->arena, body_put, o);
	return o;
}

int
auth_body_string(struct request *r, struct json_object *o, const char *key, const char **out,
    size_t *len)
{
	struct body_error e;
	int rc = json_body_string(o, key, out, len, &e);

	if (rc < 0)
		response_body_error(r, &e);
	return rc;
}

int
auth_body_bool(struct request *r, struct json_object *o, const char *key, bool *out)
{
	struct json_object *v;

	*out = false;
	if (!json_object_object_get_ex(o, key, &v) || v == NULL)
		return 0;
	if (!json_object_is_type(v, json_type_boolean)) {
		response_error(r, 400, "VALIDATION", "%.64s must be true or false", key);
		return -1;
	}
	*out = json_object_get_boolean(v);
	return 1;
}

int
auth_body_metadata(struct request *r, struct json_object *o, const char *key, const char **text)
{
	struct body_error e;
	const char *t;
	int rc = json_body_object_text(o, key, JSON_METADATA_MAX, &t, &e);

	*text = NULL;
	if (rc < 0)
		response_body_error(r, &e);
	else if (rc > 0)
		*text = arena_strdup(r->arena, t);
	return rc;
}

int
auth_body_email(struct request *r, struct json_object *o, const char **email, bool required)
{
	int rc = auth_body_string(r, o, "email", email, NULL);

	if (rc < 0)
		return -1;
	if (rc == 0) {
		if (!required)
			return 0;
		return response_error(r, 400, "VALIDATION", "email is required");
	}
	if (!auth_email_is_valid(*email))
		return response_error(r, 400, "VALIDATION", "email is not a valid address");
	return 1;
}

int
auth_body_new_password(struct request *r, const char *password, size_t len)
{
	const char *why = password_check_strength(r->conf, password, len);

	if (why == NULL)
		return 0;
	return response_error(r, 400, r->dialect == DIALECT_GOTRUE ? "WEAK_PASSWORD" : "VALIDATION",
	    "%s (at least %d characters)", why, r->conf->password_min_length);
}
