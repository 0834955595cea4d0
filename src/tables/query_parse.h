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

/* One step of a JSON path: ->key, ->>key, ->0, ->>-1. */
struct json_step {
	const char *key; /* the key, or an index's digits (maybe with a leading -) */
	bool index; /* an array index */
	bool text; /* ->> (text) rather than -> (json) */
};

/*
 * A column of the table in scope, maybe followed by a JSON path and a
 * cast: meta->tags->0, meta->>color, price::text.  A cast names a type
 * as an identifier (letters, digits, _), optionally schema-qualified and
 * followed by []; the SQL builder quotes it.
 */
struct colref {
	int column; /* index in the scope's table */
	struct json_step *path; /* NULL when npath is 0 */
	int npath;
	const char *cast; /* NULL: none */
};

struct filter {
	enum filter_kind kind;
	bool negate;
	/* FILTER_COND */
	struct colref ref; /* never a cast */
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

/* PostgREST 12's aggregates: count(), col.count(), col.sum(), ... */
enum agg_fn { AGG_NONE, AGG_COUNT, AGG_SUM, AGG_AVG, AGG_MIN, AGG_MAX };

enum select_kind {
	SEL_STAR, /* * */
	SEL_COLUMN, /* a colref, maybe aggregated */
	SEL_COUNT, /* count() alone: the number of rows (of the group) */
	SEL_EMBED, /* a related table (see struct embed) */
};

struct embed;

struct select_item {
	enum select_kind kind;
	struct colref ref; /* SEL_COLUMN */
	enum agg_fn agg; /* SEL_COLUMN: AGG_NONE, or the aggregate of ref */
	const char *agg_cast; /* a cast of the aggregate's result (col.sum()::int), or NULL */
	/* The output key; NULL: the column's name, a JSON path's last key, the
	 * aggregate's name ("sum", "count"), or for an embed its name. */
	const char *alias;
	struct embed *embed; /* SEL_EMBED */
};

enum nulls_order { NULLS_DEFAULT, NULLS_FIRST, NULLS_LAST };

struct order_item {
	struct colref ref; /* never a cast */
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
	/* Some select item aggregates: the plain columns read group. */
	bool aggregated;
};

/*
 * How a parent row reaches the rows of an embedded table, from the foreign
 * keys in the schema cache (tables/relationship.c decides).
 */
enum rel_kind {
	REL_MANY_TO_ONE, /* parent.fk -> target: an object or null */
	REL_ONE_TO_MANY, /* target.fk -> parent: an array */
	REL_ONE_TO_ONE, /* either side's fk, its columns unique: an object or null */
	REL_MANY_TO_MANY, /* junction.fk -> parent and junction.fk -> target: an array */
};

struct relationship {
	enum rel_kind kind;
	const struct sc_table *target;
	/* Not MANY_TO_MANY: the foreign key, and whether its columns are the
	 * parent's (MANY_TO_ONE, ONE_TO_ONE forward) or the target's
	 * (ONE_TO_MANY, ONE_TO_ONE backward). */
	const struct sc_fk *fk;
	bool fk_on_parent;
	/* MANY_TO_MANY: the junction table and its two foreign keys. */
	const struct sc_table *junction;
	const struct sc_fk *junction_parent; /* junction -> parent */
	const struct sc_fk *junction_target; /* junction -> target */
};

/* An object (or null) rather than an array. */
#define REL_TO_ONE(rel) ((rel)->kind == REL_MANY_TO_ONE || (rel)->kind == REL_ONE_TO_ONE)

/*
 * select=alias:name!hint!inner(select...), ...name(cols) (spread).  The
 * embedded resource's own select, filters (name.col=eq.v, name.or=...),
 * order (name.order=), limit and offset are in sub, whose columns index
 * the target's.
 */
struct embed {
	const char *name; /* the target as written */
	const char *hint; /* !constraint or !column or !junction, or NULL */
	bool inner; /* !inner: parents without a matching row are dropped */
	bool spread; /* ...name(cols): to-one only, its keys flattened into the parent */
	bool hidden; /* name() with nothing selected: it only filters (with !inner) */
	struct relationship rel;
	struct plan *sub;
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
	bool params_single; /* params=single-object (RPC) */
	bool tx_rollback; /* tx=rollback */
	bool tx_given; /* tx=commit or tx=rollback */
	long max_affected; /* max-affected=N (N > 0), or 0 */
	/* What handling=strict refuses: unknown or unsupported preferences,
	 * ", "-separated ("" when none). */
	char invalid[256];
};

#define QUERY_MAX_FILTERS 100
#define QUERY_MAX_DEPTH 8

/* Why a query was refused: PostgREST's code and words. */
struct query_error {
	int status; /* 400; 300 for an ambiguous embedding (PGRST201) */
	const char *code; /* PGRST100 grammar, PGRST200 no relationship, PGRST201 ambiguous */
	const char *message;
	const char *details; /* or NULL */
	const char *hint; /* or NULL */
};

struct parse_opts {
	/* Where embedded tables are looked up; NULL: embedding refused. */
	const struct schema_cache *sc;
	bool aggregates; /* [tables] aggregates */
	bool exact_names; /* embedded tables by exact name only (/rest/v1) */
	const char *range; /* the Range header, or NULL */
};

/*
 * Fills plan; on failure returns -1 with *err saying what was wrong and
 * naming the offending piece.
 */
int query_parse_plan(struct arena *a, const struct sc_table *t, const struct query_param *params,
    size_t nparams, const struct parse_opts *o, struct plan *plan, struct query_error *err);
/* Reads a Prefer header (query_prefer.c).  Unknown preferences are
 * ignored, as RFC 7240 asks, but listed in p->invalid for handling=strict. */
void query_parse_prefer(const char *header, struct prefer *p);
const char *query_op_name(enum filter_op op);

#endif
