/*
 * storage/names.c - bucket names, object keys, signed-URL tokens.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "storage/names.h"

const char *
storage_bucket_check(const char *name)
{
	size_t n = strlen(name);

	if (n < 2 || n > 63)
		return "A bucket name is 2 to 63 characters long";
	if (!(islower((unsigned char)name[0]) || isdigit((unsigned char)name[0])))
		return "A bucket name starts with a lowercase letter or a digit";
	for (size_t i = 0; i < n; i++)
		if (!(islower((unsigned char)name[i]) || isdigit((unsigned char)name[i]) ||
		        name[i] == '.' || name[i] == '_' || name[i] == '-'))
			return "A bucket name holds only a-z, 0-9, '.', '_' and '-'";
	if (strcmp(name, "buckets") == 0)
		return "\"buckets\" is reserved";
	return NULL;
}

bool
utf8_is_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n;

	while (p < end) {
		unsigned c = *p;
		size_t len;
		unsigned cp;

		if (c < 0x80) {
			p++;
			continue;
		}
		if (c >= 0xC2 && c <= 0xDF) {
			len = 2;
			cp = c & 0x1F;
		} else if (c >= 0xE0 && c <= 0xEF) {
			len = 3;
			cp = c & 0x0F;
		} else if (c >= 0xF0 && c <= 0xF4) {
			len = 4;
			cp = c & 0x07;
		} else {
			return false;
		}
		if ((size_t)(end - p) < len)
			return false;
		for (size_t i = 1; i < len; i++) {
			if ((p[i] & 0xC0) != 0x80)
				return false;
			cp = (cp << 6) | (p[i] & 0x3F);
		}
		/* No overlong forms, surrogates or values past U+10FFFF. */
		if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
		    (cp >= 0xD800 && cp <= 0xDFFF))
			return false;
		p += len;
	}
	return true;
}

const char *
storage_key_check(const char *key)
{
	size_t n = strlen(key);
	const char *seg = key;

	if (n == 0 || n > STORAGE_KEY_MAX)
		return "A key is 1 to 1024 bytes long";
	if (!utf8_is_valid(key, n))
		return "A key must be valid UTF-8";
	if (key[0] == '/')
		return "A key does not start with /";
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)key[i] < 0x20 || key[i] == 0x7f || key[i] == '\\')
			return "A key holds no control character or backslash";
	for (const char *p = key;; p++) {
		if (*p == '/' || *p == '\0') {
			size_t len = (size_t)(p - seg);

			if (len == 0)
				return "A key has no empty segment";
			if ((len == 1 && seg[0] == '.') || (len == 2 && seg[0] == '.' && seg[1] == '.'))
				return "A key has no . or .. segment";
			if (*p == '\0')
				break;
			seg = p + 1;
		}
	}
	if (n >= sizeof(SIGNED_URL_SUFFIX) - 1 &&
	    strcmp(key + n - (sizeof(SIGNED_URL_SUFFIX) - 1), SIGNED_URL_SUFFIX) == 0)
		return "Keys ending in /signed-url are reserved";
	return NULL;
}

static void
signed_mac(const char *secret, const char *bucket, const char *key, long long expires,
    unsigned char mac[crypto_auth_hmacsha256_BYTES])
{
	crypto_auth_hmacsha256_state st;
	char tail[32];

	/* Lengths first: no two (bucket, key) pairs give the same message. */
	snprintf(tail, sizeof(tail), "%lld", expires);
	crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, strlen(secret));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)"GET\n", 4);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)bucket, strlen(bucket) + 1);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)key, strlen(key) + 1);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)tail, strlen(tail));
	crypto_auth_hmacsha256_final(&st, mac);
}

int
signed_token_make(const char *secret, const char *bucket, const char *key, time_t expires,
    char *out, size_t n)
{
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	char b64[64];
	int len;

	signed_mac(secret, bucket, key, (long long)expires, mac);
	sodium_bin2base64(b64, sizeof(b64), mac, sizeof(mac),
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	len = snprintf(out, n, "%lld.%s", (long long)expires, b64);
	return len > 0 && (size_t)len < n ? 0 : -1;
}

int
signed_token_check(const char *secret, const char *bucket, const char *key, const char *token,
    time_t now)
{
	unsigned char mac[crypto_auth_hmacsha256_BYTES], given[crypto_auth_hmacsha256_BYTES];
	const char *dot;
	char *end;
	long long expires;
	size_t len;

	if (token == NULL || strlen(token) > 128 || !isdigit((unsigned char)token[0]))
		return -1;
	errno = 0;
	expires = strtoll(token, &end, 10);
	dot = end;
	if (errno != 0 || *dot != '.' || expires < (long long)now)
		return -1;
	if (sodium_base642bin(given, sizeof(given), dot + 1, strlen(dot + 1), NULL, &len, NULL,
	        sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 || len != sizeof(given))
		return -1;
	signed_mac(secret, bucket, key, expires, mac);
	return sodium_memcmp(mac, given, sizeof(mac)) == 0 ? 0 : -1;
}
