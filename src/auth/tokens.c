/*
 * auth/tokens.c - refresh tokens and their crypto.
 *
 * A refresh token is opaque: 32 random bytes in base64url, with nothing in
 * it to parse or forge.  The database keeps only its SHA-256 (a fast hash
 * is enough for 256 random bits), so a copy of auth.refresh_tokens signs
 * nobody in.  A session's one active token is also kept sealed (secretbox,
 * key derived from the JWT secret, which never reaches the database): a
 * client that retries a refresh inside the grace window gets that token
 * back rather than a theft alarm (auth.refresh in migration 0003).
 * Magic-link tokens have the same shape and are made by refresh_token_new
 * too; only their hash is stored, their box is never used.
 */
#include "config.h"

#include <string.h>

#include <sodium.h>

#include "auth/tokens.h"
#include "conf.h"

#define SEALED_MAX \
	(crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + REFRESH_TOKEN_TEXT_MAX)

void
refresh_token_hash(const char *token, char out[REFRESH_TOKEN_HASH_SIZE])
{
	unsigned char h[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(h, (const unsigned char *)token, strlen(token));
	out[0] = '\\';
	out[1] = 'x';
	sodium_bin2hex(out + 2, REFRESH_TOKEN_HASH_SIZE - 2, h, sizeof(h));
}

/* The box key: the JWT secret hashed, then keyed for this one use. */
static void
refresh_token_box_key(const struct conf *c, unsigned char key[crypto_secretbox_KEYBYTES])
{
	static const char context[] = "fluxbase refresh-token box v1";
	unsigned char master[32];

	crypto_generichash(master, sizeof(master), (const unsigned char *)c->jwt_secret,
	    strlen(c->jwt_secret), NULL, 0);
	crypto_generichash(key, crypto_secretbox_KEYBYTES, (const unsigned char *)context,
	    sizeof(context) - 1, master, sizeof(master));
	sodium_memzero(master, sizeof(master));
}

void
refresh_token_new(const struct conf *c, struct refresh_token *t)
{
	unsigned char raw[REFRESH_TOKEN_BYTES], key[crypto_secretbox_KEYBYTES];
	unsigned char sealed[SEALED_MAX];
	size_t len;

	randombytes_buf(raw, sizeof(raw));
	sodium_bin2base64(t->token, sizeof(t->token), raw, sizeof(raw),
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	refresh_token_hash(t->token, t->hash);
	len = strlen(t->token);
	randombytes_buf(sealed, crypto_secretbox_NONCEBYTES);
	refresh_token_box_key(c, key);
	crypto_secretbox_easy(sealed + crypto_secretbox_NONCEBYTES, (const unsigned char *)t->token,
	    len, sealed, key);
	sodium_memzero(key, sizeof(key));
	t->box[0] = '\\';
	t->box[1] = 'x';
	sodium_bin2hex(t->box + 2, sizeof(t->box) - 2, sealed,
	    crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + len);
	sodium_memzero(raw, sizeof(raw));
}

int
refresh_token_open(const struct conf *c, const char *box, char *out, size_t n)
{
	unsigned char sealed[SEALED_MAX];
	unsigned char key[crypto_secretbox_KEYBYTES];
	size_t len;
	int rc;

	if (box == NULL || strncmp(box, "\\x", 2) != 0 ||
	    sodium_hex2bin(sealed, sizeof(sealed), box + 2, strlen(box + 2), NULL, &len, NULL) !=
	        0 ||
	    len <= crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES ||
	    len - crypto_secretbox_NONCEBYTES - crypto_secretbox_MACBYTES >= n)
		return -1;
	refresh_token_box_key(c, key);
	rc = crypto_secretbox_open_easy((unsigned char *)out, sealed + crypto_secretbox_NONCEBYTES,
	    len - crypto_secretbox_NONCEBYTES, sealed, key);
	sodium_memzero(key, sizeof(key));
	if (rc != 0)
		return -1;
	out[len - crypto_secretbox_NONCEBYTES - crypto_secretbox_MACBYTES] = '\0';
	return 0;
}
