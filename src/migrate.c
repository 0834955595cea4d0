/*
 * migrate.c - applies the embedded migrations through the admin
 * connection ([database] admin_url, or url when that is empty).
 *
 * It first looks at the login: roles mode needs one that may create roles
 * (and event triggers: a superuser), single mode one that row-level
 * security applies to (neither SUPERUSER nor BYPASSRLS).  Each says so in
 * one sentence when the login does not fit, as does a database migrated
 * in the other mode.  Single mode runs each migration without its role
 * statements (migrate_single.c) and then fluxbase.single_mode_apply().
 */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* 0 when the login and the database suit the configured mode. */
static int
migrate_check_login(struct db *db, bool single)
{
	struct db_result *res = db_exec(db,
	    "SELECT current_user, rolsuper, rolcreaterole, rolbypassrls,"
	    " CASE WHEN to_regprocedure('fluxbase.mode()') IS NOT NULL"
	    "  THEN (SELECT p.prosrc FROM pg_proc p"
	    "   WHERE p.oid = to_regprocedure('fluxbase.mode()')) END"
	    " FROM pg_roles WHERE rolname = current_user",
	    0, NULL);
	const char *who, *mode_src;
	bool super, createrole, bypass;
	int rc = -1;

	if (db_result_status(res) != DB_OK || db_result_rows(res) != 1) {
		fprintf(stderr, "fluxbase-fcgi migrate: %s\n", db_result_message(res));
		goto done;
	}
	who = db_result_value(res, 0, 0);
	super = strcmp(db_result_value(res, 0, 1), "t") == 0;
	createrole = strcmp(db_result_value(res, 0, 2), "t") == 0;
	bypass = strcmp(db_result_value(res, 0, 3), "t") == 0;
	mode_src = db_result_isnull(res, 0, 4) ? NULL : db_result_value(res, 0, 4);
	if (!single && !super)
		fprintf(stderr,
		    "fluxbase-fcgi migrate: the login %s cannot create the roles and event triggers"
		    " roles mode needs (it is not a superuser%s); with a single login from a hosting"
		    " panel set [database] mode = single\n",
		    who, createrole ? ", CREATEROLE is not enough" : "");
	else if (single && (super || bypass))
		fprintf(stderr,
		    "fluxbase-fcgi migrate: single mode needs a login that row-level security"
		    " applies to, and %s is %s; connect as the site's own login\n",
		    who, super ? "a superuser" : "BYPASSRLS");
	else if (mode_src != NULL && (strstr(mode_src, "'single'") != NULL) != single)
		fprintf(stderr,
		    "fluxbase-fcgi migrate: this database was migrated in %s mode; set [database]"
		    " mode = %s\n",
		    single ? "roles" : "single", single ? "roles" : "single");
	else
		rc = 0;
	if (rc == 0 && single)
		printf("single mode: the login %s owns the tables and cannot create roles;"
		       " requests run as it, under forced row-level security\n",
		    who);
done:
	db_result_free(res);
	return rc;
}

/* One migration in its own transaction, recorded in fluxbase.migrations. */
static int
migrate_apply(struct db *db, const struct migration *m, bool single)
{
	const char *values[] = { m->name };
	char *sql = single ? migrate_single_sql(m->sql) : NULL;
	int rc = -1;

	if (single && sql == NULL) {
		fprintf(stderr, "fluxbase-fcgi migrate: out of memory\n");
		return -1;
	}
	if (migrate_exec(db, m->name, "BEGIN", 0, NULL) < 0)
		goto done;
	if (migrate_exec(db, m->name, single ? sql : m->sql, 0, NULL) < 0 ||
	    migrate_exec(db, m->name, "INSERT INTO fluxbase.migrations (name) VALUES ($1)", 1,
	        values) < 0 ||
	    migrate_exec(db, m->name, "COMMIT", 0, NULL) < 0) {
		migrate_exec(db, "rollback", "ROLLBACK", 0, NULL);
		goto done;
	}
	printf("applied %s\n", m->name);
	rc = 0;
done:
	free(sql);
	return rc;
}

int
migrate_run(const struct conf *conf)
{
	const char *url = conf->db_admin_url[0] ? conf->db_admin_url : conf->db_url;
	struct db *db = db_new(url, conf->db_connect_timeout);
	bool single = CONF_SINGLE(conf);
	unsigned applied_now = 0;
	int rc = -1;

	if (db == NULL)
		return -1;
	if (db_connect(db) < 0) {
		fprintf(stderr, "fluxbase-fcgi migrate: cannot connect: %s\n", db_last_error(db));
		goto done;
	}
	if (migrate_check_login(db, single) < 0)
		goto done;
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
		int applied;

		if (migrate_is_applied(db, m->name, &applied) < 0)
			goto done;
		if (applied)
			continue;
		if (migrate_apply(db, m, single) < 0)
			goto done;
		applied_now++;
	}
	if (single &&
	    migrate_exec(db, "single mode", "SELECT fluxbase.single_mode_apply()", 0, NULL) < 0)
		goto done;
	printf("database is up to date (%u migration%s applied now, %u in all)\n", applied_now,
	    applied_now == 1 ? "" : "s", migrations_count);
	rc = 0;
done:
	db_free(db);
	return rc;
}
