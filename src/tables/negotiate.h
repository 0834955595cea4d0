/*
 * negotiate.h - what a table request asks of its answer, beyond the query:
 * the schema (Accept-Profile / Content-Profile), the media type of the
 * answer (JSON, one object, CSV, GeoJSON or a plan instead of rows), the
 * Location of a created row and the Preference-Applied header.
 * PostgREST 12's headers, read the same way.
 */
#ifndef FLUXBASE_TABLES_NEGOTIATE_H
#define FLUXBASE_TABLES_NEGOTIATE_H

#include <stdbool.h>

#include "http.h"
#include "schema.h"
#include "tables/query_parse.h"

/*
 * The schema the request names with Accept-Profile (GET, HEAD) or
 * Content-Profile (writes), or NULL when it names none.  -1 with 406
 * PGRST106 set for a schema that is not one of [tables] schemas.
 */
int tables_profile(struct request *r, const char **schema);
/* The URL name to look up for name in schema (NULL: name itself). */
const char *tables_profile_name(struct request *r, const char *schema, const char *name);

/* The media types a table request may answer with. */
enum tables_media {
	MEDIA_NONE, /* none the client accepts */
	MEDIA_JSON, /* application/json, vnd.pgrst.array+json, the wildcards; no Accept */
	MEDIA_OBJECT, /* application/vnd.pgrst.object[+json] */
	MEDIA_CSV, /* text/csv */
	MEDIA_GEOJSON, /* application/geo+json */
	MEDIA_PLAN, /* application/vnd.pgrst.plan[+json|+text] */
};

/*
 * The media type Accept prefers among those above: the highest q (q=0
 * refuses), the first listed between equals; MEDIA_JSON without Accept.
 * *range (may be NULL): where the chosen media range starts in accept.
 */
enum tables_media tables_media_of(const char *accept, const char **range);
/* The same for r's Accept; -1 with 406 PGRST107 set for MEDIA_NONE. */
int tables_accept(struct request *r, enum tables_media *media);

#define TABLES_CSV_TYPE "text/csv; charset=utf-8"

struct plan_media {
	bool wanted; /* Accept: application/vnd.pgrst.plan[+json|+text] */
	bool json;
	const char *options; /* "ANALYZE, VERBOSE", ... or "" */
	bool analyze;
};

/*
 * Reads Accept for a plan.  -1 with the error set when a plan is asked
 * for but not allowed to this caller (406 PGRST107) or malformed (400).
 */
int tables_plan_media(struct request *r, struct plan_media *pm);
/* The SQL that explains sql as pm asks. */
const char *tables_plan_sql(struct request *r, const struct plan_media *pm, const char *sql);
/* Sets the answer from EXPLAIN's rows. */
struct db_result;
void tables_plan_respond(struct request *r, const struct plan_media *pm, struct db_result *res);

#define TABLES_GEOJSON_TYPE "application/geo+json; charset=utf-8"

/*
 * Accept: application/geo+json.  *fn: NULL when not asked for, else
 * PostGIS's ST_AsGeoJSON in the schema of the geometry column's type.
 * -1 with 406 PGRST107 set when the columns read hold no geometry or
 * geography (a table without one, or a database without PostGIS).
 */
int tables_geojson_media(struct request *r, const struct sc_table *t, const struct plan *p,
    const char **fn);

/* "path?pk=eq.v" from the JSON array of one written row's key columns,
 * or NULL. */
const char *tables_location(struct request *r, const char *rows_json);

/* Prefer: max-affected=N as honoured: N with handling=strict on PATCH,
 * DELETE and a function's call (POST, not an insert: PostgREST 12), else 0. */
long tables_max_affected(const struct request *r, const struct prefer *p, bool insert);
/* Preference-Applied: what p asked for that this request honoured;
 * insert: resolution and missing apply (only POST takes them). */
void tables_preference_applied(struct request *r, const struct prefer *p, bool insert);

/* Single mode's checks of a table before any SQL (RLS_REQUIRED, and the
 * command exposed to the caller's role): 0, or -1 with the answer set. */
int tables_single_gate(struct request *r, const struct sc_table *t);
/* Roles mode's answer to a missing privilege (42501: 401 for anon, 403
 * for others), in single mode for what auth.expose (how) did not name:
 * "permission denied for <kind> <name>". */
int tables_not_exposed(struct request *r, const char *kind, const char *name, const char *how);

#endif
