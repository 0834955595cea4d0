/*
 * migrate.c - applies the embedded migrations through the admin
 * connection ([database] admin_url, or url when that is empty).
 */
#include "config.h"

#include <stdio.h>

#include "conf.h"
#include "db.h"
#include "log.h"
#include "migrate.h"

#define MIGRATE_LOCK_KEY "8213740091"

static int
migrate_exec(struct db *db, const char *what, const char *sql, int n, const char *const *values)
{
	struct db_result *res = db_exec(db, sql, n, values);
	int rc = 0;

	if (db_result_status(res) != DB_OK) {
		const char *detail = db_result_detail(res);

		fprintf(stderr, "fluxbase-fcgi migrate: %s: %s%s%s\n", what, db_result_message(res),
		    detail ? ": " : "", detail ? detail : "");
		rc = -1;
	}
	db_result_free(res);
	return rc;
}

static int
migrate_is_applied(struct db *db, const char *name, int *applied)
{
	const char *values[] = { name };
	struct db_result *res =
	    db_exec(db, "SELECT 1 FROM fluxbase.migrations WHERE name = $1", 1, values);

	if (db_result_status(res) != DB_OK) {
		fprintf(stderr, "fluxbase-fcgi migrate: %s\n", db_result_message(res));
		db_result_free(res);
		return -1;
	}
	*applied = db_result_rows(res) > 0;
	db_result_free(res);
	return 0;
}

int
migrate_run(const struct conf *conf)
{
	const char *url = conf->db_admin_url[0] ? conf->db_admin_url : conf->db_url;
	struct db *db = db_new(url, conf->db_connect_timeout);
	unsigned applied_now = 0;
	int rc = -1;

	if (db == NULL)
		return -1;
	if (db_connect(db) < 0) {
		fprintf(stderr, "fluxbase-fcgi migrate: cannot connect: %s\n", db_last_error(db));
		goto done;
	}
	if (migrate_exec(db, "lock", "SELECT pg_advisory_lock(" MIGRATE_LOCK_KEY ")", 0, NULL) <
	        0 ||
	    migrate_exec(db, "bootstrap",
	        "SET client_min_messages = warning;"
	        "CREATE SCHEMA IF NOT EXISTS fluxbase;"
	        "REVOKE ALL ON SCHEMA fluxbase FROM PUBLIC;"
	        "CREATE TABLE IF NOT EXISTS fluxbase.migrations ("
	        " name text PRIMARY KEY,"
	        " applied_at timestamptz NOT NULL DEFAULT now())",
	        0, NULL) < 0)
		goto done;
	for (unsigned i = 0; i < migrations_count; i++) {
		const struct migration *m = &migrations[i];
		const char *values[] = { m->name };
		int applied;

		if (migrate_is_applied(db, m->name, &applied) < 0)
			goto done;
		if (applied)
			continue;
		if (migrate_exec(db, m->name, "BEGIN", 0, NULL) < 0)
			goto done;
		if (migrate_exec(db, m->name, m->sql, 0, NULL) < 0 ||
		    migrate_exec(db, m->name, "INSERT INTO fluxbase.migrations (name) VALUES ($1)",
		        1, values) < 0 ||
		    migrate_exec(db, m->name, "COMMIT", 0, NULL) < 0) {
			migrate_exec(db, "rollback", "ROLLBACK", 0, NULL);
			goto done;
		}
		printf("applied %s\n", m->name);
		applied_now++;
	}
	printf("database is up to date (%u migration%s applied now, %u in all)\n", applied_now,
	    applied_now == 1 ? "" : "s", migrations_count);
	rc = 0;
done:
	db_free(db);
	return rc;
}
