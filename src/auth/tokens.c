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
 * Link tokens (every type mailed) have the same shape and are made by
 * refresh_token_new too; only their hash is stored, their box is never
 * used.  A link's one-time code is a few digits: its hash is keyed (a
 * plain SHA-256 of a million codes is a table away), and only that key's
 * HMAC is stored.
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

/* A key for one use (context): the JWT secret hashed, then keyed for it. */
static void
tokens_derive_key(const struct conf *c, const char *context, unsigned char *key, size_t n)
{
	unsigned char master[32];

	crypto_generichash(master, sizeof(master), (const unsigned char *)c->jwt_secret,
	    strlen(c->jwt_secret), NULL, 0);
	crypto_generichash(key, n, (const unsigned char *)context, strlen(context), master,
	    sizeof(master));
	sodium_memzero(master, sizeof(master));
}

/* The box key. */
static void
refresh_token_box_key(const struct conf *c, unsigned char key[crypto_secretbox_KEYBYTES])
{
	tokens_derive_key(c, "fluxbase refresh-token box v1", key, crypto_secretbox_KEYBYTES);
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

void
link_code_hash(const struct conf *c, const char *code, char hash[REFRESH_TOKEN_HASH_SIZE])
{
	unsigned char key[crypto_auth_hmacsha256_KEYBYTES], mac[crypto_auth_hmacsha256_BYTES];

	tokens_derive_key(c, "fluxbase link code v1", key, sizeof(key));
	crypto_auth_hmacsha256(mac, (const unsigned char *)code, strlen(code), key);
	sodium_memzero(key, sizeof(key));
	hash[0] = '\\';
	hash[1] = 'x';
	sodium_bin2hex(hash + 2, REFRESH_TOKEN_HASH_SIZE - 2, mac, sizeof(mac));
}

void
link_code_new(const struct conf *c, int len, char code[LINK_CODE_MAX + 1],
    char hash[REFRESH_TOKEN_HASH_SIZE])
{
	if (len > LINK_CODE_MAX)
		len = LINK_CODE_MAX;
	for (int i = 0; i < len; i++)
		code[i] = (char)('0' + randombytes_uniform(10));
	code[len] = '\0';
	link_code_hash(c, code, hash);
}
