/*
 * schema.h - the schema cache: tables and views of the exposed schemas.
 *
 * Loaded from the catalogs with one query at worker start, and again when
 * PostgreSQL sends NOTIFY fluxbase, 'reload schema' (an event trigger does
 * after every DDL) or when a lookup misses.  Everything lives in the
 * cache's own arena, replaced whole on reload.  Identifiers used in SQL
 * come from here, already quoted.
 */
#ifndef FLUXBASE_SCHEMA_H
#define FLUXBASE_SCHEMA_H

#include <stdbool.h>
#include <time.h>

#include "arena.h"

struct db;

/* The roles a request can run as: the only roles a token may name, and
 * the order of every per-role array (privileges, OpenAPI documents). */
#define SCHEMA_NROLES 3
extern const char *const schema_roles[SCHEMA_NROLES];
/* Index of role in schema_roles, or -1. */
int schema_role_index(const char *role);

struct sc_column {
	const char *name;
	const char *quoted; /* "name" */
	const char *type; /* format_type(): integer, text[], ... */
	const char *typname; /* pg_type.typname: int4, _text, ... */
	char typcategory; /* pg_type.typcategory: N, S, B, D, A, U, ... */
	const char *elemtype; /* element typname for arrays, else NULL */
	bool notnull;
	const char *default_expr; /* from the catalog, or NULL */
	bool generated; /* identity ALWAYS or a generated column */
	bool updatable;
	bool pk;
	const char *comment;
	const char **enum_values; /* NULL-terminated, or NULL */
};

struct sc_table;

struct sc_fk {
	const char *name; /* the constraint's name */
	const char **columns; /* NULL-terminated */
	const char *ref_schema;
	const char *ref_table;
	const char **ref_columns;
	int ncolumns;
	int *cols; /* the columns' indexes in the owning table */
	/* The referenced table when it is in the cache (an exposed schema),
	 * with the referenced columns' indexes in it; else NULL. */
	const struct sc_table *ref;
	int *ref_cols;
	/* Its columns are exactly the owning table's primary key or one of
	 * its unique constraints: at most one row per referenced row. */
	bool unique;
	/* Not declared on this pair: a declared key seen through a view's
	 * columns on either side (the view's own key, or a key to a view);
	 * it has the declared key's name. */
	bool derived;
};

struct sc_table {
	const char *schema;
	const char *name;
	const char *url_name; /* exact name, schema-qualified off the default schema */
	const char *url_plural; /* its English plural, also accepted in URLs */
	const char *qualified; /* "schema"."name" */
	char kind; /* r table, v view, m matview, f foreign, p partitioned */
	bool insertable, updatable, deletable;
	/* Single mode: row-level security is not forced on it (or, for a
	 * view, on a table it reads), so its owner, the login every request
	 * runs as, would read past its policies: served as 403 RLS_REQUIRED. */
	bool unprotected;
	const char *comment;
	struct sc_column *columns;
	int ncolumns;
	int pk; /* index of the single-column primary key, or -1 */
	int npk;
	struct sc_fk *fks;
	int nfks;
	/* Per API role (schema_roles, in that order): PRIV_* bits. */
	unsigned char privileges[SCHEMA_NROLES];
};

#define PRIV_SELECT 1
#define PRIV_INSERT 2
#define PRIV_UPDATE 4
#define PRIV_DELETE 8

struct schema_cache {
	struct arena arena;
	struct sc_table *tables;
	int ntables;
	const char *default_schema; /* the first of the exposed schemas */
	unsigned generation; /* increases with every load */
	bool loaded;
	bool stale; /* a NOTIFY asked for a reload */
	/* Single mode (no event trigger, so no NOTIFY): the catalogs'
	 * fingerprint at the last load, compared every poll seconds. */
	bool single;
	int poll;
	time_t polled;
	char fingerprint[256];
};

/* Loads (or reloads) from the database; schemas is a comma-separated list,
 * the first being the default one. */
int schema_load(struct schema_cache *sc, struct db *db, const char *schemas);
/* Loads when missing or when a NOTIFY made the cache stale; 0 when usable. */
int schema_ensure(struct schema_cache *sc, struct db *db, const char *schemas);
void schema_free(struct schema_cache *sc);
/* Finds a table by its URL name (exact name, then plural, then schema.name). */
const struct sc_table *schema_find(const struct schema_cache *sc, const char *url_name);
/* By its URL name only, as PostgREST names tables (/rest/v1). */
const struct sc_table *schema_find_exact(const struct schema_cache *sc, const char *url_name);
int schema_column(const struct sc_table *t, const char *name);
/* English plural of a table name, as used in URLs. */
const char *schema_plural(struct arena *a, const char *name);
/* Readers of the catalogs' JSON (schema.c, tables/functions.c): a member
 * copied into a, NULL (or false) when absent or null. */
struct json_object;
const char *schema_json_str(struct arena *a, struct json_object *o, const char *key);
bool schema_json_bool(struct json_object *o, const char *key);
const char **schema_json_strs(struct arena *a, struct json_object *o, const char *key);
/* Single mode's fix for an unprotected table (or view), as SQL to run. */
const char *schema_rls_hint(struct arena *a, const struct sc_table *t);
/* "name" with embedded quotes doubled. */
char *schema_quote_ident(struct arena *a, const char *name);

#endif
