/*
 * fuzz_auth_json: the request bodies of the auth endpoints, through the
 * same checks the handlers make before any database work: the strict JSON
 * object with each endpoint's allowed and forbidden keys, string fields,
 * the email shape, user_metadata, the refresh-token shape.
 * Invariants: a rejection always carries a 4xx status, a code and a
 * message; an accepted email has exactly one '@' and no control bytes.
 */
#include "config.h"

#include <stdbool.h>

#include "auth/fields.h"
#include "fuzz.h"
#include "jsonbody.h"

static const char *const *const allowed[] = {
	(const char *const[]){ "email", "password", "user_metadata", NULL }, /* signup */
	(const char *const[]){ "email", "password", NULL }, /* signin */
	(const char *const[]){ "refresh_token", NULL }, /* refresh */
	(const char *const[]){ "email", "password", "user_metadata", NULL }, /* PATCH user */
	(const char *const[]){ "email", "redirect_to", NULL }, /* magiclink */
};
static const char *const user_forbidden[] = { "role", "id", "app_metadata", NULL };

static void
rejected(const struct body_error *e)
{
	FUZZ_ASSERT(e->status >= 400 && e->status < 500, "status %d", e->status);
	FUZZ_ASSERT(e->code != NULL && e->code[0] != '\0', "no code");
	FUZZ_ASSERT(e->message[0] != '\0', "no message");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct body_error e;
	struct json_object *o;
	const char *s, *text;
	size_t len;
	unsigned which;

	if (size < 1)
		return 0;
	which = data[0] % (sizeof(allowed) / sizeof(allowed[0]));
	o = json_body_object((const char *)data + 1, size - 1, allowed[which],
	    which == 3 ? user_forbidden : NULL, &e);
	if (o == NULL) {
		rejected(&e);
		return 0;
	}
	FUZZ_ASSERT(json_object_is_type(o, json_type_object), "not an object");
	if (json_body_string(o, "email", &s, &len, &e) > 0) {
		if (auth_email_is_valid(s)) {
			const char *at = strchr(s, '@');

			FUZZ_ASSERT(at != NULL && strchr(at + 1, '@') == NULL, "email %s", s);
			for (const char *p = s; *p; p++)
				FUZZ_ASSERT((unsigned char)*p > 0x20 && (unsigned char)*p < 0x7f,
				    "byte 0x%02x in an accepted email", (unsigned char)*p);
		}
	} else if (json_object_object_get_ex(o, "email", NULL)) {
		/* present but not a string (or null) */
	}
	for (const char *const *k = (const char *const[]){ "password", "redirect_to", NULL }; *k;
	     k++)
		if (json_body_string(o, *k, &s, &len, &e) < 0)
			rejected(&e);
	if (json_body_string(o, "refresh_token", &s, &len, &e) > 0 && auth_token_shape_ok(s))
		FUZZ_ASSERT(strlen(s) >= 20 && strlen(s) <= 128 &&
		        strspn(s,
		            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") ==
		            strlen(s),
		    "refresh token shape %s", s);
	if (json_body_object_text(o, "user_metadata", JSON_METADATA_MAX, &text, &e) < 0)
		rejected(&e);
	else if (text != NULL)
		FUZZ_ASSERT(json_text_is_object(text, JSON_METADATA_MAX), "metadata round trip: %s",
		    text);
	json_object_put(o);
	return 0;
}
