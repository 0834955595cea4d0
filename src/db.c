/*
 * db.c - libpq behind a small API.  Only this file includes libpq-fe.h.
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
 * and so does every later one on the connection; from then on the session
 * epoch changes at every call, so the caller sets the identity it keeps
 * on the session in every transaction (right whatever server connection
 * runs it) rather than finding it changed.  A pooler the probe misses is
 * found by those same errors.
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

#include <libpq-fe.h>

#include "db.h"
#include "log.h"

/* After a connection attempt that failed slowly (an unreachable host), the
 * next one waits this long, so requests meanwhile fail fast. */
#define RECONNECT_BACKOFF_MS 1000
#define SLOW_CONNECT_MS 100
#define MAX_PREPARED 64
#define MAX_CACHED 256

struct db_cached {
	char *sql;
	unsigned long hash;
	char name[32];
};

struct db {
	PGconn *conn;
	char *conninfo;
	char timeout[16];
	long long retry_after_ms;
	unsigned long reconnects;
	bool ever_connected;
	char last_error[256];
	const struct db_stmt *prepared[MAX_PREPARED];
	int nprepared;
	db_notify_fn notify_fn;
	void *notify_arg;
	char *listen_channel;
	struct db_cached cache[MAX_CACHED];
	int ncached;
	unsigned long cache_serial;
	bool cache_flush; /* send DEALLOCATE ALL with the next request */
	bool session_used; /* request statements may have left settings */
	bool session_reset; /* send RESET ALL with the next request */
	unsigned long session_epoch;
	bool pooled; /* a pooler between us and PostgreSQL: see above */
	bool unnamed; /* transaction pooling: no named prepared statements */
	char salt[12]; /* in our statement names, new at each connect */
};

static bool pooled_warned, unnamed_warned;


struct db_result {
	PGresult *res;
	enum db_status status;
};

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

static void
db_cache_clear(struct db *db)
{
	for (int i = 0; i < db->ncached; i++)
		free(db->cache[i].sql);
	db->ncached = 0;
}

static void
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

static void
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

/* Unnamed statements from now on on this connection; the why, once. */
static void
db_go_unnamed(struct db *db, const char *why)
{
	db->unnamed = db->pooled = true;
	db->nprepared = 0;
	db_cache_clear(db);
	db->cache_flush = false;
	if (unnamed_warned)
		return;
	unnamed_warned = true;
	log_warn("db: %s: a pooler in transaction mode (PgBouncer before 1.21) keeps no prepared"
	         " statement from one transaction to the next; unnamed statements from now on,"
	         " parsed and planned at every request, and the identity set in every"
	         " transaction (measured: about half the requests per second on a small read)",
	    why);
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
		log_warn("db: a connection pooler is between us and PostgreSQL: no LISTEN (it needs a"
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
	if (db->conn == NULL || PQstatus(db->conn) != CONNECTION_OK ||
	    db_probe_pooler(db) < 0) {
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

static struct db_result *
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

static struct db_result *
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
		return db_wrap(db, PQexecParams(db->conn, sql, nparams, NULL, values, NULL, NULL, 0));
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

static unsigned long
db_hash(const char *s)
{
	unsigned long h = 5381;

	for (; *s; s++)
		h = h * 33 + (unsigned char)*s;
	return h;
}

/* The prepared name for sql; *fresh when it must be prepared now. */
static const char *
db_cached_name(struct db *db, const char *sql, bool *fresh)
{
	unsigned long h = db_hash(sql);
	struct db_cached *c;

	for (int i = 0; i < db->ncached; i++) {
		c = &db->cache[i];
		if (c->hash == h && strcmp(c->sql, sql) == 0) {
			*fresh = false;
			return c->name;
		}
	}
	if (db->ncached == MAX_CACHED) {
		/* Full: forget them all, here and on the server. */
		db_cache_clear(db);
		db->cache_flush = true;
	}
	c = &db->cache[db->ncached];
	c->sql = strdup(sql);
	if (c->sql == NULL)
		return NULL;
	c->hash = h;
	snprintf(c->name, sizeof(c->name), "fb%s_%lu", db->salt, ++db->cache_serial);
	db->ncached++;
	*fresh = true;
	return c->name;
}

static void
db_cache_forget(struct db *db, const char *name)
{
	for (int i = 0; i < db->ncached; i++) {
		if (strcmp(db->cache[i].name, name) == 0) {
			free(db->cache[i].sql);
			db->cache[i] = db->cache[--db->ncached];
			return;
		}
	}
}

unsigned long
db_session_epoch(const struct db *db)
{
	/* Transaction pooling: the session is the server connection's, any
	 * of them, never known to hold what was set before. */
	static unsigned long pooled_epoch;

	return db->unnamed ? ~++pooled_epoch : db->session_epoch;
}

void
db_session_reset(struct db *db)
{
	db->session_reset = true;
}

enum pipe_kind {
	PIPE_FLUSH,
	PIPE_RESET,
	PIPE_BEGIN,
	PIPE_PREPARE_SETUP,
	PIPE_SETUP,
	PIPE_PREPARE_MAIN,
	PIPE_MAIN,
	PIPE_ROLLBACK
};

/* What one request's pipeline sent, in order, and what came back. */
struct pipeline {
	const struct db_stmt *setup;
	char setup_name[64]; /* its prepared name, salted */
	const char *name; /* the handler statement's prepared name, or NULL */
	bool rollback; /* DB_ROLLBACK: all of it undone once it answered */
	enum pipe_kind sent[8];
	int nsent;
	PGresult *failed; /* the first error, or NULL */
	PGresult *main_res; /* the handler statement's rows */
};

/* Queues the request's commands and the Sync: false when they could not
 * be sent. */
static bool
db_pipeline_send(struct db *db, struct pipeline *pl, const char *const *setup_values,
    const char *sql, int nparams, const char *const *values, bool setup_fresh, bool main_fresh)
{
	bool ok = true;

	if (db->cache_flush) {
		ok = ok &&
		    PQsendQueryParams(db->conn, "DEALLOCATE ALL", 0, NULL, NULL, NULL, NULL, 0);
		pl->sent[pl->nsent++] = PIPE_FLUSH;
		setup_fresh = true;
		db->nprepared = 0;
	}
	if (db->session_reset) {
		ok = ok && PQsendQueryParams(db->conn, "RESET ALL", 0, NULL, NULL, NULL, NULL, 0);
		pl->sent[pl->nsent++] = PIPE_RESET;
	}
	db->session_used = true;
	if (pl->rollback) {
		ok = ok && PQsendQueryParams(db->conn, "BEGIN", 0, NULL, NULL, NULL, NULL, 0);
		pl->sent[pl->nsent++] = PIPE_BEGIN;
	}
	if (db->unnamed) {
		ok = ok &&
		    PQsendQueryParams(db->conn, pl->setup->sql, pl->setup->nparams, NULL,
		        setup_values, NULL, NULL, 0);
		pl->sent[pl->nsent++] = PIPE_SETUP;
		ok = ok && PQsendQueryParams(db->conn, sql, nparams, NULL, values, NULL, NULL, 0);
		pl->sent[pl->nsent++] = PIPE_MAIN;
		goto end;
	}
	if (setup_fresh) {
		ok = ok &&
		    PQsendPrepare(db->conn, pl->setup_name, pl->setup->sql, pl->setup->nparams,
		        NULL);
		pl->sent[pl->nsent++] = PIPE_PREPARE_SETUP;
	}
	ok = ok &&
	    PQsendQueryPrepared(db->conn, pl->setup_name, pl->setup->nparams, setup_values, NULL,
	        NULL, 0);
	pl->sent[pl->nsent++] = PIPE_SETUP;
	if (main_fresh) {
		ok = ok && PQsendPrepare(db->conn, pl->name, sql, nparams, NULL);
		pl->sent[pl->nsent++] = PIPE_PREPARE_MAIN;
	}
	ok = ok && PQsendQueryPrepared(db->conn, pl->name, nparams, values, NULL, NULL, 0);
	pl->sent[pl->nsent++] = PIPE_MAIN;
end:
	if (pl->rollback) {
		ok = ok && PQsendQueryParams(db->conn, "ROLLBACK", 0, NULL, NULL, NULL, NULL, 0);
		pl->sent[pl->nsent++] = PIPE_ROLLBACK;
	}
	return ok && PQpipelineSync(db->conn);
}

/* One result (then NULL) per command, then the Sync's, which ends the
 * pipeline; what each command did is recorded on db. */
static void
db_pipeline_collect(struct db *db, struct pipeline *pl)
{
	PGresult *res;

	for (int i = 0; i < pl->nsent; i++) {
		if ((res = PQgetResult(db->conn)) == NULL)
			break;
		switch (PQresultStatus(res)) {
		case PGRES_COMMAND_OK:
		case PGRES_TUPLES_OK:
			if (pl->sent[i] == PIPE_FLUSH)
				db->cache_flush = false;
			/* A reset inside the transaction rolled back is undone
			 * with it: the next request's pipeline resets again. */
			if (pl->sent[i] == PIPE_RESET && !pl->rollback) {
				db->session_reset = false;
				db->session_epoch++;
			}
			if (pl->sent[i] == PIPE_PREPARE_SETUP && db->nprepared < MAX_PREPARED)
				db->prepared[db->nprepared++] = pl->setup;
			break;
		default:
			if ((pl->sent[i] == PIPE_PREPARE_MAIN || pl->sent[i] == PIPE_MAIN) &&
			    pl->name != NULL)
				db_cache_forget(db, pl->name);
			if (pl->failed == NULL && PQresultStatus(res) != PGRES_PIPELINE_ABORTED) {
				pl->failed = res;
				res = NULL;
			}
			break;
		}
		if (pl->sent[i] == PIPE_MAIN && res != NULL && pl->failed == NULL) {
			pl->main_res = res;
			res = NULL;
		}
		PQclear(res);
		while ((res = PQgetResult(db->conn)) != NULL)
			PQclear(res);
	}
	while ((res = PQgetResult(db->conn)) != NULL) {
		ExecStatusType st = PQresultStatus(res);

		PQclear(res);
		if (st == PGRES_PIPELINE_SYNC)
			break;
	}
}

/*
 * A failure inside the explicit transaction of DB_ROLLBACK leaves it open
 * and aborted after the Sync (an implicit one would have ended): it is
 * rolled back now, one more round trip on that error path only, so the
 * connection is idle between requests and notifications keep coming.
 */
static void
db_end_failed_block(struct db *db)
{
	PGresult *res;

	if (PQtransactionStatus(db->conn) != PQTRANS_INERROR)
		return;
	res = PQexec(db->conn, "ROLLBACK");
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		db_set_error(db, PQerrorMessage(db->conn));
		log_warn("db: cannot end a failed transaction: %s", db->last_error);
		db_drop(db);
	}
	PQclear(res);
}

/* Did the server miss one of our named statements, or have one already?
 * Our names carry the connection's salt: only a pooler explains it. */
static bool
db_statement_lost(const struct db *db, const PGresult *res)
{
	const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);

	return !db->unnamed && state != NULL && msg != NULL &&
	    (strcmp(state, "26000") == 0 || strcmp(state, "42P05") == 0) &&
	    strstr(msg, db->salt) != NULL;
}

/* One pipeline; *lost when it failed for want of a named statement
 * (nothing of it stays: the error undid the transaction). */
static struct db_result *
db_request_once(struct db *db, struct pipeline *pl, const char *const *setup_values,
    const char *sql, int nparams, const char *const *values, bool *lost)
{
	bool setup_fresh = true, main_fresh = false;

	for (int i = 0; i < db->nprepared; i++)
		if (db->prepared[i] == pl->setup)
			setup_fresh = false;
	snprintf(pl->setup_name, sizeof(pl->setup_name), "%s_%s", pl->setup->name, db->salt);
	if (!db->unnamed && (pl->name = db_cached_name(db, sql, &main_fresh)) == NULL)
		return NULL;
	if (!PQenterPipelineMode(db->conn))
		return NULL;
	if (!db_pipeline_send(db, pl, setup_values, sql, nparams, values, setup_fresh,
	        main_fresh)) {
		db_set_error(db, PQerrorMessage(db->conn));
		log_warn("db: cannot send the request: %s", db->last_error);
		db_drop(db);
		return db_unavailable();
	}
	db_pipeline_collect(db, pl);
	if (PQstatus(db->conn) != CONNECTION_OK || !PQexitPipelineMode(db->conn)) {
		PQclear(pl->main_res);
		if (pl->failed != NULL)
			return db_wrap(db, pl->failed);
		db_set_error(db, PQerrorMessage(db->conn));
		db_drop(db);
		return db_unavailable();
	}
	if (pl->failed != NULL) {
		PQclear(pl->main_res);
		if (pl->rollback)
			db_end_failed_block(db);
		*lost = db->conn != NULL && db_statement_lost(db, pl->failed);
		return db_wrap(db, pl->failed);
	}
	return pl->main_res != NULL ? db_wrap(db, pl->main_res) : db_unavailable();
}

struct db_result *
db_exec_request(struct db *db, const struct db_stmt *setup, const char *const *setup_values,
    const char *sql, int nparams, const char *const *values, enum db_end end)
{
	struct pipeline pl = { .setup = setup, .rollback = end == DB_ROLLBACK };
	struct db_result *r;
	bool lost = false;

	if (db->conn == NULL && db_check(db) < 0)
		return db_unavailable();
	r = db_request_once(db, &pl, setup_values, sql, nparams, values, &lost);
	if (!lost)
		return r;
	/* Once, with unnamed statements: they cannot go missing. */
	db_go_unnamed(db, db_result_message(r));
	db_result_free(r);
	memset(&pl, 0, sizeof(pl));
	pl.setup = setup;
	pl.rollback = end == DB_ROLLBACK;
	return db_request_once(db, &pl, setup_values, sql, nparams, values, &lost);
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
