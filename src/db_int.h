/*
 * db_int.h - what db.c (the connection, db_exec, results) and db_request.c
 * (the statement cache and the request pipeline) share.  Private to those
 * two: only they include libpq-fe.h.
 */
#ifndef FLUXBASE_DB_INT_H
#define FLUXBASE_DB_INT_H

#include <stdbool.h>

#include <libpq-fe.h>

#include "db.h"

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
	bool pooled; /* a pooler between us and PostgreSQL: see db.c */
	bool unnamed; /* transaction pooling: no named prepared statements */
	char salt[12]; /* in our statement names, new at each connect */
};

struct db_result {
	PGresult *res;
	enum db_status status;
};

void db_drop(struct db *db);
void db_set_error(struct db *db, const char *msg);
struct db_result *db_wrap(struct db *db, PGresult *res);
struct db_result *db_unavailable(void);
void db_cache_clear(struct db *db);
/* Transaction pooling shown: unnamed statements for good. */
void db_go_unnamed(struct db *db, const char *why);

#endif
