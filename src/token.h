/*
 * token.h - HS256 access tokens (libjwt).
 *
 * Only HS256 is accepted; exp, nbf and iat are checked with a 30 second
 * skew because libjwt 1.10 verifies the signature but no time claims.
 * The issuer (iss) and the audience (aud, a string or an array that holds
 * it) are part of the key: a token made for another issuer or audience
 * with the same secret is refused, as is one that names neither.
 */
#ifndef FLUXBASE_TOKEN_H
#define FLUXBASE_TOKEN_H

#include <time.h>

#define TOKEN_SKEW 30

enum token_status { TOKEN_OK, TOKEN_INVALID, TOKEN_EXPIRED };

/* What signs and what a token must say of itself ([auth] jwt_*). */
struct token_key {
	const char *secret;
	const char *issuer;
	const char *audience;
};
#define TOKEN_KEY(conf) \
	((struct token_key){ (conf)->jwt_secret, (conf)->jwt_issuer, (conf)->jwt_audience })

struct token_claims {
	const char *role;
	const char *sub; /* NULL for none */
	const char *email; /* NULL for none */
	const char *session_id; /* NULL for none */
	const char *extra_json; /* object merged into the claims, or NULL */
	long ttl;
};

/* Returns a malloc'ed token or NULL. */
char *token_mint(const struct token_key *k, const struct token_claims *c, time_t now);
/*
 * Verifies token; on TOKEN_OK *claims_json is the malloc'ed JSON of all
 * claims.
 */
enum token_status token_verify(const struct token_key *k, const char *token, time_t now,
    char **claims_json);
int token_role_is_valid(const char *role);
int token_uuid_is_valid(const char *s);

#endif
