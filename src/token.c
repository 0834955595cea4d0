/*
 * token.c - minting and verifying HS256 JWTs.
 */
#include "config.h"

#include <ctype.h>
#include <stdbool.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <jwt.h>
#include <sodium.h>

#include "token.h"

int
token_role_is_valid(const char *role)
{
	size_t n = 0;

	if (role == NULL || !(islower((unsigned char)role[0]) || role[0] == '_'))
		return 0;
	for (; role[n] != '\0'; n++)
		if (!(islower((unsigned char)role[n]) || isdigit((unsigned char)role[n]) ||
		        role[n] == '_'))
			return 0;
	return n <= 63;
}

int
token_uuid_is_valid(const char *s)
{
	static const char shape[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";

	if (s == NULL || strlen(s) != sizeof(shape) - 1)
		return 0;
	for (size_t i = 0; shape[i] != '\0'; i++) {
		if (shape[i] == '-' ? s[i] != '-' : !isxdigit((unsigned char)s[i]))
			return 0;
	}
	return 1;
}

static void
uuid_v4(char out[37])
{
	unsigned char b[16];

	randombytes_buf(b, sizeof(b));
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
	    b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
	    b[14], b[15]);
}

char *
token_mint(const struct token_key *k, const struct token_claims *c, time_t now)
{
	jwt_t *jwt = NULL;
	char jti[37];
	char *out = NULL;
	int rc = 0;

	if (jwt_new(&jwt) != 0)
		return NULL;
	uuid_v4(jti);
	rc |= jwt_set_alg(jwt, JWT_ALG_HS256, (const unsigned char *)k->secret,
	    (int)strlen(k->secret));
	if (c->extra_json != NULL)
		rc |= jwt_add_grants_json(jwt, c->extra_json);
	rc |= jwt_add_grant(jwt, "role", c->role);
	rc |= jwt_add_grant(jwt, "iss", k->issuer);
	rc |= jwt_add_grant(jwt, "aud", k->audience);
	rc |= jwt_add_grant(jwt, "jti", jti);
	if (c->sub != NULL)
		rc |= jwt_add_grant(jwt, "sub", c->sub);
	if (c->email != NULL)
		rc |= jwt_add_grant(jwt, "email", c->email);
	if (c->session_id != NULL)
		rc |= jwt_add_grant(jwt, "session_id", c->session_id);
	rc |= jwt_add_grant_int(jwt, "iat", (long)now);
	rc |= jwt_add_grant_int(jwt, "nbf", (long)now);
	rc |= jwt_add_grant_int(jwt, "exp", (long)(now + c->ttl));
	if (rc == 0)
		out = jwt_encode_str(jwt);
	jwt_free(jwt);
	return out;
}

/* aud is the audience, or an array that holds it (RFC 7519, 4.1.3). */
static bool
token_audience_ok(jwt_t *jwt, const char *audience)
{
	const char *aud = jwt_get_grant(jwt, "aud");
	struct json_object *list;
	char *json;
	bool ok = false;

	if (aud != NULL)
		return strcmp(aud, audience) == 0;
	if ((json = jwt_get_grants_json(jwt, "aud")) == NULL)
		return false;
	list = json_tokener_parse(json);
	if (list != NULL && json_object_is_type(list, json_type_array)) {
		size_t n = json_object_array_length(list);

		for (size_t i = 0; i < n && !ok; i++) {
			struct json_object *v = json_object_array_get_idx(list, i);

			ok = json_object_is_type(v, json_type_string) &&
			    strcmp(json_object_get_string(v), audience) == 0;
		}
	}
	json_object_put(list);
	free(json);
	return ok;
}

enum token_status
token_verify(const struct token_key *k, const char *token, time_t now, char **claims_json)
{
	const char *iss;
	jwt_t *jwt = NULL;
	long exp, nbf, iat;
	enum token_status st = TOKEN_INVALID;

	*claims_json = NULL;
	if (token == NULL || strlen(token) > 8192)
		return TOKEN_INVALID;
	if (jwt_decode(&jwt, token, (const unsigned char *)k->secret, (int)strlen(k->secret)) != 0)
		return TOKEN_INVALID;
	if (jwt_get_alg(jwt) != JWT_ALG_HS256)
		goto done;
	errno = 0;
	exp = jwt_get_grant_int(jwt, "exp");
	if (errno != 0 || exp <= 0)
		goto done;
	if ((nbf = jwt_get_grant_int(jwt, "nbf")) > 0 && nbf > now + TOKEN_SKEW)
		goto done;
	if ((iat = jwt_get_grant_int(jwt, "iat")) > 0 && iat > now + TOKEN_SKEW)
		goto done;
	if (!token_role_is_valid(jwt_get_grant(jwt, "role")))
		goto done;
	if ((iss = jwt_get_grant(jwt, "iss")) == NULL || strcmp(iss, k->issuer) != 0 ||
	    !token_audience_ok(jwt, k->audience))
		goto done;
	if (exp + TOKEN_SKEW < now) {
		st = TOKEN_EXPIRED;
		goto done;
	}
	*claims_json = jwt_get_grants_json(jwt, NULL);
	st = *claims_json ? TOKEN_OK : TOKEN_INVALID;
done:
	jwt_free(jwt);
	return st;
}
