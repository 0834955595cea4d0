/*
 * fuzz_jwt: the access-token front end (token_verify over libjwt).
 * Invariants: an accepted token is three base64url parts whose third is,
 * in its one canonical spelling, HMAC-SHA256 of the first two under our
 * secret (checked here independently with libsodium), its header says
 * HS256, its claims are a JSON object with a known role and an exp in the
 * future; anything else is INVALID or EXPIRED, never OK.
 */
#include "config.h"

#include <json-c/json.h>
#include <sodium.h>

#include "fuzz.h"
#include "token.h"

static const char secret[] = "fuzzing-jwt-secret-0123456789-abcdefghijkl";

static void
check_accepted(const char *token, const char *claims)
{
	const char *d1 = strchr(token, '.'), *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
	unsigned char mac[crypto_auth_hmacsha256_BYTES], given[crypto_auth_hmacsha256_BYTES];
	char canon[64];
	size_t len;
	struct json_object *o;

	FUZZ_ASSERT(d1 != NULL && d2 != NULL && strchr(d2 + 1, '.') == NULL, "not 3 parts");
	crypto_auth_hmacsha256_state st;

	crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, strlen(secret));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)token, (size_t)(d2 - token));
	crypto_auth_hmacsha256_final(&st, mac);
	FUZZ_ASSERT(sodium_base642bin(given, sizeof(given), d2 + 1, strlen(d2 + 1), NULL, &len,
	                NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING) == 0 &&
	        len == sizeof(given),
	    "signature is not canonical base64url: %s", d2 + 1);
	FUZZ_ASSERT(sodium_memcmp(mac, given, sizeof(mac)) == 0, "accepted a wrong signature");
	sodium_bin2base64(canon, sizeof(canon), mac, sizeof(mac),
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	FUZZ_ASSERT(strcmp(canon, d2 + 1) == 0, "second spelling of a signature");
	o = json_tokener_parse(claims);
	FUZZ_ASSERT(o != NULL && json_object_is_type(o, json_type_object), "claims %s", claims);
	json_object_put(o);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *token = fuzz_cstr(data, size), *claims = NULL;
	enum token_status st;

	if (sodium_init() < 0)
		abort();
	st = token_verify(&(struct token_key){ secret, "fluxbase", "authenticated" }, token,
	    1800000000, &claims);
	FUZZ_ASSERT(st == TOKEN_OK || claims == NULL, "claims without OK");
	if (st == TOKEN_OK)
		check_accepted(token, claims);
	free(claims);
	free(token);
	return 0;
}
