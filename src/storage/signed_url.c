/*
 * storage/signed_url.c - make and check signed-URL tokens (see the header).
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "storage/signed_url.h"

#define VERSION_BYTES 9 /* 12 base64url characters */

static const char *const purpose_method[] = { "GET\n", "PUT\n" };

static void
signed_mac(enum signed_purpose purpose, const char *secret, const char *bucket, const char *key,
    long long expires, const char *version, unsigned char mac[crypto_auth_hmacsha256_BYTES])
{
	crypto_auth_hmacsha256_state st;
	char tail[64];

	/* Lengths are implied by the NULs: no two (bucket, key) pairs give
	 * the same message, and the version has a fixed length. */
	snprintf(tail, sizeof(tail), "%lld\n%s", expires, version);
	crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, strlen(secret));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)purpose_method[purpose], 4);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)bucket, strlen(bucket) + 1);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)key, strlen(key) + 1);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)tail, strlen(tail));
	crypto_auth_hmacsha256_final(&st, mac);
}

void
signed_version(const char *blob_id, char out[SIGNED_VERSION_LEN + 1])
{
	unsigned char h[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(h, (const unsigned char *)blob_id, strlen(blob_id));
	sodium_bin2base64(out, SIGNED_VERSION_LEN + 1, h, VERSION_BYTES,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

bool
signed_version_is(const char *version, const char *blob_id)
{
	char v[SIGNED_VERSION_LEN + 1];

	signed_version(blob_id, v);
	return strlen(version) == SIGNED_VERSION_LEN &&
	    sodium_memcmp(v, version, SIGNED_VERSION_LEN) == 0;
}

void
signed_upload_mode(bool upsert, char out[SIGNED_VERSION_LEN + 1])
{
	signed_version(upsert ? "upload:upsert" : "upload:create", out);
}

int
signed_token_make(const char *secret, const char *bucket, const char *key, const char *version,
    time_t expires, char *out, size_t n)
{
	return signed_token_make_for(SIGNED_DOWNLOAD, secret, bucket, key, version, expires, out,
	    n);
}

int
signed_token_check(const char *secret, const char *bucket, const char *key, const char *token,
    time_t now, char version[SIGNED_VERSION_LEN + 1])
{
	return signed_token_check_for(SIGNED_DOWNLOAD, secret, bucket, key, token, now, version);
}

int
signed_token_make_for(enum signed_purpose purpose, const char *secret, const char *bucket,
    const char *key, const char *version, time_t expires, char *out, size_t n)
{
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	char b64[64];
	int len;

	if (strlen(version) != SIGNED_VERSION_LEN)
		return -1;
	signed_mac(purpose, secret, bucket, key, (long long)expires, version, mac);
	sodium_bin2base64(b64, sizeof(b64), mac, sizeof(mac),
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	len = snprintf(out, n, "%lld.%s.%s", (long long)expires, version, b64);
	return len > 0 && (size_t)len < n ? 0 : -1;
}

int
signed_token_check_for(enum signed_purpose purpose, const char *secret, const char *bucket,
    const char *key, const char *token, time_t now, char version[SIGNED_VERSION_LEN + 1])
{
	unsigned char mac[crypto_auth_hmacsha256_BYTES], given[crypto_auth_hmacsha256_BYTES];
	const char *v, *m;
	char *end;
	long long expires;
	size_t len;

	/* One spelling per token: the expiry in canonical decimal, no leading 0. */
	if (token == NULL || strlen(token) > 128 || !isdigit((unsigned char)token[0]) ||
	    token[0] == '0')
		return -1;
	errno = 0;
	expires = strtoll(token, &end, 10);
	if (errno != 0 || *end != '.' || expires < (long long)now)
		return -1;
	v = end + 1;
	m = v + strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_");
	if (m - v != SIGNED_VERSION_LEN || *m != '.')
		return -1;
	memcpy(version, v, SIGNED_VERSION_LEN);
	version[SIGNED_VERSION_LEN] = '\0';
	if (sodium_base642bin(given, sizeof(given), m + 1, strlen(m + 1), NULL, &len, NULL,
	        sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
	    len != sizeof(given))
		return -1;
	signed_mac(purpose, secret, bucket, key, expires, version, mac);
	return sodium_memcmp(mac, given, sizeof(mac)) == 0 ? 0 : -1;
}
