/*
 * auth/linkmail.h - the links and codes auth mails, and their mails: a
 * link is a token (auth/tokens.c's shape) and a code for the same action;
 * its URL is built from [server] public_url only; its mail is rendered
 * from a template of its type (built in, or [mail] templates_dir) as text
 * and HTML.  auth/linkmail.c says how.
 */
#ifndef FLUXBASE_AUTH_LINKMAIL_H
#define FLUXBASE_AUTH_LINKMAIL_H

#include <stdbool.h>

#include "auth/tokens.h"

struct request;

/* The types of mail: the five kinds of link, and the notice an old
 * address gets when the account's address changes. */
#define LINK_TYPES "signup", "recovery", "invite", "magiclink", "email_change"
#define NOTICE_EMAIL_CHANGE "email_change_notice"

struct link {
	struct refresh_token token; /* token.token for the URL, token.hash stored */
	char code[LINK_CODE_MAX + 1];
	char code_hash[REFRESH_TOKEN_HASH_SIZE];
};

/* A known link type (LINK_TYPES). */
bool link_type_ok(const char *type);
/* A fresh token and code. */
void link_new(struct request *r, struct link *l);
/* Wipes the secrets of l. */
void link_wipe(struct link *l);
/* 0, or -1 with 500 set and a log line when [server] public_url is unset. */
int link_public_url_check(struct request *r);
/* The URL a link of type opens (in the request's arena). */
char *link_url(struct request *r, const char *type, const char *token);
/*
 * Mails l (NULL for a notice) of type to an address: email is the
 * account's address, new_email the pending one (or NULL).  A delivery
 * failure is logged, never told.  With to NULL, renders the same mail and
 * rehearses its delivery without sending anything, so an address that
 * gets no mail costs what one that does costs.
 */
void linkmail_send(struct request *r, const char *type, const char *to, const struct link *l,
    const char *email, const char *new_email);

#endif
