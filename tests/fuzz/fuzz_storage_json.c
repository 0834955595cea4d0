/*
 * fuzz_storage_json: the request bodies of storage (bucket creation,
 * signed-URL requests) and the x-metadata header, through the pure
 * validators the handlers use.  Invariants: a rejection is a 4xx with a
 * code and a message; an accepted bucket body yields only "true"/"false",
 * digits and a JSON array of printable MIME patterns; an accepted
 * expires_in lies within 1..max.
 */
#include "config.h"

#include <ctype.h>

#include "arena.h"
#include "fuzz.h"
#include "jsonbody.h"
#include "storage/names.h"

static void
rejected(const struct body_error *e)
{
	FUZZ_ASSERT(e->status >= 400 && e->status < 500, "status %d", e->status);
	FUZZ_ASSERT(e->code != NULL && e->message[0] != '\0', "no code or message");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena a;
	struct bucket_opts b;
	struct body_error e;
	long expires_in;
	const char *body = (const char *)data;
	char *text;

	arena_init(&a, 1024);
	if (storage_bucket_body(body, size, &a, &b, &e) < 0) {
		rejected(&e);
	} else {
		FUZZ_ASSERT(b.public == NULL || strcmp(b.public, "true") == 0 ||
		        strcmp(b.public, "false") == 0,
		    "public %s", b.public);
		if (b.file_size_limit != NULL)
			for (const char *p = b.file_size_limit; *p; p++)
				FUZZ_ASSERT(isdigit((unsigned char)*p), "limit %s",
				    b.file_size_limit);
		if (b.allowed_mime_types != NULL) {
			struct json_object *o = json_tokener_parse(b.allowed_mime_types);

			FUZZ_ASSERT(o != NULL && json_object_is_type(o, json_type_array),
			    "types %s", b.allowed_mime_types);
			json_object_put(o);
		}
	}
	if (storage_signed_url_body(body, size, 604800, &expires_in, &e) < 0)
		rejected(&e);
	else
		FUZZ_ASSERT(expires_in >= 1 && expires_in <= 604800, "expires_in %ld", expires_in);
	text = fuzz_cstr(data, size);
	(void)json_text_is_object(text, JSON_METADATA_MAX);
	free(text);
	arena_destroy(&a);
	return 0;
}
