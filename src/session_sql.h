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

/* The opening statement of a kind, in single mode or roles mode. */
const struct db_stmt *session_identity_stmt(bool single, enum identity_kind kind);

/*
 * The read sql (a SELECT with nparams parameters) with the reuse checks
 * folded in, as one statement.  Its parameters: sql's, then role, claims,
 * sub, email, the session (with_session only) and the statement timeout
 * as session_timeout_text gives it.
 */
const char *session_fold_sql(struct arena *a, bool single, bool with_session, const char *sql,
    int nparams);

/* A statement timeout of ms milliseconds as PostgreSQL shows it ("0",
 * "10s", "1min", "1500ms"). */
const char *session_timeout_text(struct arena *a, long ms);

#endif
