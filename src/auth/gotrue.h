/*
 * auth/gotrue.h - /auth/v1, GoTrue's dialect of auth, and the cores of
 * the /api/v1/auth handlers it calls.
 *
 * /auth/v1 is a translation, never a second implementation: a GoTrue
 * body is read and checked against GoTrue's fields, then handed to the
 * /api/v1 handler as the body it knows (auth_body_preset) or to the
 * handler's core below; the answers take GoTrue's shape where they are
 * written (auth/reply.c asks gotrue_user_text for the user object), and
 * every error GoTrue's {"code","error_code","msg"} (gotrue_error_body).
 */
#ifndef FLUXBASE_AUTH_GOTRUE_H
#define FLUXBASE_AUTH_GOTRUE_H

#include <stdbool.h>

struct json_object;
struct request;

/* ---- gotrue.c ------------------------------------------------------------- */

/* gotrue_error_status and gotrue_error_body are declared in compat.h
 * (response.c writes every /auth/v1 error through them). */
/* Our user object (auth.user_json, parsed) in GoTrue's shape: a new
 * object the caller owns. */
struct json_object *gotrue_user(struct json_object *ours);
/* The same from JSON text to JSON text (in the request's arena); NULL
 * when the text is not an object. */
const char *gotrue_user_text(struct request *r, const char *ours);

/* A GoTrue field and the name /api/v1 gives it; lists end with NULLs. */
struct rename {
	const char *gotrue, *ours;
};
/* GoTrue's body, its keys held against allowed, refusing the fields
 * nothing here honours (phone, PKCE, nonce, ...): NULL when answered. */
struct json_object *gotrue_body(struct request *r, const char *const *allowed);
/* Hands /api/v1's body to the handler about to run (auth_body_preset):
 * in's non-null fields of renames under our names, and with_redirect the
 * query's redirect_to.  0, or -1 answered. */
int gotrue_hand_over(struct request *r, struct json_object *in, const struct rename *renames,
    bool with_redirect);

/* ---- cores of the /api/v1/auth handlers ---------------------------------- */

/* Which sessions a sign-out ends (GoTrue's logout scopes). */
enum signout_scope { SIGNOUT_LOCAL, SIGNOUT_GLOBAL, SIGNOUT_OTHERS };
/* Ends the caller's sessions of scope (auth/handlers.c): 0, or -1 answered. */
int auth_sessions_end(struct request *r, enum signout_scope scope);
/* A magic link and code for the body's address (auth/links.c); with
 * create_user false an unknown address gets no mail and no account. */
int auth_magiclink_send(struct request *r, bool create_user);
/* A page of users as {"users":[...],"total":n} JSON text (auth/admin.c):
 * 0, or -1 answered. */
int auth_admin_list(struct request *r, long page, long per_page, const char *email,
    const char **json);

/* ---- auth/gotrue_admin.c: answers of the admin routes --------------------- */

/* generate_link's answer: the user's fields with the link's beside them. */
int gotrue_link_answer(struct request *r, const char *user_json, const char *action_link,
    const char *code, const char *token, const char *type, const char *redirect);

#endif
