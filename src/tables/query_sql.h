/*
 * query_sql.h - from a plan to one SQL statement and its parameters.
 *
 * Pure: identifiers come quoted from the schema cache, every value the
 * client sent becomes a bound parameter, and PostgreSQL renders the JSON.
 * Every statement answers one row of three columns:
 *   total  the count asked for with Prefer: count=..., or NULL
 *   n      the rows read or written
 *   body   the JSON text to send (an array, one object, or a GeoJSON
 *          FeatureCollection PostGIS renders), or CSV text (SQL_BODY_CSV:
 *          a header line of the keys, then a line per row, LF-separated
 *          as PostgREST does, no final LF)
 */
#ifndef FLUXBASE_TABLES_QUERY_SQL_H
#define FLUXBASE_TABLES_QUERY_SQL_H

#include <stdbool.h>

#include "arena.h"
#include "schema.h"
#include "tables/query_parse.h"

struct sql_query {
	struct arena *arena;
	struct strbuf sql;
	const char **values;
	int nparams;
	int cap;
	int naliases; /* the scopes' and joins' aliases numbered so far */
};

enum sql_body { SQL_BODY_ARRAY, SQL_BODY_OBJECT, SQL_BODY_NONE, SQL_BODY_GEOJSON, SQL_BODY_CSV };

struct sql_opts {
	enum sql_body body;
	bool singular; /* fail with PT116 unless exactly one row */
	enum prefer_count count;
	long max_rows;
	const char *id; /* primary-key value from /{id}, or NULL */
	/* SQL_BODY_GEOJSON: PostGIS's ST_AsGeoJSON, qualified from the
	 * schema cache (tables_geojson_media). */
	const char *geojson_fn;
	/* Reads: the FROM item instead of t->qualified (RPC: a function call
	 * whose parameters are already in the query), or NULL. */
	const char *from;
	/* Writes: more rows affected than this fails with PT124 (mapped to
	 * 400 PGRST124) and so rolls back; 0: no limit. */
	long max_affected;
};

void sql_init(struct sql_query *q, struct arena *a);
/* Adds a parameter; returns its number ($n). */
int sql_param(struct sql_query *q, const char *value);

int sql_build_read(struct sql_query *q, const struct sc_table *t, const struct plan *p,
    const struct sql_opts *o);
/*
 * body_json: the request body (object or array of objects); columns: the
 * columns to write (the union of the body's keys, or columns=).
 */
int sql_build_insert(struct sql_query *q, const struct sc_table *t, const struct plan *p,
    const struct sql_opts *o, const char *body_json, const int *columns, int ncolumns,
    enum prefer_resolution resolution, bool missing_default);
int sql_build_update(struct sql_query *q, const struct sc_table *t, const struct plan *p,
    const struct sql_opts *o, const char *body_json, const int *columns, int ncolumns);
/* PUT: a full replace (an insert when the row is missing); absent columns
 * take their default. */
int sql_build_put(struct sql_query *q, const struct sc_table *t, const struct plan *p,
    const struct sql_opts *o, const char *body_json, const int *columns, int ncolumns);
int sql_build_delete(struct sql_query *q, const struct sc_table *t, const struct plan *p,
    const struct sql_opts *o);

#endif
