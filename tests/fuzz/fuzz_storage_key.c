/*
 * fuzz_storage_key: object keys and bucket names as clients send them.
 * Invariants for an accepted key: valid UTF-8, at most STORAGE_KEY_MAX
 * bytes, no control byte or backslash, no leading '/', no empty, "." or
 * ".." segment.  For an accepted bucket name: 2..63 bytes of [a-z0-9._-],
 * never the reserved "buckets".
 */
#include "config.h"

#include "fuzz.h"
#include "storage/names.h"
#include "text.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size);
	size_t n = strlen(s);

	if (storage_key_check(s) == NULL) {
		FUZZ_ASSERT(n > 0 && n <= STORAGE_KEY_MAX, "length %zu", n);
		FUZZ_ASSERT(utf8_is_valid(s, n), "not UTF-8");
		FUZZ_ASSERT(s[0] != '/', "leading /");
		for (size_t i = 0; i < n; i++)
			FUZZ_ASSERT((unsigned char)s[i] >= 0x20 && s[i] != 0x7f && s[i] != '\\',
			    "byte 0x%02x", (unsigned char)s[i]);
		for (char *seg = s, *end;; seg = end + 1) {
			size_t len;

			end = strchr(seg, '/');
			len = end ? (size_t)(end - seg) : strlen(seg);
			FUZZ_ASSERT(len > 0, "empty segment in %s", s);
			FUZZ_ASSERT(!(len == 1 && seg[0] == '.') &&
			        !(len == 2 && !strncmp(seg, "..", 2)),
			    "dot segment in %s", s);
			if (end == NULL)
				break;
		}
	}
	if (storage_bucket_check(s) == NULL) {
		FUZZ_ASSERT(n >= 2 && n <= 63, "bucket length %zu", n);
		FUZZ_ASSERT(strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789._-") == n, "bucket %s",
		    s);
		FUZZ_ASSERT(strcmp(s, "buckets") != 0, "the reserved name");
	}
	free(s);
	return 0;
}
