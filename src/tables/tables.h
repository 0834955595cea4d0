/*
 * tables.h - what the table routes share with the RPC routes (rpc.c): a
 * request's context, the negotiation settled before the target is looked
 * up and the lookup (negotiate.c), and the read that answers rows, counts
 * and Content-Range the same way whether its FROM is a table or a function
 * call.
 */
#ifndef FLUXBASE_TABLES_TABLES_H
#define FLUXBASE_TABLES_TABLES_H

#include <stdbool.h>

#include "http.h"
#include "schema.h"
#include "tables/negotiate.h"
#include "tables/query_parse.h"
#include "tables/query_sql.h"

struct tctx {
	const struct sc_table *t;
	struct plan plan;
	struct prefer prefer;
	bool singular; /* Accept: application/vnd.pgrst.object+json */
	const char *body_key; /* the primary key's value in an object body */
	struct sql_opts opts;
	struct plan_media pm; /* Accept: application/vnd.pgrst.plan */
	const char *profile; /* Accept-Profile or Content-Profile, or NULL */
};

/* A table or view by URL name (exact: that name only, as PostgREST
 * names them; else its plural too), reloading the cache once a second
 * at most on a miss; NULL when none (or the cache cannot load). */
const struct sc_table *tables_lookup(struct request *r, const char *name, bool exact);
/* The 404 of a table request whose table name is not in the cache (503
 * when the cache cannot load); -1. */
int tables_not_found(struct request *r, const struct tctx *c, const char *name);
/* Prefer (with handling=strict), the profile and the plan media type;
 * *name becomes the name to look up in the profile's schema.  On the
 * compatibility prefixes the apikey query parameter is dropped first. */
int tables_negotiate(struct request *r, struct tctx *c, const char **name);
/* GET/HEAD of c->t (or of c->opts.from when set) with c->plan: rows or
 * one object by id, counts, Content-Range, plans, GeoJSON. */
int tables_read(struct request *r, struct tctx *c, const char *id);
/* The same with q already holding what c->opts.from binds (RPC's
 * arguments), and run read-only or not (a VOLATILE function's call). */
int tables_read_query(struct request *r, struct tctx *c, const char *id, struct sql_query *q,
    bool read_only);

#endif
