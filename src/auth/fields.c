/*
 * auth/fields.c - the shapes of an e-mail address and of a token, checked
 * before auth asks the database anything.  Both are strict on purpose: an
 * address is a plain addr-spec (no quoting, no comments, an ASCII domain
 * with a dot), a token is base64url like those auth/tokens.c makes, so
 * anything else is refused without a query.  Redirect targets are in
 * auth/redirect.c.
 */
#include "config.h"

#include <ctype.h>
#include <stdbool.h>
#include <string.h>

#include "auth/fields.h"

#define EMAIL_MAX 254
#define EMAIL_LOCAL_MAX 64

bool
auth_email_is_valid(const char *e)
{
	const char *at = strchr(e, '@'), *p;
	size_t n = strlen(e);
	bool dot = false;

	if (n < 3 || n > EMAIL_MAX || at == NULL || at == e || strchr(at + 1, '@') != NULL ||
	    at - e > EMAIL_LOCAL_MAX || at[1] == '\0')
		return false;
	for (p = e; p < at; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f ||
		    strchr("<>()[],;:\\\"", *p) != NULL)
			return false;
	if (e[0] == '.' || at[-1] == '.' || strstr(e, "..") != NULL)
		return false;
	for (p = at + 1; *p; p++) {
		if (*p == '.') {
			if (p == at + 1 || p[1] == '\0' || p[-1] == '.' || p[-1] == '-')
				return false;
			dot = true;
		} else if (!isalnum((unsigned char)*p) && *p != '-') {
			return false;
		}
	}
	return dot;
}

bool
auth_token_shape_ok(const char *t)
{
	size_t n = t ? strlen(t) : 0;

	if (n < 20 || n > 128)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)t[i]) && t[i] != '-' && t[i] != '_')
			return false;
	return true;
}
