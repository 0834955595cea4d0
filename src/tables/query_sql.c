/*
 * query_sql.c - SQL text for reads and writes.
 *
 * The target table is always aliased _fb_t and every column reference is
 * qualified with it, so nothing the client names can be mistaken for
 * anything else.  The rows to answer with go through a CTE _fb_src, whose
 * order json_agg keeps (a read by key: a subquery of that name, no CTE).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "tables/query_sql.h"

void
sql_init(struct sql_query *q, struct arena *a)
{
	memset(q, 0, sizeof(*q));
	q->arena = a;
	strbuf_init(&q->sql, a, 1024);
}

int
sql_param(struct sql_query *q, const char *value)
{
	if (q->nparams == q->cap) {
		int cap = q->cap ? q->cap * 2 : 16;
		const char **v = arena_calloc(q->arena, (size_t)cap, sizeof(*v));

		if (q->nparams > 0)
			memcpy(v, q->values, (size_t)q->nparams * sizeof(*v));
		q->values = v;
		q->cap = cap;
	}
	q->values[q->nparams++] = value;
	return q->nparams;
}

static void
put_param(struct sql_query *q, const char *value)
{
	strbuf_printf(&q->sql, "$%d", sql_param(q, value));
}

static void
put_column(struct sql_query *q, const struct sc_table *t, int col)
{
	strbuf_printf(&q->sql, "_fb_t.%s", t->columns[col].quoted);
}

static bool
is_text_like(const struct sc_column *c)
{
	return c->typcategory == 'S';
}

static const char *
pattern_op(enum filter_op op)
{
	return op == FOP_LIKE ? " LIKE "
	    : op == FOP_ILIKE ? " ILIKE "
	    : op == FOP_MATCH ? " ~ "
	                      : " ~* ";
}

/* f's list as one bound array literal. */
static void
put_list(struct sql_query *q, const struct filter *f)
{
	struct strbuf list;

	strbuf_init(&list, q->arena, 64);
	strbuf_put_array_literal(&list, (const char *const *)f->list, f->nlist);
	put_param(q, list.data);
}

/* col op ANY|ALL($n::type[]): the list is one bound array literal. */
static void
put_quantified(struct sql_query *q, const struct sc_table *t, const struct filter *f,
    const char *cmp)
{
	const struct sc_column *c = &t->columns[f->ref.column];
	bool pattern = f->op >= FOP_LIKE && f->op <= FOP_IMATCH;

	put_column(q, t, f->ref.column);
	if (pattern && !is_text_like(c))
		strbuf_puts(&q->sql, "::text");
	if (pattern)
		strbuf_puts(&q->sql, pattern_op(f->op));
	else
		strbuf_printf(&q->sql, " %s ", cmp);
	strbuf_puts(&q->sql, f->quant == QUANT_ANY ? "ANY(" : "ALL(");
	put_list(q, f);
	strbuf_printf(&q->sql, "::%s[])", pattern ? "text" : c->type);
}

/* col @@ to_tsquery(...): a column that is not a tsvector goes through
 * to_tsvector, with the same configuration. */
static void
put_fts(struct sql_query *q, const struct sc_table *t, const struct filter *f)
{
	static const char *const tsq[] = { [FOP_FTS] = "to_tsquery",
		[FOP_PLFTS] = "plainto_tsquery",
		[FOP_PHFTS] = "phraseto_tsquery",
		[FOP_WFTS] = "websearch_to_tsquery" };
	const struct sc_column *c = &t->columns[f->ref.column];

	if (strcmp(c->typname, "tsvector") == 0) {
		put_column(q, t, f->ref.column);
	} else {
		strbuf_puts(&q->sql, "to_tsvector(");
		if (f->fts_config != NULL) {
			put_param(q, f->fts_config);
			strbuf_puts(&q->sql, "::regconfig, ");
		}
		put_column(q, t, f->ref.column);
		strbuf_puts(&q->sql, "::text)");
	}
	strbuf_printf(&q->sql, " @@ %s(", tsq[f->op]);
	if (f->fts_config != NULL) {
		put_param(q, f->fts_config);
		strbuf_puts(&q->sql, "::regconfig, ");
	}
	put_param(q, f->value);
	strbuf_putc(&q->sql, ')');
}

static void
put_condition(struct sql_query *q, const struct sc_table *t, const struct filter *f)
{
	const struct sc_column *c = &t->columns[f->ref.column];
	static const char *const cmp[] = { [FOP_EQ] = "=",
		[FOP_NEQ] = "<>",
		[FOP_GT] = ">",
		[FOP_GTE] = ">=",
		[FOP_LT] = "<",
		[FOP_LTE] = "<=",
		[FOP_CS] = "@>",
		[FOP_CD] = "<@",
		[FOP_OV] = "&&",
		[FOP_SL] = "<<",
		[FOP_SR] = ">>",
		[FOP_NXL] = "&>",
		[FOP_NXR] = "&<",
		[FOP_ADJ] = "-|-" };
	static const char *const is_sql[] = { [IS_NULL] = "IS NULL",
		[IS_NOT_NULL] = "IS NOT NULL",
		[IS_TRUE] = "IS TRUE",
		[IS_FALSE] = "IS FALSE",
		[IS_UNKNOWN] = "IS UNKNOWN" };

	if (f->quant != QUANT_NONE) {
		put_quantified(q, t, f, cmp[f->op]);
		return;
	}
	switch (f->op) {
	case FOP_EQ:
	case FOP_NEQ:
	case FOP_GT:
	case FOP_GTE:
	case FOP_LT:
	case FOP_LTE:
	case FOP_CS:
	case FOP_CD:
	case FOP_OV:
	case FOP_SL:
	case FOP_SR:
	case FOP_NXL:
	case FOP_NXR:
	case FOP_ADJ:
		put_column(q, t, f->ref.column);
		strbuf_printf(&q->sql, " %s ", cmp[f->op]);
		put_param(q, f->value);
		break;
	case FOP_LIKE:
	case FOP_ILIKE:
	case FOP_MATCH:
	case FOP_IMATCH:
		put_column(q, t, f->ref.column);
		if (!is_text_like(c))
			strbuf_puts(&q->sql, "::text");
		strbuf_puts(&q->sql, pattern_op(f->op));
		put_param(q, f->value);
		break;
	case FOP_IN:
		put_column(q, t, f->ref.column);
		strbuf_puts(&q->sql, " = ANY(");
		put_list(q, f);
		strbuf_printf(&q->sql, "::%s[])", c->type);
		break;
	case FOP_IS:
		put_column(q, t, f->ref.column);
		strbuf_printf(&q->sql, " %s", is_sql[f->is]);
		break;
	case FOP_ISDISTINCT:
		put_column(q, t, f->ref.column);
		strbuf_puts(&q->sql, " IS DISTINCT FROM ");
		put_param(q, f->value);
		break;
	case FOP_FTS:
	case FOP_PLFTS:
	case FOP_PHFTS:
	case FOP_WFTS:
		put_fts(q, t, f);
		break;
	}
}

static void
put_filter(struct sql_query *q, const struct sc_table *t, const struct filter *f)
{
	if (f->negate)
		strbuf_puts(&q->sql, "NOT ");
	strbuf_putc(&q->sql, '(');
	if (f->kind == FILTER_COND) {
		put_condition(q, t, f);
	} else if (f->nchildren == 0) {
		strbuf_puts(&q->sql, f->kind == FILTER_AND ? "true" : "false");
	} else {
		for (int i = 0; i < f->nchildren; i++) {
			if (i > 0)
				strbuf_puts(&q->sql, f->kind == FILTER_AND ? " AND " : " OR ");
			put_filter(q, t, f->children[i]);
		}
	}
	strbuf_putc(&q->sql, ')');
}

static void
put_where(struct sql_query *q, const struct sc_table *t, const struct plan *p,
    const struct sql_opts *o)
{
	bool any = false;

	if (o->id != NULL && t->pk >= 0) {
		strbuf_puts(&q->sql, " WHERE ");
		put_column(q, t, t->pk);
		strbuf_puts(&q->sql, " = ");
		put_param(q, o->id);
		any = true;
	}
	for (int i = 0; i < p->nfilters; i++) {
		strbuf_puts(&q->sql, any ? " AND " : " WHERE ");
		put_filter(q, t, p->filters[i]);
		any = true;
	}
}

/* The select list over source (_fb_t for reads, _fb_w for writes). */
static void
put_select(struct sql_query *q, const struct sc_table *t, const struct plan *p, const char *source)
{
	if (p->select == NULL) {
		strbuf_printf(&q->sql, "%s.*", source);
		return;
	}
	for (int i = 0; i < p->nselect; i++) {
		const struct select_item *s = &p->select[i];

		if (i > 0)
			strbuf_puts(&q->sql, ", ");
		if (s->kind == SEL_STAR) {
			strbuf_printf(&q->sql, "%s.*", source);
			continue;
		}
		strbuf_printf(&q->sql, "%s.%s", source, t->columns[s->ref.column].quoted);
		if (s->alias != NULL)
			strbuf_printf(&q->sql, " AS %s", schema_quote_ident(q->arena, s->alias));
	}
}

/* The final SELECT over _fb_src: total, n, body. */
static void
put_result(struct sql_query *q, const struct sql_opts *o, const char *total)
{
	/* count(*), not count(_fb_src): that would build each row's composite
	 * value once more than json_agg does (a whole-row value is never null,
	 * so both count the same). */
	strbuf_printf(&q->sql, " SELECT %s AS total, ", total ? total : "NULL::bigint");
	if (o->singular)
		strbuf_puts(&q->sql, "fluxbase.assert_singular(pg_catalog.count(*))");
	else
		strbuf_puts(&q->sql, "pg_catalog.count(*)");
	strbuf_puts(&q->sql, " AS n, ");
	switch (o->body) {
	case SQL_BODY_ARRAY:
		strbuf_puts(&q->sql,
		    "coalesce(pg_catalog.json_agg(_fb_src), '[]')::text AS body FROM _fb_src");
		break;
	case SQL_BODY_OBJECT:
		/* At most one row here (a key, one inserted object, or singular
		 * which fails otherwise): no array to build and take apart. */
		strbuf_puts(&q->sql,
		    "max(pg_catalog.row_to_json(_fb_src)::text) AS body FROM _fb_src");
		break;
	case SQL_BODY_NONE:
	case SQL_BODY_CSV: /* not yet */
		strbuf_puts(&q->sql, "NULL::text AS body FROM _fb_src");
		break;
	case SQL_BODY_GEOJSON:
		/* As PostgREST 12: PostGIS makes each row a Feature (its first
		 * geometry column the geometry, the others its properties). */
		strbuf_printf(&q->sql,
		    "pg_catalog.json_build_object('type', 'FeatureCollection', 'features',"
		    " coalesce(pg_catalog.json_agg(%s(_fb_src)::json), '[]'))::text AS body"
		    " FROM _fb_src",
		    o->geojson_fn);
		break;
	}
}

static bool
has_filters(const struct plan *p)
{
	return p->nfilters > 0;
}

/* The count asked for, with its own copy of the WHERE and its own
 * parameters. */
static const char *
count_expr(struct sql_query *q, const struct sc_table *t, const struct plan *p,
    const struct sql_opts *o)
{
	struct strbuf saved = q->sql;
	const char *exact, *planned, *out;
	int rel;

	if (o->count == COUNT_NONE)
		return NULL;
	strbuf_init(&q->sql, q->arena, 256);
	strbuf_printf(&q->sql, "(SELECT pg_catalog.count(*) FROM %s AS _fb_t", t->qualified);
	put_where(q, t, p, o);
	strbuf_putc(&q->sql, ')');
	exact = q->sql.data;
	if (o->count == COUNT_EXACT || has_filters(p) || o->id != NULL) {
		out = exact;
	} else {
		/* The plan of the read, made as the caller (its policies shape
		 * the estimate; migration 0011); a table never analysed has no
		 * statistics to plan with: count it. */
		strbuf_init(&q->sql, q->arena, 256);
		rel = sql_param(q, t->qualified);
		strbuf_printf(&q->sql,
		    "(SELECT CASE WHEN c.reltuples < 0 THEN %s ELSE fluxbase.plan_rows(c.oid) END"
		    " FROM pg_catalog.pg_class c WHERE c.oid = $%d::regclass)",
		    exact, rel);
		planned = q->sql.data;
		if (o->count == COUNT_PLANNED) {
			out = planned;
		} else {
			/* estimated: exact up to max_rows, the statistics beyond. */
			strbuf_init(&q->sql, q->arena, 256);
			strbuf_printf(&q->sql,
			    "(SELECT CASE WHEN s.n > %ld THEN %s ELSE s.n END FROM (SELECT"
			    " pg_catalog.count(*) AS n FROM (SELECT 1 FROM %s LIMIT %ld) l) s)",
			    o->max_rows, planned, t->qualified, o->max_rows + 1);
			out = q->sql.data;
		}
	}
	q->sql = saved;
	return out;
}

int
sql_build_read(struct sql_query *q, const struct sc_table *t, const struct plan *p,
    const struct sql_opts *o)
{
	long limit = p->limit >= 0 && p->limit < o->max_rows ? p->limit : o->max_rows;
	const char *total = count_expr(q, t, p, o);
	/* One row by its key: no aggregate to set up and run (a tenth of the
	 * server's time for such a read); no row at all means not found. */
	bool by_key = o->id != NULL && t->pk >= 0 && o->body == SQL_BODY_OBJECT && !o->singular;

	if (by_key)
		strbuf_printf(&q->sql,
		    "SELECT %s AS total, 1::bigint AS n,"
		    " pg_catalog.row_to_json(_fb_src)::text AS body FROM (SELECT ",
		    total ? total : "NULL::bigint");
	else
		strbuf_puts(&q->sql, "WITH _fb_src AS (SELECT ");
	put_select(q, t, p, "_fb_t");
	strbuf_printf(&q->sql, " FROM %s AS _fb_t", t->qualified);
	put_where(q, t, p, o);
	for (int i = 0; i < p->norder; i++) {
		const struct order_item *ord = &p->order[i];

		strbuf_puts(&q->sql, i == 0 ? " ORDER BY " : ", ");
		put_column(q, t, ord->ref.column);
		strbuf_puts(&q->sql, ord->desc ? " DESC" : " ASC");
		if (ord->nulls != NULLS_DEFAULT)
			strbuf_puts(&q->sql,
			    ord->nulls == NULLS_FIRST ? " NULLS FIRST" : " NULLS LAST");
	}
	strbuf_printf(&q->sql, " LIMIT %ld", limit);
	if (p->offset > 0)
		strbuf_printf(&q->sql, " OFFSET %ld", p->offset);
	if (by_key) {
		strbuf_puts(&q->sql, ") AS _fb_src");
		return 0;
	}
	strbuf_putc(&q->sql, ')');
	put_result(q, o, total);
	return 0;
}

/* _fb_src from the rows written (RETURNING _fb_t.* as _fb_w). */
static void
put_written(struct sql_query *q, const struct sc_table *t, const struct plan *p,
    const struct sql_opts *o)
{
	strbuf_puts(&q->sql, " RETURNING _fb_t.*), _fb_src AS (SELECT ");
	put_select(q, t, p, "_fb_w");
	strbuf_puts(&q->sql, " FROM _fb_w)");
	put_result(q, o, NULL);
}

static void
put_column_list(struct sql_query *q, const struct sc_table *t, const int *cols, int n)
{
	strbuf_putc(&q->sql, '(');
	for (int i = 0; i < n; i++)
		strbuf_printf(&q->sql, "%s%s", i ? ", " : "", t->columns[cols[i]].quoted);
	strbuf_putc(&q->sql, ')');
}

/*
 * One column of one inserted row: the body's value, or with
 * missing=default the column's default when the row lacks the key.  The
 * default comes from the catalog, never from the client; an identity
 * column has none there (it is NOT NULL, numeric, and owns a sequence),
 * so it draws from its sequence as its DEFAULT would.
 */
static void
put_insert_value(struct sql_query *q, const struct sc_table *t, const struct sc_column *c,
    bool missing_default)
{
	bool identity = c->default_expr == NULL && c->notnull && c->typcategory == 'N';

	if (!missing_default || (c->default_expr == NULL && !identity)) {
		strbuf_printf(&q->sql, "r.%s", c->quoted);
		return;
	}
	strbuf_printf(&q->sql, "CASE WHEN e.j ? ");
	put_param(q, c->name);
	strbuf_printf(&q->sql, " THEN r.%s ELSE ", c->quoted);
	if (identity) {
		strbuf_puts(&q->sql, "pg_catalog.nextval(pg_catalog.pg_get_serial_sequence(");
		put_param(q, t->qualified);
		strbuf_puts(&q->sql, ", ");
		put_param(q, c->name);
		strbuf_printf(&q->sql, "))::%s END", c->type);
	} else {
		strbuf_printf(&q->sql, "%s END", c->default_expr);
	}
}

int
sql_build_insert(struct sql_query *q, const struct sc_table *t, const struct plan *p,
    const struct sql_opts *o, const char *body_json, const int *cols, int ncols,
    enum prefer_resolution resolution, bool missing_default)
{
	int body = sql_param(q, body_json);

	strbuf_printf(&q->sql,
	    "WITH _fb_body AS (SELECT CASE pg_catalog.jsonb_typeof(j) WHEN 'array' THEN j"
	    " ELSE pg_catalog.jsonb_build_array(j) END AS j FROM (SELECT $%d::jsonb AS j) b),"
	    " _fb_w AS (INSERT INTO %s AS _fb_t ",
	    body, t->qualified);
	if (ncols == 0) {
		/* {}: one row of defaults (the handler refuses more than one). */
		strbuf_puts(&q->sql, "DEFAULT VALUES");
	} else {
		put_column_list(q, t, cols, ncols);
		strbuf_puts(&q->sql, " SELECT ");
		for (int i = 0; i < ncols; i++) {
			const struct sc_column *c = &t->columns[cols[i]];

			if (i > 0)
				strbuf_puts(&q->sql, ", ");
			put_insert_value(q, t, c, missing_default);
		}
		strbuf_printf(&q->sql,
		    " FROM _fb_body, pg_catalog.jsonb_array_elements(_fb_body.j) WITH ORDINALITY"
		    " e(j, i), pg_catalog.jsonb_populate_record(NULL::%s, e.j) r ORDER BY e.i",
		    t->qualified);
	}
	if (resolution != RESOLUTION_NONE) {
		const int *target = p->non_conflict > 0 ? p->on_conflict : NULL;
		int ntarget = p->non_conflict;
		int pkcols[32], npk = 0, updates = 0;

		if (target == NULL) {
			for (int i = 0; i < t->ncolumns && npk < 32; i++)
				if (t->columns[i].pk)
					pkcols[npk++] = i;
			target = pkcols;
			ntarget = npk;
		}
		if (ntarget == 0)
			return -1;
		strbuf_puts(&q->sql, " ON CONFLICT ");
		put_column_list(q, t, target, ntarget);
		/* Every column written, the conflict target's too (as PostgREST
		 * does): a row that conflicts is always updated, and so answered,
		 * even when the body names nothing but its key. */
		if (resolution == RESOLUTION_MERGE)
			for (int i = 0; i < ncols; i++)
				strbuf_printf(&q->sql, "%s%s = EXCLUDED.%s",
				    updates++ ? ", " : " DO UPDATE SET ",
				    t->columns[cols[i]].quoted, t->columns[cols[i]].quoted);
		if (updates == 0)
			strbuf_puts(&q->sql, " DO NOTHING");
	}
	put_written(q, t, p, o);
	return 0;
}

int
sql_build_update(struct sql_query *q, const struct sc_table *t, const struct plan *p,
    const struct sql_opts *o, const char *body_json, const int *cols, int ncols)
{
	int body = sql_param(q, body_json);

	if (ncols == 0)
		return -1;
	strbuf_printf(&q->sql, "WITH _fb_w AS (UPDATE %s AS _fb_t SET ", t->qualified);
	put_column_list(q, t, cols, ncols);
	strbuf_puts(&q->sql, " = (SELECT ");
	for (int i = 0; i < ncols; i++)
		strbuf_printf(&q->sql, "%sr.%s", i ? ", " : "", t->columns[cols[i]].quoted);
	strbuf_printf(&q->sql, " FROM pg_catalog.jsonb_populate_record(NULL::%s, $%d::jsonb) r)",
	    t->qualified, body);
	put_where(q, t, p, o);
	put_written(q, t, p, o);
	return 0;
}

int
sql_build_put(struct sql_query *q, const struct sc_table *t, const struct plan *p,
    const struct sql_opts *o, const char *body_json, const int *cols, int ncols)
{
	int body, id, updates = 0;

	if (t->pk < 0 || o->id == NULL)
		return -1;
	body = sql_param(q, body_json);
	id = sql_param(q, o->id);
	strbuf_printf(&q->sql,
	    "WITH _fb_r AS (SELECT * FROM pg_catalog.jsonb_populate_record(NULL::%s, $%d::jsonb)),"
	    " _fb_w AS (INSERT INTO %s AS _fb_t (",
	    t->qualified, body, t->qualified);
	/* Every writable column: from the body, the URL's key, or DEFAULT. */
	for (int i = 0, n = 0; i < t->ncolumns; i++) {
		if (t->columns[i].generated)
			continue;
		strbuf_printf(&q->sql, "%s%s", n++ ? ", " : "", t->columns[i].quoted);
	}
	strbuf_puts(&q->sql, ") VALUES (");
	for (int i = 0, n = 0; i < t->ncolumns; i++) {
		bool given = false;

		if (t->columns[i].generated)
			continue;
		for (int k = 0; k < ncols; k++)
			given |= cols[k] == i;
		strbuf_puts(&q->sql, n++ ? ", " : "");
		if (i == t->pk)
			strbuf_printf(&q->sql, "$%d", id);
		else if (given)
			strbuf_printf(&q->sql, "(SELECT %s FROM _fb_r)", t->columns[i].quoted);
		else
			strbuf_puts(&q->sql, "DEFAULT");
	}
	strbuf_printf(&q->sql, ") ON CONFLICT (%s)", t->columns[t->pk].quoted);
	for (int i = 0; i < t->ncolumns; i++) {
		if (i == t->pk || t->columns[i].generated)
			continue;
		strbuf_printf(&q->sql, "%s%s = EXCLUDED.%s", updates++ ? ", " : " DO UPDATE SET ",
		    t->columns[i].quoted, t->columns[i].quoted);
	}
	if (updates == 0)
		strbuf_puts(&q->sql, " DO NOTHING");
	put_written(q, t, p, o);
	return 0;
}

int
sql_build_delete(struct sql_query *q, const struct sc_table *t, const struct plan *p,
    const struct sql_opts *o)
{
	strbuf_printf(&q->sql, "WITH _fb_w AS (DELETE FROM %s AS _fb_t", t->qualified);
	put_where(q, t, p, o);
	put_written(q, t, p, o);
	return 0;
}
