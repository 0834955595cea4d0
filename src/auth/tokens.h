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

#define LINK_CODE_MAX 10 /* digits of a one-time code, at most */

/* A one-time code of len digits (libsodium's uniform random numbers) and
 * its hash. */
void link_code_new(const struct conf *c, int len, char code[LINK_CODE_MAX + 1],
    char hash[REFRESH_TOKEN_HASH_SIZE]);
/* The hash of a code: SHA-256 keyed with a key derived from the JWT
 * secret, so a copy of the table does not give the codes away. */
void link_code_hash(const struct conf *c, const char *code, char hash[REFRESH_TOKEN_HASH_SIZE]);

#endif
