/*
 * query_parse.h - from a table request's query string to a plan.
 *
 * A pure function of the parameters, the Range header and the table from
 * the schema cache: it checks every column name against the table and
 * every operator against the list, and names the offending piece when it
 * refuses.  Both spellings are read:
 *   Fluxbase   col.op=value        col.not.op=value     col.is.null
 *   PostgREST  col=op.value        col=not.op.value
 * plus or=(...)/and=(...) groups (nestable, negatable with not.), select,
 * order, limit, offset, on_conflict and columns.
 */
#ifndef FLUXBASE_TABLES_QUERY_PARSE_H
#define FLUXBASE_TABLES_QUERY_PARSE_H

#include <stdbool.h>
#include <stddef.h>

#include "arena.h"
#include "http.h"
#include "schema.h"

enum filter_op {
	FOP_EQ,
	FOP_NEQ,
	FOP_GT,
	FOP_GTE,
	FOP_LT,
	FOP_LTE,
	FOP_LIKE,
	FOP_ILIKE,
	FOP_MATCH,
	FOP_IMATCH,
	FOP_IN,
	FOP_IS,
	FOP_ISDISTINCT,
	FOP_FTS,
	FOP_PLFTS,
	FOP_PHFTS,
	FOP_WFTS,
	FOP_CS,
	FOP_CD,
	FOP_OV,
	FOP_SL,
	FOP_SR,
	FOP_NXL,
	FOP_NXR,
	FOP_ADJ,
};

/* eq(any).{a,b}, like(all).{a*,b*}: the operator against every value of
 * the list, ORed (any) or ANDed (all). */
enum filter_quant { QUANT_NONE, QUANT_ANY, QUANT_ALL };

enum filter_is { IS_NULL, IS_NOT_NULL, IS_TRUE, IS_FALSE, IS_UNKNOWN };

enum filter_kind { FILTER_COND, FILTER_AND, FILTER_OR };

struct filter {
	enum filter_kind kind;
	bool negate;
	/* FILTER_COND */
	int column;
	enum filter_op op;
	const char *value; /* like patterns already with % for * */
	const char **list; /* in, and the values of a quantified operator */
	int nlist;
	enum filter_quant quant;
	enum filter_is is;
	const char *fts_config; /* NULL: the database default */
	/* FILTER_AND, FILTER_OR */
	struct filter **children;
	int nchildren;
};

struct select_item {
	int column; /* -1 for * */
	const char *alias; /* NULL: the column's name */
};

enum nulls_order { NULLS_DEFAULT, NULLS_FIRST, NULLS_LAST };

struct order_item {
	int column;
	bool desc;
	enum nulls_order nulls;
};

struct plan {
	struct filter **filters; /* ANDed */
	int nfilters;
	struct select_item *select; /* NULL: all columns */
	int nselect;
	struct order_item *order;
	int norder;
	long limit; /* -1: none given */
	long offset;
	int *on_conflict;
	int non_conflict;
	int *columns;
	int ncolumns;
};

enum prefer_return { RETURN_REPRESENTATION, RETURN_MINIMAL, RETURN_HEADERS_ONLY };
enum prefer_count { COUNT_NONE, COUNT_EXACT, COUNT_PLANNED, COUNT_ESTIMATED };
enum prefer_resolution { RESOLUTION_NONE, RESOLUTION_MERGE, RESOLUTION_IGNORE };

struct prefer {
	enum prefer_return ret;
	bool ret_given;
	enum prefer_count count;
	enum prefer_resolution resolution;
	bool missing_default;
	bool strict; /* handling=strict */
	bool handling_given;
	/* What handling=strict refuses: unknown or unsupported preferences,
	 * ", "-separated ("" when none). */
	char invalid[256];
};

#define QUERY_MAX_FILTERS 100
#define QUERY_MAX_DEPTH 8

/*
 * Fills plan; on failure returns -1 with *err a sentence for a 400 that
 * names what was wrong.  range may be NULL.
 */
int query_parse_plan(struct arena *a, const struct sc_table *t, const struct query_param *params,
    size_t nparams, const char *range, struct plan *plan, const char **err);
/* Reads a Prefer header (query_prefer.c).  Unknown preferences are
 * ignored, as RFC 7240 asks, but listed in p->invalid for handling=strict. */
void query_parse_prefer(const char *header, struct prefer *p);
const char *query_op_name(enum filter_op op);

#endif
