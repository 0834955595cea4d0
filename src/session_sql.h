/*
 * session_sql.h - the SQL of a request's identity and checks: the opening
 * statements, and a read with the checks folded in (session_sql.c says
 * why and how).
 */
#ifndef FLUXBASE_SESSION_SQL_H
#define FLUXBASE_SESSION_SQL_H

#include <stdbool.h>

struct arena;
struct db_stmt;

/* Set with a session, set without, reuse with a session, reuse without. */
enum identity_kind { IDENTITY_SET_S, IDENTITY_SET_NS, IDENTITY_REUSE_S, IDENTITY_REUSE_NS };

/* The opening statement of a kind, in single mode or roles mode.  One that
 * sets the identity has a pooled variant (db.h) that sets it for the
 * transaction only. */
const struct db_stmt *session_identity_stmt(bool single, enum identity_kind kind);

/* How an INSERT ... SELECT that answers with its own RETURNING (the
 * tables' one-object insert) starts its RETURNING: where the checks go. */
#define SESSION_FOLD_RETURNING " RETURNING NULL::bigint AS total, 1::bigint AS n, "

/*
 * sql (nparams parameters) with the reuse checks folded in, as one
 * statement, or NULL when its shape does not allow it.  Its parameters:
 * sql's, then role, claims, sub, email, the session (with_session only)
 * and the statement timeout as session_timeout_text gives it.  A read
 * (read_only: a SELECT or WITH query) and a write that is a SELECT become
 * a sub-query under the checks; a write's WITH query whose last SELECT
 * reads the rows written (" FROM _fb_src" at its end, as the tables'
 * writes have it) gets the checks as that SELECT's filter; an INSERT
 * whose SELECT has no WHERE and is followed by SESSION_FOLD_RETURNING
 * gets them as that SELECT's WHERE.
 */
const char *session_fold_sql(struct arena *a, bool single, bool with_session, bool read_only,
    const char *sql, int nparams);

/* A statement timeout of ms milliseconds as PostgreSQL shows it ("0",
 * "10s", "1min", "1500ms"). */
const char *session_timeout_text(struct arena *a, long ms);

#endif
