/*
 * auth/reply.h - what every auth flow shares once its body is read: its
 * statement (run as fluxbase_auth), its rate limits, and its answers (a
 * session with a fresh access token, or a message).  Accounts and sessions
 * (auth/handlers.c) and links and codes (auth/links.c) answer through it.
 * The answers take the shape of the request's dialect: /api/v1's, or
 * GoTrue's on /auth/v1 (auth/gotrue.h), decided here and nowhere else.
 */
#ifndef FLUXBASE_AUTH_REPLY_H
#define FLUXBASE_AUTH_REPLY_H

#include <stdbool.h>

struct request;
struct db_result;

#define AUTH_ROLE "fluxbase_auth"

/* The request's one statement, as fluxbase_auth (see session_exec_as). */
struct db_result *auth_exec(struct request *r, const char *sql, int n, const char *const *values,
    bool read_only);
/* The User-Agent, capped, for a new session; NULL when absent. */
const char *auth_user_agent(struct request *r);
/* One attempt of action counted for key (NULL: the client's address): 0,
 * or -1 with 429 and Retry-After set. */
int auth_rate_limited(struct request *r, const char *action, const char *key, int limit);
/*
 * The session object: a fresh access token for the user (JSON text from
 * auth.user_json) in session sid, with the session's amr claim (JSON text
 * from auth.session_amr, or NULL), and the refresh token.  With redirect,
 * a 303 to it with the tokens in the URL fragment instead.
 */
int auth_reply_session(struct request *r, int status, const char *user_json, const char *sid,
    const char *amr, const char *refresh, const char *redirect);
/* 200 {"message": text} (GoTrue: {}). */
int auth_reply_message(struct request *r, const char *text);
/* The user (JSON text from auth.user_json) as the answer, no-store
 * (GoTrue: its shape, and 200 for 201). */
int auth_reply_user(struct request *r, int status, const char *user_json);
/* A sign-up that waits for its confirmation: {"user", "session": null}
 * (GoTrue: the user alone). */
int auth_reply_pending(struct request *r, const char *user_json);
/* A change done with nothing to tell: 204 (GoTrue: 200 {}). */
int auth_reply_done(struct request *r);

#endif
