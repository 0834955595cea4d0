/*
 * db.c - libpq behind a small API.  Only this file includes libpq-fe.h.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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
	char name[16];
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
};

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
	if (db->conn == NULL || PQstatus(db->conn) != CONNECTION_OK) {
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
	if (db->listen_channel != NULL) {
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

struct db_result *
db_exec(struct db *db, const char *sql, int nparams, const char *const *values)
{
	PGresult *res;

	if (db->conn == NULL && db_check(db) < 0)
		return db_unavailable();
	if (db->session_used) {
		/* Back to the login role and its settings. */
		struct db_result *r = db_wrap(db, PQexec(db->conn, "RESET ALL"));

		if (r == NULL || r->status != DB_OK)
			return r;
		db_result_free(r);
		db->session_used = db->session_reset = false;
		db->session_epoch++;
	}
	if (nparams == 0)
		res = PQexec(db->conn, sql);
	else
		res = PQexecParams(db->conn, sql, nparams, NULL, values, NULL, NULL, 0);
	return db_wrap(db, res);
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
	snprintf(c->name, sizeof(c->name), "fb%lu", ++db->cache_serial);
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
	return db->session_epoch;
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
	const char *name; /* the handler statement's prepared name */
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
	if (setup_fresh) {
		ok = ok &&
		    PQsendPrepare(db->conn, pl->setup->name, pl->setup->sql, pl->setup->nparams,
		        NULL);
		pl->sent[pl->nsent++] = PIPE_PREPARE_SETUP;
	}
	ok = ok &&
	    PQsendQueryPrepared(db->conn, pl->setup->name, pl->setup->nparams, setup_values, NULL,
	        NULL, 0);
	pl->sent[pl->nsent++] = PIPE_SETUP;
	if (main_fresh) {
		ok = ok && PQsendPrepare(db->conn, pl->name, sql, nparams, NULL);
		pl->sent[pl->nsent++] = PIPE_PREPARE_MAIN;
	}
	ok = ok && PQsendQueryPrepared(db->conn, pl->name, nparams, values, NULL, NULL, 0);
	pl->sent[pl->nsent++] = PIPE_MAIN;
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
			if (pl->sent[i] == PIPE_PREPARE_MAIN || pl->sent[i] == PIPE_MAIN)
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

struct db_result *
db_exec_request(struct db *db, const struct db_stmt *setup, const char *const *setup_values,
    const char *sql, int nparams, const char *const *values, enum db_end end)
{
	struct pipeline pl = { .setup = setup, .rollback = end == DB_ROLLBACK };
	bool setup_fresh = true, main_fresh = false;

	if (db->conn == NULL && db_check(db) < 0)
		return db_unavailable();
	for (int i = 0; i < db->nprepared; i++)
		if (db->prepared[i] == setup)
			setup_fresh = false;
	pl.name = db_cached_name(db, sql, &main_fresh);
	if (pl.name == NULL || !PQenterPipelineMode(db->conn))
		return NULL;
	if (!db_pipeline_send(db, &pl, setup_values, sql, nparams, values, setup_fresh,
	        main_fresh)) {
		db_set_error(db, PQerrorMessage(db->conn));
		log_warn("db: cannot send the request: %s", db->last_error);
		db_drop(db);
		return db_unavailable();
	}
	db_pipeline_collect(db, &pl);
	if (PQstatus(db->conn) != CONNECTION_OK || !PQexitPipelineMode(db->conn)) {
		PQclear(pl.main_res);
		if (pl.failed != NULL)
			return db_wrap(db, pl.failed);
		db_set_error(db, PQerrorMessage(db->conn));
		db_drop(db);
		return db_unavailable();
	}
	if (pl.failed != NULL) {
		PQclear(pl.main_res);
		if (pl.rollback)
			db_end_failed_block(db);
		return db_wrap(db, pl.failed);
	}
	return pl.main_res != NULL ? db_wrap(db, pl.main_res) : db_unavailable();
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
