/*
 * tables/functions.h - the functions of the exposed schemas, and the RPC
 * route that calls them (rpc.c).
 *
 * The cache follows the schema cache: loaded with one catalog query the
 * first time it is asked for, and again whenever the schema cache's
 * generation has changed (a NOTIFY after CREATE FUNCTION, a reload on a
 * miss), because a function returning SETOF a table points at that
 * table's entry.  Everything lives in the cache's own arena, replaced
 * whole.  Functions of extensions and those taking or returning
 * pseudo-types (triggers, anyelement, internal) are left out: they are no
 * one's API.  Privileges do not hide a function: PostgreSQL decides
 * EXECUTE as the caller (42501: 401 or 403), as PostgREST does; the
 * per-role flags are for the OpenAPI document.
 */
#ifndef FLUXBASE_TABLES_FUNCTIONS_H
#define FLUXBASE_TABLES_FUNCTIONS_H

#include <stdbool.h>

#include "arena.h"
#include "http.h"
#include "schema.h"

struct db;

/* An input argument (IN, INOUT or VARIADIC), in call order. */
struct fn_arg {
	const char *name; /* "" when unnamed */
	const char *quoted;
	const char *type; /* format_type(): integer, text[], ... */
	const char *typname; /* int4, _text, ... */
	char typcategory;
	const char *elemtype; /* element typname for arrays, else NULL */
	bool variadic;
	bool has_default;
};

enum fn_returns {
	FN_RETURNS_VOID,
	FN_RETURNS_SCALAR, /* a value, or SETOF values */
	FN_RETURNS_ROWS, /* rows of ->table: SETOF, or one row (an object) */
};

struct sc_function {
	const char *schema;
	const char *name;
	const char *url_name; /* name, schema-qualified off the default schema */
	const char *qualified; /* "schema"."name" */
	struct fn_arg *args;
	int nargs;
	enum fn_returns returns;
	bool retset;
	const char *rettype; /* format_type() of the return type */
	const char *rettypname;
	char rettypcategory;
	const char *retelemtype;
	/* FN_RETURNS_ROWS: the cached table of a SETOF table (so embedding
	 * works from its rows), else a table of the OUT / TABLE columns or
	 * the composite type's attributes, built here. */
	const struct sc_table *table;
	bool own_table; /* table was built for this function */
	char volatility; /* i immutable, s stable, v volatile */
	const char *comment;
	bool executable[SCHEMA_NROLES]; /* per schema_roles */
};

struct fn_cache {
	struct arena arena;
	struct sc_function *fns; /* by schema (in [tables] schemas order), name */
	int nfns;
	const char *default_schema;
	unsigned generation; /* the schema cache's, when loaded */
	bool loaded;
};

/* Loads from the catalogs against sc (which must be loaded). */
int functions_load(struct fn_cache *fc, struct db *db, const struct schema_cache *sc,
    const char *schemas);
void functions_free(struct fn_cache *fc);
/* The worker's cache, current with the schema cache; NULL when the
 * catalogs cannot be read. */
const struct fn_cache *functions_get(struct request *r);
/* The overloads of a URL name: index of the first, *count of them (they
 * are adjacent); -1 when none. */
int functions_find(const struct fn_cache *fc, const char *url_name, int *count);

#endif
