/*
 * tables/sql_internal.h - what query_sql.c (the statements) and embed_sql.c
 * (everything that renders against a scope) share.
 *
 * A scope is one level of a statement: a table from the schema cache and
 * the alias its rows have at that level (_fb_t for the request's table,
 * _fb_t1, _fb_t2, ... for embedded tables, _fb_w for the rows a write
 * returned).  Column references, filters, order and select lists render
 * against a scope, so a nested level never names another level's columns.
 * Aliases are numbered per statement (sql_query.naliases), never reused.
 */
#ifndef FLUXBASE_TABLES_SQL_INTERNAL_H
#define FLUXBASE_TABLES_SQL_INTERNAL_H

#include <stdbool.h>

#include "tables/query_sql.h"

struct sql_scope {
	const struct sc_table *t;
	const char *alias;
};

/* $n, the value bound as the next parameter. */
void sql_put_param(struct sql_query *q, const char *value);
/* prefix followed by the statement's next alias number: _fb_t3. */
const char *sql_alias(struct sql_query *q, const char *prefix);

/* A cast's type name, quoted: "int4", "public"."mood", "text"[]. */
void sql_put_type(struct sql_query *q, const char *cast);
/* A column of s, its JSON path (keys and indexes bound) and its cast. */
void sql_put_colref(struct sql_query *q, const struct sql_scope *s, const struct colref *r);
/* The filters, ANDed, each after " WHERE " (any false) or " AND ". */
void sql_put_filters(struct sql_query *q, const struct sql_scope *s, struct filter *const *f, int n,
    bool any);
/* " ORDER BY ..." of p, or nothing. */
void sql_put_order(struct sql_query *q, const struct sql_scope *s, const struct plan *p);

/*
 * Appends p's select list at s (every column when p has none) and returns
 * the joins its embeds need, to follow the FROM item of the level ("" when
 * none); *group is the level's " GROUP BY ..." when p is aggregated, else "".
 */
const char *sql_put_select(struct sql_query *q, const struct sql_scope *s, const struct plan *p,
    const char **group);
/* The joins that drop parents without a match (!inner embeds, their filters
 * and nested !inner embeds), for the count: "" when none. */
const char *sql_inner_joins(struct sql_query *q, const struct sql_scope *s, const struct plan *p);

#endif
