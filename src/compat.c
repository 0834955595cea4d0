/*
 * compat.c - which API a path speaks, and the apikey of the
 * Supabase-compatible prefixes (see compat.h).
 *
 * The apikey is checked like any token (signature, expiry) and must name
 * the anon or the service role without a user: it says which project
 * the client was given, not who signs in.  It costs one HMAC per request
 * on those prefixes only; /api/v1 never reads it.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "compat.h"
#include "conf.h"
#include "token.h"

static const struct {
	const char *prefix;
	enum api_dialect dialect;
} prefixes[] = {
	{ "/rest/v1/", DIALECT_POSTGREST },
	{ "/auth/v1/", DIALECT_GOTRUE },
	{ "/storage/v1/", DIALECT_STORAGE },
};

void
compat_classify(struct request *r)
{
	r->dialect = DIALECT_FLUXBASE;
	if (r->raw_path == NULL)
		return;
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		size_t n = strlen(prefixes[i].prefix);

		/* "/rest/v1" alone too: PostgREST's root. */
		if (strncmp(r->raw_path, prefixes[i].prefix, n) == 0 ||
		    (strncmp(r->raw_path, prefixes[i].prefix, n - 1) == 0 &&
		        r->raw_path[n - 1] == '\0')) {
			r->dialect = prefixes[i].dialect;
			return;
		}
	}
}

/* A key: our token for anon or service_role, without a user. */
static bool
key_is_ours(const struct request *r, const char *key)
{
	char *json = NULL;
	struct json_object *claims, *v;
	bool ok = false;

	if (token_verify(&TOKEN_KEY(r->conf), key, time(NULL), &json) != TOKEN_OK)
		return false;
	if ((claims = json_tokener_parse(json)) != NULL &&
	    json_object_object_get_ex(claims, "role", &v) &&
	    json_object_is_type(v, json_type_string))
		ok = (strcmp(json_object_get_string(v), "anon") == 0 ||
		         strcmp(json_object_get_string(v), "service_role") == 0) &&
		    !json_object_object_get_ex(claims, "sub", NULL);
	json_object_put(claims);
	free(json);
	return ok;
}

/*
 * What Supabase's gateway lets through without a key, links fetched with
 * no headers: GoTrue's verify (the link a mail carries), a public bucket's
 * object, and a signed URL (download or upload), which speaks for itself.
 */
static bool
key_exempt(const struct request *r)
{
	bool read = r->method == HTTP_GET || r->method == HTTP_HEAD;

	switch (r->dialect) {
	case DIALECT_GOTRUE:
		return read && strcmp(r->raw_path, "/auth/v1/verify") == 0;
	case DIALECT_STORAGE:
		if (read && strncmp(r->raw_path, "/storage/v1/object/public/", 26) == 0)
			return true;
		return query_get(r, "token") != NULL &&
		    ((read && strncmp(r->raw_path, "/storage/v1/object/sign/", 24) == 0) ||
		        (r->method == HTTP_PUT &&
		            strncmp(r->raw_path, "/storage/v1/object/upload/sign/", 31) == 0));
	default:
		return false;
	}
}

int
compat_apikey(struct request *r)
{
	const char *key;

	if (r->dialect == DIALECT_FLUXBASE || key_exempt(r))
		return 0;
	key = request_header(r, "apikey");
	if (key == NULL || key[0] == '\0')
		key = query_get(r, "apikey");
	if (key == NULL || key[0] == '\0')
		return response_error_detail(r, 401, "NO_API_KEY", "No API key found in request",
		    NULL, "No `apikey` request header or url param was found.");
	if (!key_is_ours(r, key))
		return response_error_detail(r, 401, "INVALID_API_KEY", "Invalid API key", NULL,
		    "Double check your Supabase `anon` or `service_role` API key.");
	r->apikey = key;
	return 0;
}
