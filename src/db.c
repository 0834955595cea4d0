/*
 * db.c - libpq behind a small API: the connection, db_exec and results
 * (db_request.c: the request pipeline).  Only these two include
 * libpq-fe.h, through db_int.h.
 *
 * Behind a pooler.  A connection that reaches PostgreSQL through a pooler
 * (PgBouncer and the like) is told so at connect: the process id in the
 * key the pooler hands out is not the server process's own.  Such a
 * connection is "pooled":
 *  - no LISTEN: a notification would reach whichever client the pooler
 *    has linked the server connection to, if any (one warning per
 *    process says what that costs);
 *  - db_exec resets the session (RESET ALL) in the same transaction as its
 *    statement, always: the server connection may hold another client's
 *    settings, and a reset of its own could run on another one.
 * The probe cannot tell session mode from transaction mode, where
 * consecutive transactions run on different server connections.  Named
 * statements stay until the server says otherwise: our names carry a
 * random salt of the connection, so a statement of that name prepared by
 * anyone else cannot exist, and no statement can ever run in place of
 * another.  A 26000 (missing) or 42P05 (already there) naming one of ours
 * proves transaction pooling (or a reset by the pooler): the request's
 * pipeline, undone whole by the error, runs again once with unnamed
 * statements (PQsendQueryParams: parsed and planned at every request),
 * and so does every later one on the connection.  A pooled connection
 * (found by the probe or by those errors) sets the request identity for
 * each transaction only, with the pooled variant of the opening statement
 * (db_stmt.pooled), so no caller's role or claims stay on a server
 * connection that others use next; its session epoch changes at every
 * call, so nothing is ever taken as already set.  A pooler the probe
 * misses is found by those same errors (the request that finds it runs
 * again with that variant); what the requests before it set for the
 * session stays on their server connection.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "db_int.h"
#include "log.h"

static bool pooled_warned;

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct db *
db_new(const char *conninfo, int connect_timeout)
{
	struct db *db = calloc(1, sizeof(*db));

	if (db == NULL || (db->conninfo = strdup(conninfo)) == NULL) {
		free(db);
		return NULL;
	}
	snprintf(db->timeout, sizeof(db->timeout), "%d", connect_timeout);
	return db;
}

void
db_drop(struct db *db)
{
	if (db->conn != NULL)
		PQfinish(db->conn);
	db->conn = NULL;
	db->nprepared = 0;
	db_cache_clear(db);
	db->cache_flush = false;
	db->session_used = db->session_reset = false;
	db->session_epoch++;
}

void
db_free(struct db *db)
{
	if (db == NULL)
		return;
	db_drop(db);
	free(db->conninfo);
	free(db->listen_channel);
	free(db);
}

void
db_set_notify_handler(struct db *db, db_notify_fn fn, void *arg)
{
	db->notify_fn = fn;
	db->notify_arg = arg;
}

void
db_set_error(struct db *db, const char *msg)
{
	size_t n;

	snprintf(db->last_error, sizeof(db->last_error), "%s", msg ? msg : "unknown error");
	n = strlen(db->last_error);
	while (n > 0 && (db->last_error[n - 1] == '\n' || db->last_error[n - 1] == ' '))
		db->last_error[--n] = '\0';
}

static void
db_notice(void *arg, const char *message)
{
	(void)arg;
	log_debug("db: %s", message);
}

/* A pooler hands out its own key: the process id in it is not the one
 * of the server process that answers.  One round trip per connect; -1
 * when the connection did not survive it (a pooler that cannot reach
 * PostgreSQL lets us log in, then ends the connection at the first
 * statement). */
static int
db_probe_pooler(struct db *db)
{
	PGresult *res = PQexec(db->conn, "SELECT pg_backend_pid()");
	unsigned int r = (unsigned int)getpid() ^ (unsigned int)now_ms();

	db->pooled = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 &&
	    atoi(PQgetvalue(res, 0, 0)) != PQbackendPID(db->conn);
	db->unnamed = false;
	PQclear(res);
	if (PQstatus(db->conn) != CONNECTION_OK)
		return -1;
	if (db->pooled && !pooled_warned) {
		pooled_warned = true;
		log_warn(
		    "db: a connection pooler is between us and PostgreSQL: no LISTEN (it needs a"
		    " session of its own), so a worker sees a schema change at a miss (a table"
		    " or function it does not know, one reload a second at most) or at its next"
		    " [tables] schema_poll; admin_url (migrate) must reach PostgreSQL directly");
	}
	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r))
		r ^= (unsigned int)rand();
	snprintf(db->salt, sizeof(db->salt), "x%08x", r);
	return 0;
}

int
db_connect(struct db *db)
{
	long long start;

	const char *keys[] = { "connect_timeout", "application_name", "dbname", NULL };
	const char *vals[] = { db->timeout, "fluxbase-fcgi", db->conninfo, NULL };

	db_drop(db);
	start = now_ms();
	/* expand_dbname: conninfo may be a URI or key=value string; it comes
	 * last so its own connect_timeout, if any, wins over ours. */
	db->conn = PQconnectdbParams(keys, vals, 1);
	if (db->conn == NULL || PQstatus(db->conn) != CONNECTION_OK || db_probe_pooler(db) < 0) {
		db_set_error(db, db->conn ? PQerrorMessage(db->conn) : "out of memory");
		db_drop(db);
		if (now_ms() - start > SLOW_CONNECT_MS)
			db->retry_after_ms = now_ms() + RECONNECT_BACKOFF_MS;
		return -1;
	}
	PQsetNoticeProcessor(db->conn, db_notice, NULL);
	if (db->ever_connected)
		db->reconnects++;
	db->last_error[0] = '\0';
	if (db->listen_channel != NULL && db->pooled) {
		/* Whatever was announced while we were away is lost. */
		if (db->ever_connected && db->notify_fn != NULL)
			db->notify_fn(NULL, NULL, db->notify_arg);
	} else if (db->listen_channel != NULL) {
		char *ident =
		    PQescapeIdentifier(db->conn, db->listen_channel, strlen(db->listen_channel));
		char sql[300];
		PGresult *res;

		snprintf(sql, sizeof(sql), "LISTEN %s", ident ? ident : "fluxbase");
		PQfreemem(ident);
		res = PQexec(db->conn, sql);
		if (PQresultStatus(res) != PGRES_COMMAND_OK)
			log_warn("%s: %s", sql, PQresultErrorMessage(res));
		PQclear(res);
		/* Whatever was announced while we were away is lost. */
		if (db->ever_connected && db->notify_fn != NULL)
			db->notify_fn(NULL, NULL, db->notify_arg);
	}
	db->ever_connected = true;
	return 0;
}

void
db_listen(struct db *db, const char *channel)
{
	free(db->listen_channel);
	db->listen_channel = channel ? strdup(channel) : NULL;
}

bool
db_connected(const struct db *db)
{
	return db->conn != NULL && PQstatus(db->conn) == CONNECTION_OK;
}

int
db_socket(const struct db *db)
{
	return db->conn != NULL ? PQsocket(db->conn) : -1;
}

unsigned long
db_reconnects(const struct db *db)
{
	return db->reconnects;
}

bool
db_pooled(const struct db *db)
{
	return db->pooled;
}

const char *
db_last_error(const struct db *db)
{
	return db->last_error;
}

static void
db_drain_notifies(struct db *db)
{
	PGnotify *n;

	while ((n = PQnotifies(db->conn)) != NULL) {
		if (db->notify_fn != NULL)
			db->notify_fn(n->relname, n->extra, db->notify_arg);
		PQfreemem(n);
	}
}

int
db_check(struct db *db)
{
	if (db->conn != NULL && PQstatus(db->conn) == CONNECTION_OK) {
		struct pollfd pfd = { .fd = PQsocket(db->conn), .events = POLLIN };

		/* Anything readable while idle is a notification or the end of
		 * the connection; reading it costs no round trip. */
		if (poll(&pfd, 1, 0) > 0) {
			if (!PQconsumeInput(db->conn) || PQstatus(db->conn) != CONNECTION_OK) {
				db_set_error(db, PQerrorMessage(db->conn));
				log_warn("%s: connection lost: %s", __func__, db->last_error);
				db_drop(db);
			} else {
				db_drain_notifies(db);
			}
		}
	} else if (db->conn != NULL) {
		db_drop(db);
	}
	if (db->conn != NULL)
		return 0;
	if (now_ms() < db->retry_after_ms)
		return -1;
	if (db_connect(db) < 0) {
		log_warn("%s: cannot connect to the database: %s", __func__, db->last_error);
		return -1;
	}
	log_info("%s: connected to the database", __func__);
	return 0;
}

struct db_result *
db_wrap(struct db *db, PGresult *res)
{
	struct db_result *r = calloc(1, sizeof(*r));

	/* A notification that came in with the answer is in libpq's queue,
	 * not on the socket: the wait would not see it. */
	if (db->conn != NULL)
		db_drain_notifies(db);

	if (r == NULL) {
		PQclear(res);
		return NULL;
	}
	r->res = res;
	switch (res ? PQresultStatus(res) : PGRES_FATAL_ERROR) {
	case PGRES_COMMAND_OK:
	case PGRES_TUPLES_OK:
	case PGRES_EMPTY_QUERY:
		r->status = DB_OK;
		break;
	default:
		r->status = DB_ERROR;
		if (db->conn == NULL || PQstatus(db->conn) != CONNECTION_OK) {
			r->status = DB_UNAVAILABLE;
			db_set_error(db, db->conn ? PQerrorMessage(db->conn) : "not connected");
			log_warn("db: connection lost: %s", db->last_error);
			db_drop(db);
		}
		break;
	}
	return r;
}

struct db_result *
db_unavailable(void)
{
	struct db_result *r = calloc(1, sizeof(*r));

	if (r != NULL)
		r->status = DB_UNAVAILABLE;
	return r;
}

/* RESET ALL and the statement in one transaction, one round trip: the
 * first error, or the statement's result. */
static PGresult *
db_exec_reset(struct db *db, const char *sql, int nparams, const char *const *values)
{
	PGresult *res, *out, *got[2] = { NULL, NULL };
	char *both;
	bool ok;

	if (nparams == 0) {
		/* Several statements in one Query: one implicit transaction. */
		if ((both = malloc(strlen(sql) + 12)) == NULL)
			return NULL;
		res = PQexec(db->conn, strcat(strcpy(both, "RESET ALL;\n"), sql));
		free(both);
		return res;
	}
	if (!PQenterPipelineMode(db->conn) ||
	    !PQsendQueryParams(db->conn, "RESET ALL", 0, NULL, NULL, NULL, NULL, 0) ||
	    !PQsendQueryParams(db->conn, sql, nparams, NULL, values, NULL, NULL, 0) ||
	    !PQpipelineSync(db->conn))
		goto broken;
	for (int i = 0; i < 2; i++) {
		if ((got[i] = PQgetResult(db->conn)) == NULL)
			break;
		while ((res = PQgetResult(db->conn)) != NULL)
			PQclear(res);
	}
	while ((res = PQgetResult(db->conn)) != NULL) {
		ExecStatusType st = PQresultStatus(res);

		PQclear(res);
		if (st == PGRES_PIPELINE_SYNC)
			break;
	}
	/* The reset's result only when it failed (the statement's is then
	 * "aborted"). */
	ok = got[0] != NULL && PQresultStatus(got[0]) == PGRES_COMMAND_OK;
	out = got[ok ? 1 : 0];
	PQclear(got[ok ? 0 : 1]);
	if (PQexitPipelineMode(db->conn))
		return out;
	PQclear(out);
broken:
	db_set_error(db, PQerrorMessage(db->conn));
	log_warn("db: cannot run a statement: %s", db->last_error);
	db_drop(db);
	return NULL;
}

struct db_result *
db_exec(struct db *db, const char *sql, int nparams, const char *const *values)
{
	struct db_result *r;

	if (db->conn == NULL && db_check(db) < 0)
		return db_unavailable();
	if (!db->session_used && !db->pooled) {
		if (nparams == 0)
			return db_wrap(db, PQexec(db->conn, sql));
		return db_wrap(db,
		    PQexecParams(db->conn, sql, nparams, NULL, values, NULL, NULL, 0));
	}
	/* Back to the login role and its settings first.  Behind a pooler
	 * the server connection may hold another client's settings, and a
	 * reset sent alone would run on another server connection. */
	r = db_wrap(db, db_exec_reset(db, sql, nparams, values));
	if (r != NULL && r->status == DB_OK) {
		db->session_used = db->session_reset = false;
		db->session_epoch++;
	}
	return r;
}

enum db_status
db_result_status(const struct db_result *r)
{
	return r ? r->status : DB_UNAVAILABLE;
}

static const char *
db_field(const struct db_result *r, int field)
{
	return r && r->res ? PQresultErrorField(r->res, field) : NULL;
}

const char *
db_result_sqlstate(const struct db_result *r)
{
	return db_field(r, PG_DIAG_SQLSTATE);
}

const char *
db_result_message(const struct db_result *r)
{
	const char *m = db_field(r, PG_DIAG_MESSAGE_PRIMARY);

	return m ? m : "database unavailable";
}

const char *
db_result_detail(const struct db_result *r)
{
	return db_field(r, PG_DIAG_MESSAGE_DETAIL);
}

const char *
db_result_hint(const struct db_result *r)
{
	return db_field(r, PG_DIAG_MESSAGE_HINT);
}

int
db_result_rows(const struct db_result *r)
{
	return r && r->res ? PQntuples(r->res) : 0;
}

const char *
db_result_value(const struct db_result *r, int row, int col)
{
	return PQgetvalue(r->res, row, col);
}

bool
db_result_isnull(const struct db_result *r, int row, int col)
{
	return PQgetisnull(r->res, row, col) != 0;
}

size_t
db_result_length(const struct db_result *r, int row, int col)
{
	return (size_t)PQgetlength(r->res, row, col);
}

void
db_result_free(struct db_result *r)
{
	if (r == NULL)
		return;
	PQclear(r->res);
	free(r);
}
