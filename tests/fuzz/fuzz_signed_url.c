/*
 * fuzz_signed_url: the signed-URL token verifier.  Input: bucket, key and
 * token separated by NUL bytes.  Invariant: a token is accepted only when
 * it is byte for byte the token the server itself makes for that object,
 * version and expiry (no second spelling of a valid token), and never once expired.
 */
#include "config.h"

#include <errno.h>

#include "fuzz.h"
#include "storage/signed_url.h"

static const char secret[] = "fuzzing-signing-key-0123456789-abcdef";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 3), *bucket, *key, *token, version[SIGNED_VERSION_LEN + 1];
	const time_t now = 1800000000;

	if (s == NULL)
		abort();
	memcpy(s, data, size);
	s[size] = s[size + 1] = s[size + 2] = '\0';
	bucket = s;
	key = bucket + strlen(bucket) + 1;
	key = key <= s + size ? key : s + size + 1;
	token = key + strlen(key) + 1;
	token = token <= s + size + 1 ? token : s + size + 2;
	if (signed_token_check(secret, bucket, key, token, now, version) == 0) {
		char canon[160];
		long long expires = strtoll(token, NULL, 10);

		FUZZ_ASSERT(expires >= now, "expired token accepted");
		FUZZ_ASSERT(signed_token_make(secret, bucket, key, version, (time_t)expires, canon,
		                sizeof(canon)) == 0,
		    "make");
		FUZZ_ASSERT(strcmp(canon, token) == 0, "accepted %s, the server makes %s", token,
		    canon);
	}
	free(s);
	return 0;
}
