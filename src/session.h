/*
 * session.h - who is calling, and the transaction a request runs in.
 *
 * session_resolve() reads the bearer token (HS256 with the configured
 * secret, claims checked before any of them reaches SQL) and settles the
 * database role: anon without a token, the token's role with one.
 * session_exec() runs one statement of a handler as one transaction in one
 * round trip: an opening statement (the identity — role and claims — set,
 * or reused when the worker's connection already holds it; read-only; the
 * statement timeout; the session check) and the handler's statement,
 * pipelined.
 * A database error becomes an answer in one place, once: PostgreSQL's
 * words and SQLSTATE, or a conflict named by the endpoint up front.
 */
#ifndef FLUXBASE_SESSION_H
#define FLUXBASE_SESSION_H

#include <stdbool.h>

#include "router.h"

struct request;
struct db_result;

/* 0, or -1 with a 401 set on r. */
int session_resolve(struct request *r);
/* Resolves the caller and holds it against a route's access level (the
 * route table's): 0, or -1 with 401 or 403 set. */
int session_admit(struct request *r, enum route_access access);
/* A token's session is alive: checked by a statement of this request, or
 * now.  0, or -1 with 401 (or 503) set. */
int session_ensure_alive(struct request *r);
/* A signed URL speaks for the request: the service role, no token. */
void session_assume_signed(struct request *r);
/* The same on behalf of user_id (a UUID the signature covers): auth.uid()
 * is that user, as the owner of what the request writes. */
void session_assume_signed_as(struct request *r, const char *user_id);
/*
 * The handler's statement in the caller's role.  The result is freed with
 * the request's arena.  On a database error, sets the error response and
 * returns NULL.
 */
struct db_result *session_exec(struct request *r, const char *sql, int nparams,
    const char *const *values, bool read_only);
/*
 * session_exec, and with rollback (Prefer: tx=rollback) undone once it has
 * answered: BEGIN and ROLLBACK ride in the same round trip, the result is
 * the statement's as usual, nothing it wrote stays.
 */
struct db_result *session_exec_tx(struct request *r, const char *sql, int nparams,
    const char *const *values, bool read_only, bool rollback);
/* The same in another role (fluxbase_auth for the auth endpoints). */
struct db_result *session_exec_as(struct request *r, const char *role, const char *sql, int nparams,
    const char *const *values, bool read_only);
/* How a write names its conflict (a unique or foreign-key violation): a
 * 409 in the endpoint's own words rather than PostgreSQL's. */
struct conflict {
	const char *code;
	const char *message;
};
/* A write in role (NULL: the caller's) whose conflict has a name. */
struct db_result *session_write(struct request *r, const char *role, const char *sql, int nparams,
    const char *const *values, const struct conflict *conflict);
/* Frees the per-worker cache of verified tokens and what the worker
 * remembers of its connection's identity (at worker exit). */
void session_cache_clear(void);

#endif
