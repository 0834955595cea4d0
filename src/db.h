/*
 * db.h - the one place that talks to libpq.
 *
 * A worker holds one connection, opened after fork.  db_check() at the
 * start of each request costs no round trip: it reads what the server sent
 * while the worker was idle (notifications, or the end of the connection
 * when PostgreSQL restarted) and reconnects, within the connect timeout,
 * when the connection is gone (after an attempt that timed out, not again
 * for a second, so requests meanwhile get their 503 at once).  Prepared
 * statements are prepared on first use on each connection, so they come
 * back by themselves after a reconnect.
 *
 * Behind a pooler (PgBouncer; found at connect) the connection is
 * "pooled": no LISTEN, and a reset in the same transaction as each
 * db_exec.  Once the server shows transaction pooling (a named statement
 * of ours missing), unnamed statements, and a session epoch that changes
 * at every call (db.c says why).
 */
#ifndef FLUXBASE_DB_H
#define FLUXBASE_DB_H

#include <stdbool.h>
#include <stddef.h>

struct db;
struct db_result;

enum db_status { DB_OK, DB_ERROR, DB_UNAVAILABLE };

struct db_stmt {
	const char *name;
	const char *sql;
	int nparams;
	/* What runs in its place on a pooled connection (db_pooled), or NULL:
	 * the same, with nothing left on the session. */
	const struct db_stmt *pooled;
};

typedef void (*db_notify_fn)(const char *channel, const char *payload, void *arg);

struct db *db_new(const char *conninfo, int connect_timeout);
void db_free(struct db *db);
void db_set_notify_handler(struct db *db, db_notify_fn fn, void *arg);
/* Connects now (ignoring the reconnect interval); 0 or -1. */
int db_connect(struct db *db);
/* Processes idle input; reconnects if needed.  0 when usable, -1 when not. */
int db_check(struct db *db);
bool db_connected(const struct db *db);
/* The connection's socket, or -1: a worker waits on it with its listening
 * socket, so what the server sends while it is idle is read when it comes. */
int db_socket(const struct db *db);
unsigned long db_reconnects(const struct db *db);
/* A pooler between us and PostgreSQL: no notification comes (no LISTEN),
 * so what they announce has to be polled for. */
bool db_pooled(const struct db *db);
/* Last connection error, for the log (never sent to clients). */
const char *db_last_error(const struct db *db);

/* With nparams == 0 the text may hold several statements (simple protocol). */
struct db_result *db_exec(struct db *db, const char *sql, int nparams, const char *const *values);

/*
 * One request's transaction in one round trip: the setup statement and the
 * main one are pipelined and closed by a single Sync, so they form one
 * implicit transaction (an error in either rolls both back).  The main
 * statement is prepared once per connection, keyed by its text.  Returns
 * the first failing result, or the main statement's.  With setup NULL the
 * main statement runs alone (it carries its own checks: session.c).  On a
 * pooled connection setup's pooled variant runs, if it has one, in every
 * try (a pooler found by this request's first try included).
 *
 * DB_ROLLBACK (Prefer: tx=rollback) wraps them in BEGIN ... ROLLBACK in
 * the same pipeline: the main statement's rows come back and nothing of
 * the transaction stays, session-level settings it made included.
 */
enum db_end { DB_COMMIT, DB_ROLLBACK };
struct db_result *db_exec_request(struct db *db, const struct db_stmt *setup,
    const char *const *setup_values, const char *sql, int nparams, const char *const *values,
    enum db_end end);
/*
 * Request statements may leave settings (the role, the claims) on the
 * connection's session for the next request to reuse.  db_exec runs as the
 * login role: it resets the session first, in the same transaction.
 * db_session_reset() has the next request's pipeline start with a reset
 * too.  The epoch changes whenever the session's settings are gone (a
 * reset, a new connection), and at every call behind a pooler in
 * transaction mode (the next transaction may run on another server
 * connection: whatever the caller keeps on the session, it sets again in
 * each transaction).
 */
unsigned long db_session_epoch(const struct db *db);
void db_session_reset(struct db *db);
/* Called with channel NULL after a reconnect (notifications may be lost). */
void db_listen(struct db *db, const char *channel);

enum db_status db_result_status(const struct db_result *res);
const char *db_result_sqlstate(const struct db_result *res);
const char *db_result_message(const struct db_result *res);
const char *db_result_detail(const struct db_result *res);
const char *db_result_hint(const struct db_result *res);
int db_result_rows(const struct db_result *res);
const char *db_result_value(const struct db_result *res, int row, int col);
bool db_result_isnull(const struct db_result *res, int row, int col);
size_t db_result_length(const struct db_result *res, int row, int col);
void db_result_free(struct db_result *res);

#endif
