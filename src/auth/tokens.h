/*
 * auth/tokens.h - refresh tokens (and magic-link tokens, the same shape):
 * opaque random strings the database knows only by their SHA-256, the
 * active refresh token also sealed so a retry can be answered with it.
 * auth/tokens.c says why.
 */
#ifndef FLUXBASE_AUTH_TOKENS_H
#define FLUXBASE_AUTH_TOKENS_H

#include <stddef.h>

#include <sodium.h>

struct conf;

#define REFRESH_TOKEN_BYTES 32 /* random bytes in a token */
#define REFRESH_TOKEN_TEXT_MAX 64 /* its base64url text, NUL included */
/* A bytea literal \x... of the SHA-256 of a token's text. */
#define REFRESH_TOKEN_HASH_SIZE (2 + 2 * crypto_hash_sha256_BYTES + 1)
/* A bytea literal \x... of nonce, MAC and the sealed text. */
#define REFRESH_TOKEN_BOX_SIZE \
	(2 + \
	    2 * \
	        (crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + \
	            REFRESH_TOKEN_TEXT_MAX) + \
	    1)

struct refresh_token {
	char token[REFRESH_TOKEN_TEXT_MAX]; /* for the client only */
	char hash[REFRESH_TOKEN_HASH_SIZE]; /* what the database keeps */
	char box[REFRESH_TOKEN_BOX_SIZE]; /* token sealed for a retry */
};

/* A fresh token, its hash and its box. */
void refresh_token_new(const struct conf *c, struct refresh_token *t);
/* The hash of a token a client presents, as refresh_token_new makes it. */
void refresh_token_hash(const char *token, char out[REFRESH_TOKEN_HASH_SIZE]);
/* Opens a box (bytea text \x...) into out: 0, or -1 when it does not open. */
int refresh_token_open(const struct conf *c, const char *box, char *out, size_t n);

#endif
