/*
 * auth/fields.h - the shapes auth accepts before it asks the database:
 * email addresses and tokens (refresh and magic-link) in auth/fields.c,
 * redirect targets in auth/redirect.c.
 */
#ifndef FLUXBASE_AUTH_FIELDS_H
#define FLUXBASE_AUTH_FIELDS_H

#include <stdbool.h>

/* A plain addr-spec: local@domain.tld, at most 254 bytes, no quoting. */
bool auth_email_is_valid(const char *email);
/* 20 to 128 characters of base64url: anything else is not ours. */
bool auth_token_shape_ok(const char *token);

/* url names an origin (and path) of the comma-separated allow_list
 * exactly; auth/redirect.c says how. */
bool auth_redirect_allowed(const char *allow_list, const char *url);

#endif
