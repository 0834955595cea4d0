/*
 * db_request.c - one request's transaction in one round trip (db.h:
 * db_exec_request): the statement cache (named statements, prepared on
 * first use on each connection, their names salted per connection), the
 * pipeline, and the fallback to unnamed statements behind a pooler in
 * transaction mode (db.c's header says why).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_int.h"
#include "log.h"

static bool unnamed_warned;

void
db_cache_clear(struct db *db)
{
	for (int i = 0; i < db->ncached; i++)
		free(db->cache[i].sql);
	db->ncached = 0;
}

/* Unnamed statements from now on on this connection; the why, once. */
void
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
	/* Behind a pooler the identity is set for each transaction only
	 * (session.c), and in transaction mode the session is the server
	 * connection's, any of them: never known to hold what was set before. */
	static unsigned long pooled_epoch;

	return db->pooled ? ~++pooled_epoch : db->session_epoch;
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
		if (pl->setup != NULL) {
			ok = ok &&
			    PQsendQueryParams(db->conn, pl->setup->sql, pl->setup->nparams, NULL,
			        setup_values, NULL, NULL, 0);
			pl->sent[pl->nsent++] = PIPE_SETUP;
		}
		ok = ok && PQsendQueryParams(db->conn, sql, nparams, NULL, values, NULL, NULL, 0);
		pl->sent[pl->nsent++] = PIPE_MAIN;
		goto end;
	}
	if (pl->setup != NULL && setup_fresh) {
		ok = ok &&
		    PQsendPrepare(db->conn, pl->setup_name, pl->setup->sql, pl->setup->nparams,
		        NULL);
		pl->sent[pl->nsent++] = PIPE_PREPARE_SETUP;
	}
	if (pl->setup != NULL) {
		ok = ok &&
		    PQsendQueryPrepared(db->conn, pl->setup_name, pl->setup->nparams, setup_values,
		        NULL, NULL, 0);
		pl->sent[pl->nsent++] = PIPE_SETUP;
	}
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

	if (pl->setup != NULL && pl->setup->pooled != NULL && db->pooled)
		pl->setup = pl->setup->pooled;
	for (int i = 0; i < db->nprepared; i++)
		if (db->prepared[i] == pl->setup)
			setup_fresh = false;
	if (pl->setup != NULL)
		snprintf(pl->setup_name, sizeof(pl->setup_name), "%s_%s", pl->setup->name,
		    db->salt);
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
