/*
 * migrate.h - the SQL schema, embedded at build time from src/sql/.
 */
#ifndef FLUXBASE_MIGRATE_H
#define FLUXBASE_MIGRATE_H

struct conf;

struct migration {
	const char *name;
	const char *sql;
};

extern const struct migration migrations[];
extern const unsigned migrations_count;

/*
 * Applies the pending migrations in order, each in its own transaction,
 * recording them in fluxbase.migrations.  Safe to run again, and safe to
 * run from two places at once (an advisory lock serialises them).
 */
int migrate_run(const struct conf *conf);

/* A migration's text without its statements that speak of roles (GRANT,
 * REVOKE, default privileges, event triggers, a DO that creates roles), as
 * single mode runs it; malloc'd, NULL when out of memory. */
char *migrate_single_sql(const char *sql);

#endif
