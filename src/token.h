/*
 * token.h - HS256 access tokens (libjwt).
 *
 * Only HS256 is accepted; exp, nbf and iat are checked with a 30 second
 * skew because libjwt 1.10 verifies the signature but no time claims.
 */
#ifndef FLUXBASE_TOKEN_H
#define FLUXBASE_TOKEN_H

#include <time.h>

#define TOKEN_SKEW 30

enum token_status { TOKEN_OK, TOKEN_INVALID, TOKEN_EXPIRED };

struct token_claims {
	const char *role;
	const char *sub;          /* NULL for none */
	const char *email;        /* NULL for none */
	const char *session_id;   /* NULL for none */
	const char *extra_json;   /* object merged into the claims, or NULL */
	long ttl;
};

/* Returns a malloc'ed token or NULL. */
char *token_mint(const char *secret, const struct token_claims *c, time_t now);
/*
 * Verifies token; on TOKEN_OK *claims_json is the malloc'ed JSON of all
 * claims.
 */
enum token_status token_verify(const char *secret, const char *token, time_t now,
    char **claims_json);
int token_role_is_valid(const char *role);
int token_uuid_is_valid(const char *s);

#endif
